"""The fast paths for front-matter and tasks give exactly what the full parsers give.

The fast front-matter reader (``note.fast_properties``) may decline a
front-matter (None: the full safe loader reads it); whatever it accepts must
equal the safe loader's result, value and type. The fast task path must equal
the full task grammar (kept here as the reference) on every line.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from ppsjournal import tasks as tasks_mod
from ppsjournal.errors import PpsjError
from ppsjournal.note import fast_properties, parse_note, safe_load_properties


def typed(value: Any) -> Any:
    """A value with its type spelled out: True == 1 and date == datetime must not pass."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(v) for v in value])
    return (type(value).__name__, value)


def reference(raw: str) -> Any:
    try:
        return typed(safe_load_properties(raw, "n.md"))
    except PpsjError:
        return "error"


def check(raw: str) -> bool:
    """Assert the fast path agrees with the safe loader; True if it took the front-matter."""
    fast = fast_properties(raw)
    if fast is None:
        return False
    assert typed(fast) == reference(raw), f"fast path differs on {raw!r}"
    return True


# -- front-matter: what the fast path must take, and read right ------------------


COMMON = [
    'type: session\npartner: "[[Ana Brown P176]]"\ndate: 2026-01-20\ntime: "14:40"\n'
    "week: 1\nweeks: 12\nstatus: held\n",
    'type: partner\nemail: p176@realty.example\nphone: "+1 555 0176"\ncompany: Sunrise Realty\n'
    "status: paused\ncommitted: 2026-10-02\nreferral_expected: 2026-12-11\ntags: [partner]\n",
    'type: lead\npartner: "[[Ana Brown P276]]"\nsource: referral\nstage: contacted\n'
    'created: 2025-10-11\nphone: "+1 555 1076"\nvalue: 726000\n',
    'pps_skip: [2026-12-25, 2027-01-01]\npps_moved: ["2027-01-01 -> 2026-12-31 14:40"]\n',
    "previous:\nweek: 0\nname: José Núñez\n",
    "",
    "# only a comment\n",
]


@pytest.mark.parametrize("raw", COMMON)
def test_common_front_matter_takes_the_fast_path_with_the_loaders_result(raw: str):
    assert check(raw)
    assert check(raw.replace("\n", "\r\n"))


ADVERSARIAL_VALUES = [
    "yes",
    "no",
    "on",
    "off",
    "Yes",
    "NO",
    "On",
    "OFF",
    "y",
    "n",
    "true",
    "False",
    "TRUE",
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "0x1F",
    "0o17",
    "017",
    "0b101",
    "1_000",
    "1,000",
    "+12",
    "-7",
    "0",
    "-0",
    "00",
    "1.5",
    "1e3",
    "1.0e+3",
    ".inf",
    "-.inf",
    ".NaN",
    ".5",
    "5.",
    "12:30",
    "1:2:3",
    "2026-11-27",
    "2026-1-2",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "2026-11-27 14:40:00",
    "2026-11-27T14:40:00Z",
    "2026-11-27T14:40",
    "20261127",
    "'quoted ''x'''",
    "'it''s'",
    "''",
    '""',
    '"esc\\n"',
    '"a \\" b"',
    '"tab\\there"',
    '"# not a comment"',
    "a # comment",
    "a#b",
    "#x",
    "a: b",
    "a:b",
    "http://x.example/y",
    "[]",
    "[a]",
    "[a, b]",
    "[ a ,b ]",
    "[a,]",
    "[, a]",
    "[[x]]",
    "[a, [b]]",
    "[a, {b: c}]",
    "{a: b}",
    "{}",
    '["x, y"]',
    "['x', 'y']",
    "[yes, no, ~, 1, 2026-01-01, 1.5]",
    "- a",
    "-a",
    "? a",
    "?a",
    "!tag x",
    "!!str 1",
    "&anchor x",
    "*alias",
    "|",
    ">",
    "%x",
    "@x",
    "`x`",
    "=",
    "<<",
    ".hidden",
    "+1 555 0100",
    "Smith & Co",
    "O'Brien",
    'say "hi"',
    "a, b",
    "a ,b",
    "a  b",
    "a - b",
    "x?",
    "x!",
    "100%",
    "$5",
    "~x",
    "a=b",
    "José",
    "Ñandú",
    "日本語",
    "emoji 📅 here",
    "\u00a0nbsp",
    "nbsp\u00a0",
    "x\u3000y",
    "a\u2028b",
    "a\u0085b",
    "\ufeffbom",
    "tab\there",
    "ctl\x07",
    "del\x7f",
    "",
    "   ",
    "x   ",
    "'unclosed",
    '"unclosed',
    "a'",
    'a"',
    "[unclosed",
    "closed]",
]

