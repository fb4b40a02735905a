"""The ``ppsj`` command line: a thin shell over the domain modules.

Commands live in the modules of this package and are imported only when run,
so ``ppsj --help`` stays fast. Only this layer reads the clock and talks to the
terminal; a PpsjError becomes one line on stderr and exit 1 (2 for usage).
The exit codes are named in ppsjournal.errors.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import importlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ppsjournal import __version__
from ppsjournal.cli.types import DATE, BadValue, date_value
from ppsjournal.errors import EXIT_FAILED, EXIT_USAGE, PpsjError, UsageError

if TYPE_CHECKING:
    from ppsjournal.app import Builder
    from ppsjournal.index import Index
    from ppsjournal.vault import Vault

# name -> "module:function", in the order --help lists them.
COMMANDS: dict[str, str] = {
    "init": "ppsjournal.cli.init:init",
    "slots": "ppsjournal.cli.partners:slots",
    "add": "ppsjournal.cli.partners:add",
    "partners": "ppsjournal.cli.partners:partners",
    "skip": "ppsjournal.cli.partners:skip",
    "move": "ppsjournal.cli.partners:move",
    "pause": "ppsjournal.cli.partners:pause",
    "resume": "ppsjournal.cli.partners:resume",
    "renew": "ppsjournal.cli.partners:renew",
    "reschedule": "ppsjournal.cli.partners:reschedule",
    "week": "ppsjournal.cli.week:week",
    "held": "ppsjournal.cli.sessions:held",
    "missed": "ppsjournal.cli.sessions:missed",
    "lead": "ppsjournal.cli.leads:lead",
    "stage": "ppsjournal.cli.leads:stage",
    "refer": "ppsjournal.cli.leads:refer",
    "spend": "ppsjournal.cli.ledger:spend",
    "overdue": "ppsjournal.cli.followups:overdue",
    "history": "ppsjournal.cli.history:history",
    "search": "ppsjournal.cli.history:search",
    "doctor": "ppsjournal.cli.doctor:doctor",
    "build": "ppsjournal.cli.build:build",
    "watch": "ppsjournal.cli.build:watch",
    "invite": "ppsjournal.cli.invite:invite",
    "publish": "ppsjournal.cli.publish:publish",
    "report": "ppsjournal.cli.report:report",
    "sync": "ppsjournal.cli.sync:sync",
    "merge-driver": "ppsjournal.cli.sync:merge_driver",
}


class CliError(click.ClickException):
    """A PpsjError on its way out: one line, ``ppsj: ...``, and its exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        # click declares exit_code on the class; ours varies per error (1 or 2).
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        from ppsjournal.output import one_line

        click.echo(f"ppsj: {one_line(self.format_message())}", err=True)


# Click >= 8.2 raises this (a UsageError) for a bare `ppsj`; older versions exit instead.
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _one_line(exc: click.UsageError) -> CliError:
    """A usage error as one line, like every other error, instead of click's usage block."""
    if isinstance(exc, BadValue):
        return CliError(exc.format_message(), EXIT_USAGE)  # it says what was expected already
    path = exc.ctx.command_path if exc.ctx else "ppsj"
    return CliError(f"{exc.format_message().rstrip('.')} (see '{path} --help')", EXIT_USAGE)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except _NO_ARGS_IS_HELP:
            raise  # bare `ppsj`: click shows the help, as it should
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PpsjError as exc:
            raise CliError(str(exc), exc.exit_code) from None
        except click.UsageError as exc:
            # One line, like every other error, instead of click's usage block.
            raise _one_line(exc) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except BrokenPipeError:
            # The reader stopped early (`ppsj slots | head -1`): nothing to tell it.
            # stdout goes nowhere from here, so the flush at exit cannot fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(EXIT_FAILED) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise CliError(f"{where}{exc.strerror or exc}") from None
        except Exception as exc:
            if os.environ.get("PPSJ_DEBUG"):
                raise
            raise CliError(
                f"internal error: {type(exc).__name__}: {exc} "
                "(please report it; PPSJ_DEBUG=1 shows the traceback)"
            ) from None


def _store(key: str):
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            ctx.ensure_object(dict)[key] = value
        return value

    return callback


