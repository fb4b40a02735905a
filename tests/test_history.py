"""The partnership's memory (issue 16, items 1 and 2): `ppsj history`, `ppsj search`,
and the next session note quoting the partner's last answers.

Every vault here is written the way a user gets there: `ppsj add`, `ppsj week`
writes each note from the packaged template, and the answers are typed under
the headings, as in an editor.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from ppsjournal import store
from ppsjournal.answers import QUESTIONS
from ppsjournal.templates import packaged_dir
from tests.conftest import ok, one_line_error, run_cli

SESSIONS = "Sessions/2026"


def note(vault: Path, day: str, name: str = "Debbie Harper") -> Path:
    return vault / SESSIONS / f"{day} {name}.md"


def answer(vault: Path, day: str, number: int, text: str, name: str = "Debbie Harper") -> None:
    """Type ``text`` as the answer to question ``number``: at the end of its section."""
    path = note(vault, day, name)
    body = path.read_text(encoding="utf-8")
    start = re.search(rf"^## {number}\. ", body, re.M)
    assert start is not None
    following = re.compile(r"^## ", re.M).search(body, start.end())
    assert following is not None
    at = following.start()
    path.write_text(body[:at] + text + "\n\n" + body[at:], encoding="utf-8")


def week(vault: Path, day: str) -> None:
    ok(run_cli(vault, "week", today=day))


@pytest.fixture
def answered(vault: Path) -> Path:
    """Debbie Harper's first three sessions (12-04, 12-11, 12-18), answered in part."""
    ok(run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today="2026-11-27"))
    week(vault, "2026-12-04")
    answer(vault, "2026-12-04", 1, "Great start.\nHer team: Ana and Marco.")
    answer(vault, "2026-12-04", 3, "- A list of warrantable condo buildings.")
    answer(vault, "2026-12-04", 4, "Nobody.")
    week(vault, "2026-12-11")
    answer(vault, "2026-12-11", 1, "Better: the Saturday letters.")
    # Question 3 left as written: the hint, and last time's answer quoted.
    week(vault, "2026-12-18")
    return vault


def test_history_json_is_each_question_with_its_answers_newest_first(answered: Path):
    doc = json.loads(ok(run_cli(answered, "history", "Debbie Harper", "--json")).output)

    def a(day: str, text: str) -> dict:
        return {
            "date": day,
            "note": f"{day} Debbie Harper",
            "path": f"{SESSIONS}/{day} Debbie Harper.md",
            "text": text,
        }

    assert doc == {
        "partner": "Debbie Harper",
        "questions": [
            {
                "number": 1,
                "title": QUESTIONS[0][1],
                "answers": [
                    a("2026-12-11", "Better: the Saturday letters."),
                    a("2026-12-04", "Great start.\nHer team: Ana and Marco."),
                ],
            },
            {"number": 2, "title": QUESTIONS[1][1], "answers": []},
            {
                "number": 3,
                "title": QUESTIONS[2][1],
                # 12-11 and 12-18 hold only the hint and the quote: no answer.
                "answers": [a("2026-12-04", "- A list of warrantable condo buildings.")],
            },
            {"number": 4, "title": QUESTIONS[3][1], "answers": [a("2026-12-04", "Nobody.")]},
            {"number": 5, "title": QUESTIONS[4][1], "answers": []},
        ],
    }


def test_history_of_one_question_since_a_day(answered: Path):
    args = ["history", "debbie", "--question", "1", "--since", "2026-12-05", "--json"]
    doc = json.loads(ok(run_cli(answered, *args)).output)
    assert [q["number"] for q in doc["questions"]] == [1]
    assert [x["date"] for x in doc["questions"][0]["answers"]] == ["2026-12-11"]


