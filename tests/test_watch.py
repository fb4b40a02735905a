"""ppsj watch, run as a user runs it: a subprocess whose log lines we read."""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from ppsjournal.errors import PpsjError
from ppsjournal.vault import Vault
from ppsjournal.watch import MAX_WAIT, Batch, Watcher, add_event, classify, start_observer

WAIT = 60.0  # generous: the machine is shared; waits end on the line, not the clock

PARTNER = (
    "---\ntype: partner\nstatus: prospect\nemail: debbie@sunrise.example\n---\n"
    "- [ ] Send the buyer guide #need 📅 2026-11-20\n"
)
SESSION = "Sessions/2026/2026-11-20 Debbie Harper.md"
SESSION_NOTE = (
    '---\ntype: session\npartner: "[[Debbie Harper]]"\ndate: 2026-11-20\ntime: "14:40"\n'
    "status: held\n---\n## Follow-ups\n- [ ] Send the recap #need 📅 2026-11-28\n"
)
NEW_TASK = "- [ ] Bring the rate sheet #need 📅 2026-11-30\n"


class Watch:
    def __init__(self, vault: Path, *extra: str, debounce: str = "0.05") -> None:
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
                debounce,
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


def test_a_reader_polling_followups_does_not_hold_back_a_rebuild(vault: Path):
    """An editor's preview or a sync tool reading Follow-ups.md every 50 ms: its
    reads are events too, and they must not keep postponing the rebuild."""
    (vault / "Partners" / "Debbie Harper.md").write_text(PARTNER, encoding="utf-8")
    (vault / SESSION).parent.mkdir(parents=True, exist_ok=True)
    (vault / SESSION).write_text(SESSION_NOTE, encoding="utf-8")
    w = Watch(vault, debounce="0.25")  # the default quiet time, longer than the reads' gaps
    try:
        w.expect(r"built: ")
        seen: list[float] = []

        def read() -> None:
            started = time.monotonic()
            while time.monotonic() - started < 4.0:
                if "Bring the rate sheet" in w.followups():
                    seen.append(time.monotonic())
                    return
                time.sleep(0.05)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(0.3)  # the reads are under way before the edit
        with open(vault / SESSION, "a", encoding="utf-8") as fh:
            fh.write(NEW_TASK)
        appended = time.monotonic()
        reader.join()
        assert seen, f"the new task never reached Follow-ups.md; log: {w.seen}"
        assert seen[0] - appended < 3.0
        assert w.stop(signal.SIGTERM) == 0
    finally:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()


# -- the watcher's loop, fed events as watchdog's thread feeds them -----------------


