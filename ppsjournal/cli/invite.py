"""ppsj invite (not implemented yet)."""

from __future__ import annotations

import click

from ppsjournal.cli import common_options
from ppsjournal.errors import PpsjError


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def invite(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj invite is not implemented yet")