ADVERSARIAL_KEYS = [
    "type",
    "a",
    "A_b",
    "_x",
    "x-y",
    "k1",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "true",
    "y",
    "n",
    "1",
    "0x1",
    "2026-01-01",
    "a b",
    "-a",
    "? a",
    "<<",
    "=",
    "'q'",
    '"q"',
    "José",
]


def test_adversarial_values_are_read_as_the_loader_reads_them_or_left_to_it():
    taken = 0
    for value in ADVERSARIAL_VALUES:
        for sep in (": ", ":  ", ":"):
            raw = f"k{sep}{value}\n"
            taken += check(raw)
            taken += check(f"a: 1\n{raw}b: x\n")
    assert taken > 100  # the fast path does take the ordinary ones


def test_adversarial_keys():
    for key in ADVERSARIAL_KEYS:
        for raw in (f"{key}: x\n", f"{key}:\n", f"  {key}: x\n", f"{key} : x\n"):
            check(raw)
    assert fast_properties("yes: x\n") is None  # the key would be True: not text
    assert fast_properties("~: x\n") is None


@pytest.mark.parametrize(
    "raw",
    [
        "a: 1\na: 2\n",  # a key twice
        "a: 1\n\tb: 2\n",  # a tab
        "a: 1\rb: 2\n",  # an old Mac line end is a line break to YAML
        "a: x\n  continued\n",  # a folded plain value
        "tags:\n  - a\n  - b\n",  # a block list
        "a: &x 1\nb: *x\n",  # an anchor and an alias: refused by the full path
        "\ufeffa: 1\n",  # a byte-order mark inside the front-matter
        "%YAML 1.1\n---\na: 1\n",
        "a: 1 # why\n",
        "a: |\n  text\n",
        "k: [a,\n  b]\n",
    ],
)
def test_what_the_fast_path_leaves_to_the_loader(raw: str):
    assert fast_properties(raw) is None


def test_a_duplicate_key_keeps_the_loaders_reading():
    note = parse_note("n.md", "---\na: 1\na: 2\n---\n")
    assert note.meta == {"a": 2}


def test_aliases_are_still_refused_through_parse_note():
    with pytest.raises(PpsjError, match="anchors and aliases"):
        parse_note("n.md", "---\na: &x 1\nb: *x\n---\n")


ATOMS = [
    *ADVERSARIAL_VALUES,
    "session",
    "held",
    "Sunrise Realty",
    "p1@x.example",
    '"[[Ana Brown]]"',
    '"14:40"',
    "12",
    "2026-12-04",
    "[partner]",
    "[2026-12-25]",
    '["2027-01-01 -> 2026-12-31 14:40"]',
    "726000",
]
PIECES = [
    "a",
    "Z",
    "0",
    "9",
    "1",
    "-",
    "_",
    " ",
    ".",
    ",",
    ":",
    "#",
    "'",
    '"',
    "[",
    "]",
    "~",
    "!",
    "&",
    "*",
    "?",
    "@",
    "%",
    "=",
    "+",
    "é",
    "日",
    "📅",
    "\t",
    "\\",
    "/",
    "(",
    ")",
]