def test_history_prints_dates_links_and_answers_without_hints(answered: Path):
    out = ok(run_cli(answered, "history", "Debbie Harper")).output
    assert "1. How are we doing together" in out
    assert "  2026-12-11  [[2026-12-11 Debbie Harper]]\n    Better: the Saturday letters.\n" in out
    assert "    Great start.\n    Her team: Ana and Marco.\n" in out
    assert "2. What can we do to produce more volume" in out and "(no answers)" in out
    assert "What could we do better?" not in out  # the hint is no answer
    assert "Last time" not in out  # nor the quote


def test_the_next_note_quotes_the_last_answer_to_questions_1_to_3(answered: Path):
    text = note(answered, "2026-12-18").read_text(encoding="utf-8")
    q1 = text.split("## 1. ")[1].split("## 2. ")[0]
    q2 = text.split("## 2. ")[1].split("## 3. ")[0]
    q3 = text.split("## 3. ")[1].split("## 4. ")[0]
    q4 = text.split("## 4. ")[1].split("## 5. ")[0]
    assert (
        "\n\n> [!quote]- Last time ([[2026-12-11 Debbie Harper|2026-12-11]])\n"
        "> Better: the Saturday letters.\n" in q1
    )
    assert "Great start" not in q1  # only the last one
    assert "Last time" not in q2  # never answered: nothing quoted
    # 12-11 left question 3 with only the quote: the answer quoted is still 12-04's.
    assert (
        "> [!quote]- Last time ([[2026-12-04 Debbie Harper|2026-12-04]])\n"
        "> - A list of warrantable condo buildings.\n" in q3
    )
    assert "Last time" not in q4  # questions 4 and 5 are about this week
    first = note(answered, "2026-12-04").read_text(encoding="utf-8")
    assert "Last time" not in first  # a partner's first note has nothing to remember


def test_a_task_in_a_quoted_answer_is_no_second_open_copy(vault: Path):
    ok(run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today="2026-11-27"))
    week(vault, "2026-12-04")
    answer(
        vault, "2026-12-04", 3, "The condo list:\n- [ ] Warrantable condo list #need 📅 2026-12-20"
    )
    week(vault, "2026-12-11")
    text = note(vault, "2026-12-11").read_text(encoding="utf-8")
    assert "> - \\[ ] Warrantable condo list #need 📅 2026-12-20\n" in text
    hits = json.loads(ok(run_cli(vault, "search", "warrantable", "--json")).output)
    tasks = [(h["path"], h["status"]) for h in hits if h["kind"] == "follow-up"]
    assert tasks == [(f"{SESSIONS}/2026-12-11 Debbie Harper.md", "open")]  # the carried copy
    partners = json.loads(ok(run_cli(vault, "partners", "--json", today="2026-12-11")).output)
    assert partners["partners"][0]["open_followups"] == 1


def test_a_user_template_may_show_the_last_answers_its_own_way(vault: Path):
    ok(run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today="2026-11-27"))
    week(vault, "2026-12-04")
    answer(vault, "2026-12-04", 5, "Sam Lee, Saturday.")
    (vault / "Templates").mkdir(exist_ok=True)
    (vault / "Templates" / "session.md.j2").write_text(
        "## 5. Showings\n"
        "{% if last_answers[5] %}Last: {{ last_answers[5].date }} {{ last_answers[5].link }}: "
        "{{ last_answers[5].text }}{% endif %}\n",
        encoding="utf-8",
    )
    week(vault, "2026-12-11")
    text = note(vault, "2026-12-11").read_text(encoding="utf-8")
    assert text.endswith("Last: 2026-12-04 [[2026-12-04 Debbie Harper]]: Sam Lee, Saturday.")


