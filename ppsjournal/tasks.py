"""Follow-ups: the Obsidian Tasks plugin's emoji task format, read as the plugin reads it.

The rules follow the plugin's own parser (``TaskRegularExpressions`` and
``DefaultTaskSerializer``), so that a line means the same to ppsj and to the
Tasks plugin:

- a task is a list item (``-``, ``*``, ``+`` or ``1.``, after any indentation
  or ``>`` of a quote or callout) followed by ``[c]``, one status character;
- a trailing block id `` ^abc`` is taken off first;
- then fields are taken off the END of the line, over and over, in any order:
  dates (emoji, optional spaces, ``YYYY-MM-DD``), priority, ``🔁``, ``🆔``,
  ``⛔`` and tags (tags stay part of the description). The first text that is
  none of these ends the fields: an emoji field before it is description, as
  the plugin sees it, and ppsj reports it as a problem;
- when a field appears twice the leftmost wins (the plugin reads right to left
  and keeps overwriting);
- date emoji take no variation selector (U+FE0F) in the plugin; priority and
  ``⛔`` may carry one.

The Dataview form ``[due:: 2026-12-08]`` / ``(due:: 2026-12-08)`` is read
wherever it stands, as Dataview reads inline fields; an emoji date wins over it.
A date that is not a real day (2026-02-30) is ignored and reported in
``Task.problems`` (``ppsj doctor`` lists them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

OPEN, DONE, CANCELLED, FORWARDED = "open", "done", "cancelled", "forwarded"
NEED = "need"  # the tag of a partner's need, followed until met (needs.py)
# Anything else (" ", "/" in progress, "?", "!" ...) is open: the Tasks plugin
# treats an unknown status character as TODO, which "not done" matches.
_STATUS = {"x": DONE, "X": DONE, "-": CANCELLED, ">": FORWARDED}

TASK_LINE = re.compile(
    r"^(?P<indent>[\s>]*)(?P<marker>[-*+]|\d+\.) +\[(?P<status>.)\](?P<rest>.*)$"
)
_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
_BLOCK_ID = re.compile(r" \^([A-Za-z0-9-]+)$")
_DATE = r"(\d{4}-\d{2}-\d{2})"
VS16 = "\ufe0f"

# emoji -> field, for the dated fields; several emoji are accepted for one field.
DATE_EMOJI = {
    "📅": "due",
    "📆": "due",
    "🗓": "due",
    "⏳": "scheduled",
    "⌛": "scheduled",
    "🛫": "start",
    "✅": "done",
    "➕": "created",
    "❌": "cancelled_on",
}
PRIORITY_EMOJI = {"🔺": "highest", "⏫": "high", "🔼": "medium", "🔽": "low", "⏬": "lowest"}
_EMOJI_ALT = "|".join(re.escape(e) for e in DATE_EMOJI)
_TRAILING_DATE = re.compile(rf"({_EMOJI_ALT}) *{_DATE}$")
_ID = r"[A-Za-z0-9_-]+"
_TRAILING_ID = re.compile(rf"🆔 *({_ID})$")
_TRAILING_DEPENDS = re.compile(rf"⛔{VS16}? *({_ID}(?: *, *{_ID} *)*)$")
_TRAILING_PRIORITY = re.compile(rf"({'|'.join(re.escape(e) for e in PRIORITY_EMOJI)}){VS16}?$")
_TRAILING_RECUR = re.compile(r"🔁 ?([a-zA-Z0-9, !]+)$")
_TRAILING_ONCOMPLETION = re.compile(r"🏁 *([a-zA-Z]+)$")
# A tag as the plugin sees one: "#" after the start or a space, up to a space
# or one of its stop characters (so a URL's "#anchor" is no tag).
_TAG_BODY = r"#[^\s!@#$%^&*(),.?\":{}|<>]+"
_TRAILING_TAG = re.compile(rf"(?:^|\s)({_TAG_BODY})$")
_TAG = re.compile(rf"(?:^|(?<=\s))({_TAG_BODY})")
TAG_PATTERN = _TAG  # for those who show a description with its tags marked up
# No "[" in a target (no note name holds one): a run of "[[[[..." then fails
# at once instead of scanning to the line's end from every "[" (quadratic).
_LINK = re.compile(r"\[\[([^\[\]|#^]+)(?:[#^][^\[\]|]*)?(?:\|[^\[\]]*)?\]\]")
# A value holds no bracket: "[due:: [due:: ..." then fails at the next one
# instead of scanning to the line's end from every field (quadratic).
_DATAVIEW = re.compile(
    r"[\[(](due|scheduled|start|completion|created|cancelled|id)::\s*([^\[\]()]*)[\])]"
)
_DATAVIEW_FIELD = {"completion": "done", "cancelled": "cancelled_on"}
_DATAVIEW_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_LOOSE_EMOJI = re.compile(rf"({_EMOJI_ALT})({VS16}?) *(\S*)")
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_ONLY = frozenset("📅⏳🛫")


# Slots: a vault of 100,000 notes holds some 400,000 tasks, and a __dict__ each
# was a third of the index's memory.
@dataclass(frozen=True, slots=True)
class Task:
    path: str  # the note it is in, vault-relative
    line: int  # 1-based line number in the file
    text: str  # the whole line as written (no newline)
    status_char: str
    description: str
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    due: dt.date | None = None
    scheduled: dt.date | None = None
    start: dt.date | None = None
    done: dt.date | None = None
    created: dt.date | None = None
    cancelled_on: dt.date | None = None
    id: str | None = None
    depends_on: tuple[str, ...] = ()
    priority: str | None = None
    recurrence: str | None = None
    block_id: str | None = None
    indent: str = ""
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def status(self) -> str:
        return _STATUS.get(self.status_char, OPEN)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def is_overdue(self, today: dt.date) -> bool:
        """As the Tasks query ``not done`` + ``due before today``: open and due before today."""
        return self.is_open and self.due is not None and self.due < today

    @property
    def is_need(self) -> bool:
        return self.has_tag(NEED)

    def has_tag(self, tag: str) -> bool:
        tag = tag.lstrip("#").casefold()
        # self.tags keep their "#" as written; compare without it.
        names = (t.lstrip("#").casefold() for t in self.tags)
        return any(t == tag or t.startswith(tag + "/") for t in names)


# The common shape, read in one match: a list item with a status, a plain
# description (no "#", "^", emoji or "::", so no tag, block id, field or
# Dataview field can hide in it) and then only tags and dated fields. Anything
# else, and any doubt (an impossible date), takes the full grammar below.
# Possessive quantifiers throughout: no part can give back what it took to
# another (a description has no "#" or emoji, an item no space), so the match
# is the same, and a line of a million spaces or tags fails in linear time.
_FAST_ITEM = rf"(?:#[A-Za-z0-9_/-]++|(?:{_EMOJI_ALT}) *+[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})"
_FAST_TASK = re.compile(
    r"([ \t]*+)[-*+] ++\[(.)\] "
    r"([\x20-\x22\x24-\x5d\x5f-\x7e\u00c0-\u024f]*+)"
    rf"({_FAST_ITEM}(?: ++{_FAST_ITEM})*+)? *+"
)
_FAST_FIELD = re.compile(rf"(#[A-Za-z0-9_/-]+)|({_EMOJI_ALT}) *([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})")


# Tasks share equal dates and tag tuples (immutable) instead of holding a copy
# each: some 400,000 tasks of a big vault use a few thousand days and tag sets.
_DAYS: dict[str, dt.date] = {}
_TAG_SETS: dict[tuple[str, ...], tuple[str, ...]] = {}
_SHARED_MAX = 20_000


def parse_task(path: str, line_no: int, line: str) -> Task | None:
    """The task on this line, or None if the line is not a task."""
    m = _FAST_TASK.fullmatch(line)
    if m is None or "::" in line:
        return parse_task_full(path, line_no, line)
    indent, status, text, tail = m.groups()
    fields: dict[str, dt.date] = {}
    trailing_tags: list[str] = []
    if not tail:
        tail = ""
    elif tail[0] == "#" and text[-1:] not in ("", " "):
        # "word#tag" is no tag: the description's, as the full grammar reads it.
        return parse_task_full(path, line_no, line)
    items = _FAST_FIELD.findall(tail)
    if len(items) > MAX_FIELDS:
        return parse_task_full(path, line_no, line)  # which reports the rest
    for tag, emoji, day in items:
        if tag:
            trailing_tags.append(tag)
            continue
        when = _DAYS.get(day)
        if when is None:
            try:
                when = dt.date.fromisoformat(day)
            except ValueError:
                return parse_task_full(path, line_no, line)  # reported as the full grammar does
            if len(_DAYS) >= _SHARED_MAX:  # bounded, whatever the vault holds
                _DAYS.clear()
            _DAYS[day] = when
        fields.setdefault(DATE_EMOJI[emoji], when)  # the leftmost wins
    rest = line[m.end(2) + 1 :]
    get = fields.get
    tags = tuple(dict.fromkeys(trailing_tags))
    shared = _TAG_SETS.get(tags)
    if shared is None:
        if len(_TAG_SETS) >= _SHARED_MAX:
            _TAG_SETS.clear()
        _TAG_SETS[tags] = shared = tags
    return Task(
        path,
        line_no,
        line,
        status,
        " ".join((text.strip() + " " + " ".join(trailing_tags)).split()),
        shared,
        tuple(dict.fromkeys(x.strip() for x in _LINK.findall(rest))) if "[[" in rest else (),
        get("due"),
        get("scheduled"),
        get("start"),
        get("done"),
        get("created"),
        get("cancelled_on"),
        indent=indent,
    )


MAX_FIELDS = 64  # fields read at the end of one task line
DATE_FIELDS = frozenset(DATE_EMOJI.values())


def _trailing_field(text: str) -> tuple[str, re.Match[str]] | None:
    """The field at the end of ``text`` (its name, or "tag"), or None."""
    mm = _TRAILING_DATE.search(text)
    if mm:
        return DATE_EMOJI[mm.group(1)], mm
    mm = _TRAILING_TAG.search(text)
    if mm:
        return "tag", mm
    for rx, name in (
        (_TRAILING_PRIORITY, "priority"),
        (_TRAILING_RECUR, "recurrence"),
        (_TRAILING_ID, "id"),
        (_TRAILING_DEPENDS, "depends_on"),
        (_TRAILING_ONCOMPLETION, "on_completion"),
    ):
        mm = rx.search(text)
        if mm:
            return name, mm
    return None


def parse_task_full(path: str, line_no: int, line: str) -> Task | None:
    """The whole grammar (``parse_task`` takes a shortcut for the common shape)."""
    m = TASK_LINE.match(line)
    if not m:
        return None
    rest = m.group("rest")
    # "- [ ]" must be followed by a space or the end of the line, as in Markdown.
    if rest and not rest[0].isspace():
        return None
    fields: dict[str, object] = {}
    problems: list[str] = []
    text = rest.strip()

    block = _BLOCK_ID.search(text)
    if block:
        fields["block_id"] = block.group(1)
        text = text[: block.start()].strip()

    # Take fields off the end until none is left. A field seen again further
    # left overwrites the first: the plugin's "leftmost wins".
    trailing_tags: list[str] = []
    taken = 0
    while (found := _trailing_field(text)) is not None:
        name, mm = found
        if taken == MAX_FIELDS:
            # Each field taken costs a pass over the line: a line of a million
            # fields (a hostile vault) would take hours.
            problems.append(
                f"more than {MAX_FIELDS} fields at the end of the line; "
                "the ones before them are read as description"
            )
            break
        taken += 1
        text = text[: mm.start()].strip()
        if name == "tag":
            # Tags may stand among the fields; like the plugin, keep them and
            # put them back at the end of the description.
            trailing_tags.insert(0, mm.group(1))
        elif name in DATE_FIELDS:
            try:
                fields[name] = dt.date.fromisoformat(mm.group(2))
            except ValueError:
                fields.pop(name, None)
                problems.append(f"{mm.group(1)} {mm.group(2)} is not a real date; ignored")
        else:
            value = mm.group(1).strip()
            fields[name] = PRIORITY_EMOJI[value] if name == "priority" else value

    for dv in _DATAVIEW.finditer(text):
        key = _DATAVIEW_FIELD.get(dv.group(1), dv.group(1))
        value = dv.group(2).strip()
        if key == "id":
            fields.setdefault("id", value)
            continue
        dm = _DATAVIEW_DATE.match(value)
        try:
            if not dm:
                raise ValueError(value)
            day = dt.date.fromisoformat(dm.group(1))
        except ValueError:
            problems.append(f"[{dv.group(1)}:: {value}] is not a date YYYY-MM-DD; ignored")
            continue
        fields.setdefault(key, day)
    text = _DATAVIEW.sub("", text)

    problems.extend(_stray_emoji(text))

    description = " ".join((text + " " + " ".join(trailing_tags)).split())
    depends = fields.pop("depends_on", None)
    fields.pop("on_completion", None)
    return Task(
        path=path,
        line=line_no,
        text=line,
        status_char=m.group("status"),
        description=description,
        tags=tuple(dict.fromkeys(_TAG.findall(description))),
        links=tuple(dict.fromkeys(x.strip() for x in _LINK.findall(rest))),
        depends_on=tuple(d.strip() for d in str(depends).split(",") if d.strip())
        if depends
        else (),
        indent=m.group("indent"),
        problems=tuple(problems),
        **fields,  # type: ignore[arg-type]
    )


def _stray_emoji(text: str) -> Iterator[str]:
    """Date emoji left in the description: the plugin does not read them, so neither does ppsj.

    Only what looks like an attempt at a date is reported: a 📅, ⏳ or 🛫 (they
    mean nothing else), or any date emoji followed by something starting with a
    digit. A "✅ Called" written as decoration is left alone.
    """
    for mm in _LOOSE_EMOJI.finditer(text):
        emoji, selector, after = mm.groups()
        if emoji not in _DATE_ONLY and not after[:1].isdigit():
            continue
        if selector:
            yield (
                f"{emoji} carries a variation selector (U+FE0F), which the Tasks plugin "
                "does not read; write it without one; ignored"
            )
        elif _ISO_LIKE.match(after):
            yield (
                f"{emoji} {after} is followed by text that is not a field; "
                "dates must stand at the end of the line; ignored"
            )
        elif after:
            yield f"{emoji} {after} is not a date YYYY-MM-DD; ignored"
        else:
            yield f"{emoji} has no date after it (YYYY-MM-DD); ignored"


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """``text``'s lines as editors, git and the Tasks plugin count them: broken
    at "\n" only, a "\r" before it being part of the line break.

    Not ``str.splitlines``, which also breaks at U+2028, U+0085, form feeds
    and more: a task line holding one (pasted from a web page) would be cut in
    two, the rest of its description missing from a carried copy, and every
    later line number off from the one the editor shows.
    """
    if keepends:
        pieces = [line + "\n" for line in text.split("\n")]
        pieces[-1] = pieces[-1][:-1]  # the text after the last "\n"
        return pieces if pieces[-1] else pieces[:-1]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    return lines if lines[-1] else lines[:-1]


def iter_task_lines(body: str, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """(line number, line) for every line outside fenced code blocks."""
    if "```" not in body and "~~~" not in body:
        # No fence can open: every line counts, without a look at each for one.
        yield from enumerate(split_lines(body), first_line)
        return
    fence: str | None = None
    for offset, line in enumerate(split_lines(body)):
        f = _FENCE.match(line)
        if fence is None:
            if f:
                fence = f.group(1)
                continue
            yield first_line + offset, line
        elif (
            f
            and f.group(1)[0] == fence[0]
            and len(f.group(1)) >= len(fence)
            # A closing fence has nothing after its backticks (an info string opens).
            and not line.strip().lstrip(">").strip().lstrip(fence[0]).strip()
        ):
            fence = None


def parse_tasks(path: str, body: str, first_line: int = 1) -> list[Task]:
    """Every task of a note's body; ``first_line`` is the body's line in the file."""
    tasks: list[Task] = []
    if "[" not in body:
        return tasks
    for line_no, line in iter_task_lines(body, first_line):
        if "[" in line:
            task = parse_task(path, line_no, line)
            if task is not None:
                tasks.append(task)
    return tasks


def done_line(line: str, day: dt.date) -> str:
    """``line`` (a task line, no line break) ticked as the Tasks plugin ticks it.

    The status becomes ``x`` and `` ✅ YYYY-MM-DD`` is appended, before a
    trailing block id (`` ^id``) if there is one; nothing else changes.
    """
    m = TASK_LINE.match(line)
    if m is None:
        raise ValueError(f"not a task line: {line!r}")
    head, rest = line[: m.start("status")] + "x" + line[m.end("status") :], ""
    trimmed = head.rstrip()
    block = _BLOCK_ID.search(trimmed)
    if block is not None:
        head, rest = trimmed[: block.start()], trimmed[block.start() :]
    else:
        head = trimmed
    return f"{head} ✅ {day.isoformat()}{rest}"
