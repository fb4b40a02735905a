"""The application layer: the actions that combine the features with the adapters.

``Builder`` is the one build: ``ppsj build``, ``ppsj week`` and ``ppsj watch``
call it, and the watcher only decides when (as mkdocs serve does). It owns
the store, the build stamp and the writing of the outputs (Follow-ups.md and
the calendars), which are a pure function of the notes, the settings and
today; a file whose bytes would not change is not rewritten.

What keeps a build cheap is the store's ``generation`` (bumped whenever a
refresh finds a note changed): when it, the day, the settings, the templates
and ppsj's own code are what the last build saw, and every output is exactly
as that build wrote it, the outputs are current and nothing is rendered. The
calendars depend on the partners only, so they are kept when no partner note
changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ppsjournal import __version__, templates
from ppsjournal import followups as followups_mod
from ppsjournal.errors import PpsjError
from ppsjournal.index import Index, Problem
from ppsjournal.layout import CALENDAR, FOLLOWUPS, LEDGER, PARTNERS, TEMPLATES
from ppsjournal.ledger import Spend, append, parse_ledger
from ppsjournal.names import check_name, note_name
from ppsjournal.note import decode
from ppsjournal.settings import CONFIG_NAME
from ppsjournal.store import Changes, Store
from ppsjournal.vault import NotOurs, Vault
from ppsjournal.week import (
    Carry,
    Links,
    Planned,
    carry_forward,
    check_carried,
    session_context,
    session_meta,
    unreadable_sessions,
)

if TYPE_CHECKING:
    from ppsjournal.publish import Step

STAMP = "build_stamp"  # the meta key of the last build's stamp


@dataclass
class BuildResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # with check=True: what would change
    problems: list[Problem] = field(default_factory=list)
    # Outputs not written: the user's own file is where they go.
    refused: list[PpsjError] = field(default_factory=list)
    # Temp files a killed write left (.ppsj-*.tmp), removed.
    cleaned: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)  # what the refresh found


def render_outputs(
    index: Index, vault: Vault, today: dt.date, calendars: bool = True, followups: bool = True
) -> dict[str, bytes]:
    """Every generated file's vault-relative path and bytes (pure given the index).

    ``calendars=False``, ``followups=False``: leave those out (known current).
    """
    outputs = {}
    if followups:
        context = followups_mod.followups_context(index, vault.settings, today)
        text = templates.render(vault.root, followups_mod.TEMPLATE, context)
        outputs[FOLLOWUPS] = followups_mod.check_generated(text).encode("utf-8")
    if calendars:
        from ppsjournal.calendar import calendar_files

        outputs.update(calendar_files(index, vault.settings, today))
    return outputs


class Builder:
    """The vault's store and its outputs: refresh, query, build."""

    def __init__(self, vault: Vault, memory: bool = False) -> None:
        self.vault = vault
        self.store = Store.open(vault, memory=memory)

    def close(self) -> None:
        self.store.close()

    def reload_settings(self) -> None:
        """Read ppsj.toml again (the watcher, when it changed); PpsjError if it is bad."""
        self.vault = self.store.vault = Vault.open(self.vault.root)

    def refresh(self, only: Collection[str] | None = None) -> Changes:
        return self.store.refresh(only)

    def index(self, only: Collection[str] | None = None) -> Index:
        """The vault as the commands see it, after a refresh."""
        self.refresh(only)
        return Index(self.store)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Index]:
        """The vault's write lock, and the vault as it is once it is held.

        A command that checks the vault and then writes (a slot is free, so book
        it) does both in here: the notes are read again inside the lock, so what
        another ppsj wrote is seen, and none can write between the check and the
        write (two ``ppsj add --at 14:40`` at once: one books, one is refused).
        """
        with self.vault.lock():
            yield self.index()

    def build(
        self,
        today: dt.date,
        check: bool = False,
        only: Collection[str] | None = None,
        force: bool = False,
    ) -> BuildResult:
        """Refresh the store, then write every output whose bytes changed.

        ``only``: refresh just these notes (the watcher's events). ``force``:
        render even when the stamp says the outputs are current.
        """
        changes = self.store.refresh(only)
        cleaned = self._clean(changes) if not check else []
        key = self._key(today)
        stamp = self._stamp()
        if not check and not force:
            known = self._known(stamp, key)
            if known is not None:
                known.changes = changes
                known.cleaned = cleaned
                return known
        index = Index(self.store)
        result = BuildResult(problems=list(index.read_problems), changes=changes, cleaned=cleaned)
        partners = self.store.partner_generation
        kept: set[str] = set()
        calendars = True
        # A note whose name ppsj refuses for a partner never is one (it is named
        # among the problems): it holds back no calendar, and gets none.
        held = [p for p in self.store.broken(PARTNERS, "partner") if _could_be_partner(p)]
        if held:
            # Left out, a partner's series would drop from PPS.ics and their file
            # be removed: every subscriber would see the sessions cancelled over
            # a typo (the watcher builds mid-edit). The calendars wait for the fix.
            calendars = False
            kept.update(self.vault.list_files(CALENDAR, ".ics"))
            result.problems.append(
                Problem(CALENDAR + "/", f"not updated until {', '.join(held)} can be read again")
            )
        elif not check and stamp.get("calendars") == [key, partners]:
            current = self._written_calendars(stamp)
            if current is not None:
                calendars = False
                kept.update(current)
        outputs = render_outputs(index, self.vault, today, calendars)
        if check:
            self._check(outputs, kept, held, result)
            return result
        with self.vault.lock():
            for rel, data in sorted(outputs.items()):
                try:
                    written = self.vault.write(rel, data, ours=_generated_test(rel))
                except NotOurs as refused:  # the user's own file: kept, and the build says so
                    result.refused.append(refused)
                    continue
                (result.written if written else result.unchanged).append(rel)
            result.unchanged = sorted([*result.unchanged, *kept])
            if not held:
                self._remove_stale_calendars(outputs.keys() | kept, result, check=False)
        self._record(key, partners, result, bool(held))
        return result

    def _clean(self, changes: Changes) -> list[str]:
        """Remove the temp files of writes cut off (a killed ppsj) that the
        refresh's walk saw; housekeeping: a refusal (the lock) skips it."""
        if not changes.leftovers:
            return []
        try:
            return self.vault.remove_leftovers(changes.leftovers)
        except PpsjError:
            return []

    # -- the build stamp ------------------------------------------------------------

    def _key(self, today: dt.date) -> str:
        """What the outputs depend on besides the notes: the day, the settings, the
        templates and ppsj itself (an upgrade, or an edit in a source checkout)."""
        parts = [today.isoformat(), __version__]
        for rel in [CONFIG_NAME, *self.vault.list_files(TEMPLATES, "")]:
            try:
                parts.append(f"{rel} {self.vault.stat(rel)}")
            except OSError:
                parts.append(f"{rel} missing")
        parts.append(_code_key())
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def _stamp(self) -> dict:
        try:
            stamp = json.loads(self.store.get(STAMP) or "{}")
        except ValueError:
            return {}
        return stamp if isinstance(stamp, dict) else {}

    def _as_written(self, stamp: dict, rels: Collection[str]) -> bool:
        try:
            written = stamp["outputs"]
            return all(list(self.vault.stat(rel)) == written[rel] for rel in rels)
        except (OSError, KeyError, TypeError):
            return False

    def _written_calendars(self, stamp: dict) -> list[str] | None:
        """The calendar files of the last build, if the folder holds just those,
        each exactly as written."""
        try:
            mine = sorted(rel for rel in stamp["outputs"] if rel.startswith(CALENDAR + "/"))
            listed = self.vault.list_files(CALENDAR, ".ics")
        except (KeyError, TypeError, PpsjError):
            return None
        if listed != mine or not self._as_written(stamp, mine):
            return None
        return mine

    def _known(self, stamp: dict, key: str) -> BuildResult | None:
        """The last build's result if nothing it was made from changed and every
        output is still exactly as it wrote it."""
        if stamp.get("key") != key or stamp.get("generation") != self.store.generation:
            return None
        outputs = stamp.get("outputs")
        if not isinstance(outputs, dict) or self._written_calendars(stamp) is None:
            return None
        if not self._as_written(stamp, list(outputs)):
            return None
        try:
            problems = [Problem(str(w), str(m)) for w, m in stamp["problems"]]
        except (KeyError, TypeError, ValueError):
            return None
        return BuildResult(unchanged=sorted(outputs), problems=problems)

    def _record(self, key: str, partners: int, result: BuildResult, held: bool) -> None:
        """Remember what this build wrote, so that a later one finding nothing
        changed can stop. Not after a walk error or a refused output: the next
        build must say so again."""
        stamp = None
        if not result.refused and not self.store.walk_errors:
            outputs = {}
            try:
                for rel in [*result.written, *result.unchanged]:
                    outputs[rel] = list(self.vault.stat(rel))
            except OSError:
                outputs = {}
            if outputs:
                stamp = {
                    "key": key,
                    "generation": self.store.generation,
                    "outputs": outputs,
                    "problems": [[p.where, p.message] for p in result.problems],
                    "calendars": None if held else [key, partners],
                }
        self.store.put(STAMP, json.dumps(stamp) if stamp else None)

    # -- outputs ----------------------------------------------------------------------

    def _check(
        self, outputs: dict[str, bytes], kept: set[str], held: list[str], result: BuildResult
    ) -> None:
        for rel, data in sorted(outputs.items()):
            try:
                current: bytes | None = self.vault.abs(rel).read_bytes()
            except FileNotFoundError:
                current = None
            (result.unchanged if current == data else result.stale).append(rel)
        result.unchanged = sorted([*result.unchanged, *kept])
        if not held:
            self._remove_stale_calendars(outputs.keys() | kept, result, check=True)

    def _remove_stale_calendars(
        self, outputs: Collection[str], result: BuildResult, check: bool
    ) -> None:
        """Remove Calendar/*.ics that ppsj wrote but no longer produces.

        A partner paused, ended, renamed or deleted loses their file (removed, not
        emptied: an empty file per past partner would pile up forever). Only files
        carrying ppsj's PRODID are touched: an .ics the user put there stays.
        """
        for rel in self.vault.list_files(CALENDAR, ".ics"):
            if rel in outputs:
                continue
            from ppsjournal.calendar import is_generated  # icalendar: only when needed

            try:
                data = self.vault.read_bytes(rel)
            except PpsjError:
                continue
            if not is_generated(data):
                continue
            if check:
                result.stale.append(rel)
            elif self.vault.remove(rel):
                result.removed.append(rel)


