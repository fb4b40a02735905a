"""The one exception type the CLI turns into a one-line message and an exit code."""

from __future__ import annotations


class PpsjError(Exception):
    """A problem the user can fix: bad input, a bad note, a refused action.

    The message is shown as one line on stderr; ``where`` names the file (and
    line) or settings key, so the user knows what to open.
    """

    exit_code = 1

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UsageError(PpsjError):
    """Bad command-line usage (exit 2, as click does for its own usage errors)."""

    exit_code = 2