def test_generated_front_matter_agrees_with_the_loader():
    rng = random.Random(20261127)
    taken = 0
    for _ in range(6000):
        lines = []
        for _ in range(rng.randint(0, 8)):
            roll = rng.random()
            if roll < 0.05:
                lines.append(rng.choice(["", "# a comment", "   ", "  # indented: x"]))
                continue
            key = rng.choice(ADVERSARIAL_KEYS[:6]) + str(rng.randint(0, 3))
            if roll < 0.6:
                value = rng.choice(ATOMS)
            elif roll < 0.8:
                value = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8)))
            else:
                items = [rng.choice(ATOMS[:60] + PIECES) for _ in range(rng.randint(0, 4))]
                value = "[" + rng.choice([", ", ",", " , "]).join(items) + "]"
            lines.append(f"{key}:{rng.choice([' ', '  ', ' '])}{value}{rng.choice(['', ' ', ''])}")
        ending = rng.choice(["\n", "\n", "\r\n"])
        taken += check(ending.join(lines) + ending)
    assert taken > 1000


def test_generated_scalars_agree_with_the_loader():
    rng = random.Random(7)
    for _ in range(20000):
        value = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))
        check(f"k: {value}\n")
        check(f"k: [{value}]\n")


def test_the_fast_paths_character_classes_are_the_sets_they_stand_for():
    from ppsjournal import note

    first = set("_.~+") | {chr(c) for c in (*range(48, 58), *range(65, 91), *range(97, 123))}
    rest = (first - set("~")) | set(" _.,;/+()'&!?%$=~@-")
    safe_ranges = [(0x0A, 0x0A), (0x0D, 0x0D), (0x20, 0x7E), (0xA1, 0x2027), (0x202A, 0xD7FF),
                   (0xE000, 0xFEFE), (0xFF00, 0xFFFD), (0x10000, 0x10FFFF)]  # fmt: skip
    edges = {e + d for lo, hi in safe_ranges for e in (lo, hi) for d in (-1, 0, 1)}
    for code in sorted({*range(0x800), *edges, 0x3042, 0x1F4C5} - {-1, 0x110000}):
        c = chr(code)
        latin1_or_past = code >= 0xA1
        assert bool(note._FAST_PLAIN.fullmatch(c)) == (c in first or latin1_or_past), hex(code)
        assert bool(note._FAST_PLAIN.fullmatch("a" + c)) == (c in rest or latin1_or_past), hex(code)
        in_flow = c != "," and (c in rest or latin1_or_past)
        assert bool(note._FAST_FLOW_PLAIN.fullmatch("a" + c)) == in_flow, hex(code)
        safe = any(lo <= code <= hi for lo, hi in safe_ranges)
        assert bool(note._FAST_UNSAFE.search(c)) == (not safe), hex(code)


def test_dates_and_impossible_dates():
    assert fast_properties("d: 2026-12-04\n") == {"d": dt.date(2026, 12, 4)}
    assert fast_properties("d: 2026-02-30\n") == {"d": "2026-02-30"}
    assert check("d: [2026-02-30, 2026-02-28]\n")


# -- tasks: the fast path against the full grammar ----------------------------------


def same_task(path: str, line: str) -> bool:
    """Assert parse_task equals the full grammar on this line (problems too); True if a task."""
    fast = tasks_mod.parse_task(path, 7, line)
    full = tasks_mod.parse_task_full(path, 7, line)
    assert fast == full, f"differs on {line!r}"
    if full is None:
        return False
    assert fast is not None and fast.problems == full.problems, f"problems differ on {line!r}"
    return True


