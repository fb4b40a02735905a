"""A Markdown note: front-matter and body, read safely and edited line by line.

Two rules shape this module. A vault may come from a stranger, so YAML is read
with the safe loader, without anchors or aliases (an alias bomb is tiny on disk
and explodes when walked), and front-matter is size-limited and must be flat,
as Obsidian properties are. And a note is the user's text: an edit replaces
only the lines of the keys it owns and keeps every other byte.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from ppsjournal.errors import PpsjError

MAX_FRONT_MATTER = 64 * 1024
MAX_NOTE_BYTES = 4 * 1024 * 1024

try:  # libyaml when present: several times faster on large vaults
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, except that an impossible date stays text.

    PyYAML raises a bare ValueError for ``2026-02-30``; kept as text, the
    model then reports it as a bad date naming the note and the key.
    """


def _timestamp(loader: Any, node: Any) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

Scalar = str | int | float | bool | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Note:
    """A parsed note. ``path`` is relative to the vault, with forward slashes."""

    path: str
    meta: dict[str, Any]
    body: str
    body_line: int  # the 1-based line number of the body's first line in the file
    has_front_matter: bool

    @property
    def name(self) -> str:
        """The note's name, as a wiki-link names it."""
        stem = self.path.rsplit("/", 1)[-1]
        return stem[:-3] if stem.endswith(".md") else stem

    @property
    def type(self) -> str | None:
        value = self.meta.get("type")
        return value if isinstance(value, str) else None


