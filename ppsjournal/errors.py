"""The one exception type the CLI turns into a one-line message, and the exit codes."""

from __future__ import annotations

# The exit status of every command (docs/commands.md, "Exit status").
EXIT_OK = 0  # done
EXIT_FAILED = 1  # refused or failed: a PpsjError, a stale `build --check`, doctor's findings
EXIT_USAGE = 2  # bad usage: an unknown option, a value that does not parse
EXIT_PROBLEMS = 3  # done, but the vault has problems (notes that cannot be read, named on stderr)


class PpsjError(Exception):
    """A problem the user can fix: bad input, a bad note, a refused action.

    The message is shown as one line on stderr; ``where`` names the file (and
    line) or settings key, so the user knows what to open.
    """

    exit_code = EXIT_FAILED

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UsageError(PpsjError):
    """Bad command-line usage (exit 2, as click does for its own usage errors)."""

    exit_code = EXIT_USAGE
