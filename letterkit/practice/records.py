"""Holding a record to the practice, for the letters it will make: the commitments each
kind asks for (see `letterkit.kinds`), the sins of service in the staff's own text, and how fast
the first answer goes out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from letterkit.config import Config
from letterkit.errors import LATE, PRACTICE, InputError, LetterkitError, Problem
from letterkit.inputs import records_in
from letterkit.kinds import Kind, kinds_among
from letterkit.output import FolderClaims
from letterkit.practice.wording import WordLists, word_lists
from letterkit.record import Record


@dataclass(frozen=True)
class Finding:
    """Something a letter should not say or lacks, where, and what to do about it."""

    kinds: tuple[str, ...]
    field: str
    problem: str
    practice: str
    suggestion: str
    quote: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    @property
    def message(self) -> str:
        quoted = f"“{self.quote}”: " if self.quote else ""
        # An admin's own phrase may come without the practice or a suggestion.
        practice = f" ({self.practice})" if self.practice.strip() else ""
        suggestion = f" {self.suggestion}" if self.suggestion.strip() else ""
        return f"{quoted}{self.problem}{practice}.{suggestion} [{', '.join(self.kinds)}]"

    def as_problem(self, file: str | None = None, row: int | None = None) -> Problem:
        return Problem(self.message, file=file, row=row, field=self.field, code=PRACTICE)


def check_record(
    record: Record,
    kinds: Iterable[str | Kind] = ("all",),
    *,
    today: dt.date,
    lists: WordLists | None = None,
) -> list[Finding]:
    """What in a record breaks the practice, for the letters of `kinds` (names, Kinds, or
    "all") dated `today`. A finding shared by several letters is reported once, naming
    them all."""
    chosen = kinds_among(kinds)
    lists = lists or word_lists()
    known = _record_words(record)
    found: dict[tuple[str, str, str], list[Kind]] = {}
    details: dict[tuple[str, str, str], Finding] = {}

    def add(kind: Kind, finding: Finding) -> None:
        key = (finding.field, finding.problem, finding.quote)
        found.setdefault(key, []).append(kind)
        details.setdefault(key, finding)

    scanned: dict[tuple[str, str], list[Finding]] = {}  # a field several letters show
    for kind in chosen:
        for commitments in kind.commitments:
            for c in commitments(record, today):
                add(kind, Finding((), c.field, c.problem, c.practice, c.suggestion))
        for field, text in _texts(record, kind.text_fields):
            if (field, text) not in scanned:
                scanned[field, text] = [
                    Finding((), field, rule.problem, rule.practice, rule.suggestion, words)
                    for rule, words in lists.scan(text, field, known)]
            for finding in scanned[field, text]:
                add(kind, finding)
    findings = [Finding(tuple(k.name for k in found[key]), f.field, f.problem, f.practice,
                        f.suggestion, f.quote) for key, f in details.items()]
    if chosen and _opens_with_a_number(record.complaint.subject):
        findings.append(Finding(tuple(k.name for k in chosen), "complaint.subject",
                                "opens with a reference number",
                                "Robotism: a personal word before routine data",
                                "Start with what happened; references go in their own "
                                "lines.", record.complaint.subject[:30]))
    return findings


@dataclass(frozen=True)
class RecordCheck:
    """What the practice checks found in one record of a file (or why it could not be read)."""

    file: str
    row: int | None  # the spreadsheet row, for a CSV
    findings: list[Finding]
    notes: list[Problem]  # a late first answer (not a fault of the record)
    error: LetterkitError | None = None

    def problems(self) -> list[Problem]:
        """The findings as Problems naming the file, row and field."""
        return [finding.as_problem(self.file, self.row) for finding in self.findings]


def check_file(
    path: Path,
    kinds: Iterable[str | Kind] = ("all",),
    *,
    today: dt.date,
    config: Config | None = None,
    columns: Mapping[str, str] | None = None,
) -> Iterator[RecordCheck]:
    """Hold a record file, or every row of a CSV, to the practice (see `check_record`),
    with the config's extra word lists and answer time. Every letter asked for is checked,
    whether or not the record can have it yet: what it lacks is what the check must name."""
    config = config or Config()
    lists = word_lists(config.practice_words)
    kinds = list(kinds)
    claims = FolderClaims()  # a reference twice in a sheet: as `batch` refuses it
    for row, record in records_in(path, config, columns):
        if not isinstance(record, LetterkitError):
            first = claims.earlier(record.reference, row)
            if first is not None:
                record = InputError.at(
                    f"{record.reference!r} is row {first[0]}'s reference too (or differs from "
                    "it only in case); each complaint needs a reference of its own",
                    file=str(path), row=row, field="reference")
        if isinstance(record, LetterkitError):
            yield RecordCheck(str(path), row, [], [], record)
            continue
        findings = check_record(record, kinds, today=today, lists=lists)
        notes = []
        late = late_note(record, today, config.respond_within_working_days)
        if late is not None:
            notes.append(late)
        for kind, problem in _misdated(record, kinds, today):
            if any(k == "all" for k in kinds):  # letters for other days: a note
                notes.append(dataclasses.replace(problem, message=f"{kind.called}: "
                                                 f"{problem.message}"))
            else:  # a letter asked for by name, which cannot carry this date
                findings.append(Finding((kind.name,), problem.field or "", problem.message,
                                        "Date each letter for the step it records",
                                        f"Date it {problem.expected}."))
        yield RecordCheck(str(path), row, findings,
                          [dataclasses.replace(n, file=str(path), row=row) for n in notes])


def _misdated(record: Record, kinds: list[str | Kind], today: dt.date
              ) -> Iterator[tuple[Kind, Problem]]:
    """The letters of `kinds` the record has what it needs for, but not on `today`."""
    for kind in kinds_among(kinds):
        if not kind.missing(record):
            for problem in kind.misdated(record, today):
                yield kind, problem


def _record_words(record: Record) -> set[str]:
    """Words of the record's own names and references: never jargon to its customer."""
    texts = [record.reference, record.customer.name, record.organisation.name,
             record.handler.name, record.complaint.order or "", record.meeting_place() or ""]
    return {word for text in texts for word in _WORD.findall(text)}


