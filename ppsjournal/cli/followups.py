"""ppsj lead, stage, overdue, doctor."""

from __future__ import annotations

import datetime as dt

import click

from ppsjournal.cli import (
    common_options,
    echo_json,
    find_partner,
    parse_date_option,
    runtime,
    warn,
)
from ppsjournal.errors import PpsjError, UsageError


@click.command()
@click.argument("name")
@click.option("--partner", "partner_name", required=True, help="The partner who named the lead.")
@click.option(
    "--source",
    required=True,
    metavar="SOURCE",
    help="lost-lead (met, may not use the partner), showing (a buyer at a showing), "
    "or referral (sent to you by the partner).",
)
@click.option("--phone", help="The lead's phone number.")
@click.option("--email", help="The lead's e-mail address.")
@click.option(
    "--showing", metavar="YYYY-MM-DD", help="The day of a showing: pre-qualify before it."
)
@click.option(
    "--value", type=click.FloatRange(min=0), help="The loan amount, or what the deal is worth."
)
@common_options
def lead(
    name: str,
    partner_name: str,
    source: str,
    phone: str | None,
    email: str | None,
    showing: str | None,
    value: float | None,
) -> None:
    """A new lead note, Leads/NAME.md, with its first follow-up.

    The note gets stage: new, created and stage_changed set to today, and one
    open task: due the day before the showing with --showing (today if that
    has passed), else tomorrow. A referral lead is what clears a partner's
    passed referral_expected from Follow-ups.md.

    \b
    Example:
      ppsj lead "Sam Lee" --partner "Debbie Harper" --source showing --showing 2026-12-05
      ppsj lead "Ana Ruiz" --partner "Debbie Harper" --source referral --phone "+1 555 0101"
    """
    from ppsjournal.leads import lead_context, lead_front_matter, new_lead
    from ppsjournal.names import name_key
    from ppsjournal.templates import render_note

    day = parse_date_option(showing, "--showing")
    rt = runtime()
    vault, today = rt.vault, rt.today
    index = rt.index()
    partner = find_partner(index, partner_name)
    try:
        new = new_lead(
            name, partner, source, today, phone=phone, email=email, showing=day, value=value
        )
    except PpsjError as exc:  # every value it checks was typed on the command line
        raise UsageError(exc.message, exc.where) from None
    existing = index.leads.get(name_key(new.name))
    if existing is not None:
        raise PpsjError(f"{existing.name} is already a lead ({existing.path})")
    index.check_new_name(new.name, "lead")
    rel = vault.lead_path(new.name)
    text = render_note(
        vault.root, "lead.md.j2", lead_front_matter(new), lead_context(new, vault.settings, today)
    )
    vault.create(rel, text.encode("utf-8"))
    click.echo(
        f"wrote {rel}: {new.source} from {new.partner}, first follow-up due {new.due.isoformat()}"
    )


