"""ppsj doctor: every problem of the vault, one line each."""

from __future__ import annotations

import click

from ppsjournal.cli import (
    common_options,
    runtime,
)
from ppsjournal.errors import EXIT_FAILED


@click.command()
@common_options
def doctor() -> None:
    """Check every note: one line per problem, with the file (and line).

    Finds front-matter that does not parse, missing or mistyped properties of
    partner, session and lead notes, git conflict markers, two active series
    sharing a slot in some week, session and lead notes linking a partner that
    does not exist, task dates ppsj cannot read, a follow-up open both in
    a session note and in the previous one it was carried from (a 'ppsj week'
    stopped half-way; running it again for that week finishes it), lines of
    the co-marketing ledger that do not read or name no partner, two notes
    whose names differ only in case or accents (one file on macOS and
    Windows), conflict markers in Follow-ups.md or a calendar, and a merge
    driver that .gitattributes names but this clone does not configure ('ppsj
    sync --setup'). Exit 1 if anything was found, 0 if the vault is clean.

    \b
    Example:
      ppsj doctor && git commit -am "weekly notes"
    """
    from ppsjournal.app import read_ledger
    from ppsjournal.doctor import Finding, findings, ledger_findings
    from ppsjournal.output import one_line
    from ppsjournal.sync import sync_problems

    rt = runtime()
    index = rt.index()
    found = findings(index, rt.vault.settings)
    found.extend(ledger_findings(index, *read_ledger(rt.vault)))
    found.extend(Finding(*problem) for problem in sync_problems(rt.vault))
    found = sorted(set(found))
    for f in found:
        click.echo(one_line(str(f)))  # a file named with a line break: one line still
    if found:
        n = len(found)
        click.echo(f"{n} problem{'s' if n != 1 else ''} found in {len(index.entries)} notes")
        # Finding problems is doctor's verdict, as a linter's: 1, not 3.
        click.get_current_context().exit(EXIT_FAILED)
    click.echo(f"vault is clean: {len(index.entries)} notes checked")
