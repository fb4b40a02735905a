"""Notes rendered from Jinja templates, in Jinja's sandbox.

A vault may come from someone else through git, so a vault's ``Templates/``
override is untrusted code: it renders in an ``ImmutableSandboxedEnvironment``
fed plain data, with ``StrictUndefined``, a size limit on the result, and no
template reached through a link that leads outside the vault. Any failure is a
PpsjError naming the template file and line; nothing is written.

The sandbox keeps a template from Python's internals, not from asking for a
huge string or an endless loop. So operators and calls that could build more
than the output limit in one step are refused with a clear message, and, as
a backstop where the platform allows, a render gets a time limit (SIGALRM, in
the main thread) and a memory limit (RLIMIT_AS, Linux) for its duration.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ppsjournal.dates import shown_time
from ppsjournal.errors import PpsjError
from ppsjournal.note import CONFLICT_MESSAGE, conflict_line, render_front_matter
from ppsjournal.properties import QUOTED_KEYS

MAX_OUTPUT = 1024 * 1024  # a note
# Follow-ups.md lists the whole vault: thousands of overdue items pass 1 MiB,
# and refusing it would stop the build (the calendars too) for a vault that is
# only large. Still bounded, like the time and memory a render may take.
MAX_INDEX_OUTPUT = 32 * 1024 * 1024
OUTPUT_LIMITS = {"follow-ups.md.j2": MAX_INDEX_OUTPUT}
MAX_TEMPLATE = 256 * 1024
TEMPLATE_NAMES = (
    "session.md.j2",
    "partner.md.j2",
    "lead.md.j2",
    "referral-out.md.j2",
    "follow-ups.md.j2",
)
VAULT_TEMPLATES = "Templates"
RENDER_SECONDS = 10.0
RENDER_MEMORY = 512 * 1024 * 1024  # address space a render may add
# A width of a million or more in a format spec ("%9999999d", "{:>9999999}").
_WIDE_FORMAT = re.compile(r"%[^a-zA-Z%]*\d{7}|\{[^}]*\d{7}[^}]*\}")
_SIZED = (str, list, tuple)
_HHMM = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")


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
            text = _read(path, shown)
            line = conflict_line(text)
            if line:  # a merge left half-done: its markers would be copied into notes
                raise PpsjError(CONFLICT_MESSAGE, f"{shown}:{line}")
            return text, shown
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
        # utf-8-sig: a byte-order mark (Windows Notepad) would land in the note's body.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PpsjError("template is not valid UTF-8", shown) from None


class _TooLong(Exception):
    """A render ran past RENDER_SECONDS."""


# Filters and str methods whose number arguments are widths or counts of what they build.
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "slice", "batch", "truncate"})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _check_widths(what: str, args: tuple, kwargs: dict) -> None:
    from jinja2.sandbox import SecurityError

    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT:
            raise SecurityError(f"{what}: {value} is more than a template may ask for")


def _check_format(what: str, fmt: object) -> None:
    from jinja2.sandbox import SecurityError

    if isinstance(fmt, str) and _WIDE_FORMAT.search(fmt):
        raise SecurityError(f"{what}: a format width of a million or more")


@functools.cache
def _environment() -> Any:
    from jinja2 import FunctionLoader, StrictUndefined, pass_context
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    class Sandbox(ImmutableSandboxedEnvironment):
        # Jinja's own sandbox stops Python internals; these stop a one-step blow-up.
        intercepted_binops = frozenset({"*", "**", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, _SIZED) and isinstance(n, int) and len(seq) * n > MAX_OUTPUT:
                        raise SecurityError("'*' would build more than the output limit")
            elif operator == "**":
                if (
                    isinstance(left, int)
                    and isinstance(right, int)
                    and abs(left) > 1
                    and right * abs(left).bit_length() > 64 * 1024
                ):
                    raise SecurityError("'**' would build a number too large")
            else:
                _check_format("'%'", left)
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            name = getattr(__obj, "__name__", "")
            if isinstance(getattr(__obj, "__self__", None), str) and name in _WIDTH_METHODS:
                _check_widths(f"str.{name}", args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

        def wrap_str_format(self, value: Any) -> Any:
            # str.format and str.format_map: Jinja wraps them when they are looked up.
            wrapped = super().wrap_str_format(value)
            if wrapped is not None:
                _check_format("str.format", value.__self__)
            return wrapped

    env = Sandbox(
        # No template reaches another: include, import and extends find nothing.
        loader=FunctionLoader(lambda name: None),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Filters are called directly, not through call(): guard those that build.
    for name in (*_WIDTH_FILTERS, "format"):
        if name in env.filters:
            env.filters[name] = _guarded(name, env.filters[name])
    env.globals.pop("lipsum", None)  # HTML filler text of any length: not for notes
    env.filters["clock"] = pass_context(_clock)
    return env


def _clock(context: Any, value: Any) -> str:
    """``{{ "14:40" | clock }}``: a time as the owner's ``[owner] clock`` shows it."""
    clock = context.get("clock", "12h")
    if isinstance(value, str) and _HHMM.fullmatch(value.strip()):
        value = dt.time.fromisoformat(value.strip().zfill(5))
    if not isinstance(value, dt.time):
        raise ValueError(f"clock: {value!r} is not a time as HH:MM")
    return shown_time(value, clock)


