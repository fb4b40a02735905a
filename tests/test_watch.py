"""ppsj watch, run as a user runs it: a subprocess whose log lines we read."""

from __future__ import annotations

import errno
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ppsjournal.errors import PpsjError
from ppsjournal.watch import Batch, add_event, classify, start_observer

WAIT = 60.0  # generous: the machine is shared; waits end on the line, not the clock

PARTNER = (
    "---\ntype: partner\nstatus: prospect\nemail: debbie@sunrise.example\n---\n"
    "- [ ] Send the buyer guide #need 📅 2026-11-20\n"
)


class Watch:
    def __init__(self, vault: Path, *extra: str) -> None:
        self.vault = vault
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ppsjournal",
                "--vault",
                str(vault),
                "--today",
                "2026-11-27",
                "watch",
                "--debounce",
                "0.05",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, pattern: str) -> str:
        """The next line matching ``pattern``; every line read on the way is kept in seen."""
        rx = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no line like {pattern!r}; saw {self.seen}") from None
            if line is None:
                raise AssertionError(f"watch ended before {pattern!r}; saw {self.seen}")
            self.seen.append(line)
            if rx.search(line):
                return line

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=WAIT)

    def followups(self) -> str:
        return (self.vault / "Follow-ups.md").read_text(encoding="utf-8")


@pytest.fixture
def watch(vault: Path):
    (vault / "Partners" / "Debbie Harper.md").write_text(PARTNER, encoding="utf-8")
    w = Watch(vault)
    yield w
    if w.proc.poll() is None:
        w.proc.kill()
        w.proc.wait()


def test_edits_saves_deletes_and_a_broken_note(watch: Watch, vault: Path):
    watch.expect(r"built: 1 note; wrote .*Follow-ups\.md")
    assert "Send the buyer guide" in watch.followups()
    note = vault / "Partners" / "Debbie Harper.md"

    # an append, as an editor that writes in place
    with open(note, "a", encoding="utf-8") as fh:
        fh.write("- [ ] Call the Lees #lead 📅 2026-11-21\n")
    watch.expect(r"rebuilt: changed Partners/Debbie Harper\.md; wrote Follow-ups\.md")
    assert "Call the Lees" in watch.followups()

    # an atomic save: a temp file renamed over the note (vim, Obsidian)
    tmp = vault / "Partners" / ".Debbie Harper.md.tmp"
    tmp.write_text(PARTNER.replace("buyer guide", "seller guide"), encoding="utf-8")
    os.replace(tmp, note)
    watch.expect(r"rebuilt: changed Partners/Debbie Harper\.md")
    assert "seller guide" in watch.followups() and "Call the Lees" not in watch.followups()

    # a broken note is named with its line and skipped; the watcher keeps going
    bad = vault / "Leads" / "Sam Lee.md"
    bad.write_text("---\ntype: lead\npartner: [\n---\n", encoding="utf-8")
    watch.expect(r"Leads/Sam Lee\.md:\d+: front-matter is not valid YAML")
    watch.expect(r"rebuilt: added Leads/Sam Lee\.md.*1 problem")
    bad.write_text(
        '---\ntype: lead\npartner: "[[Debbie Harper]]"\nsource: referral\nstage: new\n'
        "created: 2026-11-20\n---\n- [ ] First call #lead 📅 2026-11-22\n",
        encoding="utf-8",
    )
    fixed = watch.expect(r"rebuilt: changed Leads/Sam Lee\.md")
    assert "problem" not in fixed
    assert "First call" in watch.followups()

    # a delete
    bad.unlink()
    watch.expect(r"rebuilt: removed Leads/Sam Lee\.md")
    assert "First call" not in watch.followups()

    # a rename (Obsidian renaming a note)
    os.rename(note, vault / "Partners" / "Debbie H.md")
    watch.expect(r"rebuilt: .*Partners/Debbie H\.md")

    assert watch.stop(signal.SIGINT) == 0
    watch.expect(r"stopped")


