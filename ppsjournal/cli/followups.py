"""ppsj overdue: the overdue follow-ups, oldest first."""

from __future__ import annotations

import datetime as dt

import click

from ppsjournal.cli import (
    common_options,
    echo_json,
    runtime,
    warn,
)
from ppsjournal.errors import EXIT_PROBLEMS


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@common_options
def overdue(as_json: bool) -> None:
    """Overdue follow-ups: open tasks due before today, oldest first.

    Each with its partner and the note it is in (path:line). Carried-forward
    [>], done [x] and cancelled [-] tasks are not overdue. Task lines whose
    dates ppsj cannot read are named on stderr. A note that cannot be read
    is named too, and the exit status is 3: the list may be incomplete.

    \b
    Example:
      ppsj overdue
      ppsj overdue --json | jq -r '.overdue[] | "\\(.due) \\(.partner) \\(.description)"'
    """
    from ppsjournal.followups import overdue_tasks
    from ppsjournal.names import note_name

    rt = runtime()
    # What Follow-ups.md reads is enough: open dated tasks, tasks with
    # problems, the notes they are in, partners, and every note's problems.
    index, today = rt.index(), rt.today
    for problem in index.read_problems:
        warn(str(problem))
    for t in index.tasks_with_problems():
        for message in t.problems:
            warn(f"{t.path}:{t.line}: {message}")
    late = overdue_tasks(index, today)
    index.prefetch(t.path for t in late)  # owners and link names of every note at once
    targets = index.targets
    rows = [
        {
            "due": t.due,
            "days_overdue": (today - t.due).days,  # type: ignore[operator]
            "partner": index.partner_of_task(t),
            "note": targets.get(t.path, note_name(t.path)),
            "path": t.path,
            "line": t.line,
            "description": t.description,
            "tags": list(t.tags),
            "text": t.text,
        }
        for t in late
    ]
    # A note that cannot be read may hold overdue tasks: the list is then
    # incomplete, which the exit status 3 says (as partners and report do).
    incomplete = bool(index.read_problems)
    if as_json:
        problems = [str(p) for p in index.read_problems]
        doc = {"today": today, "count": len(rows), "overdue": rows, "problems": problems}
        echo_json(doc)
    elif not rows:
        click.echo(f"nothing overdue (as of {today.isoformat()})")
    else:
        _print_overdue(rows, today)
    if incomplete:
        click.get_current_context().exit(EXIT_PROBLEMS)


def _print_overdue(rows: list[dict], today: dt.date) -> None:
    from ppsjournal.output import printable

    lines = []  # written at once: a backlog of 15,000 is 45,000 lines
    for r in rows:
        late = "1 day" if r["days_overdue"] == 1 else f"{r['days_overdue']} days"
        partner = printable(r["partner"] or "(no partner)")
        lines.append(f"{r['due'].isoformat()}  {late} late  {partner}")
        lines.append(f"  {printable(r['description'])}")
        lines.append(printable(f"  [[{r['note']}]]  {r['path']}:{r['line']}"))
    n = len(rows)
    lines.append(f"{n} overdue follow-up{'s' if n != 1 else ''} as of {today.isoformat()}")
    click.echo("\n".join(lines))
