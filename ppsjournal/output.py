"""Formatting for the terminal and for --json: kept apart from the logic."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any, ascii_only: bool = False) -> str:
    """One JSON document, stable key order as given, dates as ISO text.

    ``ascii_only`` escapes every non-ASCII character (valid JSON all the same),
    for an output that cannot carry UTF-8.
    """
    return json.dumps(data, default=_default, ensure_ascii=ascii_only, indent=2)


# C0 and C1 control characters but tab and newline: from a vault that came
# through git, text with an escape sequence could rewrite the user's terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text safe to print on a terminal: each control character shown as an escape."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


# What would break a message's one line apart (a line break, a line or
# paragraph separator) or turn it around on screen (the bidi controls: a file
# named with U+202E shows its name, and what follows, backwards).
_NOT_ONE_LINE = re.compile("[\n\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """A message as one line safe to print: ``printable``, and each line break or
    bidi control shown as an escape (a file named ``A\\nB.md`` is named in one line)."""
    text = printable(text)
    if not _NOT_ONE_LINE.search(text):
        return text
    return _NOT_ONE_LINE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table: readable in any terminal, pipe or log."""
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return printable(str(value))