def common_options(f: Any) -> Any:
    """--vault and --today, taken on the group and on every command alike."""
    f = click.option(
        "--today",
        type=DATE,
        expose_value=False,
        callback=_store("today"),
        help="Take this day as today (default: $PPSJ_TODAY, else the clock).",
    )(f)
    f = click.option(
        "--vault",
        metavar="PATH",
        expose_value=False,
        callback=_store("vault"),
        help="The vault (default: $PPSJ_VAULT, else the first folder up with a ppsj.toml).",
    )(f)
    return f


@dataclass
class Runtime:
    """What a command needs from its environment: the vault and today."""

    options: dict[str, Any]
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _vault: Vault | None = None
    _builder: Builder | None = None

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            from ppsjournal.vault import Vault, find_root

            root = find_root(self.options.get("vault"), self.environ, Path.cwd())
            self._vault = Vault.open(root)
        return self._vault

    @property
    def today(self) -> dt.date:
        day = self.options.get("today")  # a date: --today is parsed as the line is
        if day is not None:
            return day
        raw = self.environ.get("PPSJ_TODAY")
        if raw:
            try:
                return date_value(raw)
            except PpsjError as exc:
                raise UsageError(exc.message, "$PPSJ_TODAY") from None
        # The one place that reads the clock: today in the owner's time zone.
        return dt.datetime.now(self.vault.settings.tz).date()

    def builder(self) -> Builder:
        """The vault's builder (and store), closed when the command ends."""
        if self._builder is None:
            from ppsjournal.app import Builder

            self._builder = Builder(self.vault)
            ctx = click.get_current_context(silent=True)
            if ctx is not None:
                ctx.call_on_close(self._builder.close)
        return self._builder

    def index(self) -> Index:
        """The vault's index, its store refreshed first."""
        return self.builder().index()


def runtime() -> Runtime:
    ctx = click.get_current_context()
    return Runtime(ctx.ensure_object(dict))


def find_partner(index: Index, name: str, writing: bool = False) -> Any:
    """The partner ``name`` means, as names are typed (actions.find_partner)."""
    from ppsjournal.actions import find_partner

    return find_partner(index, name, writing)


def echo_json(data: Any) -> None:
    """One JSON document on stdout; all-ASCII escapes where stdout is not UTF-8."""
    from ppsjournal.output import to_json

    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("_", "-")
    click.echo(to_json(data, ascii_only=encoding not in ("utf-8", "utf8")))


def warn(message: str) -> None:
    from ppsjournal.output import one_line

    click.echo(f"ppsj: {one_line(message)}", err=True)


# What a report or an invite written with --html/--out must never replace: a
# note, the settings, or a file in git's own folder (a slip of tab completion).
_NOT_OUTPUTS = (".md", ".markdown", ".toml")


def output_path(value: str, option: str) -> Path:
    """The file an --out/--html option names, refused if it would clobber the user's own."""
    path = Path(value)
    if path.suffix.lower() in _NOT_OUTPUTS or ".git" in path.parts:
        raise UsageError(
            f"{option} {value!r} looks like a note or settings file; "
            "refusing to overwrite it (name the output .html or .eml)"
        )
    return path


def write_output(path: Path, data: bytes, value: str) -> None:
    """Write an --out/--html file, never through a link at its name (a link a
    cloned vault carries would send the bytes out of it): refused, one line."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        if path.is_symlink():
            raise OSError(errno.ELOOP, "link")
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PpsjError("is a link; refusing to write through it", value) from None
        raise PpsjError(f"cannot write: {exc.strerror}", value) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise PpsjError(f"cannot write: {exc.strerror}", value) from None


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@common_options
@click.version_option(__version__, prog_name="ppsj")
def cli() -> None:
    """Weekly Partnership Planning Sessions in a plain-text Markdown vault.

    Each partner is a note in Partners/, each weekly session a note in
    Sessions/, every follow-up a task line. Start with `ppsj init`.

    Exit status: 0 done; 1 refused or failed; 2 bad usage; 3 done, but
    some notes could not be read (each named on stderr).

    \b
    Example:
      ppsj --vault example-vault partners
    """


def main() -> None:
    for stream in (sys.stdout, sys.stderr):
        # A terminal or file that is not UTF-8 (a Windows code page, LANG=C):
        # what it cannot show is written as an escape instead of failing mid-way.
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    cli.main(prog_name="ppsj")


if __name__ == "__main__":  # pragma: no cover
    main()
