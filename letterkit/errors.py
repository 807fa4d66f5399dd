"""The errors letterkit raises: each names where the problem is, so a user can fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected."""

    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.row is not None:
            where = f"{where}:{self.row}" if where else f"row {self.row}"
        parts = [p for p in (where, self.field) if p]
        return ": ".join([*parts, self.message])


class LetterkitError(Exception):
    """Base of every error letterkit raises on purpose.

    `exit_code` follows the command-line contract: 2 for bad usage or bad input,
    1 for a letter that could not be made.
    """

    exit_code = 1

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(
        cls,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> LetterkitError:
        return cls(Problem(message, file=file, row=row, field=field))


class InputError(LetterkitError):
    """A record, config or option the user gave is not what letterkit expects."""

    exit_code = 2


class KindNotPossible(InputError):
    """The record lacks what a letter kind needs (no meeting for a meeting confirmation)."""


class TemplateError(LetterkitError):
    """A template cannot be found, compiled or rendered."""

    exit_code = 2


class OutputExists(LetterkitError):
    """A letter is already there and --force was not given."""

    exit_code = 1
