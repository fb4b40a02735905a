"""Names of partners and leads: they become file names, so they are checked here.

A vault may come from someone else through git, so a name is never trusted to
stay inside the vault: anything Obsidian, Windows or a path could misread is
refused with a message that says why.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

from ppsjournal.errors import PpsjError

# Characters Obsidian refuses in note names, plus the ones Windows refuses.
FORBIDDEN_CHARS = frozenset('*"\\/<>:|?#^[]')
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    # Windows reserves the superscript digits too: COM¹ is a device, like COM1.
    + [f"{dev}{i}" for dev in ("COM", "LPT") for i in [*"123456789", "¹", "²", "³"]]
)
MAX_NAME_BYTES = 200


def check_name(name: str, what: str = "name") -> str:
    """Return ``name`` if it is safe as a note's file name, else raise PpsjError."""
    if not name or not name.strip():
        raise PpsjError(f"the {what} is empty")
    shown = repr(name)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        kind = "a line break, a" if "\n" in name or "\r" in name else "a"
        raise PpsjError(f"{what} {shown} contains {kind} control character")
    bad = sorted({c for c in name if c in FORBIDDEN_CHARS})
    if bad:
        raise PpsjError(
            f"{what} {shown} contains {' '.join(bad)}; "
            'these characters are not allowed in note names: * " \\ / < > : | ? # ^ [ ]'
        )
    if name.startswith("."):
        raise PpsjError(f"{what} {shown} starts with a dot (a hidden file)")
    if name != name.strip():
        raise PpsjError(f"{what} {shown} starts or ends with a space")
    if name.endswith("."):
        raise PpsjError(f"{what} {shown} ends with a dot, which Windows drops")
    stem = name.split(".", 1)[0].strip().upper()
    if stem in WINDOWS_RESERVED:
        raise PpsjError(f"{what} {shown} is a reserved file name on Windows")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise PpsjError(f"{what} {shown} is longer than {MAX_NAME_BYTES} bytes")
    return unicodedata.normalize("NFC", name)


def name_key(name: str) -> str:
    """The identity of a name: ``Debbie Harper`` and ``debbie harper`` are one partner."""
    return unicodedata.normalize("NFC", name).casefold()


def fold(name: str) -> str:
    """A name as typed, for matching: no case, no accents, single spaces (José = jose)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def same_name(typed: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``typed`` is in full, case and accents aside
    (``jose nunez`` is José Núñez); None when none is, or several are."""
    want = fold(typed)
    found = [name for name in dict.fromkeys(names) if fold(name) == want]
    return found[0] if len(found) == 1 else None


def match_name(typed: str, names: Iterable[str], kind: str = "partner", hint: str = "") -> str:
    """The one name of ``names`` that ``typed`` means, or PpsjError in one line.

    Case and accents aside (``jose nunez`` is José Núñez), the whole name, else a
    unique first name (``debbie``), else a unique start of the name (``deb h``).
    Several matches are listed; no match suggests the closest name.
    """
    want = fold(typed)
    table = [(name, fold(name)) for name in dict.fromkeys(names)]
    if want:
        for found in (
            [name for name, key in table if key == want],
            [name for name, key in table if key.split(" ", 1)[0] == want],
            [name for name, key in table if key.startswith(want)],
        ):
            if len(found) == 1:
                return found[0]
            if found:
                listed = ", ".join(sorted(found, key=fold))
                raise PpsjError(
                    f"{typed!r} could be more than one {kind}: {listed} (type more of the name)"
                )
    keys = {key: name for name, key in table}
    close = difflib.get_close_matches(want, list(keys), n=1, cutoff=0.6)
    if not close:  # a misspelt first name: "debie" for Debbie Harper
        firsts = {key.split(" ", 1)[0]: key for key in keys}
        close = [firsts[k] for k in difflib.get_close_matches(want, list(firsts), n=1)]
    why = f"did you mean {keys[close[0]]!r}?" if close else hint
    raise PpsjError(f"no {kind} named {typed!r}" + (f" ({why})" if why else ""))


def link_target(value: object) -> str | None:
    """The note name a wiki-link names: ``[[Debbie Harper|Debbie]]`` -> ``Debbie Harper``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("[[") and text.endswith("]]"):
        text = text[2:-2]
    text = text.split("|", 1)[0].split("#", 1)[0].strip()
    # A link may carry a folder ("Partners/Debbie Harper"); the note name is its last part.
    text = text.rsplit("/", 1)[-1]
    if text.endswith(".md"):
        text = text[:-3]
    return text or None


def note_name(path: str) -> str:
    """A note's name, as a wiki-link names it: its file name without ``.md``."""
    stem = path.rsplit("/", 1)[-1]
    return stem[:-3] if stem.endswith(".md") else stem


def wikilink(target: str, block: str | None = None) -> str:
    """``[[target]]``, or a link to a block of it (``[[target#^id|target]]``)."""
    if block:
        return f"[[{target}#^{block}|{target}]]"
    return f"[[{target}]]"


def is_utf8(rel: str) -> bool:
    """Whether a path from the file system is valid UTF-8 (no surrogate escapes)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(rel: str) -> str:
    """A path for messages: the bytes that are not UTF-8 as ``\\xNN``."""
    try:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate of another origin
        return rel.encode("utf-8", "backslashreplace").decode("utf-8")