def test_no_rebuild_on_its_own_outputs_or_ignored_files(watch: Watch, vault: Path):
    watch.expect(r"built: ")
    # Touch everything the watcher must ignore, then one real change: the next
    # rebuild line must be that change's, with no rebuild in between.
    (vault / "Follow-ups.md").write_text("edited by hand\n", encoding="utf-8")
    (vault / "Calendar" / "PPS.ics").write_bytes(b"x")
    (vault / ".git").mkdir()
    (vault / ".git" / "index").write_bytes(b"x")
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "workspace.json").write_text("{}")
    (vault / "Partners" / ".Debbie Harper.md.swp").write_bytes(b"x")
    (vault / "Partners" / "Debbie Harper.md~").write_bytes(b"x")
    (vault / "notes.txt").write_text("not a note")
    sentinel = vault / "Partners" / "Sentinel.md"
    sentinel.write_text("---\ntype: partner\nstatus: prospect\n---\n", encoding="utf-8")
    line = watch.expect(r"rebuilt: ")
    assert "Sentinel.md" in line, watch.seen
    assert [s for s in watch.seen if "rebuilt" in s] == [line]
    # its own writes (Follow-ups.md rewritten just now) do not start another:
    # a second sentinel is again the very next rebuild.
    (vault / "Partners" / "Sentinel 2.md").write_text(
        "---\ntype: partner\nstatus: prospect\n---\n", encoding="utf-8"
    )
    line2 = watch.expect(r"rebuilt: ")
    assert "Sentinel 2.md" in line2, watch.seen
    assert watch.stop(signal.SIGTERM) == 0


def test_polling_observer_sees_a_change(vault: Path):
    (vault / "Partners" / "Debbie Harper.md").write_text(PARTNER, encoding="utf-8")
    w = Watch(vault, "--polling")
    try:
        w.expect(r"built: ")
        (vault / "Partners" / "New.md").write_text(
            "---\ntype: partner\nstatus: prospect\n---\n- [ ] Polled #need 📅 2026-11-01\n",
            encoding="utf-8",
        )
        w.expect(r"rebuilt: added Partners/New\.md")
        assert "Polled" in w.followups()
        assert w.stop(signal.SIGTERM) == 0
    finally:
        if w.proc.poll() is None:
            w.proc.kill()


# -- the pure parts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("Partners/Debbie Harper.md", "note"),
        ("Sessions/2026/2026-12-04 Debbie Harper.md", "note"),
        ("ppsj.toml", "settings"),
        ("Templates/follow-ups.md.j2", "template"),
        ("Follow-ups.md", None),
        ("Calendar/PPS.ics", None),
        (".git/index", None),
        (".obsidian/workspace.json", None),
        (".ppsj/index-cache.json", None),
        ("Partners/.Debbie Harper.md.swp", None),
        ("Partners/Debbie Harper.md~", None),
        ("Partners/4913", None),
        ("Partners/.ppsj-abc.tmp", None),
        ("Partners/.#Debbie Harper.md", None),
        ("notes.txt", None),
    ],
)
def test_classify(rel: str, kind: str | None):
    assert classify(rel) == kind


def test_a_large_batch_or_a_folder_event_means_a_full_scan():
    batch = Batch()
    add_event(batch, "modified", True, ["Sessions/2026"])
    assert not batch.full_scan  # a folder's "modified" only echoes a change inside
    add_event(batch, "moved", True, ["Sessions/2026", "Sessions/2027"])
    assert batch.full_scan
    batch = Batch()
    add_event(batch, "opened", False, ["Partners/A.md"])
    assert not batch  # our own reads
    for i in range(300):
        add_event(batch, "modified", False, [f"Sessions/2026/{i}.md"])
    assert batch.full_scan


def test_a_note_whose_name_is_not_utf8_is_left_to_a_full_scan():
    batch = Batch()
    add_event(batch, "created", False, [os.fsdecode(b"Partners/Caf\xe9.md")])
    assert batch.full_scan and not batch.notes  # the scan names it and leaves it out
    batch = Batch()
    add_event(batch, "created", False, ["Partners/Café.md"])
    assert batch.notes == {"Partners/Café.md"} and not batch.full_scan


def test_the_inotify_watch_limit_is_a_clear_message():
    class Full:
        def start(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(PpsjError) as err:
        start_observer(Full())
    assert "--polling" in str(err.value) and "max_user_watches" in str(err.value)


STOP_WHILE_WAKE_IS_LOCKED = """
import datetime as dt, sys
from pathlib import Path
from ppsjournal.vault import Vault
from ppsjournal.watch import Watcher

w = Watcher(Vault.open(Path(sys.argv[1])), lambda: dt.date(2026, 11, 27), day_fixed=True)
# The instant a signal lands while the main thread is inside wake.clear() or
# wake.wait()'s bookkeeping: it holds the event's (not re-entrant) lock, and
# the handler runs in that same thread.
with w.wake._cond:
    w.stop()
assert w.stopping.wait(10) and w.wake.wait(10)
print("stopped")
"""


def test_a_signal_while_the_main_thread_holds_the_wake_lock_still_stops(vault: Path):
    result = subprocess.run(
        [sys.executable, "-c", STOP_WHILE_WAKE_IS_LOCKED, str(vault)],
        capture_output=True,
        text=True,
        timeout=30,  # the hang this guards against would never end
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "stopped", result.stderr
