"""Follow-ups: the Obsidian Tasks plugin's emoji task format, read as the plugin reads it.

A task line is a list item with a checkbox. Like the Tasks plugin, fields are
read from the end of the line backwards (a trailing ``^block-id`` first, then
emoji fields and tags in any order); what is left is the description. The
Dataview form ``[due:: 2026-12-08]`` is read wherever it stands.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

OPEN, DONE, CANCELLED, FORWARDED = "open", "done", "cancelled", "forwarded"
_STATUS = {"x": DONE, "X": DONE, "-": CANCELLED, ">": FORWARDED}

TASK_LINE = re.compile(
    r"^(?P<indent>[\s>]*)(?P<marker>[-*+]|\d+[.)])[ \t]+\[(?P<status>.)\](?P<rest>.*)$"
)
_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
_BLOCK_ID = re.compile(r"\s+\^([A-Za-z0-9-]+)\s*$")
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
_TRAILING_DATE = re.compile(rf"(?:^|\s)({_EMOJI_ALT}){VS16}?\s*{_DATE}\s*$")
_TRAILING_ID = re.compile(rf"(?:^|\s)🆔{VS16}?\s*([A-Za-z0-9_-]+)\s*$")
_TRAILING_DEPENDS = re.compile(rf"(?:^|\s)⛔{VS16}?\s*([A-Za-z0-9_,\s-]+?)\s*$")
_TRAILING_PRIORITY = re.compile(
    rf"(?:^|\s)({'|'.join(re.escape(e) for e in PRIORITY_EMOJI)}){VS16}?\s*$"
)
_TRAILING_RECUR = re.compile(rf"(?:^|\s)🔁{VS16}?\s*([a-zA-Z0-9, !]+?)\s*$")
_TRAILING_ONCOMPLETION = re.compile(rf"(?:^|\s)🏁{VS16}?\s*([a-zA-Z]+)\s*$")
_TRAILING_TAG = re.compile(r"(?:^|\s)(#[^\s#]+)\s*$")
_TAG = re.compile(
    r"(?<![^\s(\[])#([A-Za-z0-9_/\-\u00c0-\uffff]*[A-Za-z_/\-\u00c0-\uffff][A-Za-z0-9_/\-\u00c0-\uffff]*)"
)
_LINK = re.compile(r"\[\[([^\]|#^]+)(?:[#^][^\]|]*)?(?:\|[^\]]*)?\]\]")
_DATAVIEW = re.compile(
    r"[\[(](due|scheduled|start|completion|created|cancelled|id)::\s*([^\])]*)[\])]"
)
_DATAVIEW_FIELD = {"completion": "done", "cancelled": "cancelled_on"}
_LOOSE_EMOJI = re.compile(rf"({_EMOJI_ALT}){VS16}?")


@dataclass(frozen=True)
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
        """As the Tasks plugin's "is overdue": not done and due before today."""
        return self.is_open and self.due is not None and self.due < today

    def has_tag(self, tag: str) -> bool:
        tag = tag.lstrip("#").casefold()
        # self.tags keep their "#" as written; compare without it.
        names = (t.lstrip("#").casefold() for t in self.tags)
        return any(t == tag or t.startswith(tag + "/") for t in names)


def parse_task(path: str, line_no: int, line: str) -> Task | None:
    """The task on this line, or None if the line is not a task."""
    m = TASK_LINE.match(line)
    if not m:
        return None
    rest = m.group("rest")
    # "- [ ]" must be followed by a space or the end of the line, as in Markdown.
    if rest and not rest[0].isspace():
        return None
    fields: dict[str, object] = {}
    problems: list[str] = []
    text = rest.rstrip()

    block = _BLOCK_ID.search(text)
    if block:
        fields["block_id"] = block.group(1)
        text = text[: block.start()]

    trailing_tags: list[str] = []
    while True:
        mm = _TRAILING_DATE.search(text)
        if mm:
            name = DATE_EMOJI[mm.group(1)]
            try:
                fields.setdefault(name, dt.date.fromisoformat(mm.group(2)))
            except ValueError:
                problems.append(f"invalid date {mm.group(1)} {mm.group(2)}; ignored")
            text = text[: mm.start()]
            continue
        for rx, name in (
            (_TRAILING_ID, "id"),
            (_TRAILING_PRIORITY, "priority"),
            (_TRAILING_RECUR, "recurrence"),
            (_TRAILING_ONCOMPLETION, "on_completion"),
            (_TRAILING_DEPENDS, "depends_on"),
        ):
            mm = rx.search(text)
            if mm:
                value = mm.group(1)
                if name == "priority":
                    value = PRIORITY_EMOJI[value]
                fields.setdefault(name, value)
                text = text[: mm.start()]
                break
        else:
            mm = _TRAILING_TAG.search(text)
            if mm:
                # Tags may stand among the fields; like the plugin, keep them
                # and put them back at the end of the description.
                trailing_tags.insert(0, mm.group(1))
                text = text[: mm.start()]
                continue
            break

    for dv in _DATAVIEW.finditer(text):
        key = _DATAVIEW_FIELD.get(dv.group(1), dv.group(1))
        value = dv.group(2).strip()
        if key == "id":
            fields.setdefault("id", value)
            continue
        try:
            fields.setdefault(key, dt.date.fromisoformat(value[:10]))
        except ValueError:
            problems.append(f"invalid date [{dv.group(1)}:: {value}]; ignored")
    text = _DATAVIEW.sub("", text)

    loose = _LOOSE_EMOJI.search(text)
    if loose:
        problems.append(f"{loose.group(1)} is not followed by a date YYYY-MM-DD; ignored")

    description = " ".join((text.strip() + " " + " ".join(trailing_tags)).split())
    depends = fields.pop("depends_on", None)
    fields.pop("on_completion", None)
    return Task(
        path=path,
        line=line_no,
        text=line,
        status_char=m.group("status"),
        description=description,
        tags=tuple(dict.fromkeys("#" + t for t in _TAG.findall(rest))),
        links=tuple(dict.fromkeys(x.strip() for x in _LINK.findall(rest))),
        depends_on=tuple(d.strip() for d in str(depends).split(",") if d.strip())
        if depends
        else (),
        indent=m.group("indent"),
        problems=tuple(problems),
        **fields,  # type: ignore[arg-type]
    )


def iter_task_lines(body: str, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """(line number, line) for every line outside fenced code blocks."""
    fence: str | None = None
    for offset, line in enumerate(body.splitlines()):
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
    tasks = []
    if "[" not in body:
        return tasks
    for line_no, line in iter_task_lines(body, first_line):
        if "[" in line:
            task = parse_task(path, line_no, line)
            if task is not None:
                tasks.append(task)
    return tasks
