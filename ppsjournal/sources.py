"""Which notes the outputs read beyond their path ("sources"), and which not ("idle").

Follow-ups.md and the calendars read few notes' entries: a build assembles
its index from those alone, and the cache keeps the others as undecoded
lines, flagged idle as they are read (``idle_note``). The rule is here once,
for the whole index (``output_sources``) and for one note
(``is_output_source``); ``idle_note`` runs for every note a cold build
reads, so its imports are this module's, not the function's.
"""

from __future__ import annotations

from ppsjournal.followups import UNQUALIFIED
from ppsjournal.index import Entry, Index, Problem, classify
from ppsjournal.model import Lead, Partner, SessionNote


def output_sources(index: Index) -> set[str]:
    """The notes whose entries the outputs read beyond their path (pure; not day-dependent).

    Follow-ups.md reads open tasks with a due date (overdue or due soon, on
    some day), tasks with problems, partners, planned sessions, leads still
    to qualify or from a referral, and every note's problems; the calendars
    read partners. A note outside this set adds only its path (its link
    name) to the outputs, on any day: its entry may be left out of the index
    a build renders from. One more thing crosses notes: two leads of one
    name (a problem), which ``output_index`` catches from the paths. Keep
    this in step with followups.py and calendar.py (tests/test_incremental.py).
    """
    made: dict[str, SessionNote | Lead] = {s.path: s for s in index.sessions}
    made.update((lead.path, lead) for lead in index.leads.values())
    found = set()
    for entry in index.entries.values():
        found_as = made.get(entry.path)
        if found_as is None and entry.meta.get("type") in ("session", "lead"):
            found.add(entry.path)  # did not classify, or a second lead of one name
        elif is_output_source(entry, found_as):
            found.add(entry.path)
    return found


def is_output_source(entry: Entry, found: Partner | SessionNote | Lead | Problem | None) -> bool:
    """``output_sources``'s rule for one note (pure): ``found`` is what
    ``index.classify`` made of the entry."""
    if entry.error is not None or entry.meta.get("type") == "partner":
        return True  # broken: its problem is listed; partners: all, valid or not
    if isinstance(found, SessionNote):
        if found.status == "planned":
            return True
    elif isinstance(found, Lead):
        if (
            found.stage == "new"  # a new lead waiting
            or found.source == "referral"  # keeps (or not) a partner's commitment
            or (found.showing is not None and found.stage in UNQUALIFIED)  # a showing
        ):
            return True
    elif found is not None:  # a problem: a session or lead that did not classify
        return True
    return any(t.problems or (t.is_open and t.due is not None) for t in entry.tasks)


def idle_note(entry: Entry) -> bool:
    """Whether no output reads this note's entry beyond its path, by itself
    (``cache.NoteCache.refresh`` marks such notes idle as it reads them; a
    note sharing its name with another is read whatever its flag)."""
    return not is_output_source(entry, classify(entry))