def _guarded(name: str, func: Any) -> Any:
    # A filter marked pass_context (or eval_context, environment) gets that first.
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)  # also copies the pass_* marker, so Jinja calls it alike
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if name == "format":
            _check_format("filter 'format'", args[skip] if len(args) > skip else None)
        else:
            _check_widths(f"filter {name!r}", args[skip + 1 :], kwargs)
        return func(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def _limits() -> Iterator[None]:
    """A time and a memory limit for one render, where the platform allows them."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(_time_limit())
        stack.enter_context(_memory_limit())
        yield


@contextlib.contextmanager
def _time_limit() -> Iterator[None]:
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise _TooLong()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, RENDER_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _memory_limit() -> Iterator[None]:
    try:
        import resource

        with open("/proc/self/statm", "rb") as fh:  # Linux: enforced there
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, AttributeError):
        yield
        return
    limit = used + RENDER_MEMORY
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY and soft <= limit:
        yield  # already tighter than ours
        return
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@functools.lru_cache(maxsize=8)
def _compiled(source: str) -> Any:
    """A template's source compiled once a process: ``ppsj week`` renders one
    template for every session (30 ms each to compile). Keyed by the text, so
    an edited template is compiled anew (the watcher's process lives on)."""
    return _environment().from_string(source)


def render(vault_root: Path | None, name: str, context: dict[str, Any]) -> str:
    """Render template ``name`` with plain-data ``context``; PpsjError on any failure."""
    import jinja2
    from jinja2.sandbox import SecurityError

    source, shown = _source(vault_root, name)
    try:
        template = _compiled(source)
    except jinja2.TemplateSyntaxError as exc:
        raise PpsjError(f"template syntax error: {exc.message}", f"{shown}:{exc.lineno}") from None
    # from_string names every template "<template>"; errors below map back by that.
    parts: list[str] = []
    size = 0
    limit = OUTPUT_LIMITS.get(name, MAX_OUTPUT)
    try:
        with _limits():
            for chunk in template.generate(**context):
                size += len(chunk.encode("utf-8", "surrogatepass"))
                if size > limit:
                    raise PpsjError(
                        f"template output is larger than {limit // 1024} KiB; refused",
                        _at(shown),
                    )
                parts.append(chunk)
    except PpsjError:
        raise
    except _TooLong:
        raise PpsjError(
            f"template took longer than {RENDER_SECONDS:.0f} s; refused", _at(shown)
        ) from None
    except MemoryError:
        raise PpsjError("template used too much memory; refused", _at(shown)) from None
    except SecurityError as exc:
        raise PpsjError(f"template is not allowed to do that: {exc}", _at(shown)) from None
    except jinja2.TemplateNotFound as exc:
        raise PpsjError(
            f"a template cannot include, import or extend another ({exc.name!r})", _at(shown)
        ) from None
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
