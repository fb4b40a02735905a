"""The task grammar, against lines as people (and the Tasks plugin) write them.

The expectations follow the Tasks plugin's parser (DefaultTaskSerializer):
fields are read from the end of the line, in any order, tags may stand among
them, a block id ends the line, and a date emoji is read only where the plugin
reads it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ppsjournal.tasks import CANCELLED, DONE, FORWARDED, OPEN, parse_task, parse_tasks

D = dt.date.fromisoformat

# line -> the fields expected (the others must be empty / None)
TABLE: list[tuple[str, dict]] = [
    (
        "- [ ] Send the buyer guide to the Lees #commitment 📅 2026-12-08",
        {
            "description": "Send the buyer guide to the Lees #commitment",
            "due": D("2026-12-08"),
            "tags": ("#commitment",),
        },
    ),
    (
        "- [x] Pre-qual call with [[Sam Lee]] #lead 📅 2026-12-07 ✅ 2026-12-06",
        {
            "status": DONE,
            "description": "Pre-qual call with [[Sam Lee]] #lead",
            "due": D("2026-12-07"),
            "done": D("2026-12-06"),
            "tags": ("#lead",),
            "links": ("Sam Lee",),
        },
    ),
    (
        "- [ ] Bilingual open-house flyer #need ⏳ 2027-01-10",
        {
            "description": "Bilingual open-house flyer #need",
            "scheduled": D("2027-01-10"),
            "tags": ("#need",),
        },
    ),
    # emoji fields in any order; the same task either way
    (
        "- [ ] Call Sam ✅ 2026-12-02 ➕ 2026-11-20 🛫 2026-11-25 📅 2026-12-01 ⏳ 2026-11-30",
        {
            "description": "Call Sam",
            "due": D("2026-12-01"),
            "scheduled": D("2026-11-30"),
            "start": D("2026-11-25"),
            "created": D("2026-11-20"),
            "done": D("2026-12-02"),
        },
    ),
    (
        "- [ ] Call Sam ⏳ 2026-11-30 📅 2026-12-01 🛫 2026-11-25 ➕ 2026-11-20 ✅ 2026-12-02",
        {
            "description": "Call Sam",
            "due": D("2026-12-01"),
            "scheduled": D("2026-11-30"),
            "start": D("2026-11-25"),
            "created": D("2026-11-20"),
            "done": D("2026-12-02"),
        },
    ),
    # a trailing block id, tags among the fields, priority, id and dependencies
    (
        "- [ ] Flyer #need 📅 2026-12-08 #spanish ⏫ 🆔 flyer1 ⛔ abc,def ^blk-9",
        {
            "description": "Flyer #need #spanish",
            "due": D("2026-12-08"),
            "priority": "high",
            "id": "flyer1",
            "depends_on": ("abc", "def"),
            "block_id": "blk-9",
            "tags": ("#need", "#spanish"),
        },
    ),
    # uppercase X is done; "/" is in progress, i.e. still open; ">" carried forward
    (
        "- [X] Done, loudly 📅 2026-11-01",
        {"status": DONE, "description": "Done, loudly", "due": D("2026-11-01")},
    ),
    ("- [/] Half done 📅 2026-11-01", {"description": "Half done", "due": D("2026-11-01")}),
    (
        "- [-] Dropped 📅 2026-11-01",
        {"status": CANCELLED, "description": "Dropped", "due": D("2026-11-01")},
    ),
    (
        "- [>] Carried 📅 2026-11-01",
        {"status": FORWARDED, "description": "Carried", "due": D("2026-11-01")},
    ),
    # indented subtasks, other list markers, a callout
    (
        "    - [ ] Sub-task 📅 2026-12-09",
        {"description": "Sub-task", "due": D("2026-12-09"), "indent": "    "},
    ),
    (
        "\t* [ ] Tabbed 📅 2026-12-09",
        {"description": "Tabbed", "due": D("2026-12-09"), "indent": "\t"},
    ),
    ("+ [ ] Plus 📅 2026-12-09", {"description": "Plus", "due": D("2026-12-09")}),
    ("1. [ ] Numbered 📅 2026-12-09", {"description": "Numbered", "due": D("2026-12-09")}),
    (
        "> - [ ] In a callout 📅 2026-12-09",
        {"description": "In a callout", "due": D("2026-12-09"), "indent": "> "},
    ),
    # the plugin needs no space before the emoji and allows none after it
    ("- [ ] Tight📅2026-12-09", {"description": "Tight", "due": D("2026-12-09")}),
    # other due / scheduled emoji the plugin accepts
    ("- [ ] Alt due 📆 2026-12-09", {"description": "Alt due", "due": D("2026-12-09")}),
    ("- [ ] Alt sched ⌛ 2026-12-09", {"description": "Alt sched", "scheduled": D("2026-12-09")}),
    # the same field twice: the leftmost wins, as in the plugin
    ("- [ ] Twice 📅 2026-12-01 📅 2026-12-24", {"description": "Twice", "due": D("2026-12-01")}),
    # a priority emoji may carry a variation selector
    (
        "- [ ] Urgent 🔺\ufe0f 📅 2026-12-01",
        {"description": "Urgent", "priority": "highest", "due": D("2026-12-01")},
    ),
    # Dataview inline fields, square or round, anywhere on the line
    (
        "- [ ] Dataview style [due:: 2026-12-08] (scheduled:: 2026-12-01) #need",
        {
            "description": "Dataview style #need",
            "due": D("2026-12-08"),
            "scheduled": D("2026-12-01"),
            "tags": ("#need",),
        },
    ),
    (
        "- [x] DV done [completion:: 2026-12-02]",
        {"status": DONE, "description": "DV done", "done": D("2026-12-02")},
    ),
    # links with alias and heading name their note
    (
        "- [ ] Ask [[Debbie Harper|Debbie]] about [[Sam Lee#Showing]] 📅 2026-12-01",
        {
            "description": "Ask [[Debbie Harper|Debbie]] about [[Sam Lee#Showing]]",
            "due": D("2026-12-01"),
            "links": ("Debbie Harper", "Sam Lee"),
        },
    ),
    # a URL's #anchor is no tag
    (
        "- [ ] Read https://x.example/a#b 📅 2026-12-01",
        {"description": "Read https://x.example/a#b", "due": D("2026-12-01")},
    ),
]

EMPTY = {
    "status": OPEN,
    "tags": (),
    "links": (),
    "due": None,
    "scheduled": None,
    "start": None,
    "done": None,
    "created": None,
    "id": None,
    "depends_on": (),
    "priority": None,
    "block_id": None,
    "indent": "",
}


@pytest.mark.parametrize(("line", "expected"), TABLE, ids=[t[0][:40] for t in TABLE])
def test_grammar_table(line: str, expected: dict) -> None:
    task = parse_task("Partners/Debbie Harper.md", 7, line)
    assert task is not None
    assert task.text == line and task.line == 7
    want = {**EMPTY, **expected}
    got = {key: getattr(task, key) for key in want}
    assert got == want
    assert task.problems == ()


@pytest.mark.parametrize(
    "line",
    [
        "- not a task",
        "- [] empty box",
        "-[ ] no space after the marker",
        "- [ ]glued to the box",
        "1) [ ] a marker the Tasks plugin does not read",
        "[ ] no list marker",
        "text - [ ] in the middle",
    ],
)
def test_not_tasks(line: str) -> None:
    assert parse_task("n.md", 1, line) is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("- [ ] Bad day 📅 2026-02-30", "is not a real date"),
        ("- [ ] Bad month ⏳ 2026-13-01", "is not a real date"),
        ("- [ ] Short 📅 2026-12-8", "📅 2026-12-8 is not a date YYYY-MM-DD"),
        ("- [ ] US style 📅 12/08/2026", "📅 12/08/2026 is not a date"),
        ("- [ ] Words 📅 tomorrow", "📅 tomorrow is not a date"),
        ("- [ ] Nothing after 📅", "📅 has no date after it"),
        ("- [ ] Selector 📅\ufe0f 2026-12-08", "variation selector"),
        ("- [ ] Before text 📅 2026-12-08 call Sam", "must stand at the end"),
        ("- [ ] DV bad [due:: next week]", "is not a date"),
        ("- [ ] DV impossible (due:: 2026-02-30)", "is not a date"),
    ],
)
def test_malformed_dates_are_reported_and_ignored(line: str, problem: str) -> None:
    task = parse_task("n.md", 3, line)
    assert task is not None
    assert task.due is None and task.scheduled is None
    assert len(task.problems) == 1
    assert problem in task.problems[0]
    # Ignoring the bad field never makes it overdue.
    assert not task.is_overdue(D("2030-01-01"))


def test_a_bad_date_does_not_hide_the_good_ones() -> None:
    task = parse_task("n.md", 1, "- [ ] Mixed ⏳ 2026-02-30 📅 2026-12-08")
    assert task is not None
    assert task.due == D("2026-12-08") and task.scheduled is None
    assert len(task.problems) == 1


def test_decorative_emoji_are_not_problems() -> None:
    task = parse_task("n.md", 1, "- [x] ✅ Called back ➕ more to come")
    assert task is not None
    assert task.problems == () and task.done is None


def test_emoji_date_wins_over_dataview() -> None:
    task = parse_task("n.md", 1, "- [ ] Both [due:: 2026-12-01] 📅 2026-12-08")
    assert task is not None and task.due == D("2026-12-08")


@pytest.mark.parametrize(
    ("status", "today", "overdue"),
    [
        (" ", "2026-12-09", True),  # due yesterday
        (" ", "2026-12-08", False),  # due today is not overdue
        ("/", "2026-12-09", True),  # in progress is not done
        ("?", "2026-12-09", True),  # an unknown status is TODO, as in the plugin
        ("x", "2026-12-09", False),
        ("X", "2026-12-09", False),
        ("-", "2026-12-09", False),
        (">", "2026-12-09", False),  # carried forward: its copy counts, not this line
    ],
)
def test_overdue_rule(status: str, today: str, overdue: bool) -> None:
    task = parse_task("n.md", 1, f"- [{status}] Task 📅 2026-12-08")
    assert task is not None
    assert task.is_overdue(D(today)) is overdue


def test_no_due_date_is_never_overdue() -> None:
    task = parse_task("n.md", 1, "- [ ] Someday ⏳ 2020-01-01")
    assert task is not None and not task.is_overdue(D("2030-01-01"))


def test_has_tag_matches_nested_tags_case_insensitively() -> None:
    task = parse_task("n.md", 1, "- [ ] Flyer #Need/Spanish 📅 2026-12-08")
    assert task is not None
    assert task.has_tag("need") and task.has_tag("#need/spanish")
    assert not task.has_tag("nee")


BODY = """\
# Session

