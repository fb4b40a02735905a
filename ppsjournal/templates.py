"""Notes rendered from Jinja templates, in Jinja's sandbox.

A vault may come from someone else through git, so a vault's ``Templates/``
override is untrusted code: it renders in an ``ImmutableSandboxedEnvironment``
fed plain data, with ``StrictUndefined``, a size limit on the result, and no
template reached through a link that leads outside the vault. Any failure is a
PpsjError naming the template file and line; nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ppsjournal.errors import PpsjError

MAX_OUTPUT = 1024 * 1024
MAX_TEMPLATE = 256 * 1024
TEMPLATE_NAMES = ("session.md.j2", "partner.md.j2", "lead.md.j2", "follow-ups.md.j2")
VAULT_TEMPLATES = "Templates"


def packaged_dir() -> Path:
    """The packaged templates: inside the wheel, or top-level in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "session.md.j2").is_file():
            return candidate
    raise PpsjError(f"the packaged templates are missing (looked in {here})")


def _source(vault_root: Path | None, name: str) -> tuple[str, str]:
    """(template text, the name errors show) for ``name``, the vault's copy first."""
    if name not in TEMPLATE_NAMES:
        raise PpsjError(f"unknown template {name!r}")
    if vault_root is not None:
        path = vault_root / VAULT_TEMPLATES / name
        shown = f"{VAULT_TEMPLATES}/{name}"
        if path.is_symlink() or path.exists():
            try:
                path.resolve().relative_to(vault_root.resolve())
            except (ValueError, OSError, RuntimeError):
                raise PpsjError("template links outside the vault; refused", shown) from None
            return _read(path, shown), shown
    path = packaged_dir() / name
    return _read(path, f"(packaged) {name}"), f"(packaged) {name}"


def _read(path: Path, shown: str) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_TEMPLATE + 1)
    except OSError as exc:
        raise PpsjError(f"cannot read template: {exc.strerror}", shown) from None
    if len(data) > MAX_TEMPLATE:
        raise PpsjError("template is too large", shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PpsjError("template is not valid UTF-8", shown) from None


def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(vault_root: Path | None, name: str, context: dict[str, Any]) -> str:
    """Render template ``name`` with plain-data ``context``; PpsjError on any failure."""
    import jinja2
    from jinja2.sandbox import SecurityError

    source, shown = _source(vault_root, name)
    env = _environment()
    try:
        template = env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise PpsjError(f"template syntax error: {exc.message}", f"{shown}:{exc.lineno}") from None
    # from_string names every template "<template>"; errors below map back by that.
    parts: list[str] = []
    size = 0
    try:
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise PpsjError(
                    f"template output is larger than {MAX_OUTPUT // 1024} KiB; refused", shown
                )
            parts.append(chunk)
    except PpsjError:
        raise
    except SecurityError as exc:
        raise PpsjError(f"template is not allowed to do that: {exc}", _at(shown)) from None
    except jinja2.UndefinedError as exc:
        raise PpsjError(f"template uses an undefined name: {exc.message}", _at(shown)) from None
    except jinja2.TemplateError as exc:
        raise PpsjError(f"template error: {exc}", _at(shown)) from None
    except (
        ArithmeticError,
        TypeError,
        ValueError,
        LookupError,
        AttributeError,
        RecursionError,
    ) as exc:
        raise PpsjError(f"template failed: {type(exc).__name__}: {exc}", _at(shown)) from None
    return "".join(parts)


def render_note(
    vault_root: Path | None, name: str, meta: dict[str, Any], context: dict[str, Any]
) -> str:
    """A new note: properties written by ppsj (their types never drift), body from the template."""
    from ppsjournal.model import QUOTED_KEYS
    from ppsjournal.note import render_front_matter

    return render_front_matter(meta, QUOTED_KEYS) + render(vault_root, name, context)


def _at(shown: str) -> str:
    """``shown:line`` for the exception being handled, from Jinja's rewritten traceback."""
    tb = sys.exc_info()[2]
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"{shown}:{line}" if line else shown