def test_search_finds_answers_and_follow_ups_never_hints_or_quotes(answered: Path):
    (answered / "Partners" / "Debbie Harper.md").open("a", encoding="utf-8").write(
        "\n- [ ] Better coffee for the Saturday open house 📅 2026-12-19\n"
    )
    out = ok(run_cli(answered, "search", "better")).output.splitlines()
    # Not the hint "What could we do better?" of every note, nor 12-18's quote.
    assert out[0].startswith("2026-12-11  Debbie Harper  [[2026-12-11 Debbie Harper]] q1  Better")
    assert out[1].startswith("----------  Debbie Harper  [[Debbie Harper]]:")
    assert "Better coffee" in out[1]
    assert out[2:] == ["2 hits"]
    hits = json.loads(ok(run_cli(answered, "search", "SATURDAY", "--json")).output)
    assert [(h["kind"], h["date"], h["question"]) for h in hits] == [
        ("answer", "2026-12-11", 1),
        ("follow-up", None, None),
    ]
    assert hits[0]["note"] == "2026-12-11 Debbie Harper" and hits[0]["partner"] == "Debbie Harper"
    assert "Nothing found" not in ok(run_cli(answered, "search", "warrantable condo")).output


def test_search_finds_follow_ups_in_any_case_open_or_done(answered: Path):
    with note(answered, "2026-12-11").open("a", encoding="utf-8") as f:
        f.write("- [ ] Ask Frau Straße about the KÖLN duplex 📅 2026-12-18\n")
    with (answered / "Partners" / "Debbie Harper.md").open("a", encoding="utf-8") as f:
        f.write("\n- [x] Sent the Köln flyer ✅ 2026-12-04\n")
    hits = json.loads(ok(run_cli(answered, "search", "köln", "--json")).output)
    assert [(h["date"], h["partner"], h["note"], h["status"]) for h in hits] == [
        ("2026-12-11", "Debbie Harper", "2026-12-11 Debbie Harper", "open"),
        (None, "Debbie Harper", "Debbie Harper", "done"),
    ]
    assert hits[1]["text"] == "- [x] Sent the Köln flyer ✅ 2026-12-04"
    (hit,) = json.loads(ok(run_cli(answered, "search", "STRASSE köln", "--json")).output)
    assert hit["line"] == len(note(answered, "2026-12-11").read_text("utf-8").splitlines())
    assert hit["snippet"] == "[ ] Ask Frau Straße about the KÖLN duplex 📅 2026-12-18"


def test_search_for_one_partner(answered: Path):
    ok(run_cli(answered, "add", "Tom Okafor", "--at", "15:20", today="2026-11-27"))
    week(answered, "2026-12-25")
    answer(answered, "2026-12-25", 1, "Great start with Tom.", name="Tom Okafor")
    everyone = json.loads(ok(run_cli(answered, "search", "great start", "--json")).output)
    assert {h["partner"] for h in everyone} == {"Debbie Harper", "Tom Okafor"}
    tom = json.loads(ok(run_cli(answered, "search", "great", "--partner", "tom", "--json")).output)
    assert [(h["partner"], h["date"]) for h in tom] == [("Tom Okafor", "2026-12-25")]
    assert ok(run_cli(answered, "search", "zebra")).output == "nothing found for 'zebra'\n"


def test_search_without_full_text_search_finds_the_same(
    answered: Path, monkeypatch: pytest.MonkeyPatch
):
    with_fts = ok(run_cli(answered, "search", "saturday", "--json")).output
    assert json.loads(with_fts)
    # A SQLite built without FTS5 cannot make the table: the search reads the text.
    other = answered.parent / "other"
    other.mkdir()
    for path in answered.rglob("*"):
        if path.is_file() and ".ppsj" not in path.parts:
            target = other / path.relative_to(answered)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    monkeypatch.setattr(store, "_FTS", "CREATE VIRTUAL TABLE sections_fts USING no_such_module(x)")
    assert ok(run_cli(other, "search", "saturday", "--json")).output == with_fts
    db = sqlite3.connect(other / ".ppsj" / "index.sqlite3")
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'sections_fts'").fetchall() == []
    db.close()