class Log:
    """The watcher's log and warn lines, each with the (monotonic) time it came."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, str]] = []
        self.changed = threading.Condition()

    def __call__(self, line: str) -> None:
        with self.changed:
            self.lines.append((time.monotonic(), line))
            self.changed.notify_all()

    def when(self, pattern: str) -> float | None:
        """When the first line matching ``pattern`` came; None if none has."""
        with self.changed:
            return next((t for t, line in self.lines if re.search(pattern, line)), None)

    def wait_for(self, pattern: str, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.when(pattern) is not None, timeout)


@pytest.fixture
def watcher(vault: Path):
    """A Watcher on a vault with one partner and one session note, its first build done."""
    (vault / "Partners" / "Debbie Harper.md").write_text(PARTNER, encoding="utf-8")
    (vault / SESSION).parent.mkdir(parents=True, exist_ok=True)
    (vault / SESSION).write_text(SESSION_NOTE, encoding="utf-8")
    log = Log()
    w = Watcher(Vault.open(vault), lambda: dt.date(2026, 11, 27), day_fixed=True, log=log, warn=log)
    w.rebuild(Batch(full_scan=True), "start")
    assert log.when(r"built: 2 notes")
    yield w
    w.builder.close()


def event(w: Watcher, event_type: str, rel: str) -> SimpleNamespace:
    """A watchdog event (what on_event reads of one) on a vault-relative path."""
    path = str(w.vault.root / rel)
    return SimpleNamespace(event_type=event_type, src_path=path, is_directory=False)


def run_loop(w: Watcher, feed: Callable[[], None]) -> None:
    """Run the watcher's loop in this thread (as ``ppsj watch`` does) while ``feed``
    sends it events from another (as watchdog does); stop it when ``feed`` returns."""

    def feeding() -> None:
        try:
            feed()
        finally:
            w.stop()

    thread = threading.Thread(target=feeding, daemon=True)
    thread.start()
    try:
        w._loop()
    finally:
        thread.join(10)


def add_task(w: Watcher) -> None:
    with open(w.vault.root / SESSION, "a", encoding="utf-8") as fh:
        fh.write(NEW_TASK)


def keep_sending(w: Watcher, events: list[SimpleNamespace], every: float, until: float) -> None:
    """Send ``events`` over and over, one every ``every`` seconds, until a rebuild is
    logged or ``until`` seconds have passed."""
    started = time.monotonic()
    for e in itertools.cycle(events):
        if w.log.wait_for(r"rebuilt: ", every) or time.monotonic() - started > until:
            return
        w.on_event(e)


def test_reads_and_ignored_paths_do_not_postpone_a_rebuild(
    watcher: Watcher, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("ppsjournal.watch.MAX_WAIT", 30.0)  # not the cap: the noise is ignored
    sent: list[float] = []
    noise = [
        event(watcher, "opened", "Follow-ups.md"),
        event(watcher, "closed_no_write", "Follow-ups.md"),
        event(watcher, "modified", ".git/x"),
        event(watcher, "created", "Calendar/PPS.ics"),
        event(watcher, "opened", SESSION),  # a note read, not written
        event(watcher, "closed_no_write", SESSION),
    ]

    def feed() -> None:
        add_task(watcher)
        sent.append(time.monotonic())
        watcher.on_event(event(watcher, "modified", SESSION))
        keep_sending(watcher, noise, every=0.03, until=3.0)

    run_loop(watcher, feed)
    rebuilt = watcher.log.when(rf"rebuilt: changed {re.escape(SESSION)}; wrote Follow-ups\.md")
    assert rebuilt is not None, watcher.log.lines
    assert rebuilt - sent[0] < 1.5
    assert "Bring the rate sheet" in (watcher.vault.root / "Follow-ups.md").read_text("utf-8")


def test_a_vault_that_never_goes_quiet_is_still_built(watcher: Watcher):
    """A relevant event every 100 ms, faster than the debounce: the batch is built
    once MAX_WAIT has passed since its first event, not never."""
    assert watcher.debounce == 0.25
    sent: list[float] = []

    def feed() -> None:
        add_task(watcher)
        sent.append(time.monotonic())
        modified = event(watcher, "modified", SESSION)
        watcher.on_event(modified)
        keep_sending(watcher, [modified], every=0.1, until=3.0)

    run_loop(watcher, feed)
    rebuilt = watcher.log.when(rf"rebuilt: changed {re.escape(SESSION)}")
    assert rebuilt is not None, watcher.log.lines
    assert rebuilt - sent[0] < MAX_WAIT + watcher.debounce  # the cap, then the build itself


def test_an_error_in_one_rebuild_is_reported_and_the_watcher_goes_on(
    watcher: Watcher, monkeypatch: pytest.MonkeyPatch
):
    real = watcher.builder.build
    calls: list[int] = []

    def broken_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(watcher.builder, "build", broken_once)

    def feed() -> None:
        add_task(watcher)
        watcher.on_event(event(watcher, "modified", SESSION))
        if not watcher.log.wait_for(r"internal error", 5):
            return
        watcher.on_event(event(watcher, "modified", SESSION))  # the next save
        watcher.log.wait_for(r"rebuilt: ", 5)

    run_loop(watcher, feed)
    lines = [line for _, line in watcher.log.lines]
    assert "ppsj: internal error in a rebuild: RuntimeError: a bug" in lines, lines
    assert watcher.log.when(rf"rebuilt: changed {re.escape(SESSION)}; wrote Follow-ups\.md")
    assert "Bring the rate sheet" in (watcher.vault.root / "Follow-ups.md").read_text("utf-8")
    assert len(calls) == 2


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


def test_only_an_event_that_can_change_an_output_counts():
    """add_event says whether the event matters: only such an event wakes the watcher."""
    batch = Batch()
    for event_type, is_dir, rel in [
        ("opened", False, "Follow-ups.md"),
        ("closed_no_write", False, "Follow-ups.md"),
        ("opened", False, "Partners/A.md"),  # a note read, not written
        ("modified", False, "Follow-ups.md"),
        ("modified", False, "Calendar/PPS.ics"),
        ("created", False, ".git/x"),
        ("modified", False, "notes.txt"),
        ("modified", True, "Partners"),
    ]:
        assert add_event(batch, event_type, is_dir, [rel]) is False, (event_type, rel)
    assert not batch
    assert add_event(batch, "modified", False, ["Partners/A.md"]) is True
    assert add_event(batch, "closed", False, ["Partners/A.md"]) is True  # a save ending
    assert add_event(batch, "modified", False, ["ppsj.toml"]) is True
    assert add_event(batch, "created", False, ["Templates/follow-ups.md.j2"]) is True
    assert add_event(batch, "deleted", True, ["Leads"]) is True


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


def test_a_change_another_ppsj_read_first_is_still_built(watcher: Watcher):
    """`ppsj add` (or any read command) refreshes the store before the watcher's
    debounce ends: the watcher's own refresh then finds nothing new, but the
    outputs are behind the store and are written."""
    from conftest import ok, run_cli

    vault = watcher.vault.root
    ok(run_cli(vault, "add", "Kim Doe", "--at", "15:00"))
    ok(run_cli(vault, "partners"))  # reads the change into the store first
    watcher.rebuild(Batch(notes={"Partners/Kim Doe.md"}), "change")
    assert b"Kim Doe" in (vault / "Calendar" / "PPS.ics").read_bytes()
    assert (vault / "Calendar" / "Kim Doe.ics").exists()
    assert watcher.log.when(r"rebuilt: .*Calendar/Kim Doe\.ics"), watcher.log.lines
