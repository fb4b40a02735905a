"""The partnership's memory: a partner's answers over time, and finding words in them.

"Paying attention to the answers from previous weeks and months": ``history``
gathers a partner's answers to each of the five questions from every session
note, newest first (what the next note remembers is ``Index.last_answers``);
``search`` finds words in every answer and
follow-up of the vault. Pure functions of the index: the store answers each
with one query (answers.py says what an answer is).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ppsjournal.answers import QUESTIONS, Answer
from ppsjournal.index import Index
from ppsjournal.names import fold, name_key
from ppsjournal.tasks import Task

SNIPPET = 80  # characters of a search hit's one line
# Words of one search: each is a condition of one SQL query, and SQLite refuses
# a query nested deeper than 1000 (a pasted page of text).
MAX_WORDS = 100
_BEFORE = 30  # of them, before the first word found


@dataclass(frozen=True)
class Question:
    number: int
    title: str
    answers: list[Answer]


def history(
    index: Index, partner: str, number: int | None = None, since: dt.date | None = None
) -> list[Question]:
    """Each question (or just ``number``) with the partner's non-empty answers,
    newest first (``since``: from that day on)."""
    chosen = [(n, title) for n, title in QUESTIONS if number is None or n == number]
    found = index.answers_of(partner, [n for n, _ in chosen], since=since)
    return [Question(n, title, [a for a in found if a.number == n]) for n, title in chosen]


@dataclass(frozen=True)
class Hit:
    """One place that holds the words: an answer, or a follow-up (a task line)."""

    kind: str  # "answer" | "follow-up"
    date: dt.date | None  # the session's (None: a follow-up in another note)
    partner: str | None
    path: str
    question: int | None  # an answer's
    line: int | None  # a follow-up's
    status: str | None  # a follow-up's: open, done, cancelled ...
    text: str
    snippet: str


def search(index: Index, text: str, partner: str | None = None) -> list[Hit]:
    """Every answer and follow-up holding each word of ``text``, newest session
    first (then by note and place in it; follow-ups outside session notes last).

    A follow-up carried forward (``[>]``) is left out: its copy lives on in a
    later note, found itself.
    """
    words = text.split()
    hits = [
        Hit(
            "answer",
            a.date,
            _partner(index, a.partner),
            a.path,
            a.number,
            None,
            None,
            a.text,
            snippet(a.text, words),
        )
        for a in index.search_answers(text, partner)
    ]
    hits += [
        Hit(
            "follow-up",
            day,
            _partner(index, who),
            t.path,
            None,
            t.line,
            t.status,
            t.text,
            snippet(_task_line(t), words),
        )
        for day, who, t in index.search_tasks(text, partner)
        if t.status_char != ">"
    ]
    hits.sort(key=_order)
    return hits


def _order(h: Hit) -> tuple:
    # Newest first: the date's ordinal negated; no date after every date.
    day = -h.date.toordinal() if h.date is not None else 1
    return (day, h.path, h.kind != "answer", h.question or 0, h.line or 0)


def _partner(index: Index, written: str | None) -> str | None:
    """The partner's name as their note has it, else as the note wrote it."""
    if written is None:
        return None
    p = index.partners.get(name_key(written))
    return p.name if p is not None else written


def _task_line(t: Task) -> str:
    return t.text.strip().removeprefix("- ").removeprefix("* ").removeprefix("+ ")


def snippet(text: str, words: list[str]) -> str:
    """One line of ``text`` around the first of ``words`` found (any case,
    accents or not), at most SNIPPET characters, "…" where cut."""
    flat = " ".join(text.split())
    keys = [key for key in map(fold, words) if key]
    if flat.isascii():
        # Folding ASCII is lowering it, place for place: no walk a character at
        # a time (a common word's search makes thousands of snippets).
        plain = flat.lower()
        at = min((found for key in keys if (found := plain.find(key)) >= 0), default=0)
    else:
        # Found as the search finds it: any case, accents or not (names.fold),
        # each folded character's place in ``flat`` kept.
        folded, place = [], []
        for i, c in enumerate(flat):
            for f in fold(c):
                folded.append(f)
                place.append(i)
        plain = "".join(folded)
        at = min((place[found] for key in keys if (found := plain.find(key)) >= 0), default=0)
    start = max(0, min(at - _BEFORE, len(flat) - SNIPPET))
    if start > 0:
        space = flat.find(" ", start, at)
        start = space + 1 if space >= 0 else start
    end = start + SNIPPET
    cut = flat[start:end]
    if end < len(flat):
        space = cut.rfind(" ")
        cut = (cut[:space] if space > SNIPPET // 2 else cut).rstrip() + " …"
    return ("… " if start > 0 else "") + cut
