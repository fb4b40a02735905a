"""The git adapter: the only code that runs ``git`` (the real binary, as a user would).

Each function runs one git command in a repository and returns what it said,
or raises a PpsjError with git's own first line of complaint: a failing git
is one clear line, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path

from ppsjournal.errors import PpsjError

DRIVER = "ppsj"  # merge.<DRIVER>.driver in .git/config, merge=<DRIVER> in .gitattributes
DRIVER_NAME = "ppsj generated files and session notes"


def _run(
    root: Path, *args: str, check: bool = True, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    # No prompt (a password, an editor for a merge message): sync runs unattended.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_EDITOR": "true", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, input=stdin, env=env, check=False
        )
    except FileNotFoundError:
        raise PpsjError("git is not installed (or not on PATH)") from None
    except OSError as exc:
        raise PpsjError(f"cannot run git: {exc.strerror}") from None
    if check and done.returncode != 0:
        raise PpsjError(f"git {args[0]} failed: {complaint(done)}")
    return done


def complaint(done: subprocess.CompletedProcess[bytes]) -> str:
    """git's message in one line: its fatal/error line, else its first."""
    lines = [
        line.strip()
        for line in (done.stderr + done.stdout).decode("utf-8", "replace").splitlines()
        if line.strip()
    ]
    for line in lines:
        if line.startswith(("fatal:", "error:", "CONFLICT", "!")):
            return line
    return lines[0] if lines else f"exit status {done.returncode}"


def toplevel(path: Path) -> Path | None:
    """The root of the work tree ``path`` is in, or None if it is in none."""
    try:
        done = _run(path, "rev-parse", "--show-toplevel", check=False)
    except PpsjError:
        return None
    if done.returncode != 0:
        return None
    return Path(os.fsdecode(done.stdout.rstrip(b"\n")))


def config_get(root: Path, key: str, local: bool = True) -> str | None:
    """A key of the repository's own .git/config (``local=False``: as git reads it)."""
    scope = ("--local",) if local else ()
    done = _run(root, "config", *scope, "--get", key, check=False)
    return done.stdout.decode("utf-8", "replace").rstrip("\n") if done.returncode == 0 else None


def config_set(root: Path, key: str, value: str) -> None:
    _run(root, "config", "--local", key, value)


def head(root: Path) -> str:
    return _run(root, "rev-parse", "HEAD").stdout.decode().strip()


def commit_of(root: Path, name: str) -> str | None:
    """The commit a name (``@{u}``, a branch) points at, or None if it names none."""
    done = _run(root, "rev-parse", "--verify", "-q", f"{name}^{{commit}}", check=False)
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def merge_base(root: Path, one: str, other: str) -> str | None:
    """The best common ancestor of two commits, or None if they share none."""
    done = _run(root, "merge-base", one, other, check=False)
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def unpushed_merges(root: Path) -> list[tuple[str, str]]:
    """The two parents of each merge commit on the branch but not its upstream's."""
    out = _run(root, "rev-list", "--merges", "--parents", "@{u}..HEAD").stdout.decode()
    return [(line.split()[1], line.split()[2]) for line in out.splitlines() if line.strip()]


def changed_between(root: Path, old: str, new: str, under: str) -> list[str]:
    """Paths under ``under`` (relative to the root) that differ between two commits
    (a rename is a removal and an addition: each path on its own)."""
    out = _run(root, "diff", "--name-only", "--no-renames", "-z", old, new, "--", under).stdout
    return sorted(os.fsdecode(p) for p in out.split(b"\0") if p)


def show(root: Path, commit: str, path: str) -> bytes | None:
    """A file (relative to the root) as a commit holds it, or None if it holds none."""
    done = _run(root, "show", f"{commit}:{path}", check=False)
    return done.stdout if done.returncode == 0 else None


