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
from frontmatter.default_handlers import YAMLHandler

from ppsjournal.errors import PpsjError
from ppsjournal.names import note_name
from ppsjournal.tasks import split_lines

MAX_NOTE_BYTES = 4 * 1024 * 1024  # a larger file is no note (a video renamed .md, say)
MAX_FRONT_MATTER = 64 * 1024
_HANDLER = YAMLHandler()

try:  # libyaml when present: several times faster on large vaults
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):
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
    # (line, key, first line) of each property written twice: YAML reads the
    # last, Obsidian calls the properties invalid (``ppsj doctor`` says so).
    twice: tuple[tuple[int, str, int], ...] = ()

    @property
    def name(self) -> str:
        """The note's name, as a wiki-link names it."""
        return note_name(self.path)

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
    if first_nl < 0 or text[3:first_nl].strip(_FENCE_TAIL):
        return None
    m = _CLOSING.search(text, first_nl + 1)
    if m is None:
        return -1, -1, -1
    return first_nl + 1, m.start(), min(m.end() + 1, len(text))


# What may follow a fence's "---" (or "...") on its line: trailing blanks, as
# python-frontmatter (`^-{3,}\s*$`) and Jekyll accept, and a CRLF's "\r".
_FENCE_TAIL = " \t\r"
# The line that closes front-matter: "---" or "...", then only _FENCE_TAIL.
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t\r]*$", re.MULTILINE)


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
    meta = fast_properties(raw)
    twice: tuple[tuple[int, str, int], ...] = ()
    if meta is None:  # the fast path takes no key twice: only this one can find one
        meta = safe_load_properties(raw, path, line_offset=1)
        twice = _keys_twice(raw)
    body_line = text.count("\n", 0, body_start) + 1
    return Note(path, meta, text[body_start:], body_line, True, twice)


def _keys_twice(raw: str) -> tuple[tuple[int, str, int], ...]:
    """(line in the file, key, its first line) of each top-level key written again."""
    first: dict[str, int] = {}
    found = []
    for number, line in enumerate(raw.split("\n"), 2):  # the fence is line 1
        m = _ANY_KEY.match(line)
        if m is None:
            continue
        key = m.group(2)
        if key in first:
            found.append((number, key, first[key]))
        else:
            first[key] = number
    return tuple(found)