_WORD = re.compile(r"[\w&+]+")
_OPENING_NUMBER = re.compile(r"\s*(?:[A-Z]{2,}[-/]?\d|#?\d{4,}|(?:account|order|a/c)\b)",
                             re.IGNORECASE)


def _opens_with_a_number(subject: str) -> bool:
    return bool(_OPENING_NUMBER.match(subject))


def _texts(record: Record, paths: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(field, text) for each piece of staff-written text at the dotted paths given in a
    record; list items are numbered from 1, and an action's text is its `what`."""
    for path in paths:
        value: Any = record
        for key in path.split("."):
            value = getattr(value, key, None) if isinstance(value, BaseModel) else None
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, list):
            for n, item in enumerate(value, start=1):
                section = isinstance(item, BaseModel)
                text = getattr(item, "what", None) if section else item
                field = f"{path}.{n}.what" if section else f"{path}.{n}"
                if isinstance(text, str):
                    yield field, text


def late_note(record: Record, today: dt.date, within_working_days: int) -> Problem | None:
    """A note when the complaint has waited longer than it should for a first answer."""
    waited = working_days_between(record.received, today)
    if waited > within_working_days:
        return Problem(f"the complaint arrived {record.received}, {waited} working days "
                       "before the letter's date: answer fast, by email or phone first",
                       field="received", code=LATE,
                       expected=f"within {within_working_days} working days")
    return None


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Monday-to-Friday days after `start` up to and including `end`."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)  # each whole week holds five
    return weeks * 5 + sum(1 for n in range(1, rest + 1) if (start.weekday() + n) % 7 < 5)
