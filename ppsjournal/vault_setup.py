"""Creating a vault (``ppsj init``)."""

from __future__ import annotations

import os
from pathlib import Path

from ppsjournal.errors import PpsjError, UsageError
from ppsjournal.layout import CALENDAR, LEADS, PARTNERS, SESSIONS, STATE, TEMPLATES
from ppsjournal.settings import (
    CONFIG_NAME,
    check_email,
    check_text,
    check_timezone,
    parse_settings,
    render_settings,
)
from ppsjournal.sync import ATTRIBUTE_LINES, GITATTRIBUTES, configure
from ppsjournal.vault import TEMP_PREFIX, TEMP_SUFFIX, Vault

GITIGNORE = f"""\
# ppsj's cache and lock: local to each machine
{STATE}/
# the temp file of a write cut off (the next 'ppsj build' removes it)
{TEMP_PREFIX}*{TEMP_SUFFIX}
# Obsidian's per-device workspace state
.obsidian/workspace*.json
.trash/
"""


def check_place(directory: Path) -> None:
    """Refuse a new vault inside another vault, or in a folder of notes (without --here)."""
    here = directory.expanduser().resolve()
    for folder in here.parents:
        if (folder / CONFIG_NAME).is_file():
            raise PpsjError(
                f"{directory} is inside the vault {folder}; "
                "a vault in a vault is refused (use --here to create it anyway)"
            )
    if (here / CONFIG_NAME).exists():
        return  # create_vault says "already exists"
    note = first_note(here)
    if note is not None:
        raise PpsjError(
            f"{directory} already holds Markdown notes ({note}); "
            "use --here to make it a vault as it is"
        )


def first_note(directory: Path) -> str | None:
    """The first Markdown note under ``directory`` (hidden folders skipped), if any."""
    if not directory.is_dir():
        return None
    for top, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(files):
            if file.lower().endswith((".md", ".markdown")):
                return (Path(top) / file).relative_to(directory).as_posix()
    return None


def create_vault(
    directory: Path, *, name: str, email: str, timezone: str
) -> tuple[list[str], list[str]]:
    """Write a new vault's files; return what was created, and advice. Never clobbers."""
    try:
        check_text(name, "--name")
        check_email(email, "--email")
        check_timezone(timezone, "--timezone")
    except PpsjError as exc:
        raise UsageError(exc.message, exc.where) from None
    settings_text = render_settings(name, email, timezone)
    settings = parse_settings(settings_text, CONFIG_NAME)
    if (directory / CONFIG_NAME).exists():
        raise PpsjError(f"{directory / CONFIG_NAME} already exists; not overwritten")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PpsjError(f"cannot create the folder: {exc.strerror}", str(directory)) from None
    vault = Vault(directory, settings)
    created = []
    vault.create(CONFIG_NAME, settings_text.encode("utf-8"))
    created.append(CONFIG_NAME)
    for folder in (PARTNERS, SESSIONS, LEADS, TEMPLATES, CALENDAR):
        path = directory / folder
        if not path.exists():
            path.mkdir()
            created.append(folder + "/")
    for rel, text in ((".gitignore", GITIGNORE), (".gitattributes", GITATTRIBUTES)):
        if not (directory / rel).exists():
            vault.create(rel, text.encode("utf-8"))
            created.append(rel)
    # In a git repository: its merge driver, so that two clones never conflict.
    configured = [f"{line} (the merge driver of ppsj's files)" for line in configure(vault)]
    return created, [*configured, *advice(vault, created)]


def advice(vault: Vault, created: list[str]) -> list[str]:
    """What an existing .gitignore / .gitattributes (left as it was) still lacks."""
    tips = []
    wanted = (
        (".gitignore", f"{STATE}/", "so ppsj's cache and lock stay out of git"),
        (
            ".gitignore",
            f"{TEMP_PREFIX}*{TEMP_SUFFIX}",
            "so the temp file of a write cut off stays out of git",
        ),
        *((".gitattributes", line, why) for line, why in ATTRIBUTE_LINES),
    )
    for rel, line, why in wanted:
        if rel in created:
            continue
        try:
            text = vault.read_bytes(rel).decode("utf-8", "replace")
        except PpsjError:
            continue
        if " ".join(line.split()) not in (" ".join(raw.split()) for raw in text.splitlines()):
            tips.append(f"{rel} was left as it was: add the line '{line}' {why}")
    return tips
