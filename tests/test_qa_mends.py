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