TASK_LINES = [
    "- [ ] Send the buyer guide to the Lees #commitment 📅 2026-12-08",
    "- [x] Pre-qual call with [[Sam Lee]] #lead 📅 2026-12-07 ✅ 2026-12-06",
    "- [ ] Bilingual open-house flyer #need ⏳ 2027-01-10",
    "- [-] Call back about the listing 3 #referral 📅 2026-01-26",
    "- [>] Carried #need 📅 2026-01-26",
    "  * [X] indented 📅2026-01-26",
    "\t+ [ ] tabbed #a #b #a",
    "- [ ] two dues 📅 2026-01-01 📅 2026-02-02",
    "- [ ] bad day 📅 2026-02-30",
    "- [ ] bad then good 📅 2026-01-01 📅 2026-02-30",
    "- [ ] word#tag 📅 2026-01-01",
    "- [ ] #only-a-tag",
    "- [ ] 📅 2026-01-01",
    "- [ ]",
    "- [ ] ",
    "- [ ]   spaced   out   📅   2026-01-01   ",
    "- [ ] a ^block1",
    "- [ ] fields [due:: 2026-01-01]",
    "- [ ] fields (scheduled:: 2026-01-01) 📅 2026-01-02",
    "- [ ] priority ⏫ 📅 2026-01-01",
    "- [ ] recur 🔁 every week 📅 2026-01-01",
    "- [ ] id 🆔 abc ⛔ x,y",
    "- [ ] stray 📅 2026-01-01 then text",
    "- [ ] selector 📅\ufe0f 2026-01-01",
    "- [ ] url http://x.example/#anchor 📅 2026-01-01",
    "- [ ] link [[A|b]] and [[C#h]] #x",
    "- [ ]no space",
    "-[ ] no space",
    "1. [ ] numbered",
    "> - [ ] quoted",
    "- [ ] José Núñez #need",
    "- [ ] tag then text #a b",
    "- [ ] tags with stops #a.b #c,d",
    "- []] odd status",
    "- [ ] Ünïcödé ✅ 2026-01-01 ➕ 2025-12-01 🛫 2025-12-02 ❌ 2026-01-02",
    "- [ ] 📆 2026-01-01 🗓 2026-01-02 ⌛ 2026-01-03",
    "- [ ] date not ISO 📅 2026-1-1",
    "- [ ] digits 📅 ２０２６-01-01",
    "- [ ] ok 📅 0000-01-01",
    "not a task [x]",
    "- [ ] trailing cr\r",
    "- [ ] [[Sam Lee]]",
]


@pytest.mark.parametrize("line", TASK_LINES)
def test_task_lines_agree_with_the_full_grammar(line: str):
    same_task("Sessions/2026/2026-12-04 Debbie Harper.md", line)


def test_the_common_shape_takes_the_fast_path():
    m = tasks_mod._FAST_TASK.fullmatch(TASK_LINES[1])
    assert m is not None and m.group(4) == "#lead 📅 2026-12-07 ✅ 2026-12-06"


TASK_PIECES = [
    "Call",
    "back",
    " ",
    " ",
    "  ",
    "#need",
    "#a/b",
    "#x-y",
    "#",
    "#1",
    "word#x",
    "📅",
    "📅 2026-01-22",
    "✅ 2026-01-22",
    "⏳2027-01-10",
    "🛫 2026-13-01",
    "➕ 2026-02-29",
    "📅 2024-02-29",
    "❌ 2026-01-01",
    "[[Sam Lee]]",
    "[[A|b]]",
    "[x]",
    "(y)",
    "::",
    "[due:: 2026-01-01]",
    "^id",
    " ^id",
    "⏫",
    "🔺",
    "🔁 every day",
    "🆔 a1",
    "⛔ a1",
    "🏁 delete",
    "\ufe0f",
    "José",
    "é",
    "日本",
    "\t",
    ":",
    ".",
    ",",
    "'",
    '"',
    "%",
    "http://x/#a",
    "`code`",
    "*",
    "!",
    "?",
    "\u00a0",
    "\u2028",
]


def test_generated_task_lines_agree_with_the_full_grammar():
    rng = random.Random(42)
    tasks_seen = 0
    for _ in range(30000):
        head = rng.choice(
            [
                "- [ ] ",
                "- [x] ",
                "- [-] ",
                "- [>] ",
                "  - [ ] ",
                "* [X] ",
                "+ [/] ",
                "-  [ ] ",
                "\t- [ ] ",
                "1. [ ] ",
                "- [ ]",
                "- [ ]  ",
            ]
        )
        body = "".join(
            rng.choice(TASK_PIECES) + rng.choice(["", " ", " "]) for _ in range(rng.randint(0, 7))
        )
        tasks_seen += same_task("n.md", head + body)
    assert tasks_seen > 20000


