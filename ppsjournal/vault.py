"""The vault on disk: finding it, reading notes safely, writing files atomically.

This is the only module that touches the vault's files. Every write is atomic
(temp file, fsync, rename), skipped when the bytes would not change, and made
under the vault's write lock so two ppsj processes never interleave.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import filelock

from ppsjournal.errors import PpsjError
from ppsjournal.layout import IGNORED_DIRS, STATE
from ppsjournal.names import is_utf8, shown
from ppsjournal.note import MAX_NOTE_BYTES, decode, set_keys
from ppsjournal.settings import CONFIG_NAME, Settings, parse_settings

MAX_SETTINGS_BYTES = 256 * 1024
LOCK_NAME = "write.lock"  # in .ppsj/
# The temp file of an atomic write (tempfile.mkstemp's 8 random characters): one
# a killed ppsj left behind is removed by the next build once this old.
TEMP_PREFIX, TEMP_SUFFIX = ".ppsj-", ".tmp"
_TEMP_NAME = re.compile(r"\.ppsj-[a-z0-9_]{8}\.tmp\Z")
LEFTOVER_AGE_NS = 60 * 10**9
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def find_root(explicit: str | Path | None, env: Mapping[str, str], cwd: Path) -> Path:
    """--vault, else $PPSJ_VAULT, else the first folder up from cwd with a ppsj.toml."""
    given = explicit or env.get("PPSJ_VAULT") or None
    if given:
        root = Path(given).expanduser()
        if not (root / CONFIG_NAME).is_file():
            raise PpsjError(f"no {CONFIG_NAME} in {root} (is it a vault? see 'ppsj init')")
        return root
    for folder in (cwd, *cwd.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise PpsjError(
        f"no vault found: no {CONFIG_NAME} here or in any folder above; "
        "use --vault PATH, set $PPSJ_VAULT, or create one with 'ppsj init'"
    )


class NotOurs(PpsjError):
    """A generated file's place holds a file ppsj did not write: left as it is."""

    def __init__(self, rel: str) -> None:
        super().__init__(
            "not written: a file ppsj did not generate is there; "
            "rename or move it, then build again",
            rel,
        )


# What the cache keys a note on: (size, mtime_ns, inode); the inode catches a
# same-size, same-mtime swap. A plain tuple, not a named one: made and compared
# for every note on every command (100,000 at a time), and a plain tuple is
# made in C (a named one's constructor is Python code: 10 ms per 20,000).
FileStat = tuple[int, int, int]
MTIME_NS = 1  # FileStat's field


# A name the file system holds as bytes that are not UTF-8 (a file from an
# old zip, say) reaches Python with surrogate escapes: it can be neither
# linked, nor written to Follow-ups.md, nor cached. Such a file or folder is
# reported and left out; the rest of the vault still works.
BAD_NAME = "name is not valid UTF-8; skipped (rename it)"


def _drop_bad_names(rels: Iterable[str], errors: list[tuple[str, str]] | None) -> list[str]:
    """The paths of ``rels`` that are not valid UTF-8, reported in ``errors``.

    One encoding of all the paths joined tells whether any is (1 ms for
    20,000); only then is each looked at.
    """
    rels = list(rels)
    if is_utf8("\n".join(rels)):
        return []
    bad = [rel for rel in rels if not is_utf8(rel)]
    if errors is not None:
        errors.extend((shown(rel), BAD_NAME) for rel in bad)
    return bad


def _scandir(folder: Path) -> tuple[Any, int | None]:
    """A folder's entries, and the descriptor they were listed through (to close).

    Listed through a descriptor where the system can: each entry's ``stat``
    then names the file relative to it, not by its whole path from the root
    (10% of the scan of 20,000 notes). Else by path (Windows).
    """
    if os.scandir not in os.supports_fd:  # pragma: no cover - Windows
        return os.scandir(folder), None
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        return os.scandir(fd), fd
    except OSError:
        os.close(fd)
        raise