def test_history_and_search_write_nothing_but_the_index(answered: Path):
    def files() -> dict[str, bytes]:
        return {
            p.relative_to(answered).as_posix(): p.read_bytes()
            for p in sorted(answered.rglob("*"))
            if p.is_file() and ".ppsj" not in p.relative_to(answered).parts
        }

    before = files()
    ok(run_cli(answered, "history", "Debbie Harper", "--json"))
    ok(run_cli(answered, "history", "Debbie Harper"))
    ok(run_cli(answered, "search", "saturday"))
    ok(run_cli(answered, "search", "saturday", "--json"))
    assert files() == before


def test_bad_input_is_one_line(answered: Path):
    assert "no partner" in one_line_error(run_cli(answered, "history", "Nobody")).lower()
    assert "--question" in one_line_error(run_cli(answered, "history", "deb", "--question", "6"), 2)
    assert "--since" in one_line_error(run_cli(answered, "history", "deb", "--since", "x"), 2)
    assert "TEXT" in one_line_error(run_cli(answered, "search", "  "), 2)
    pasted = " ".join(f"word{n}" for n in range(3000))  # no internal error of SQLite's
    line = one_line_error(run_cli(answered, "search", pasted), 2)
    assert line == "ppsj: TEXT: at most 100 words to search for, got 3000"
    assert ok(run_cli(answered, "search", " ".join(["great"] * 100))).output.endswith("1 hit\n")
    assert (
        "no partner" in one_line_error(run_cli(answered, "search", "a", "--partner", "X")).lower()
    )


def test_an_unreadable_note_is_named_and_the_exit_status_is_3(answered: Path):
    note(answered, "2026-12-25").write_text("---\ntype: session\ndate: [\n---\n", encoding="utf-8")
    result = run_cli(answered, "history", "Debbie Harper", "--json")
    assert result.exit_code == 3
    assert "2026-12-25 Debbie Harper.md" in result.stderr
    assert json.loads(result.stdout)["questions"][0]["answers"]
    assert run_cli(answered, "search", "saturday").exit_code == 3


def test_the_packaged_template_heads_each_question_as_the_history_titles_it():
    text = (packaged_dir() / "session.md.j2").read_text(encoding="utf-8")
    for number, title in QUESTIONS:
        assert f"\n## {number}. {title}\n" in text


def test_an_answer_edited_after_a_search_is_read_again(answered: Path):
    assert json.loads(ok(run_cli(answered, "search", "bungalow", "--json")).output) == []
    ok(run_cli(answered, "history", "Debbie Harper", "--json"))
    answer(answered, "2026-12-18", 2, "They won the bungalow on Wolcott.")
    hits = json.loads(ok(run_cli(answered, "search", "bungalow", "--json")).output)
    assert [(h["date"], h["question"]) for h in hits] == [("2026-12-18", 2)]
    doc = json.loads(ok(run_cli(answered, "history", "deb", "--question", "2", "--json")).output)
    assert [a["text"] for a in doc["questions"][0]["answers"]] == [
        "They won the bungalow on Wolcott."
    ]


def test_search_shows_the_first_50_hits_then_says_how_many_more(vault: Path):
    ok(run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today="2026-11-27"))
    lines = "".join(
        f"- [ ] Call buyer {n} about the condo 📅 2026-12-{n % 28 + 1:02d}\n" for n in range(60)
    )
    with (vault / "Partners" / "Debbie Harper.md").open("a", encoding="utf-8") as fh:
        fh.write("\n" + lines)
    out = ok(run_cli(vault, "search", "condo")).output.splitlines()
    assert len(out) == 51
    assert out[-1] == "50 of 60 hits; 10 more: use --limit N (0 for all)"
    assert out[0].endswith("Call buyer 0 about the condo 📅 2026-12-01")
    out = ok(run_cli(vault, "search", "condo", "--limit", "3")).output.splitlines()
    assert len(out) == 4 and out[-1] == "3 of 60 hits; 57 more: use --limit N (0 for all)"
    out = ok(run_cli(vault, "search", "condo", "--limit", "0")).output.splitlines()
    assert len(out) == 61 and out[-1] == "60 hits"
    result = run_cli(vault, "search", "condo", "--json", "--limit", "5")
    assert [h["line"] for h in json.loads(ok(result).stdout)] == [28, 29, 30, 31, 32]
    assert result.stderr == "ppsj: 5 of 60 hits; 55 more: use --limit N (0 for all)\n"
    assert (
        len(json.loads(ok(run_cli(vault, "search", "condo", "--json", "--limit", "0")).stdout))
        == 60
    )
    assert "--limit" in one_line_error(run_cli(vault, "search", "condo", "--limit", "-1"), 2)