@click.command()
@click.argument("name")
@click.argument("stage", metavar="STAGE")
@common_options
def stage(name: str, stage: str) -> None:
    """Move a lead to STAGE; sets stage and stage_changed (today).

    STAGE is one of: new, contacted, prequalified, application, closed, lost.
    Only those two lines of the note's properties change.

    \b
    Example:
      ppsj stage "Sam Lee" prequalified
    """
    from ppsjournal.leads import check_choice, stage_updates
    from ppsjournal.model import LEAD_STAGES, QUOTED_KEYS
    from ppsjournal.names import name_key

    try:
        stage = check_choice(stage, LEAD_STAGES, "stage")
    except PpsjError as exc:
        raise UsageError(exc.message) from None
    rt = runtime()
    index = rt.index()
    found = index.leads.get(name_key(name))
    if found is None:
        # A lead note that does not parse is not "no lead": say what is wrong with it.
        path = rt.vault.lead_path(name)
        entry = index.entries.get(path)
        for problem in index.problems:
            if problem.where.partition(":")[0] == path:
                raise PpsjError(f"cannot read the lead note: {problem.message}", problem.where)
        if entry is not None:
            raise PpsjError("not a lead note (no 'type: lead')", path)
        raise PpsjError(f"no lead named {name!r} (create it with 'ppsj lead')")
    updates = stage_updates(found, stage, rt.today)
    if not updates:
        click.echo(f"{found.name} is already at stage {found.stage}; nothing changed")
        return
    rt.vault.update_keys(found.path, updates, QUOTED_KEYS)
    click.echo(
        f"{found.name}: {found.stage} -> {updates['stage']} "
        f"(stage_changed {rt.today.isoformat()}) in {found.path}"
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@common_options
def overdue(as_json: bool) -> None:
    """Overdue follow-ups: open tasks due before today, oldest first.

    Each with its partner and the note it is in (path:line). Carried-forward
    [>], done [x] and cancelled [-] tasks are not overdue. Task lines whose
    dates ppsj cannot read are named on stderr.

    \b
    Example:
      ppsj overdue
      ppsj overdue --json | jq -r '.overdue[] | "\\(.due) \\(.partner) \\(.description)"'
    """
    from ppsjournal.followups import overdue_tasks
    from ppsjournal.index import note_name

    rt = runtime()
    # What Follow-ups.md reads is enough: open dated tasks, tasks with
    # problems, the notes they are in, partners, and every note's problems.
    index, today = rt.index(), rt.today
    for problem in index.problems:
        warn(str(problem))
    for t in index.tasks_with_problems():
        for message in t.problems:
            warn(f"{t.path}:{t.line}: {message}")
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
        for t in overdue_tasks(index, today)
    ]
    # A note that cannot be read may hold overdue tasks: the list is then
    # incomplete, which the exit status says (as partners and report do).
    incomplete = bool(index.problems)
    if as_json:
        problems = [str(p) for p in index.problems]
        doc = {"today": today, "count": len(rows), "overdue": rows, "problems": problems}
        echo_json(doc)
    elif not rows:
        click.echo(f"nothing overdue (as of {today.isoformat()})")
    else:
        _print_overdue(rows, today)
    if incomplete:
        click.get_current_context().exit(1)


def _print_overdue(rows: list[dict], today: dt.date) -> None:
    from ppsjournal.output import printable

    for r in rows:
        late = "1 day" if r["days_overdue"] == 1 else f"{r['days_overdue']} days"
        partner = printable(r["partner"] or "(no partner)")
        click.echo(f"{r['due'].isoformat()}  {late} late  {partner}")
        click.echo(f"  {printable(r['description'])}")
        click.echo(printable(f"  [[{r['note']}]]  {r['path']}:{r['line']}"))
    n = len(rows)
    click.echo(f"{n} overdue follow-up{'s' if n != 1 else ''} as of {today.isoformat()}")


@click.command()
@common_options
def doctor() -> None:
    """Check every note: one line per problem, with the file (and line).

    Finds front-matter that does not parse, missing or mistyped properties of
    partner, session and lead notes, git conflict markers, two active series
    sharing a slot in some week, session and lead notes linking a partner that
    does not exist, and task dates ppsj cannot read. Exit 1 if anything was
    found, 0 if the vault is clean.

    \b
    Example:
      ppsj doctor && git commit -am "weekly notes"
    """
    from ppsjournal.doctor import duplicate_keys, findings
    from ppsjournal.note import decode
    from ppsjournal.output import printable

    rt = runtime()
    index = rt.index()
    found = findings(index, rt.vault.settings)
    # Keys written twice do not survive parsing (the last wins): read the text again.
    for entry in index.entries.values():
        if entry.error or entry.meta.get("type") not in ("partner", "session", "lead"):
            continue
        try:
            text = decode(entry.path, rt.vault.read_bytes(entry.path))
        except PpsjError:
            continue  # changed or gone since the index read it
        found.extend(duplicate_keys(entry.path, text))
    found = sorted(set(found))
    for f in found:
        click.echo(printable(str(f)))
    if found:
        n = len(found)
        click.echo(f"{n} problem{'s' if n != 1 else ''} found in {len(index.entries)} notes")
        click.get_current_context().exit(1)
    click.echo(f"vault is clean: {len(index.entries)} notes checked")