def _could_be_partner(path: str) -> bool:
    """Whether a note's name is one a partner may have (names.check_name)."""
    try:
        check_name(note_name(path))
    except PpsjError:
        return False
    return True


def _generated_test(rel: str) -> Callable[[bytes], bool]:
    """How to tell that the file at an output's place is one ppsj generated."""
    if rel == FOLLOWUPS:
        return followups_mod.is_generated
    from ppsjournal.calendar import is_generated  # icalendar: only when needed

    return is_generated


_CODE_KEY: list[str] = []


def _code_key() -> str:
    """ppsj's own code and packaged templates, by stat: an edit in a source
    checkout must not leave outputs made by older code "up to date"."""
    if not _CODE_KEY:
        here = Path(__file__).resolve().parent
        try:
            own = [*here.glob("*.py"), *here.glob("cli/*.py"), *templates.packaged_dir().glob("*")]
            parts = [f"{p.name} {p.stat().st_mtime_ns} {p.stat().st_size}" for p in sorted(own)]
        except (OSError, PpsjError):
            parts = ["unknown"]
        _CODE_KEY.append(hashlib.sha256("\n".join(parts).encode()).hexdigest())
    return _CODE_KEY[0]


def load_index(vault: Vault, memory: bool = False) -> Index:
    """The vault's index, through its store (``memory``: a store of this process
    only, every note read, nothing written)."""
    return Builder(vault, memory=memory).index()


