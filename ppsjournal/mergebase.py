"""The common base of a session note written on two machines (an add/add in git).

``ppsj week`` run on two clones writes the same session note twice; git then
merges two files with no common ancestor, and every line differs from an
empty base. A three-way merge needs the note as ``week`` wrote it: the
caller renders it again where it can (``rendered``), and ``common_lines`` is
the base that is always at hand: the lines both sides still share, in order.
With it, text that one side added is kept, text both sides hold is kept once,
and any place the two sides wrote differently is a conflict: nothing is
dropped.

``settle_tasks``: a follow-up the user closed ([x], [-]) in last week's note
on one machine while ``week`` on the other marked it and its neighbours
carried ([>]) is one line changed on both sides, next to lines changed on
one: the task statuses are merged first, line by line, so that the merge of
the rest sees no conflict there. Pure: text in, text out.
"""

from __future__ import annotations

import difflib

from ppsjournal.tasks import TASK_LINE

CARRIED = ">"  # week's mark (week.FORWARDED)
CLOSED = frozenset("xX-")


def common_lines(ours: bytes, theirs: bytes) -> bytes:
    """The lines ``ours`` and ``theirs`` have in common, in their order (a longest
    common subsequence, as diff finds it)."""
    a = ours.splitlines(keepends=True)
    b = theirs.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return b"".join(
        b"".join(a[block.a : block.a + block.size]) for block in matcher.get_matching_blocks()
    )


def bases(ours: bytes, theirs: bytes, rendered: bytes | None) -> list[bytes]:
    """The bases to try, best first: the note rendered again as ``week`` wrote it,
    if the caller could, then the common lines. A rendered line a side lacks
    with nothing in its place is left out of it: rendered from the vault
    mid-merge, it may be one the other side's ``week`` or ``held`` wrote and
    this side's never had (a lead added on one machine only), not one a user
    deleted; kept, not dropped.
    """
    found = [_shared(rendered, ours, theirs)] if rendered else []
    common = common_lines(ours, theirs)
    if common not in found:
        found.append(common)
    return found


def _shared(rendered: bytes, ours: bytes, theirs: bytes) -> bytes:
    """``rendered`` without the lines a side lacks with nothing in their place (a
    line a side changed stays: the change is merged over it)."""
    lines = rendered.splitlines(keepends=True)
    dropped: set[int] = set()
    for side in (ours, theirs):
        matcher = difflib.SequenceMatcher(
            None, [line.rstrip(b"\r\n") for line in lines], side.splitlines(), autojunk=False
        )
        for tag, i1, i2, _, _ in matcher.get_opcodes():
            if tag == "delete":
                dropped.update(range(i1, i2))
    return b"".join(line for i, line in enumerate(lines) if i not in dropped)


def _tasks(data: bytes) -> dict[str, list[tuple[int, str]]]:
    """Each task line's text with its status blank -> [(line number, status)]."""
    found: dict[str, list[tuple[int, str]]] = {}
    for i, line in enumerate(data.splitlines()):
        m = TASK_LINE.match(line.decode("utf-8", "surrogateescape"))
        if m:
            at = m.start("status")
            key = m.string[:at] + " " + m.string[at + 1 :]
            found.setdefault(key, []).append((i, m.group("status")))
    return found


def _status(base: str, ours: str, theirs: str) -> str | None:
    """The merged status of one task, or None where the two sides disagree."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    if {ours, theirs} & {CARRIED} and {ours, theirs} - {CARRIED} <= CLOSED:
        return next(iter({ours, theirs} - {CARRIED}))  # the user's check beats week's mark
    return None


def _set(data: bytes, changes: dict[int, str]) -> bytes:
    lines = data.splitlines(keepends=True)
    for i, status in changes.items():
        text = lines[i].decode("utf-8", "surrogateescape")
        m = TASK_LINE.match(text.rstrip("\r\n"))
        assert m is not None
        at = m.start("status")
        lines[i] = (text[:at] + status + text[at + 1 :]).encode("utf-8", "surrogateescape")
    return b"".join(lines)


def settle_tasks(ours: bytes, base: bytes, theirs: bytes) -> tuple[bytes, bytes]:
    """``ours`` and ``theirs`` with each task line's status merged three-way on both
    sides: a line only one side changed, or one week marked carried ([>]) on one
    side and the user closed ([x], [-]) on the other, then reads the same on both,
    and a neighbouring change is no conflict. A task written more than once on a
    side, or given two different statuses by the user, is left to the merge."""
    in_base, in_ours, in_theirs = _tasks(base), _tasks(ours), _tasks(theirs)
    ours_changes: dict[int, str] = {}
    theirs_changes: dict[int, str] = {}
    for key, was in in_base.items():
        mine, yours = in_ours.get(key, []), in_theirs.get(key, [])
        if len(was) != 1 or len(mine) != 1 or len(yours) != 1:
            continue
        (i, a), (j, b) = mine[0], yours[0]
        status = _status(was[0][1], a, b)
        if status is None or a == b:
            continue
        if a != status:
            ours_changes[i] = status
        if b != status:
            theirs_changes[j] = status
    return _set(ours, ours_changes), _set(theirs, theirs_changes)
