"""Bad-input gaps found by a QA pass of `ppsj`, each checked through the CLI."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan", "inf"])
def test_watch_refuses_a_debounce_that_is_not_a_finite_number(ppsj, monkeypatch, value):
    import ppsjournal.watch

    started = []
    # Were the value accepted, the watcher would start: record it instead of blocking.
    monkeypatch.setattr(ppsjournal.watch.Watcher, "run", lambda self: started.append(self))
    result = ppsj("watch", "--debounce", value)
    assert result.exit_code == 2, result.output
    assert "--debounce" in result.output
    assert not started


@pytest.mark.parametrize("tail", [" ", "\t", "  \t", " \r"])
def test_front_matter_fences_may_end_in_blanks_as_python_frontmatter_reads_them(vault, ppsj, tail):
    import json

    import frontmatter

    text = (
        f"---{tail}\ntype: partner\nemail: debbie@sunrise.example\nstatus: active\n---{tail}\n"
        "Body\n- [ ] Send the buyer guide #commitment 📅 2026-11-20\n"
    )
    note = vault / "Partners" / "Debbie Harper.md"
    note.write_bytes(text.encode("utf-8"))
    # The peer reads these fences as front-matter; ppsj must read the same keys.
    assert frontmatter.loads(text).metadata["status"] == "active"

    result = ppsj("partners", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["problems"] == []
    [row] = doc["partners"]
    assert (row["name"], row["status"], row["overdue"]) == ("Debbie Harper", "active", 1)

    # Editing finds the same fences: only the status line changes.
    assert ppsj("pause", "Debbie Harper").exit_code == 0
    edited = note.read_bytes().decode("utf-8")
    assert "status: paused\n" in edited
    assert edited.startswith(f"---{tail}\n")
    assert f"\n---{tail}\nBody\n- [ ] Send the buyer guide" in edited


def test_control_characters_from_notes_reach_follow_ups_as_replacement_characters(vault, ppsj):
    import re

    from conftest import write_note

    write_note(
        vault,
        "Partners/Debbie Harper.md",
        "---\ntype: partner\nstatus: active\n---\n"
        "- [ ] Call \x1b[31mthe Lees\x1b[0m, C1 \x9b and DEL \x7f here\u2028too 📅 2026-11-20\n",
    )
    # YAML's escapes put an OSC sequence and a newline into the lead's partner name.
    write_note(
        vault,
        "Leads/Sam Lee.md",
        '---\ntype: lead\npartner: "[[Deb\\e]2;pwned\\aby\\nName]]"\nsource: referral\n'
        "stage: new\ncreated: 2026-11-01\n---\n",
    )
    assert ppsj("build").exit_code == 0
    text = (vault / "Follow-ups.md").read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", text)
    [task] = [line for line in text.splitlines() if "Call" in line]
    # (U+2028 is whitespace: a description's runs of it are one space)
    assert task.endswith(": Call \ufffd[31mthe Lees\ufffd[0m, C1 \ufffd and DEL \ufffd here too")
    [lead] = [line for line in text.splitlines() if "[[Sam Lee]]" in line]
    assert "[[Deb\ufffd]2;pwned\ufffdby\ufffdName]]" in lead
    assert lead.endswith("make the first call")
    # The same vault, the same bytes.
    assert ppsj("build", "--check").exit_code == 0
