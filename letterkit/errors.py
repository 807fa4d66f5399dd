"""The errors letterkit raises: each carries the facts a person or a program needs to fix
the input (file, row, field, what was expected). Words about command-line flags and exit
codes belong to the command line alone (`letterkit.cli`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Self

# What kind of problem a Problem is, for programs that act on it (the CLI adds its advice).
EXISTS = "exists"  # a file is already there and was left as it was
MISSING = "missing"  # the record lacks what a letter needs
DATE = "date"  # the letter's date is outside the days the letter may carry
PRACTICE = "practice"  # the practice checks found fault, and the caller asked for none
LATE = "late"  # the first answer is later than it should be
UNUSED_COLUMNS = "unused columns"  # a sheet's columns letterkit left out
LOCKED = "locked"  # a file could not be written: open in another program, or no permission


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected.

    `message` says it all for a person; `expected` repeats what would have been right, and
    `code` (one of the constants above, or None) what kind of problem it is, for programs.
    """

    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    expected: str | None = None
    code: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.row is not None:
            where = f"{where}:{self.row}" if where else f"row {self.row}"
        parts = [p for p in (where, self.field) if p]
        return ": ".join([*parts, self.message])


class LetterkitError(Exception):
    """Base of every error letterkit raises on purpose: one or more Problems."""

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[LetterkitError], tuple[list[Problem]]]:
        # Batch workers send errors back to the parent process: rebuild from the Problems.
        return type(self), (self.problems,)

    @classmethod
    def at(
        cls,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        code: str | None = None,
    ) -> Self:
        return cls(Problem(message, file=file, row=row, field=field, expected=expected,
                           code=code))


class InputError(LetterkitError):
    """A record, config, sheet or argument is not what letterkit expects."""


class KindNotPossible(InputError):
    """The record lacks what a letter kind needs, or the letter's date does not suit it."""


class TemplateError(LetterkitError):
    """A template cannot be found, compiled or rendered."""


class OutputExists(LetterkitError):
    """A file is already there, and replacing it was not asked for."""


class CannotWrite(LetterkitError):
    """A file could not be written: open in another program (Word locks what it has open),
    a folder without permission, a full disk."""


class MissingTool(LetterkitError):
    """A program letterkit needs for this (LibreOffice) is not installed or not found."""


class DiskFull(CannotWrite):
    """The disk refuses every write, not one file (full, over quota, read-only): whatever
    comes next would fail too, so the run stops here."""


def unexpected(error: BaseException) -> LetterkitError:
    """The error for a fault letterkit did not foresee while making one record's letters:
    it stops that record only, and says enough to report it."""
    detail = str(error)[:200] or "no details"
    return LetterkitError.at(
        f"letterkit failed on this record ({type(error).__name__}: {detail}); the other "
        "records go on. Please report this, with the record, so it can be fixed")
