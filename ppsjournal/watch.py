"""``ppsj watch``: keep the outputs right while the notes are edited.

The watcher only decides WHEN to build (as mkdocs serve does); what it builds
is ``build.build``, exactly as ``ppsj build`` does; with ``publish``, a build
that changed a calendar is followed by ``app.publish``, as ``ppsj publish``
does (a failed one is tried again after the next rebuild). It keeps the index cache
in memory and, on each batch of events, re-reads only the notes whose stat
changed; the entries the outputs read stay decoded between rebuilds, the
others stay undecoded cache lines (see ``sources.py``).

Events are hints, not the truth. Editors save in several steps (truncate then
write, or write a temp file and rename it over the note), so a batch is taken
after ``debounce`` seconds of quiet and the notes it names are stat'ed again.
Only an event that can change an output wakes the watcher or extends the
quiet: reads (a preview or a sync tool opening Follow-ups.md every 50 ms) and
events on ignored paths do not. And a vault that is never quiet is still
built, ``MAX_WAIT`` after a batch's first event.
A large batch (a ``git checkout``, a pull) or any folder event triggers a full
stat scan instead, because inotify's queue may have overflowed and watchdog
drops that overflow event silently. Hidden folders (.git/, .obsidian/, .ppsj/),
hidden and temp files, and the outputs themselves are ignored, so the
watcher's own writes never trigger it again.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ppsjournal.app import Builder, BuildResult, publish
from ppsjournal.errors import PpsjError
from ppsjournal.index import Problem
from ppsjournal.layout import CALENDAR, FOLLOWUPS, TEMPLATES
from ppsjournal.names import is_utf8
from ppsjournal.output import one_line
from ppsjournal.settings import CONFIG_NAME

if TYPE_CHECKING:
    from ppsjournal.store import Changes
    from ppsjournal.vault import Vault

DEBOUNCE = 0.25  # seconds of quiet before building, as mkdocs waits
# At most this long from a batch's first event to its build (unless the
# debounce asked for is longer): a note saved every 100 ms by a script or a
# sync tool must not postpone the outputs forever.
MAX_WAIT = 1.0
FULL_SCAN_AFTER = 200  # more paths than this in one batch: scan everything
TEMP_SUFFIXES = (".tmp", ".swp", ".swx", ".swo", "~", ".bak", ".part", ".crdownload")


# -- which events matter (pure) ----------------------------------------------------


@dataclass
class Batch:
    """What a burst of events asks for."""

    notes: set[str] = field(default_factory=set)
    full_scan: bool = False  # a folder changed, or too many events to trust
    settings: bool = False  # ppsj.toml changed
    templates: bool = False  # a template changed: outputs may differ with no note changed

    def __bool__(self) -> bool:
        return bool(self.notes or self.full_scan or self.settings or self.templates)


def classify(rel: str) -> str | None:
    """What a changed vault-relative path is: "note", "settings", "template", or None (ignore)."""
    parts = rel.split("/")
    if not rel or rel.startswith("..") or any(p.startswith((".", "#")) for p in parts):
        return None  # .git/, .obsidian/, .ppsj/, .trash/, hidden and lock files (.#x)
    name = parts[-1]
    if name.endswith(TEMP_SUFFIXES) or name == "4913":  # vim's write test file
        return None
    if rel == CONFIG_NAME:
        return "settings"
    if rel == FOLLOWUPS or parts[0] == CALENDAR:
        return None  # our own outputs: never a reason to build
    if parts[0] == TEMPLATES and not name.endswith(".md"):
        return "template"
    if name.endswith(".md"):
        return "note"
    return None


def add_event(batch: Batch, event_type: str, is_dir: bool, rels: list[str]) -> bool:
    """Fold one watchdog event (already made vault-relative) into the batch.

    True if the event can change an output (it named a note, the settings, a
    template, or a folder of notes): only such an event may wake the watcher
    or extend its quiet period.
    """
    if event_type in ("opened", "closed_no_write"):
        return False  # reads, ours included
    relevant = False
    for rel in rels:
        if is_dir:
            # A folder created, deleted or renamed moves notes without an event
            # for each; "modified" on a folder only echoes a change inside it.
            if event_type != "modified" and classify(rel + "/x.md") == "note":
                batch.full_scan = relevant = True
            continue
        kind = classify(rel)
        relevant = relevant or kind is not None
        if kind == "note":
            if is_utf8(rel):
                batch.notes.add(rel)
            else:  # no note: a full scan reports it, as for any build
                batch.full_scan = True
        elif kind == "settings":
            batch.settings = True
        elif kind == "template":
            batch.templates = True
    if len(batch.notes) > FULL_SCAN_AFTER:
        batch.full_scan = True
    return relevant


def describe(changes: Changes, limit: int = 3) -> str:
    parts = []
    for word, paths in (
        ("changed", changes.changed),
        ("added", changes.added),
        ("removed", changes.removed),
    ):
        if paths:
            shown = ", ".join(paths[:limit]) + (
                f" and {len(paths) - limit} more" if len(paths) > limit else ""
            )
            parts.append(f"{word} {shown}")
    return "; ".join(parts)


# -- the watcher (the imperative shell) ---------------------------------------------------


class Watcher:
    def __init__(
        self,
        vault: Vault,
        today: Callable[[], dt.date],
        *,
        day_fixed: bool,
        debounce: float = DEBOUNCE,
        polling: bool = False,
        log: Callable[[str], None] = print,
        warn: Callable[[str], None] = print,
        publish: bool = False,
        password: str | None = None,
    ) -> None:
        self.vault = vault
        self.today = today
        self.day_fixed = day_fixed
        self.debounce = debounce
        self.polling = polling
        self.log = log
        self.warn = warn
        self.builder = Builder(vault)
        self.batch = Batch()
        self.first_event = 0.0  # time.monotonic() of the batch's first relevant event
        self.mutex = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.last_day: dt.date | None = None
        self.known_problems: set[Problem] = set()
        self.publish = publish
        self.password = password
        # A calendar changed and is not on the CalDAV server yet (or a publish failed).
        self.unpublished = publish

    # called from watchdog's thread
    def on_event(self, event: Any) -> None:
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        rels = [r for r in (self._rel(p) for p in paths if p) if r is not None]
        with self.mutex:
            was_empty = not self.batch
            relevant = add_event(self.batch, event.event_type, event.is_directory, rels)
            if relevant and was_empty:
                self.first_event = time.monotonic()
        # Waking on any event while a batch waits would let reads and ignored
        # files, which never stop in a busy vault, postpone the build forever.
        if relevant:
            self.wake.set()

    def _rel(self, path: str | bytes) -> str | None:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        try:
            return Path(path).relative_to(self.vault.root).as_posix()
        except ValueError:
            return None

    def stop(self, *_: Any) -> None:
        """Ctrl-C or SIGTERM: stop once the rebuild under way, if any, is done.

        A signal handler runs in the main thread, which may hold the lock of
        ``wake`` at that instant (inside ``Event.clear`` or ``wait``): setting
        ``wake`` here would then wait on that lock forever (it is not
        re-entrant), and the watcher would hang instead of stopping. A
        short-lived thread sets them once the main thread lets go.
        """
        threading.Thread(target=self._stop, name="ppsj-stop", daemon=True).start()

    def _stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    # -- building ---------------------------------------------------------------

    def rebuild(self, batch: Batch, reason: str) -> BuildResult | None:
        started = time.perf_counter()
        if batch.settings:
            try:
                self.builder.reload_settings()
                self.vault = self.builder.vault
            except PpsjError as exc:
                self.warn(one_line(f"ppsj: {exc} (keeping the previous settings)"))
        today = self.today()
        self.last_day = today
        only = None if batch.full_scan else sorted(batch.notes)
        try:
            result = self.builder.build(today, only=only, force=reason != "change")
        except PpsjError as exc:
            self.warn(one_line(f"ppsj: {exc}"))
            return None
        except Exception as exc:  # a bug must not end the watcher: say so, go on
            self.warn(one_line(f"ppsj: internal error in a rebuild: {type(exc).__name__}: {exc}"))
            return None
        changes = result.changes
        quiet = not (changes or result.written or result.removed)
        if reason == "change" and quiet and not batch.settings and not batch.templates:
            # The events named notes whose content did not change. A change that
            # another ppsj (a `skip`, a `partners`) already read into the store
            # still moves its generation, so the build above wrote its outputs.
            return None
        # A user's own file where an output goes is kept and named, like a broken note.
        problems = {*result.problems, *map(Problem.of, result.refused)}
        for problem in sorted(problems - self.known_problems, key=str):
            self.warn(one_line(f"ppsj: {problem}"))
        self.known_problems = problems
        if reason == "start":
            n = self.builder.store.count()
            what = f"{n} note" if n == 1 else f"{n} notes"
        elif reason == "day":
            what = f"a new day, {today.isoformat()}"
        else:
            what = describe(changes) or "settings or templates changed"
        wrote = [*result.written, *(f"removed {r}" for r in result.removed)]
        elapsed = time.perf_counter() - started
        stamp = time.strftime("%H:%M:%S")
        self.log(
            one_line(
                f"{stamp} {'built' if reason == 'start' else 'rebuilt'}: {what}; "
                f"{'wrote ' + ', '.join(wrote) if wrote else 'nothing to write'}"
                + (f"; {len(problems)} problem(s)" if problems else "")
                + f" ({elapsed:.2f} s)"
            )
        )
        if any(r.startswith(CALENDAR + "/") for r in [*result.written, *result.removed]):
            self.unpublished = self.publish
        if self.unpublished:
            self.publish_calendars()
        return result

    def publish_calendars(self) -> None:
        """``ppsj publish`` after a build that changed a calendar; a failure is one
        line, and the next rebuild tries again."""
        try:
            published = publish(self.builder, self.password)
        except PpsjError as exc:
            self.warn(one_line(f"ppsj: not published: {exc}"))
            return
        except Exception as exc:  # a bug must not end the watcher: say so, go on
            self.warn(one_line(f"ppsj: internal error in publish: {type(exc).__name__}: {exc}"))
            return
        for step in published.changed:
            self.warn(one_line(f"ppsj: changed on the server; not overwritten: {step.name}"))
        for step in published.foreign:
            self.warn(one_line(f"ppsj: an event ppsj did not publish has {step.name}'s UID"))
        self.unpublished = bool(published.changed)
        self.log(one_line(f"{time.strftime('%H:%M:%S')} published: {published.summary()}"))

    def _seconds_to_midnight(self) -> float:
        now = dt.datetime.now(self.vault.settings.tz)
        tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), now.tzinfo)
        # At most 5 minutes at a time: a suspended laptop or a clock change is caught.
        return min(max((tomorrow - now).total_seconds() + 1, 1.0), 300.0)

    # -- the loop -----------------------------------------------------------------

    def run(self) -> None:
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            # Watch first, then build: a note saved during the first build is
            # an event, not lost; and the "built" line means "watching".
            observer = self._start_observer()
            try:
                self.rebuild(Batch(full_scan=True), "start")
                self._loop()
            finally:
                observer.stop()
                observer.join(timeout=5)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.builder.close()
        self.log(f"{time.strftime('%H:%M:%S')} stopped")

    def _loop(self) -> None:
        while not self.stopping.is_set():
            timeout = None if self.day_fixed else self._seconds_to_midnight()
            woke = self.wake.wait(timeout)
            if self.stopping.is_set():
                return
            if woke:
                self._debounce()
                if self.stopping.is_set():
                    return
            with self.mutex:
                batch, self.batch = self.batch, Batch()
            if batch:
                self.rebuild(batch, "change")
            elif not self.day_fixed and self.today() != self.last_day:
                self.rebuild(Batch(), "day")

    def _debounce(self) -> None:
        """Wait until the events have been quiet for ``debounce`` seconds, or
        until ``MAX_WAIT`` has passed since the batch's first event, whichever
        comes first: a vault that is never quiet is still built."""
        with self.mutex:
            deadline = self.first_event + max(MAX_WAIT, self.debounce)
        while not self.stopping.is_set():
            self.wake.clear()
            quiet = min(self.debounce, deadline - time.monotonic())
            if quiet <= 0 or not self.wake.wait(quiet):
                return

    def _start_observer(self) -> Any:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        observer_class: Any = PollingObserver if self.polling else Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                watcher.on_event(event)

        observer = observer_class()
        observer.schedule(Handler(), str(self.vault.root), recursive=True)
        start_observer(observer)
        return observer


def start_observer(observer: Any) -> None:
    """Start watchdog's observer, turning inotify's limits into a clear message."""
    try:
        observer.start()
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise PpsjError(
                "the inotify watch limit is reached (fs.inotify.max_user_watches); "
                "run 'ppsj watch --polling', or raise the limit: "
                "sudo sysctl fs.inotify.max_user_watches=524288"
            ) from None
        if exc.errno == errno.EMFILE:
            raise PpsjError(
                "too many inotify instances (fs.inotify.max_user_instances); "
                "run 'ppsj watch --polling', or raise the limit: "
                "sudo sysctl fs.inotify.max_user_instances=512"
            ) from None
        raise PpsjError(f"cannot watch the vault: {exc.strerror or exc}") from None
