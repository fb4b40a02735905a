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
