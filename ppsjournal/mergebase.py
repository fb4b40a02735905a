"""The common base of a session note written on two machines (an add/add in git).

``ppsj week`` run on two clones writes the same session note twice; git then
merges two files with no common ancestor, and every line differs from an
empty base. A three-way merge needs the note as ``week`` wrote it: the
caller renders it again where it can (``rendered``), and ``common_lines`` is
the base that is always at hand: the lines both sides still share, in order.
With it, text that one side added is kept, text both sides hold is kept once,
and any place the two sides wrote differently is a conflict: nothing is
dropped. Pure: text in, text out.
"""

from __future__ import annotations

import difflib


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
    if the caller could, then the common lines."""
    found = [rendered] if rendered else []
    common = common_lines(ours, theirs)
    if common not in found:
        found.append(common)
    return found