def upstream(root: Path) -> str | None:
    """The branch's upstream (``origin/main``), or None if it has none."""
    done = _run(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}", check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def remotes(root: Path) -> list[str]:
    return _run(root, "remote").stdout.decode("utf-8", "replace").split()


def current_branch(root: Path) -> str | None:
    done = _run(root, "symbolic-ref", "--short", "-q", "HEAD", check=False)
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def in_progress(root: Path) -> str | None:
    """``merge`` or ``rebase`` if one is stopped half-way, else None."""
    git_dir = Path(os.fsdecode(_run(root, "rev-parse", "--absolute-git-dir").stdout.strip()))
    if (git_dir / "MERGE_HEAD").exists():
        return "merge"
    if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
        return "rebase"
    return None


def pull(root: Path) -> subprocess.CompletedProcess[bytes]:
    """``git pull`` as configured (merge or rebase: pull.rebase decides), not checked.

    Where nothing is configured, git >= 2.27 refuses to pull diverged branches
    until told; the merge it did before is what sync then asks for.
    """
    how = () if config_get(root, "pull.rebase", local=False) is not None else ("--no-rebase",)
    return _run(root, "pull", "--no-edit", *how, check=False)


def unmerged(root: Path) -> list[str]:
    """Paths git left in conflict, relative to the repository root."""
    out = _run(root, "diff", "--name-only", "--diff-filter=U", "-z").stdout
    return sorted(os.fsdecode(p) for p in out.split(b"\0") if p)


def changed(root: Path, under: str) -> list[str]:
    """Paths under ``under`` (relative to the root) that differ from HEAD or are untracked."""
    out = _run(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", under).stdout
    found = []
    entries = out.split(b"\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if not entry:
            continue
        if entry[:1] in (b"R", b"C"):
            i += 1  # the rename's source follows
        found.append(os.fsdecode(entry[3:]))
    return sorted(found)


def add(root: Path, under: str, leave: str) -> None:
    """Stage every change under ``under`` but in its folder ``leave`` (never committed,
    even where .gitignore forgets it; an exclude pathspec fails where it does not)."""
    _run(root, "add", "--all", "--", under)
    _run(
        root, "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", Path(under, leave).as_posix()
    )


def resolve(root: Path, paths: list[str]) -> None:
    """Mark conflicted paths settled as they now are in the work tree (gone: removed)."""
    for path in paths:
        if (root / path).exists():
            _run(root, "add", "--", path)
        else:
            _run(root, "rm", "--cached", "--quiet", "--", path)


def staged(root: Path) -> bool:
    """Whether the index holds changes to commit (a merge to conclude counts)."""
    if _run(root, "diff", "--cached", "--quiet", check=False).returncode != 0:
        return True
    return in_progress(root) == "merge"


def commit(root: Path, message: str) -> None:
    _run(root, "commit", "--quiet", "--no-verify", "-m", message)


def continue_rebase(root: Path) -> subprocess.CompletedProcess[bytes]:
    return _run(root, "rebase", "--continue", check=False)


def push(root: Path) -> subprocess.CompletedProcess[bytes]:
    return _run(root, "push", check=False)


def merge_text(
    ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str], where: Path
) -> tuple[bytes, int]:
    """``git merge-file -p``: the three-way merge of the three texts, and the number
    of conflicts marked in it. Its three files are git's kind of temp files,
    beside git's own (``where``: the repository root), removed at once."""
    names = []
    try:
        for data in (ours, base, theirs):
            fd, name = tempfile.mkstemp(prefix=".merge_file_ppsj_", dir=where)
            names.append(name)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        done = _run(
            where,
            "merge-file",
            "-p",
            *("-L", labels[0], "-L", labels[1], "-L", labels[2]),
            "--",
            *names,
            check=False,
        )
    finally:
        for name in names:
            with contextlib.suppress(OSError):
                os.unlink(name)
    if done.returncode > 127:  # negative: an error
        raise PpsjError(f"git merge-file failed: {complaint(done)}")
    return done.stdout, done.returncode