@contextlib.contextmanager
def _closing(fd: int | None) -> Iterator[None]:
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _read_up_to(fd: int, n: int) -> bytes:
    """Up to ``n`` bytes from ``fd``, fewer only at the end of the file."""
    chunks = []
    while n > 0:
        chunk = os.read(fd, n)
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Vault:
    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self._real_root = root.resolve()
        self._root_str = str(root)
        # What the real path of a file inside starts with (checked for every note read).
        self._real_prefix = str(self._real_root).rstrip(os.sep) + os.sep
        self._lock: filelock.BaseFileLock | None = None

    @classmethod
    def open(cls, root: Path) -> Vault:
        path = root / CONFIG_NAME
        try:
            data = path.read_bytes()[: MAX_SETTINGS_BYTES + 1]
        except OSError as exc:
            raise PpsjError(f"cannot read: {exc.strerror}", CONFIG_NAME) from None
        if len(data) > MAX_SETTINGS_BYTES:
            raise PpsjError("settings file is too large", CONFIG_NAME)
        try:
            # utf-8-sig: Windows Notepad may save the settings with a byte-order
            # mark, which TOML would report as an "invalid statement" at 1:1.
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PpsjError("not valid UTF-8", CONFIG_NAME) from None
        return cls(root, parse_settings(text, CONFIG_NAME))

    # -- names and paths ----------------------------------------------------

    def abs(self, rel: str) -> Path:
        return self.root / rel

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def inside(self, path: Path) -> bool:
        """Whether ``path``, links resolved, stays inside the vault."""
        try:
            path.resolve().relative_to(self._real_root)
        except (ValueError, OSError, RuntimeError):
            return False
        return True

    # -- reading --------------------------------------------------------------

    def walk_notes(self, errors: list[tuple[str, str]] | None = None) -> Iterator[str]:
        """Every note's vault-relative path, in a stable order.

        Hidden and tool folders are never notes; a link that leads outside the
        vault is not followed. A folder that cannot be read is reported in
        ``errors`` (so callers know the listing is incomplete) and skipped.
        """

        def onerror(exc: OSError) -> None:
            if errors is not None:
                where = exc.filename and self._rel_or_abs(Path(exc.filename))
                errors.append((where or ".", f"cannot read folder: {exc.strerror}"))

        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root, onerror=onerror, followlinks=False):
            base = Path(dirpath)
            keep = []
            for d in dirnames:
                if d in IGNORED_DIRS or d.startswith("."):
                    continue
                sub = base / d
                if sub.is_symlink():
                    # Never followed: one leading inside is seen at its real place,
                    # one leading out of the vault is not the vault's to read.
                    if not self.inside(sub) and errors is not None:
                        errors.append((self.rel(sub), "links outside the vault; not followed"))
                    continue
                keep.append(d)
            dirnames[:] = keep
            for f in filenames:
                if not f.endswith(".md") or f.startswith("."):
                    continue
                p = base / f
                if p.is_symlink() and not self.inside(p):
                    if errors is not None:
                        errors.append((self.rel(p), "links outside the vault; not followed"))
                    continue
                found.append(self.rel(p))
        bad = set(_drop_bad_names(found, errors))
        return iter(sorted(rel for rel in found if rel not in bad))

    def scan_notes(
        self, errors: list[tuple[str, str]] | None = None, leftovers: list[str] | None = None
    ) -> dict[str, FileStat]:
        """Every note ``walk_notes`` lists, with its stat, in one pass (in the
        order the folders list them: sorting 100,000 paths is the caller's
        choice, and the cache's scan needs only the few that changed sorted).

        What the index cache compares to know which notes changed: one
        ``scandir`` per folder and one ``stat`` per note. A note whose stat
        fails is reported in ``errors`` and left out, like an unreadable folder.
        ``leftovers``: the temp files of atomic writes seen on the way (no
        extra system call: the walk lists them anyway).
        """
        found: dict[str, FileStat] = {}
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            folder = self.root / rel_dir if rel_dir else self.root
            try:
                it, fd = _scandir(folder)
            except OSError as exc:
                if errors is not None:
                    errors.append((rel_dir or ".", f"cannot read folder: {exc.strerror}"))
                continue
            with it, _closing(fd):
                for e in it:
                    name = e.name
                    if name.startswith("."):
                        if leftovers is not None and _TEMP_NAME.match(name):
                            leftovers.append(f"{rel_dir}/{name}" if rel_dir else name)
                        continue
                    rel = f"{rel_dir}/{name}" if rel_dir else name
                    try:
                        if e.is_dir(follow_symlinks=False):
                            if name not in IGNORED_DIRS:
                                stack.append(rel)
                            continue
                        if e.is_symlink():
                            inside = self.inside(folder / name)
                            if e.is_dir() or not name.endswith(".md"):
                                if not inside and e.is_dir() and errors is not None:
                                    errors.append((rel, "links outside the vault; not followed"))
                                continue
                            if not inside:
                                if errors is not None:
                                    errors.append((rel, "links outside the vault; not followed"))
                                continue
                            st = os.stat(folder / name)
                        elif name.endswith(".md"):
                            st = e.stat(follow_symlinks=False)
                        else:
                            continue
                    except OSError as exc:
                        if errors is not None:
                            errors.append((rel, f"cannot read: {exc.strerror}"))
                        continue
                    found[rel] = (st.st_size, st.st_mtime_ns, st.st_ino)
        for rel in _drop_bad_names(found, errors):
            del found[rel]
        return found

    def note_stat(self, rel: str) -> FileStat:
        """The stat ``scan_notes`` gives this note; OSError when it is no note now
        (gone, a folder, a link leading out of the vault)."""
        path = os.path.join(self._root_str, rel)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            if not self.inside(Path(path)):
                raise FileNotFoundError(path)
            st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise FileNotFoundError(path)
        return (st.st_size, st.st_mtime_ns, st.st_ino)

    def _rel_or_abs(self, path: Path) -> str:
        try:
            return self.rel(path)
        except ValueError:
            return str(path)

    def stat(self, rel: str) -> FileStat:
        st = os.stat(self.abs(rel))
        return (st.st_size, st.st_mtime_ns, st.st_ino)

    def read_bytes(self, rel: str) -> bytes:
        # Plain os calls on a str path: a Path and a buffered file object per
        # note cost more than the reading (a cold build reads every note).
        path = os.path.join(self._root_str, rel)
        try:
            # O_NONBLOCK: a FIFO planted behind a link opens at once instead of hanging.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC)
        except FileNotFoundError:
            raise PpsjError("no such note", rel) from None
        except OSError as exc:
            raise PpsjError(f"cannot read: {exc.strerror}", rel) from None
        try:
            if not self._opened_inside(fd, path):
                raise PpsjError("links outside the vault; not read", rel)
            try:
                # Sized by fstat: read(MAX + 1) would allocate 4 MiB for every
                # note. A note that grew since the fstat is read on, up to the
                # limit. A folder fails here (EISDIR), a FIFO with a writer
                # but no data too (EAGAIN): "cannot read".
                want = min(os.fstat(fd).st_size, MAX_NOTE_BYTES) + 1
                data = _read_up_to(fd, want)
                if len(data) == want <= MAX_NOTE_BYTES:
                    data += _read_up_to(fd, MAX_NOTE_BYTES + 1 - want)
            except OSError as exc:
                raise PpsjError(f"cannot read: {exc.strerror}", rel) from None
        finally:
            os.close(fd)
        return data

    def _opened_inside(self, fd: int, path: str) -> bool:
        """Whether an open file lies inside the vault.

        Where /proc gives the open file's real path this is one syscall and
        checks the very file read (resolving every folder of the path costs
        more than reading the note); elsewhere the path is resolved.
        """
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return self.inside(Path(path))
        return real.startswith(self._real_prefix) or real + os.sep == self._real_prefix

    def update_keys(
        self,
        rel: str,
        updates: dict,
        quoted: frozenset[str] = frozenset(),
        edit: Callable[[str], str] | None = None,
    ) -> bool:
        """Set front-matter keys of a note, keeping every other byte of it.

        ``edit``, if given, then changes the text (the whole note, as set_keys
        left it) before it is written, in the same write.
        A note that does not parse is never rewritten; one that changes on disk
        meanwhile is refused (nothing written).
        """
        data = self.read_bytes(rel)
        text = decode(rel, data)
        text = set_keys(text, updates, rel, quoted) if updates else text
        new = (edit(text) if edit is not None else text).encode("utf-8")
        if data.startswith(b"\xef\xbb\xbf"):  # decode dropped the byte-order mark: keep it
            new = b"\xef\xbb\xbf" + new
        return self.replace(rel, data, new)

    def exists(self, rel: str) -> bool:
        return self.abs(rel).exists()

    def list_files(self, folder: str, suffix: str) -> list[str]:
        """The regular files (no links) directly in ``folder`` ending in ``suffix``, sorted."""
        try:
            with os.scandir(self.abs(folder)) as it:
                names = [
                    e.name
                    for e in it
                    if e.name.endswith(suffix)
                    and not e.name.startswith(".")
                    and e.is_file(follow_symlinks=False)
                ]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise PpsjError(f"cannot read folder: {exc.strerror}", folder) from None
        return sorted(f"{folder}/{name}" for name in names)

    # -- writing --------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, timeout: float = 30.0) -> Iterator[None]:
        """The vault's write lock (re-entrant within a process)."""
        state = self.root / STATE
        if self._lock is None or not self._lock.is_locked:
            self._check_lock_file()
        # One FileLock per vault: it counts re-entries, so a command may hold the
        # lock around several writes (a second FileLock on the same file would wait).
        if self._lock is None:
            self._lock = filelock.FileLock(str(state / LOCK_NAME))
        try:
            with self._lock.acquire(timeout=timeout):
                yield
        except filelock.Timeout:
            raise PpsjError(
                f"another ppsj is writing this vault "
                f"(waited {timeout:.0f} s for {STATE}/write.lock)"
            ) from None

    def write(self, rel: str, data: bytes, ours: Callable[[bytes], bool] | None = None) -> bool:
        """Write a generated file atomically; False (and no write) if unchanged.

        ``ours``: whether the bytes already there are a file ppsj generated;
        anything else there is the user's, and is refused (nothing lost).
        """
        path = self.abs(rel)
        self._check_target(path, rel)
        with self.lock():  # read and replace as one step against other ppsj processes
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                current = None
            except OSError as exc:
                raise PpsjError(f"cannot read: {exc.strerror}", rel) from None
            if current == data:
                return False
            if current is not None and ours is not None and not ours(current):
                raise NotOurs(rel)
            self._folders(rel, create=True)
            _atomic_write(path, data, rel)
        return True

    def create(self, rel: str, data: bytes) -> None:
        """Create a new note; refuse if one is already there (never overwrite)."""
        path = self.abs(rel)
        self._check_target(path, rel)
        with self.lock():
            self._folders(rel, create=True)
            _atomic_write(path, data, rel, exclusive=True)

    def replace(self, rel: str, old: bytes, new: bytes) -> bool:
        """Rewrite a note the user owns, only if it still holds ``old`` on disk."""
        if old == new:
            return False
        path = self.abs(rel)
        self._check_target(path, rel)
        with self.lock():
            try:
                current = path.read_bytes()
            except OSError as exc:
                raise PpsjError(f"cannot read: {exc.strerror}", rel) from None
            if current != old:
                raise PpsjError(
                    "the note changed on disk while ppsj was working; "
                    "nothing written; run the command again",
                    rel,
                )
            self._folders(rel, create=True)
            _atomic_write(path, new, rel)
        return True

    def remove(self, rel: str) -> bool:
        path = self.abs(rel)
        self._check_target(path, rel)
        with self.lock():
            try:
                path.unlink()
            except FileNotFoundError:
                return False
        return True

    def remove_leftovers(self, rels: Iterable[str]) -> list[str]:
        """Remove the temp files a killed write left (``rels``, from
        ``scan_notes``): only regular files named as ``_atomic_write`` names
        them, over a minute old (a write in progress is never that slow), in a
        real folder of the vault; never a link. What was removed."""
        removed = []
        with self.lock():
            for rel in rels:
                path = os.path.join(self._root_str, rel)
                if not _TEMP_NAME.match(os.path.basename(path)):
                    continue
                try:
                    self._check_target(Path(path), rel)
                    if not self.inside(Path(path).parent):
                        continue
                    st = os.lstat(path)
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    if time.time_ns() - st.st_mtime_ns < LEFTOVER_AGE_NS:
                        continue
                    os.unlink(path)
                except (OSError, PpsjError):
                    continue
                removed.append(rel)
        return removed

    def _check_lock_file(self) -> None:
        """Make ``.ppsj/write.lock`` if missing, never through a link.

        ``.ppsj`` is never in git, so one that is a link (or a lock file that is
        one) came with a cloned vault to make ppsj write elsewhere: every write
        is refused, in one line, until it is removed (ppsj makes it again).
        Read-only commands still work (the store then stays in memory).
        """
        state = os.path.join(self._root_str, STATE)
        try:
            os.mkdir(state)  # never follows a link at that name (EEXIST)
        except FileExistsError:
            pass
        except OSError as exc:
            raise PpsjError(f"cannot create the folder: {exc.strerror}", STATE) from None
        try:
            is_dir = stat.S_ISDIR(os.lstat(state).st_mode)
        except OSError as exc:
            raise PpsjError(f"cannot read: {exc.strerror}", STATE) from None
        if not is_dir:
            raise PpsjError(
                "is a link or a file, not a folder of the vault; refusing to write "
                "(remove it: ppsj makes it again)",
                STATE,
            )
        rel = f"{STATE}/{LOCK_NAME}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
        try:
            if not _NOFOLLOW and os.path.islink(os.path.join(state, LOCK_NAME)):
                raise OSError(errno.ELOOP, "link")
            fd = os.open(os.path.join(state, LOCK_NAME), flags, 0o644)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise PpsjError(
                    "is a link; refusing to write (remove it: ppsj makes it again)", rel
                ) from None
            raise PpsjError(f"cannot write: {exc.strerror}", rel) from None
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        finally:
            os.close(fd)
        if not regular:
            raise PpsjError("is not a file; refusing to write (remove it)", rel)

    def _check_target(self, path: Path, rel: str) -> None:
        """Refuse a write at a link, or below a link leading out of the vault."""
        if path.is_symlink():
            raise PpsjError("refusing to write through a link", rel)
        self._folders(rel, create=False)

    def _folders(self, rel: str, create: bool) -> None:
        """Check the folders above ``rel``, from the root down; with ``create``,
        make the missing ones, one level at a time.

        Each must be a real folder (by lstat), or a link to a folder inside the
        vault; ``mkdir`` never follows a link at the name it makes, and what it
        made is checked again. So a missing ``Sessions/2026`` under a
        ``Sessions`` linked out of the vault is never made out there.
        """
        parts = rel.split("/")[:-1]
        current = self._root_str
        for i, part in enumerate(parts):
            current = os.path.join(current, part)
            try:
                st = os.lstat(current)
            except FileNotFoundError:
                if not create:
                    return  # made, and checked, when written
                try:
                    os.mkdir(current)
                except FileExistsError:
                    pass
                except OSError as exc:
                    where = "/".join(parts[: i + 1])
                    raise PpsjError(f"cannot create the folder: {exc.strerror}", where) from None
                try:
                    st = os.lstat(current)
                except OSError as exc:
                    raise PpsjError(f"cannot write: {exc.strerror}", rel) from None
            except OSError as exc:
                raise PpsjError(f"cannot write: {exc.strerror}", rel) from None
            if stat.S_ISLNK(st.st_mode):
                if not (self.inside(Path(current)) and os.path.isdir(current)):
                    raise PpsjError("refusing to write through a link", rel)
            elif not stat.S_ISDIR(st.st_mode):
                where = "/".join(parts[: i + 1])
                raise PpsjError("cannot write: is a file, not a folder", where)
        if create and not self.inside(Path(current)):  # pragma: no cover - checked above
            raise PpsjError("refusing to write through a link", rel)


def _atomic_write(
    path: Path, data: bytes, rel: str, exclusive: bool = False, durable: bool = True
) -> None:
    try:
        # The folders above were made and checked by Vault._folders.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
            with contextlib.suppress(OSError):
                # A file replaced keeps its mode (a note kept private, 0600, stays
                # private); a new one gets the usual 0644.
                try:
                    mode = stat.S_IMODE(os.stat(path).st_mode)
                except FileNotFoundError:
                    mode = 0o644
                os.chmod(tmp, mode)
            if exclusive:
                # link() fails if the name exists: no window where a note is clobbered.
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    raise PpsjError(
                        "a note of that name already exists; not overwritten", rel
                    ) from None
                except OSError:
                    if path.exists():
                        raise PpsjError(
                            "a note of that name already exists; not overwritten", rel
                        ) from None
                    os.replace(tmp, path)
                    tmp = ""
            else:
                os.replace(tmp, path)
                tmp = ""
        finally:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        if durable:
            _fsync_dir(path.parent)
    except PpsjError:
        raise
    except OSError as exc:
        raise PpsjError(f"cannot write: {exc.strerror}", rel) from None


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