def safe_load_properties(raw: str, path: str, line_offset: int = 0) -> dict[str, Any]:
    """The full path: the safe loader and every check (and the fast path's reference)."""
    try:
        if "&" in raw or "*" in raw:
            # Only then is an anchor possible; the event scan is cheap and exact.
            for event in yaml.parse(raw, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    mark = event.start_mark
                    line = f":{mark.line + 1 + line_offset}" if mark is not None else ""
                    raise PpsjError(
                        "YAML anchors and aliases are not allowed in front-matter",
                        f"{path}{line}",
                    )
        # python-frontmatter's YAML handler, with ppsj's safe loader.
        data = _HANDLER.load(raw, Loader=_Loader)
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
        items = value if isinstance(value, list) else [value]
        odd = next((v for v in items if not isinstance(v, _PROPERTY_TYPES)), None)
        if odd is not None or isinstance(value, tuple):
            # !!set, !!binary, !!omap, !!pairs ...: no Obsidian property type, and
            # each reads differently in each tool; refused, named, like a nested map.
            kind = type(odd if odd is not None else value).__name__
            raise PpsjError(
                f"property {key!r} holds a {kind}; properties are text, numbers, "
                "dates, yes/no or lists of them",
                path,
            )
    return data


# The values a flat property may hold (Obsidian's types): a YAML tag that makes
# anything else (a set, bytes, pairs) is refused.
_PROPERTY_TYPES = (str, int, float, bool, dt.date, type(None))


# -- the fast path: plain properties -----------------------------------------
#
# PyYAML's constructor is Python code even over libyaml, and most of a note's
# parsing time. Nearly every front-matter line a vault holds is one of a few
# shapes (``key: plain text``, ``key: "quoted"``, ``key: 12``, ``key: 2026-12-04``,
# ``key: [a, b]``), which a line-by-line reader gets right much faster. It
# accepts only what it can read with exactly the safe loader's result (the
# same implicit resolvers decide a plain value's type) and returns None for
# anything else, which then takes the full path with all its checks.

# Anything outside these characters (tabs, control characters, YAML's other
# line breaks U+0085/U+2028/U+2029, a byte-order mark, no-break space) sends the
# whole front-matter to the full path.
# Written as the complement: a class of a few small ranges compiles in
# microseconds, its negation (ranges up to U+10FFFF) in milliseconds, at
# every start of ppsj (tests/test_fastparse.py checks they are one set).
_FAST_UNSAFE = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\xa0\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
_FAST_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?")
# Plain text: no character that means something to YAML inside a line ('#' a
# comment, ':' a mapping, quotes, brackets, braces, '*', '|', '>', '`', a tab),
# and not starting with an indicator ('-', '?', '!', '&', '%', '@', quotes ...).
# Which type the text then is (a number, a date, yes/no, null) is the loader's
# own resolvers' call, below.
_PLAIN_FIRST = "A-Za-z0-9_.~+"  # and any character from U+00A1 on
_PLAIN_REST = "A-Za-z0-9 _.,;/+()'&!?%$=~@-"


def _these_or_past_latin1(ascii_class: str) -> str:
    """A regex class of the characters of ``ascii_class`` (ranges below U+00A1)
    and every character from U+00A1 on, written as the negation of the rest
    below U+00A1: it compiles about a thousand times faster than a class
    spelling out U+00A1-U+10FFFF."""
    allowed = re.compile(f"[{ascii_class}]")
    out = "".join(re.escape(chr(c)) for c in range(0xA1) if not allowed.match(chr(c)))
    return f"[^{out}]"


_FAST_PLAIN = re.compile(
    _these_or_past_latin1(_PLAIN_FIRST) + _these_or_past_latin1(_PLAIN_REST) + "*"
)
_FAST_FLOW_PLAIN = re.compile(  # no comma: it ends an item of [a, b]
    _these_or_past_latin1(_PLAIN_FIRST) + _these_or_past_latin1(_PLAIN_REST.replace(",", "")) + "*"
)
_FAST_DOUBLE = re.compile(r'"([^"\\]*)"')
_FAST_SINGLE = re.compile(r"'((?:[^']|'')*)'")
_FAST_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FAST_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NOT_FAST = object()
_FAST_LINES: dict[str, tuple[str, Any]] = {}  # a line -> (key, value); lists as tuples
_FAST_LINES_MAX = 50_000
_FAST_LINE_CACHED = 200  # characters: longer lines are read every time


def _fast_scalar(text: str, flow: bool) -> Any:
    """A value as the safe loader reads it, or _NOT_FAST."""
    first = text[:1]
    if first == '"':
        m = _FAST_DOUBLE.fullmatch(text)
        return m.group(1) if m and not (flow and "," in text) else _NOT_FAST
    if first == "'":
        m = _FAST_SINGLE.fullmatch(text)
        return m.group(1).replace("''", "'") if m and not (flow and "," in text) else _NOT_FAST
    if _FAST_INT.fullmatch(text):
        return int(text)
    if not (_FAST_FLOW_PLAIN if flow else _FAST_PLAIN).fullmatch(text) or text.endswith(" "):
        return _NOT_FAST
    # The loader's own implicit resolvers decide what the plain text is.
    tag = "tag:yaml.org,2002:str"
    for candidate, regexp in _Loader.yaml_implicit_resolvers.get(text[0], ()):
        if regexp.match(text):
            tag = candidate
            break
    if tag == "tag:yaml.org,2002:str":
        return text
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() in ("yes", "true", "on")
    if tag == "tag:yaml.org,2002:timestamp":
        m = _FAST_DATE.fullmatch(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return text  # as _timestamp: an impossible date stays text
    return _NOT_FAST  # a float, an octal or base-60 number, a date-time, '=', '<<' ...


def _fast_value(text: str) -> Any:
    if text[:1] != "[":
        return _fast_scalar(text, flow=False)
    if not text.endswith("]"):
        return _NOT_FAST
    inner = text[1:-1].strip(" ")
    if not inner:
        return ()
    items = []
    for part in inner.split(","):
        item = _fast_scalar(part.strip(" "), flow=True)
        if item is _NOT_FAST or item == "":
            return _NOT_FAST
        items.append(item)
    return tuple(items)


def _fast_line(line: str) -> tuple[str, Any] | None:
    m = _FAST_KEY_LINE.fullmatch(line)
    if not m:
        return None
    key, value = m.groups()
    # A key the resolvers read as something else (yes:, null:, ~ ...) is no text.
    for _, regexp in _Loader.yaml_implicit_resolvers.get(key[0], ()):
        if regexp.match(key):
            return None
    value = (value or "").rstrip(" ")
    parsed = _fast_value(value) if value else None
    return None if parsed is _NOT_FAST else (key, parsed)


def fast_properties(raw: str) -> dict[str, Any] | None:
    """The properties of front-matter made only of plain one-line properties, or None.

    None means "not sure": the caller reads it with the full safe loader.
    """
    if _FAST_UNSAFE.search(raw) or raw.count("\r") != raw.count("\r\n"):
        return None
    meta: dict[str, Any] = {}
    for line in raw.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        got = _FAST_LINES.get(line)
        if got is None:
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue  # a blank line or a comment
            got = _fast_line(line)
            if got is None:
                return None
            if len(line) <= _FAST_LINE_CACHED:  # a bounded memo, whatever the vault holds
                if len(_FAST_LINES) >= _FAST_LINES_MAX:
                    _FAST_LINES.clear()
                _FAST_LINES[line] = got
        key, value = got
        if key in meta:
            return None  # a key twice: left to the loader
        meta[key] = list(value) if type(value) is tuple else value
    return meta


# -- editing ---------------------------------------------------------------


def front_matter_key_lines(text: str) -> list[tuple[int, str, bool]]:
    """(line number, key, written in quotes) of each top-level key line of the front-matter."""
    lines = text.lstrip("\ufeff").splitlines()
    found: list[tuple[int, str, bool]] = []
    if not lines or lines[0].rstrip(_FENCE_TAIL) != "---":
        return found
    for number, line in enumerate(lines[1:], 2):
        if line.rstrip(_FENCE_TAIL) in ("---", "..."):
            break
        m = _ANY_KEY.match(line)
        if m:
            found.append((number, m.group(2), bool(m.group(1))))
    return found


def _check_keys_plain(rel: str, text: str, updates: dict) -> None:
    """Refuse to edit a key the note has twice, or in quotes: the edit would add a
    second line, which Obsidian reports as invalid properties."""
    count: dict[str, int] = {}
    for _, key, quoted in front_matter_key_lines(text):
        count[key] = count.get(key, 0) + (2 if quoted else 1)  # quoted: always refused
    for key in updates:
        if count.get(key, 0) > 1:
            raise PpsjError(
                f"property {key!r} is written twice or in quotes in the note's properties; "
                "nothing written: keep one plain line for it first",
                rel,
            )


# A front-matter key line, plain or quoted: `status:`, `"status":`, `'status':`,
# as YAML reads it: the ':' ends the key only before a blank or the line's end.
# `status:2025: was a prospect` is the key `status:2025`, the user's own line.
_KEY_END = r"""[ \t]*:(?=[ \t\r\n\x85\u2028\u2029]|$)"""
_ANY_KEY = re.compile(r"""^(["']?)([A-Za-z_][\w-]*)\1""" + _KEY_END)


def _check_took(rel: str, text: str, updates: dict) -> None:
    """Refuse an edit that would not read back as asked.

    A key written twice (YAML takes the last; a merge can leave both) or in
    quotes is not the line an edit changes: "paused" would be printed while the
    note still says active. Nothing is written then, and the user is told why.
    """
    meta = parse_note(rel, text).meta
    for key, value in updates.items():
        got = meta.get(key, DELETE)
        if got is DELETE and value is DELETE:
            continue
        if got != value or type(got) is not type(value):
            raise PpsjError(
                f"property {key!r} would not read back as {value!r} after the edit "
                "(is it in the properties twice, or written in quotes?); nothing written: "
                "fix the note first",
                rel,
            )


DELETE = object()  # a sentinel value for set_keys: remove the key
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)" + _KEY_END)  # a plain key
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
    are the line ends. A new key goes at the end of the front-matter. Refused
    (PpsjError) for a note that does not parse, a key written twice or in
    quotes, and an edit that would not read back as asked.
    """
    parse_note(path, text)  # never edit a note that does not parse
    _check_keys_plain(path, text, updates)
    edited = _set_keys(text, updates, quoted)
    _check_took(path, edited, updates)
    return edited


def _value_end(lines: list[str], i: int) -> int:
    """The index after the last line of the value of the key on ``lines[i]``.

    The value goes on while lines are indented, block-list items, blank or
    comments; comments and blank lines after its last line are not part of it
    (``status: active`` then ``  # why``: the comment is the user's).
    """
    j = end = i + 1
    while j < len(lines):
        line = lines[j]
        stripped = line.strip(" \t\r\n")
        if not stripped or stripped.startswith("#"):
            j += 1
            continue
        if line[:1] in (" ", "\t") or line.startswith("-"):
            j = end = j + 1
            continue
        break
    return end


def _set_keys(text: str, updates: dict[str, Any], quoted: frozenset[str]) -> str:
    span = _split(text)
    if span is None:
        new = {k: v for k, v in updates.items() if v is not DELETE}
        return render_front_matter(new, quoted) + text if new else text
    y_start, y_end, _ = span
    # The note's line end, from its front-matter (or its opening fence, when empty).
    newline = "\r\n" if (text[y_start:y_end] or text[:y_start]).endswith("\r\n") else "\n"
    lines = text[y_start:y_end].splitlines(keepends=True)
    pending = dict(updates)
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _KEY_LINE.match(lines[i])
        j = i + 1
        if m:
            j = _value_end(lines, i)
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


CONFLICT_MESSAGE = "git conflict marker (<<<<<<<): finish the merge and remove the markers"


def conflict_line(text: str) -> int | None:
    """The line of the first git conflict marker in ``text`` (None: there is none)."""
    if "<<<<<<< " not in text:
        return None
    for i, line in enumerate(split_lines(text), 1):  # as the editor numbers them
        if line.startswith("<<<<<<< "):
            return i
    return None
