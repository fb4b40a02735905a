"""Needs: what a partner needs solved, tracked across the weeks until it is met.

A need is a task tagged ``#need`` (or ``#need/...``, as ``Task.has_tag``
reads it) in one of the partner's notes: their own note, a session note, a
lead note. Carried forward week after week, one need becomes a chain of
lines: a ``[>]`` trace in each earlier session note and one live line (open,
done or cancelled). The need is its live line, counted once:

- opened: the live line's ``➕`` (created) date; without one, the date of the
  session note the need was first written in, found by walking back through
  the partner's earlier session notes for as long as each holds a ``[>]``
  line with the same description. A need outside the session notes with no
  ``➕`` has no known opening day and is opened in no period.
- met: done (``[x]``) on its ``✅`` date. A need ticked without a ``✅`` date
  is met in no period; a cancelled one (``[-]``) is never met.
- open: not done, cancelled or carried forward (``Task.is_open``).

Shown to people, a need reads without its ``#need`` tag: the tag says what
the line is, the section it is listed in says it already.

Pure: the tasks and the session notes' days are parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ppsjournal.index import NeedLine
from ppsjournal.tasks import DONE, FORWARDED, NEED, OPEN, TAG_PATTERN


@dataclass(frozen=True)
class Need:
    partner: str
    description: str  # as Task.description, tags included
    status: str  # as Task.status: open, done or cancelled
    opened: dt.date | None
    met: dt.date | None
    path: str  # the note of the live line
    line: int

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def text(self) -> str:
        """The need as people read it (``need_text``)."""
        return need_text(self.description)


def need_text(description: str) -> str:
    """A need's description as people read it: without ``#need`` or ``#need/...``."""

    def keep(m: re.Match[str]) -> str:
        name = m.group(1).lstrip("#").casefold()
        return "" if name == NEED or name.startswith(NEED + "/") else m.group(0)

    return " ".join(TAG_PATTERN.sub(keep, description).split())


def needs_of(
    partner: str, tasks: Sequence[NeedLine], sessions: Sequence[tuple[dt.date, str]]
) -> list[Need]:
    """The partner's needs, one per live line, in the order of ``tasks``.

    ``tasks``: the partner's ``#need`` lines in every state, by path and line;
    ``sessions``: (date, path) of each of the partner's session notes.
    """
    order = sorted(sessions)
    position = {path: i for i, (_, path) in enumerate(order)}
    carried: dict[str, set[str]] = {}  # session note -> descriptions of its [>] needs
    for t in tasks:
        if t.status == FORWARDED:
            carried.setdefault(t.path, set()).add(t.description)
    found = []
    for t in tasks:
        if t.status == FORWARDED:
            continue
        opened = t.created
        if opened is None and t.path in position:
            i = position[t.path]
            while i > 0 and t.description in carried.get(order[i - 1][1], ()):
                i -= 1
            opened = order[i][0]
        found.append(
            Need(
                partner=partner,
                description=t.description,
                status=t.status,
                opened=opened,
                met=t.done if t.status == DONE else None,
                path=t.path,
                line=t.line,
            )
        )
    return found