def session_note(
    vault: Vault,
    index: Index,
    planned: Planned,
    today: dt.date,
    status: str,
    carry: Carry | None = None,
) -> str:
    """The text of a new session note for ``planned``, as ``ppsj week`` writes it
    (with ``carry``: those tasks carried; without, the earlier note keeps its open
    follow-ups), with ``status``."""
    meta = session_meta(planned)
    meta["status"] = status
    context = session_context(planned, carry, index, vault.settings, today, Links(index))
    return templates.render_note(vault.root, "session.md.j2", meta, context)


def create_carried(vault: Vault, path: str, data: bytes, carry: Carry | None) -> None:
    """Create a session note, then mark the lines it carried ``[>]`` in the old note.

    New note first: if marking the old lines then fails (or ppsj is stopped),
    the tasks are open in both notes (nothing lost), never in neither; the next
    ``week`` marks them. The caller holds the lock and has checked the old note.
    """
    vault.create(path, data)
    if carry and carry.tasks:
        try:
            vault.replace(carry.path, carry.old, carry.new)
        except PpsjError:
            # Changed in the instant since the check: take back the new note
            # (still ours, unread) so no follow-up is open twice.
            if vault.read_bytes(path) == data:
                vault.remove(path)
            raise


def check_unchanged(vault: Vault, carry: Carry | None) -> None:
    """Refuse when the note tasks are carried from changed on disk since it was read."""
    if carry and carry.tasks and vault.read_bytes(carry.path) != carry.old:
        raise PpsjError(
            "the note changed on disk while ppsj was working; nothing written; "
            "run the command again",
            carry.path,
        )


