"""ppsj init: a new vault."""

from __future__ import annotations

from pathlib import Path

import click

from ppsjournal.cli import common_options


@click.command()
@click.argument(
    "directory", metavar="[DIR]", default=".", type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--name", prompt="Your name", help="The owner: the loan originator.")
@click.option("--email", prompt="Your e-mail", help="The owner's e-mail (the invites' organizer).")
@click.option(
    "--timezone",
    prompt="Your time zone (IANA, e.g. America/Chicago)",
    help="IANA time zone name; every time in the vault is in it.",
)
@common_options
def init(directory: Path, name: str, email: str, timezone: str) -> None:
    """Create a new vault: ppsj.toml, the folders and a .gitignore.

    Never overwrites: a folder that already has a ppsj.toml is refused, and
    existing .gitignore or .gitattributes files are left as they are.

    \b
    Example:
      ppsj init ~/pps --name "Alex Rivera" --email alex@lender.example --timezone America/Chicago
    """
    from ppsjournal.vault_setup import create_vault

    created, tips = create_vault(directory, name=name, email=email, timezone=timezone)
    for rel in created:
        click.echo(f"created {rel}")
    for tip in tips:
        click.echo(f"note: {tip}")
    click.echo(f"vault ready in {directory}; next: ppsj slots, then ppsj add NAME --at HH:MM")