def test_parse_tasks_numbers_lines_as_the_line_by_line_reading():
    rng = random.Random(3)
    lines = [
        "text",
        "",
        "- [ ] a #x 📅 2026-01-01",
        "- [x] b",
        "```",
        "~~~",
        "- [ ] in code?",
        "> - [ ] quoted",
        "  - [ ] child ⏳ 2026-01-02",
        "[not a task]",
    ]
    for _ in range(3000):
        ends = rng.choice(["\n", "\r\n", "\r", "\u2028", "\x0c"])
        body = "".join(
            rng.choice(lines) + rng.choice([ends, "\n"]) for _ in range(rng.randint(0, 12))
        )
        fast = tasks_mod.parse_tasks("n.md", body, 5)
        full = [
            task
            for n, line in tasks_mod.iter_task_lines(body, 5)
            if (task := tasks_mod.parse_task_full("n.md", n, line)) is not None
        ]
        assert [(t.line, t) for t in fast] == [(t.line, t) for t in full], repr(body)


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] " + "[" * 100_000,
        "- [ ] " + "[[a|" * 50_000,
        "- [ ] " + "[due:: " * 30_000,
        "- [ ] " + "(due:: " * 30_000,
        "- [ ] " + " " * 200_000 + "\t",
        "- [ ] x " + "#a" * 100_000,
    ],
)
def test_pathological_lines_are_read_in_linear_time(line: str):
    # Each took minutes with a regex that backtracked quadratically.
    same_task("n.md", line)


def test_a_link_target_holds_no_bracket():
    task = tasks_mod.parse_task("n.md", 1, "- [ ] call [[[Sam Lee]] and [[A[b]]")
    assert task is not None and task.links == ("Sam Lee",)


def split_by_lines(text: str) -> tuple[int, int, int] | None:
    """The front-matter split as a loop over lines (note._split's reference)."""
    if not text.startswith("---"):
        return None
    first_nl = text.find("\n")
    if first_nl < 0 or text[3:first_nl].strip(" \t\r"):
        return None
    pos = first_nl + 1
    while pos <= len(text):
        nl = text.find("\n", pos)
        line = text[pos : len(text) if nl < 0 else nl].rstrip(" \t\r")
        if line in ("---", "..."):
            return first_nl + 1, pos, (len(text) if nl < 0 else nl + 1)
        if nl < 0:
            break
        pos = nl + 1
    return -1, -1, -1


def test_front_matter_is_split_as_line_by_line():
    from ppsjournal.note import _split

    rng = random.Random(11)
    pieces = ["---", "...", "\n", "\r", "\r\n", "a", " ", "--", "----", ". ..", "x: 1"]
    pieces += ["\u2028", "\x85", "\x0c", "\t"]
    for _ in range(50000):
        head = rng.choice(["---\n", "---", "--- \n", "---\r\n", "", "---x\n"])
        text = head + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert _split(text) == split_by_lines(text), repr(text)


def test_at_most_max_fields_are_read_and_the_rest_is_reported():
    n = tasks_mod.MAX_FIELDS
    line = "- [ ] call" + " #a" * 10 + " 📅 2026-01-01" * (n - 10)
    assert same_task("n.md", line)
    task = tasks_mod.parse_task("n.md", 1, line)
    assert task is not None and task.due == dt.date(2026, 1, 1) and not task.problems
    over = "- [ ] call 📅 2026-02-02" + " #b" * n
    assert same_task("n.md", over)
    task = tasks_mod.parse_task("n.md", 1, over)
    assert task is not None and task.due is None and task.tags == ("#b",)
    assert any(f"more than {n} fields" in p for p in task.problems)


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] x ::" + " 📅 2026-01-01" * 100_000,  # "::" sends it to the full grammar
        "- [ ] x ^" + " #a" * 100_000,
    ],
)
def test_a_line_of_many_fields_is_read_in_linear_time(line: str):
    task = tasks_mod.parse_task("n.md", 1, line)
    assert task is not None and any("fields at the end" in p for p in task.problems)