def decode(path: str, data: bytes) -> str:
    """The text of a note, refusing what is not a note (binary, huge, not UTF-8)."""
    if len(data) > MAX_NOTE_BYTES:
        raise PpsjError(f"note is larger than {MAX_NOTE_BYTES // (1024 * 1024)} MiB; skipped", path)
    if b"\x00" in data:
        raise PpsjError("note contains a NUL byte (not a text file); skipped", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PpsjError("note is not valid UTF-8; skipped", f"{path}:{line}") from None
    return text.removeprefix("\ufeff")


def _split(text: str) -> tuple[int, int, int] | None:
    """Offsets of the front-matter: (start of YAML, end of YAML, start of body), or None."""
    if not text.startswith("---"):
        return None
    first_nl = text.find("\n")
    if first_nl < 0 or text[3:first_nl].strip():
        return None
    pos = first_nl + 1
    while pos <= len(text):
        nl = text.find("\n", pos)
        line_end = len(text) if nl < 0 else nl
        line = text[pos:line_end].rstrip("\r")
        if line in ("---", "..."):
            return first_nl + 1, pos, (len(text) if nl < 0 else nl + 1)
        if nl < 0:
            break
        pos = nl + 1
    return -1, -1, -1


def parse_note(path: str, text: str) -> Note:
    """Parse a note's text; raise PpsjError naming ``path:line`` when it is unreadable."""
    span = _split(text)
    if span is None:
        return Note(path, {}, text, 1, False)
    y_start, y_end, body_start = span
    if y_start < 0:
        raise PpsjError("front-matter is not closed by a '---' line", f"{path}:1")
    raw = text[y_start:y_end]
    if len(raw.encode("utf-8")) > MAX_FRONT_MATTER:
        raise PpsjError(f"front-matter is larger than {MAX_FRONT_MATTER // 1024} KiB", f"{path}:1")
    meta = load_yaml(raw, path, line_offset=1)
    body_line = text.count("\n", 0, body_start) + 1
    return Note(path, meta, text[body_start:], body_line, True)


def load_yaml(raw: str, path: str, line_offset: int = 0) -> dict[str, Any]:
    """Flat YAML (Obsidian properties) without anchors, aliases or custom tags."""
    try:
        if "&" in raw or "*" in raw:
            # Only then is an anchor possible; the event scan is cheap and exact.
            for event in yaml.parse(raw, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    mark = event.start_mark
                    raise PpsjError(
                        "YAML anchors and aliases are not allowed in front-matter",
                        f"{path}:{mark.line + 1 + line_offset}",
                    )
        data = yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1 + line_offset}" if mark else path
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PpsjError(f"front-matter is not valid YAML: {problem}", where) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        # A value PyYAML's constructors cannot build (a nesting too deep, say).
        raise PpsjError(f"front-matter cannot be read: {exc}", path) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PpsjError("front-matter must be a list of key: value properties", f"{path}:1")
    for key, value in data.items():
        if not isinstance(key, str):
            raise PpsjError(f"property name {key!r} is not text", f"{path}:1")
        if isinstance(value, dict):
            raise PpsjError(f"property {key!r} is a nested map; properties are flat", path)
        if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            raise PpsjError(f"property {key!r} is a nested list; properties are flat", path)
    return data


# -- editing ---------------------------------------------------------------

DELETE = object()  # a sentinel value for set_keys: remove the key
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.@+()/'&-]*$")


def dump_value(value: Any, *, quote: bool = False) -> str:
    """One flat YAML value, in the form Obsidian writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(dump_value(v, quote=quote) for v in value) + "]"
    text = str(value)
    if (
        not quote
        and _PLAIN.match(text)
        and not text.endswith(" ")
        and yaml.load(text, Loader=_Loader) == text
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def render_front_matter(meta: dict[str, Any], quoted: frozenset[str] = frozenset()) -> str:
    lines = ["---"]
    for key, value in meta.items():
        dumped = dump_value(value, quote=key in quoted)
        lines.append(f"{key}: {dumped}" if dumped else f"{key}:")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _trailing_comment(line: str) -> str:
    """The ``  # comment`` at the end of a one-line property, with its spaces, or "".

    A '#' inside a quoted value is not a comment: the first `` #`` whose removal
    leaves the same property is where the comment starts.
    """
    if "#" not in line:
        return ""
    try:
        whole = yaml.load(line, Loader=_Loader)
    except yaml.YAMLError:
        return ""
    for m in re.finditer(r"[ \t]+#", line):
        try:
            if yaml.load(line[: m.start()], Loader=_Loader) == whole:
                return line[m.start() :]
        except yaml.YAMLError:
            continue
    return ""


def set_keys(
    text: str, updates: dict[str, Any], path: str, quoted: frozenset[str] = frozenset()
) -> str:
    """Return ``text`` with the given front-matter keys set (or deleted with DELETE).

    Only the lines of those keys change; other keys, their order, comments
    (also one after a changed value) and the body are kept byte for byte, and so
    are the line ends. A new key goes at the end of the front-matter.
    """
    parse_note(path, text)  # never edit a note that does not parse
    span = _split(text)
    if span is None:
        new = {k: v for k, v in updates.items() if v is not DELETE}
        return render_front_matter(new, quoted) + text if new else text
    y_start, y_end, _ = span
    newline = "\r\n" if text[y_start:y_end].endswith("\r\n") else "\n"
    lines = text[y_start:y_end].splitlines(keepends=True)
    pending = dict(updates)
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _KEY_LINE.match(lines[i])
        j = i + 1
        if m:
            # The key's value goes on while lines are indented or block-list items.
            while j < len(lines) and (lines[j][:1] in (" ", "\t") or lines[j].startswith("-")):
                j += 1
        if m and m.group(1) in pending:
            value = pending.pop(m.group(1))
            if value is not DELETE:
                dumped = dump_value(value, quote=m.group(1) in quoted)
                body = lines[j - 1].rstrip("\r\n")
                ending = lines[j - 1][len(body) :] or newline
                comment = _trailing_comment(lines[i].rstrip("\r\n")) if j == i + 1 else ""
                out.append(f"{m.group(1)}: {dumped}".rstrip() + comment + ending)
        else:
            out.extend(lines[i:j])
        i = j
    for key, value in pending.items():
        if value is not DELETE:
            if out and not out[-1].endswith("\n"):
                out[-1] += newline
            dumped = dump_value(value, quote=key in quoted)
            out.append(f"{key}: {dumped}".rstrip() + newline)
    return text[:y_start] + "".join(out) + text[y_end:]