- [ ] Real task 📅 2026-12-01
    - [ ] Indented subtask 📅 2026-12-02

```
- [ ] In a backtick fence 📅 2026-12-03
```

~~~markdown
- [ ] In a tilde fence 📅 2026-12-04
```
- [ ] Still in the tilde fence: a ``` line does not close ~~~ 📅 2026-12-05
~~~

````text
```
- [ ] In a four-backtick fence 📅 2026-12-06
```
````

> ```
> - [ ] In a quoted fence 📅 2026-12-07
> ```

- [x] After the fences ✅ 2026-12-01
"""


def test_parse_tasks_skips_fenced_code_and_numbers_lines() -> None:
    tasks = parse_tasks("Sessions/2026/x.md", BODY, first_line=5)
    got = [(t.line, t.description) for t in tasks]
    # BODY's line 3 is file line 7 when the body starts on line 5.
    assert got == [
        (7, "Real task"),
        (8, "Indented subtask"),
        (30, "After the fences"),
    ]


def test_tasks_in_front_matter_and_fences_are_not_read_from_a_note(tmp_path: Path) -> None:
    from ppsjournal.index import entry_from_bytes

    text = (
        "---\ntype: partner\nnote: |\n  - [ ] not a task 📅 2026-01-01\n---\n"
        "- [ ] A task 📅 2026-12-01\n```\n- [ ] code 📅 2026-01-01\n```\n"
    )
    entry = entry_from_bytes("Partners/A.md", text.encode())
    assert [(t.line, t.description) for t in entry.tasks] == [(6, "A task")]
