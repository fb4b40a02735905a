"""Syncing a vault with git (``ppsj sync``) and the merge driver git runs for it.

Two machines that both run ``ppsj week`` and ``ppsj build`` write the same
files. Git merges them with the ``ppsj`` merge driver, named in the vault's
``.gitattributes`` and configured in ``.git/config`` (by ``ppsj init`` in a
repository, ``ppsj sync --setup``, and ``ppsj sync`` itself):

- The generated files (Follow-ups.md, Calendar/*.ics) are a function of the
  notes, but mid-merge the other notes may not be merged yet, so the driver
  keeps this machine's copy and the build after the merge writes them again
  from the merged notes (the Builder sees they are no longer as it wrote
  them). ``ppsj sync`` runs that build and commits it.
- A session note both machines wrote (an add/add: no common ancestor) is
  merged three-way against the note as ``week`` wrote it, rendered again
  from the merged partner and previous note, else against the lines both
  sides share (mergebase.py). Whatever the two sides wrote differently in one
  place is left to the user as a conflict, never settled by dropping a side.
- Every other note is the user's: git merges it as it would anyway. Where
  both sides changed a partner's series, the merged note would carry the
  SEQUENCE both already sent; sync raises it above both, after the pull.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ppsjournal import git, mergebase
from ppsjournal.app import Builder, BuildResult, load_index, session_note
from ppsjournal.errors import PpsjError
from ppsjournal.followups import is_generated as followups_generated
from ppsjournal.layout import CALENDAR, FOLLOWUPS, LEDGER, SESSIONS, STATE, TEMPLATES
from ppsjournal.names import link_target, note_name
from ppsjournal.note import CONFLICT_MESSAGE, Note, conflict_line, decode, parse_note
from ppsjournal.properties import PPS_INVITED_ON, PPS_INVITED_SEQUENCE, PPS_SEQUENCE
from ppsjournal.schedule import occurrences
from ppsjournal.settings import CONFIG_NAME
from ppsjournal.vault import Vault
from ppsjournal.week import Planned, carry_forward, reopen_carried

ATTRIBUTES = ".gitattributes"
# What .gitattributes must say, each line with why (init writes them; setup adds the missing).
ATTRIBUTE_LINES = (
    ("*.ics -text", "so git keeps the calendars' CRLF line ends"),
    (f"{FOLLOWUPS} merge={git.DRIVER}", "so Follow-ups.md never conflicts"),
    (f"{CALENDAR}/*.ics merge={git.DRIVER} -text", "so the calendars never conflict"),
    (
        f"{SESSIONS}/**/*.md merge={git.DRIVER}",
        "so a session note written on two machines merges",
    ),
    (
        f"{CALENDAR}/*.eml merge={git.DRIVER}",
        "so an invitation saved on two machines never conflicts",
    ),
    (f"{LEDGER} merge=union", "so spends added on two machines keep both lines"),
)
GITATTRIBUTES = "".join(line + "\n" for line, _ in ATTRIBUTE_LINES)
BOTH_SIDES = (
    "{name}'s series changed on both machines: invitation out of date "
    "(run: ppsj invite --changed --send)"
)
# The repetitive rebase a pull may need: each stop on generated files alone is settled.
MAX_STEPS = 100


def driver_command() -> str:
    """How git runs the driver: this very interpreter (a venv's too), ``-m ppsjournal``.

    An absolute path, so it works wherever git runs it from and whatever PATH
    holds; the price is that moving or deleting the venv breaks it (``ppsj
    doctor`` says so; ``ppsj sync --setup`` writes it again).
    """
    return f"{shlex.quote(sys.executable)} -m ppsjournal merge-driver %O %A %B %P"


def is_generated_path(rel: str) -> bool:
    """Follow-ups.md and Calendar/*.ics, by their vault-relative path."""
    return rel == FOLLOWUPS or (
        rel.startswith(CALENDAR + "/") and rel.endswith(".ics") and rel.count("/") == 1
    )


def _is_invite_path(rel: str) -> bool:
    """Calendar/*.eml: where ``ppsj invite`` saves an invitation (and the user may keep mail)."""
    return rel.startswith(CALENDAR + "/") and rel.endswith(".eml") and rel.count("/") == 1


def _is_session_path(rel: str) -> bool:
    return rel.startswith(SESSIONS + "/") and rel.endswith(".md")


# -- setup -----------------------------------------------------------------------------


def attribute_lines(text: str) -> set[str]:
    return {" ".join(line.split()) for line in text.splitlines()}


def _repository(vault: Vault) -> Path:
    root = git.toplevel(vault.root)
    if root is None:
        raise PpsjError(
            f"{vault.root} is not in a git repository; "
            "'git init' (or clone the vault) first, then 'ppsj sync --setup'"
        )
    return root


def setup(vault: Vault) -> list[str]:
    """Name the driver in .gitattributes (adding only the lines it lacks, at its end)
    and configure it in the repository's .git/config; what was done, one line each.
    Refused outside a repository: there is no .git/config to set up."""
    _repository(vault)
    done = []
    with vault.lock():
        try:
            old = vault.read_bytes(ATTRIBUTES)
        except PpsjError:
            old = None
        if old is None:
            vault.create(ATTRIBUTES, GITATTRIBUTES.encode("utf-8"))
            done.append(f"wrote {ATTRIBUTES}")
        else:
            have = attribute_lines(old.decode("utf-8", "replace"))
            missing = [line for line, _ in ATTRIBUTE_LINES if line not in have]
            if missing:
                end = b"" if not old or old.endswith(b"\n") else b"\n"
                new = old + end + "".join(line + "\n" for line in missing).encode("utf-8")
                vault.replace(ATTRIBUTES, old, new)
                done.append(f"added to {ATTRIBUTES}: {'; '.join(missing)}")
    return done + configure(vault)


def configure(vault: Vault) -> list[str]:
    """Configure the driver in .git/config, if the vault is in a repository and it
    is not (as ``driver_command`` says) already; what was set."""
    root = git.toplevel(vault.root)
    if root is None:
        return []
    done = []
    wanted = {
        f"merge.{git.DRIVER}.name": git.DRIVER_NAME,
        f"merge.{git.DRIVER}.driver": driver_command(),
    }
    for key, value in wanted.items():
        if git.config_get(root, key) != value:
            git.config_set(root, key, value)
            done.append(f"set {key} in .git/config")
    return done


def driver_problem(vault: Vault) -> str | None:
    """Why git would not run the driver .gitattributes names (None: it would, or none is named)."""
    try:
        text = vault.read_bytes(ATTRIBUTES).decode("utf-8", "replace")
    except PpsjError:
        return None
    if not any(f"merge={git.DRIVER}" in line.split() for line in text.splitlines()):
        return None
    root = git.toplevel(vault.root)
    if root is None:
        return None
    command = git.config_get(root, f"merge.{git.DRIVER}.driver")
    if command is None:
        return (
            f"names the merge driver '{git.DRIVER}', which this clone's .git/config does "
            "not configure: git merges those files line by line (run 'ppsj sync --setup')"
        )
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        program = ""
    if os.path.isabs(program) and not os.access(program, os.X_OK):
        return (
            f"the merge driver '{git.DRIVER}' runs {program}, which is gone "
            "(a venv moved?); run 'ppsj sync --setup'"
        )
    return None


def sync_problems(vault: Vault) -> list[tuple[str, int, str]]:
    """What doctor says about the vault's git set-up and the files that are not
    notes: a driver named but not configured, and conflict markers in a
    generated file or a template (``(path, line, message)``)."""
    found = []
    problem = driver_problem(vault)
    if problem:
        found.append((ATTRIBUTES, 0, problem))
    generated = [FOLLOWUPS, *vault.list_files(CALENDAR, ".ics")]
    for rel in [*generated, *vault.list_files(TEMPLATES, ".j2")]:
        try:
            data = vault.read_bytes(rel)
        except PpsjError:
            continue
        line = conflict_line(data.decode("utf-8", "replace"))
        if line:
            # A file ppsj writes may simply be deleted; a template is the user's to mend.
            hint = " (or delete it: ppsj build writes it)" if rel in generated else ""
            found.append((rel, line, CONFLICT_MESSAGE + hint))
    return found


# -- the merge driver ------------------------------------------------------------------


def merge_driver(cwd: Path, base: Path, ours: Path, theirs: Path, path: str) -> int:
    """Merge ``path`` (relative to ``cwd``, the repository root, as git gives it)
    into ``ours``: the number of conflicts left in it (0: merged)."""
    vault_root = _vault_root(cwd, path)
    rel = (cwd / path).relative_to(vault_root).as_posix() if vault_root else path
    ours_data, base_data, theirs_data = ours.read_bytes(), base.read_bytes(), theirs.read_bytes()
    if is_generated_path(rel) and _generated(rel, ours_data) and _generated(rel, theirs_data):
        return 0  # this side's copy; the build after the merge writes it from the notes
    if _is_invite_path(rel) and _saved_invite(ours_data) and _saved_invite(theirs_data):
        return 0  # this side's copy of a message ppsj wrote; 'ppsj invite' writes it again
    candidates = [base_data]
    if base_data and _is_session_path(rel):  # ticked on one machine, carried by week on the other
        ours_data, theirs_data = mergebase.settle_tasks(ours_data, base_data, theirs_data)
    if not base_data and _is_session_path(rel) and ours_data and theirs_data:
        rendered = _as_written(vault_root, rel, ours_data, theirs_data) if vault_root else None
        candidates = mergebase.bases(ours_data, theirs_data, rendered)
    first: tuple[bytes, int] | None = None
    for candidate in candidates:
        merged, conflicts = git.merge_text(
            ours_data, candidate, theirs_data, (f"ours: {path}", "base", f"theirs: {path}"), cwd
        )
        if not conflicts:
            ours.write_bytes(merged)
            return 0
        if first is None:
            first = (merged, conflicts)
    assert first is not None
    ours.write_bytes(first[0])
    return first[1]


def _vault_root(cwd: Path, path: str) -> Path | None:
    here = (cwd / path).parent
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
        if folder == cwd:
            break
    return None


def _saved_invite(data: bytes) -> bool:
    from ppsjournal.invite import is_saved_invite  # icalendar: only when needed

    return is_saved_invite(data)


def _generated(rel: str, data: bytes) -> bool:
    if rel == FOLLOWUPS:
        return followups_generated(data)
    from ppsjournal.calendar import is_generated  # icalendar: only when needed

    return is_generated(data)


def _as_written(root: Path, rel: str, ours: bytes, theirs: bytes) -> bytes | None:
    """The session note at ``rel`` as ``ppsj week`` wrote it, rendered again from
    the vault as it is mid-merge (the partner's series and the previous note,
    its carried lines open again), on the session's day; None if it cannot be."""
    try:
        vault = Vault.open(root)
        note = parse_note(rel, decode(rel, ours))
        partner_name = link_target(note.meta.get("partner"))
        day = note.meta.get("date")
        if partner_name is None or not isinstance(day, dt.date):
            return None
        index = load_index(vault, memory=True)
        partner = index.partner(partner_name)
        if partner.series is None:
            return None
        occ = next(
            (
                o
                for o in occurrences(partner.series, vault.settings.sessions.holidays)
                if o.date == day
            ),
            None,
        )
        if occ is None:
            return None
        before = index.latest_session_before(partner.name, day)
        previous = before.path if before else None
        carry = None
        if previous is not None:
            lines = {line.rstrip("\r\n") for side in (ours, theirs) for line in _lines(side)}
            carry = carry_forward(previous, reopen_carried(vault.read_bytes(previous)), lines)
        planned = Planned(partner, occ, rel, None, previous, previous)
        text = session_note(vault, index, planned, day, "planned", carry)
    except Exception:
        # A base that cannot be rendered is no base: the common lines still are.
        return None
    return text.encode("utf-8")


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").splitlines()


# -- ppsj sync ---------------------------------------------------------------------------


@dataclass
class SyncResult:
    setup: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # what was done, one line each, in order
    pulled: str = ""  # git's complaint, when the pull stopped
    build: BuildResult | None = None
    pushed: bool = False


def sync(vault: Vault, today: dt.date, message: str | None = None, push: bool = True) -> SyncResult:
    """Commit this machine's changes, pull, build from the merged notes, commit, push.

    Stops with a PpsjError (the repository left as git left it) on anything
    git cannot do, or a conflict in a note the user wrote.
    """
    root = _repository(vault)
    under = os.path.relpath(vault.root.resolve(), root.resolve())
    stopped = git.in_progress(root)
    if stopped:
        left = git.unmerged(root)
        what = f" ({', '.join(left)} in conflict)" if left else ""
        raise PpsjError(
            f"a {stopped} is stopped half-way{what}; finish it "
            f"('git {'commit' if stopped == 'merge' else 'rebase --continue'}') and sync again"
        )
    upstream = git.upstream(root)
    if upstream is None:
        if not git.remotes(root):
            raise PpsjError(
                "the repository has no remote to sync with; "
                "'git remote add origin URL' and 'git push -u origin BRANCH' first"
            )
        raise PpsjError(
            f"the branch {git.current_branch(root) or '(detached)'} tracks no remote branch; "
            "'git push -u origin BRANCH' (or 'git branch --set-upstream-to') first"
        )
    result = SyncResult(setup=setup(vault))
    builder = Builder(vault)
    try:
        builder.build(today)
        _commit(root, under, message or "ppsj sync: notes of this machine", result)
        before = git.head(root)
        pulled = git.pull(root)
        result.pulled = git.complaint(pulled) if pulled.returncode else ""
        if pulled.returncode != 0:
            _settle(root, under, vault, builder, today, result)
        else:
            builder.reload_settings()  # the pull may have brought a new ppsj.toml (a holiday)
        new = git.head(root) != before
        result.steps.append(f"{'pulled' if new else 'nothing new from'} {upstream}")
        result.steps.extend(_series_changed_on_both(root, under, vault, before if new else None))
        result.build = builder.build(today)
        result.steps.extend(f"wrote {rel}" for rel in result.build.written)
        result.steps.extend(f"removed {rel}" for rel in result.build.removed)
        after = (
            f"{message} (built after the pull)" if message else "ppsj sync: built after the pull"
        )
        _commit(root, under, after, result)
    finally:
        builder.close()
    if push:
        pushed = git.push(root)
        if pushed.returncode != 0:
            raise PpsjError(
                f"git push failed: {git.complaint(pushed)} "
                "(the commits are kept here; run 'ppsj sync' again)"
            )
        result.pushed = True
    return result


def _series_changed_on_both(root: Path, under: str, vault: Vault, ours: str | None) -> list[str]:
    """After a pull that joined two lines of work (``ours``, the commit before it,
    and the upstream's, by a merge or a rebase), and at every merge not pushed yet
    (a plain 'git pull', a conflict fixed by hand): every partner whose series both
    sides changed (pps_sequence raised on each) gets pps_sequence above both
    sides' and both invitations; one line each, naming the partner.

    Each machine raised pps_sequence to the same next number and may have sent
    it, so git merges the note cleanly and the merged series (both changes)
    would carry a SEQUENCE the partner's calendar already holds: ``invite
    --changed`` would see nothing to send. Only the merging machine sees both
    sides, and it raises the key once (never again: it is then above both), so
    the other pulls it as it is.
    """
    theirs = git.commit_of(root, "@{u}")
    if theirs is None:
        return []
    joined = [(ours, theirs)] if ours is not None else []
    joined += [pair for pair in git.unpushed_merges(root) if pair not in joined]
    done: list[str] = []
    with vault.lock():
        for mine, other in joined:
            done.extend(_raise_both_sides(root, under, vault, mine, other))
    return done


def _raise_both_sides(root: Path, under: str, vault: Vault, ours: str, theirs: str) -> list[str]:
    base = git.merge_base(root, ours, theirs)
    if base is None or base in (ours, theirs):
        return []  # a fast-forward: one side only
    both = set(git.changed_between(root, base, ours, under))
    both &= set(git.changed_between(root, base, theirs, under))
    done = []
    for path in sorted(both):
        if not path.endswith(".md") or not _in_vault(root, vault, path):
            continue
        rel = _rel(root, vault, path)
        base_note = _partner_note(rel, git.show(root, base, path))
        if base_note is None:
            continue  # added on both sides, or not a readable partner note
        mine_note, other_note = (
            _partner_note(rel, git.show(root, c, path)) for c in (ours, theirs)
        )
        was, mine, other = (_sequences(n) for n in (base_note, mine_note, other_note))
        if was is None or mine is None or other is None:
            continue  # removed on a side, or a key that cannot be read
        if mine[0] <= was[0] or other[0] <= was[0]:
            continue  # the series changed on one side at most
        if _series_meta(mine_note) == _series_meta(other_note):
            continue  # the same change on both sides: the same calendar sent
        above = max(*mine, *other) + 1
        try:
            now = _sequences(_partner_note(rel, vault.read_bytes(rel)))
            if now is None or now[0] >= above:
                continue  # removed since, or already above both
            vault.update_keys(rel, {PPS_SEQUENCE.key: above})
        except PpsjError:
            continue  # the build after the pull names a note it cannot read
        done.append(BOTH_SIDES.format(name=note_name(rel)))
    return done


def _partner_note(rel: str, data: bytes | None) -> Note | None:
    """The partner note these bytes hold, or None: no such file, another kind
    of note, or one that cannot be read."""
    if data is None:
        return None
    try:
        note = parse_note(rel, decode(rel, data))
    except PpsjError:
        return None
    return note if note.type == "partner" else None


def _sequences(note: Note | None) -> tuple[int, int] | None:
    """A partner note's pps_sequence and pps_invited_sequence (0 if never sent),
    or None: no note, or a key that cannot be read."""
    if note is None:
        return None
    try:
        meta, at = note.meta, note.path
        return PPS_SEQUENCE.read(meta, at), PPS_INVITED_SEQUENCE.read(meta, at) or 0
    except PpsjError:
        return None


def _series_meta(note: Note | None) -> dict | None:
    """A partner note's properties but the record of the invitation sent."""
    if note is None:
        return None
    sent = (PPS_INVITED_SEQUENCE.key, PPS_INVITED_ON.key)
    return {k: v for k, v in note.meta.items() if k not in sent}


def _commit(root: Path, under: str, message: str, result: SyncResult) -> None:
    git.add(root, under, STATE)
    if git.staged(root):
        git.commit(root, message)
        result.steps.append(f"committed: {message}")


def _settle(
    root: Path,
    under: str,
    vault: Vault,
    builder: Builder,
    today: dt.date,
    result: SyncResult,
) -> None:
    """A pull that stopped: settle conflicts in generated files alone (a build
    writes them from the merged notes), step by step through a rebase; stop
    on any other."""
    for _ in range(MAX_STEPS):
        stopped = git.in_progress(root)
        if stopped is None:
            raise PpsjError(f"git pull failed: {result.pulled}")
        left = git.unmerged(root)
        mine = [
            p for p in left if _in_vault(root, vault, p) and is_generated_path(_rel(root, vault, p))
        ]
        others = [p for p in left if p not in mine]
        if others:
            finish = "commit" if stopped == "merge" else "rebase --continue"
            raise PpsjError(
                f"the pull stopped on a conflict in {', '.join(others)}: both machines "
                "changed the same lines; fix them (ppsj doctor shows the markers), "
                f"then 'git add' them and 'git {finish}'"
            )
        builder.reload_settings()  # ppsj.toml as merged: it is in no conflict
        builder.build(today)
        git.resolve(root, mine)
        result.steps.extend(f"settled {p} (built from the merged notes)" for p in mine)
        if stopped == "merge":
            _commit(root, under, "ppsj sync: merge, generated files built again", result)
            return
        step = git.continue_rebase(root)
        if step.returncode == 0 and git.in_progress(root) is None:
            return
        result.pulled = git.complaint(step)
    raise PpsjError("the rebase did not finish; see 'git status'")


def _in_vault(root: Path, vault: Vault, path: str) -> bool:
    try:
        (root / path).resolve().relative_to(vault.root.resolve())
    except ValueError:
        return False
    return True


def _rel(root: Path, vault: Vault, path: str) -> str:
    return (root / path).resolve().relative_to(vault.root.resolve()).as_posix()