def test_a_subheading_in_an_answer_is_part_of_it(vault: Path):
    ok(run_cli(vault, "add", "Debbie Harper", "--at", "14:40", today="2026-11-27"))
    week(vault, "2026-12-04")
    answer(
        vault, "2026-12-04", 1, "Great start.\n### Her team\nAna and Marco.\n#### 2. Marco\nNew."
    )
    answer(vault, "2026-12-04", 2, "More open houses.")
    doc = json.loads(ok(run_cli(vault, "history", "Debbie", "--json")).output)
    texts = {q["number"]: [a["text"] for a in q["answers"]] for q in doc["questions"]}
    assert texts[1] == ["Great start.\n### Her team\nAna and Marco.\n#### 2. Marco\nNew."]
    assert texts[2] == ["More open houses."]  # not the "2. Marco" under question 1
    week(vault, "2026-12-11")
    text = note(vault, "2026-12-11").read_text(encoding="utf-8")
    assert "> ### Her team\n> Ana and Marco.\n> #### 2. Marco\n> New.\n" in text


def test_a_since_without_a_year_is_the_last_such_day(answered: Path):
    # On 12-18, "12/11" is 2026-12-11, not 2027-12-11 (which would show nothing).
    result = ok(
        run_cli(answered, "history", "Debbie", "--since", "12/11", "--json", today="2026-12-18")
    )
    assert [a["date"] for a in json.loads(result.output)["questions"][0]["answers"]] == [
        "2026-12-11"
    ]
    result = ok(run_cli(answered, "history", "Debbie", "--since", "Dec 18", today="2026-12-18"))
    assert result.output.startswith("Debbie Harper: answers, newest first, since 2026-12-18\n")


def test_search_ignores_accents_in_follow_ups_and_without_fts(
    answered: Path, monkeypatch: pytest.MonkeyPatch
):
    answer(answered, "2026-12-18", 2, "Coffee at the Café Jalisco.")
    with (answered / "Partners" / "Debbie Harper.md").open("a", encoding="utf-8") as fh:
        fh.write("\n- [ ] Send the español flyer to José 📅 2026-12-21\n")
    for typed in ("espanol", "ESPAÑOL", "jose español"):
        hits = json.loads(ok(run_cli(answered, "search", typed, "--json")).output)
        assert [(h["kind"], h["note"]) for h in hits] == [("follow-up", "Debbie Harper")], typed
    # The snippet is cut around the word found, accents or not.
    with (answered / "Partners" / "Debbie Harper.md").open("a", encoding="utf-8") as fh:
        fh.write(
            "- [ ] "
            + "Call the lender about the rate lock first, " * 3
            + "then Núñez 📅 2026-12-22\n"
        )
    hits = json.loads(ok(run_cli(answered, "search", "nunez", "--json")).output)
    assert [h["snippet"][-30:] for h in hits] == ["first, then Núñez 📅 2026-12-22"]
    with_fts = ok(run_cli(answered, "search", "cafe", "--json")).output
    assert [h["question"] for h in json.loads(with_fts)] == [2]
    monkeypatch.setattr(store, "_FTS", "CREATE VIRTUAL TABLE sections_fts USING no_such_module(x)")
    other = answered.parent / "other"
    other.mkdir()
    for path in answered.rglob("*"):
        if path.is_file() and ".ppsj" not in path.parts:
            target = other / path.relative_to(answered)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert ok(run_cli(other, "search", "cafe", "--json")).output == with_fts
