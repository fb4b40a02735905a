"""ppsj lead, stage, overdue, doctor (not implemented yet)."""

from __future__ import annotations

import click

from ppsjournal.cli import common_options
from ppsjournal.errors import PpsjError


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def lead(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj lead is not implemented yet")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def stage(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj stage is not implemented yet")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def overdue(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj overdue is not implemented yet")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def doctor(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj doctor is not implemented yet")
