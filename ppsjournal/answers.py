"""The answers in a session note: the partner's words under each question's heading.

A question's section, as the session template writes it, holds more than the
partner's answer: the template's hint line (``_What could we do better?_``)
and, since the next note remembers, the last answer to it quoted in a callout
(``> [!quote]- Last time (...)``). Neither is an answer: reading the quote
back as one would make last week's words this week's, and every later note
would quote them again. ``answer`` takes both away; ``remembered`` writes the
quote. The marker that ties the two together lives here alone.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from ppsjournal.tasks import TASK_LINE

# The five questions of shared/domain.md, as templates/session.md.j2 heads them
# (tests/test_history.py checks the packaged template against this list).
QUESTIONS: tuple[tuple[int, str], ...] = (
    (1, "How are we doing together - your team, my team, and what we produce for your buyers?"),
    (2, "What can we do to produce more volume this week - for you and for me?"),
    (
        3,
        "What needs do you have, or expect in the next months or year, that my team "
        "and I should start solving for you?",
    ),
    (4, "Who have you met in the last seven days who may not use you to buy or sell?"),
    (
        5,
        "Who are you showing property to in the next seven days that I have not had a "
        "pre-qualification conversation with?",
    ),
)
NUMBERS = tuple(number for number, _ in QUESTIONS)
REMEMBERED_TITLE = "Last time"
# The remembered quote's first line: "> [!quote]- Last time ...". Folded
# ("-"), unfolded ("+") or plain, as a user may switch it in their template.
_REMEMBERED = re.compile(
    rf"^[ \t]*>[ \t]*\[!quote\][-+]?[ \t]+{re.escape(REMEMBERED_TITLE)}\b", re.IGNORECASE
)
_QUOTED = re.compile(r"^[ \t]*>")
# The hint: a first line wholly in emphasis, _like this_ or *like this* (not **bold**).
_HINT = re.compile(r"^[ \t]*(?:_[^_\n].*_|\*[^*\n].*\*)[ \t]*$")


class Answer(NamedTuple):
    """One answer of a partner, from one session note."""

    date: dt.date
    path: str
    number: int
    text: str
    partner: str | None = None  # as the note names them (a search's answers say)


def answer(section: str) -> str:
    """The partner's answer in a question's section text (pure): without the
    remembered quote and without the template's hint line; "" when nothing else."""
    lines = section.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    quoting = False
    for line in lines:
        if _REMEMBERED.match(line):
            quoting = True
            continue
        if quoting and _QUOTED.match(line):
            continue
        quoting = False
        kept.append(line)
    while kept and not kept[0].strip():
        kept.pop(0)
    if kept and _HINT.match(kept[0]):
        kept.pop(0)
    return "\n".join(kept).strip()


def remembered(day: dt.date, target: str, text: str) -> str:
    """The callout that shows an earlier answer in a new note (pure), plainly no
    new answer, and read back as none (``answer``). A task line in it is
    escaped (``\\[ ]``): quoted, it would be a second open copy of the task."""
    lines = [f"> [!quote]- {REMEMBERED_TITLE} ([[{target}|{day.isoformat()}]])"]
    for line in text.split("\n"):
        m = TASK_LINE.match(line)
        if m is not None:
            at = m.start("status") - 1
            line = line[:at] + "\\" + line[at:]
        lines.append(f"> {line}".rstrip())
    return "\n".join(lines)
