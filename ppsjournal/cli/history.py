"""ppsj history and ppsj search: the partnership's memory, read back."""

from __future__ import annotations

import datetime as dt

import click

from ppsjournal.cli import common_options, echo_json, find_partner, runtime, warn
from ppsjournal.cli.types import PAST_DATE
from ppsjournal.errors import EXIT_PROBLEMS, UsageError

LIMIT = 50  # hits a search shows unless --limit says otherwise


@click.command()
@click.argument("name")
@click.option(
    "--question",
    type=click.IntRange(1, 5),
    metavar="N",
    help="Only question N (1-5).",
)
@click.option("--since", type=PAST_DATE, help="Only answers from sessions on or after this day.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@common_options
def history(name: str, question: int | None, since: dt.date | None, as_json: bool) -> None:
    """NAME's answers to each of the five questions, newest first.

    From every session note of the partner: the text under the question's
    heading, without the template's hint line and without the "Last time"
    quote of an earlier answer; empty answers are left out. Each answer
    with its session's date and a link to its note. A note that cannot be
    read is named on stderr, and the exit status is 3.

    \b
    Example:
      ppsj history "Debbie Harper"
      ppsj history debbie --question 3 --since 2026-11-01
      ppsj history debbie --json | jq -r '.questions[2].answers[0].text'
    """
    from ppsjournal.history import history as partner_history

    rt = runtime()
    index = rt.index()
    partner = find_partner(index, name)
    problems = index.read_problems
    for problem in problems:
        warn(str(problem))
    questions = partner_history(index, partner.name, question, since)
    targets = index.targets
    doc = {
        "partner": partner.name,
        "questions": [
            {
                "number": q.number,
                "title": q.title,
                "answers": [
                    {
                        "date": a.date,
                        "note": targets.get(a.path, a.path),
                        "path": a.path,
                        "text": a.text,
                    }
                    for a in q.answers
                ],
            }
            for q in questions
        ],
    }
    if as_json:
        echo_json(doc)
    else:
        _print_history(doc, since)
    if problems:
        click.get_current_context().exit(EXIT_PROBLEMS)


def _print_history(doc: dict, since: dt.date | None) -> None:
    from ppsjournal.output import printable

    lines = [f"{doc['partner']}: answers, newest first" + (f", since {since}" if since else "")]
    for q in doc["questions"]:
        lines += ["", f"{q['number']}. {q['title']}"]
        if not q["answers"]:
            lines.append("  (no answers)")
        for a in q["answers"]:
            lines.append(f"  {a['date'].isoformat()}  [[{a['note']}]]")
            lines += [f"    {line}".rstrip() for line in a["text"].split("\n")]
    click.echo(printable("\n".join(lines)))


@click.command()
@click.argument("text")
@click.option("--partner", metavar="NAME", help="Only this partner's notes.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=LIMIT,
    metavar="N",
    help=f"Show the first N hits (default {LIMIT}; 0 for all); the rest are counted.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as one JSON list.")
@common_options
def search(text: str, partner: str | None, limit: int, as_json: bool) -> None:
    """Answers and follow-ups holding every word of TEXT, newest first.

    One line a hit: the session's date, the partner, the note, and a
    snippet. Answers are searched with SQLite's full-text index (FTS5:
    whole words, any case, accents ignored) where the interpreter's SQLite
    has it, else as text (each word a substring, any case, accents
    ignored); follow-ups (task lines, in any note) as text. A line carried forward ([>]) is left
    out: its open copy is found in the later note. The first --limit hits
    are shown, and how many more there are (on stderr with --json).

    \b
    Example:
      ppsj search warrantable
      ppsj search "renovation loan" --partner debbie
      ppsj search condo --limit 0
      ppsj search condo --json | jq -r '.[] | "\\(.date) \\(.note)"'
    """
    from ppsjournal.history import MAX_WORDS
    from ppsjournal.history import search as find

    words = len(text.split())
    if not words:
        raise UsageError("TEXT: give at least one word to search for")
    if words > MAX_WORDS:
        raise UsageError(f"TEXT: at most {MAX_WORDS} words to search for, got {words}")
    rt = runtime()
    index = rt.index()
    who = find_partner(index, partner).name if partner is not None else None
    problems = index.read_problems
    for problem in problems:
        warn(str(problem))
    found = find(index, text, who)
    index.prefetch(h.path for h in found)  # every hit's link name at once, not a query each
    targets = index.targets
    hits = [
        {
            "kind": h.kind,
            "date": h.date,
            "partner": h.partner,
            "note": targets.get(h.path, h.path),
            "path": h.path,
            "question": h.question,
            "line": h.line,
            "status": h.status,
            "text": h.text,
            "snippet": h.snippet,
        }
        for h in found
    ]
    total = len(hits)
    if limit:
        hits = hits[:limit]
    more = _count(len(hits), total)
    if as_json:
        echo_json(hits)
        if len(hits) < total:
            warn(more)
    elif not hits:
        click.echo(f"nothing found for {text!r}")
    else:
        _print_hits(hits, more)
    if problems:
        click.get_current_context().exit(EXIT_PROBLEMS)


def _count(shown: int, found: int) -> str:
    """ "3 hits", or "50 of 60 hits; 10 more: ..." when --limit left some out."""
    if shown == found:
        return f"{found} hit{'s' if found != 1 else ''}"
    return f"{shown} of {found} hits; {found - shown} more: use --limit N (0 for all)"


def _print_hits(hits: list[dict], count: str) -> None:
    from ppsjournal.output import printable

    lines = []
    for h in hits:
        day = h["date"].isoformat() if h["date"] else "----------"
        where = f"[[{h['note']}]]" + (f" q{h['question']}" if h["question"] else f":{h['line']}")
        lines.append(f"{day}  {h['partner'] or '(no partner)'}  {where}  {h['snippet']}")
    lines.append(count)
    click.echo(printable("\n".join(lines)))
