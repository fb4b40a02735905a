"""ppsj init: a new vault."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ppsjournal.cli import common_options
from ppsjournal.errors import UsageError


@click.command()
@click.argument(
    "directory",
    metavar="[DIR]",
    required=False,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--name", prompt="Your name", help="The owner: the loan originator.")
@click.option("--email", prompt="Your e-mail", help="The owner's e-mail (the invites' organizer).")
@click.option(
    "--timezone",
    prompt="Your time zone (IANA, e.g. America/Chicago)",
    help="IANA time zone name; every time in the vault is in it.",
)
@click.option(
    "--here",
    is_flag=True,
    help="Create the vault even inside another vault or in a folder that holds notes.",
)
@common_options
def init(directory: Path | None, name: str, email: str, timezone: str, here: bool) -> None:
    """Create a new vault: ppsj.toml, the folders and a .gitignore.

    DIR defaults to --vault, else $PPSJ_VAULT, else the current folder.
    Never overwrites: a folder that already has a ppsj.toml is refused, and
    existing .gitignore or .gitattributes files are left as they are. A folder
    inside another vault, or one that already holds Markdown notes, is refused
    unless --here is given.

    \b
    Example:
      ppsj init ~/pps --name "Alex Rivera" --email alex@lender.example --timezone America/Chicago
    """
    from ppsjournal.vault_setup import check_place, create_vault

    directory = _directory(directory)
    if not here:
        check_place(directory)
    created, tips = create_vault(directory, name=name, email=email, timezone=timezone)
    for rel in created:
        click.echo(f"created {rel}")
    for tip in tips:
        click.echo(f"note: {tip}")
    click.echo(f"vault ready in {directory}; next: ppsj slots, then ppsj add NAME --at HH:MM")


def _directory(given: Path | None) -> Path:
    """DIR, else --vault, else $PPSJ_VAULT, else the current folder."""
    ctx = click.get_current_context()
    option = (ctx.find_root().obj or {}).get("vault") or (ctx.obj or {}).get("vault")
    if given is not None:
        if option and Path(option).expanduser() != given.expanduser():
            raise UsageError(
                f"DIR {str(given)!r} and --vault {option!r} name two folders; give one"
            )
        return given.expanduser()
    chosen = option or os.environ.get("PPSJ_VAULT") or "."
    return Path(chosen).expanduser()
