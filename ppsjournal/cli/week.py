"""ppsj week (not implemented yet)."""

from __future__ import annotations

import click

from ppsjournal.cli import common_options
from ppsjournal.errors import PpsjError


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1)
@common_options
def week(args: tuple[str, ...]) -> None:
    """(Not implemented yet.)"""
    raise PpsjError("ppsj week is not implemented yet")