def write_session_note(
    vault: Vault,
    index: Index,
    planned: Planned,
    today: dt.date,
    status: str,
    edit: Callable[[str], str] | None = None,
) -> Carry | None:
    """Write the note of a session ``week`` did not write, with ``status``.

    The open follow-ups of ``planned.carry_from`` (when no unreadable note of
    the partner lies between) are carried as ``week`` carries them; ``edit``
    changes the text after (``held --note``). Returns the carry, if any.
    """
    carry = None
    if planned.carry_from and not unreadable_sessions(index, planned):
        carry = carry_forward(planned.carry_from, vault.read_bytes(planned.carry_from))
    text = session_note(vault, index, planned, today, status, carry)
    check_carried(text, carry)
    data = (edit(text) if edit else text).encode("utf-8")
    with vault.lock():
        if vault.exists(planned.path):
            raise PpsjError("a note of that name already exists; not overwritten", planned.path)
        check_unchanged(vault, carry)
        create_carried(vault, planned.path, data, carry)
    return carry


# -- ppsj publish -------------------------------------------------------------------


@dataclass
class Published:
    """What ``publish`` planned, and what it did: the steps sent, and those the
    server refused because the object changed there since it was listed."""

    steps: list[Step] = field(default_factory=list)
    sent: list[Step] = field(default_factory=list)
    changed: list[Step] = field(default_factory=list)  # not overwritten
    problems: list[Problem] = field(default_factory=list)

    @property
    def foreign(self) -> list[Step]:
        """Series whose UID an event ppsj did not publish holds: left alone."""
        return [s for s in self.steps if s.action == "foreign"]

    def summary(self) -> str:
        """One line: what was sent, per action, or "up to date"."""
        words = {"create": "created", "update": "updated", "delete": "removed"}
        parts = []
        for action, word in words.items():
            names = [s.name for s in self.sent if s.action == action]
            if names:
                parts.append(f"{word} {', '.join(names)}")
        return "; ".join(parts) or ("up to date" if not self.changed else "nothing sent")


def publish(builder: Builder, password: str | None, dry_run: bool = False) -> Published:
    """Bring the CalDAV calendar of ``[caldav]`` to the vault's series (see publish.py).

    Nothing in the vault is written. While a partner note cannot be read
    nothing is sent: as for the calendar files, their series would be removed
    from every phone over a typo.
    """
    from ppsjournal import publish as plans
    from ppsjournal.caldav_sync import Server
    from ppsjournal.calendar import series_objects

    index = builder.index()
    held = [p for p in builder.store.broken(PARTNERS, "partner") if _could_be_partner(p)]
    if held:
        raise PpsjError(f"not published until {', '.join(held)} can be read again")
    local = series_objects(index, builder.vault.settings)
    result = Published(problems=list(index.read_problems))
    server = Server(builder.vault.settings.caldav, password)
    try:
        result.steps = plans.plan(local, server.listing())
        if any(s.action in (plans.CREATE, plans.UPDATE, plans.DELETE) for s in result.steps):
            server.check_calendar()
        if dry_run:
            return result
        for step in result.steps:
            if step.action in (plans.CREATE, plans.UPDATE) and step.data is not None:
                name = plans.object_name(step.uid)
                done = server.put(step.href, name, step.data, step.etag)
            elif step.action == plans.DELETE and step.href is not None:
                done = server.delete(step.href, step.etag)
            else:
                continue
            (result.sent if done else result.changed).append(step)
    finally:
        server.close()
    return result


def read_ledger(vault: Vault) -> tuple[list[Spend], list[Problem]]:
    """The co-marketing ledger's spends and the problems of its lines (none
    when there is no ledger yet); read through the vault, never a link."""
    if not vault.exists(LEDGER):
        return [], []
    try:
        text = decode(LEDGER, vault.read_bytes(LEDGER))
    except PpsjError as exc:  # a link out of the vault, a bad encoding: named, not fatal
        return [], [Problem.of(exc)]
    return parse_ledger(LEDGER, text)


def record_spend(vault: Vault, spend: Spend) -> str:
    """Append the spend's line to the ledger (made if missing), atomically, under
    the vault's lock; every line already there is kept as it is. Returns the line."""
    with vault.lock():
        if vault.exists(LEDGER):
            old = vault.read_bytes(LEDGER)
            text = decode(LEDGER, old)
            new = append(text, spend).encode("utf-8")
            if old.startswith(b"\xef\xbb\xbf"):  # decode dropped the byte-order mark: keep it
                new = b"\xef\xbb\xbf" + new
            vault.replace(LEDGER, old, new)
        else:
            vault.create(LEDGER, append("", spend).encode("utf-8"))
    return append("", spend).splitlines()[-1]
