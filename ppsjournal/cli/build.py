"""ppsj build, watch (not implemented yet)."""

from __future__ import annotations

import click

from ppsjournal.cli import common_options
from ppsjournal.errors import PpsjError


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def build(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj build is not implemented yet")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def watch(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj watch is not implemented yet")
