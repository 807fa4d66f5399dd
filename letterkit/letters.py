"""The letters letterkit makes from a record: which kinds it can have, and their context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letterkit.config import Config, apply_config
from letterkit.errors import KindNotPossible, Problem
from letterkit.i18n import Formats, check_language
from letterkit.output import letter_path, safe_folder_name
from letterkit.record import Record, validate_record
from letterkit.render import compile_template
from letterkit.sources import load_data_file
from letterkit.templates import find_template, shipped_templates_dir

KINDS = ("acknowledgement", "meeting", "resolution")
LAYOUTS = ("block", "semi-block")

# What a person calls each kind, for messages about it.
KIND_NAMES = {
    "acknowledgement": "the acknowledgement",
    "meeting": "the meeting confirmation",
    "resolution": "the resolution letter",
}


@dataclass(frozen=True)
class Letter:
    """One rendered letter: what it is and its .docx bytes."""

    reference: str
    kind: str
    language: str
    layout: str
    docx: bytes

    def filename(self, ext: str = "docx") -> str:
        return f"{self.kind}.{self.language}.{ext}"

    def display_name(self, ext: str = "docx") -> str:
        """The file name a customer sees (an email attachment), in the letter's language:
        "Resolution of your complaint CMP-2026-0142.docx"."""
        title = Formats.for_language(self.language).letter_title(self.kind)
        return f"{title} {safe_folder_name(self.reference)}.{ext}"

    def path(self, out_dir: Path, ext: str = "docx") -> Path:
        """Where this letter is filed: `<out_dir>/<reference>/<kind>.<lang>.<ext>`."""
        return letter_path(out_dir, self.reference, self.filename(ext))


def load_record(path: Path, config: Config | None = None) -> Record:
    """Read and validate one record file (YAML or JSON), filling gaps from the config."""
    data = apply_config(load_data_file(path), config or Config())
    return validate_record(data, file=str(path))


def unmet_needs(kind: str, record: Record) -> list[Problem]:
    """What the record lacks for a kind of letter; empty when it can be made."""
    needs: list[tuple[str, str]] = []
    if kind == "meeting":
        if record.meeting is None:
            needs.append(("meeting", "the record has no meeting (date, time, mode, place)"))
        elif meeting_place(record) is None:
            needs.append(("meeting.where", "no number, address or link for the meeting"))
    elif kind == "resolution":
        if record.resolution is None:
            needs.append(("resolution", "the record has no agreed resolution"))
        else:
            needs += [
                (f"resolution.actions.{n}.due", f"the action {a.what!r} has no due date")
                for n, a in enumerate(record.resolution.actions, start=1)
                if a.due is None
            ]
        if record.customer.address is None:
            needs.append(("customer.address", "a formal letter needs the customer's address"))
    suffix = f"needed for {KIND_NAMES[kind]}"
    return [Problem(f"{why}; {suffix}", field=field) for field, why in needs]


def plan_kinds(record: Record, asked: Iterable[str]) -> tuple[list[str], list[Problem]]:
    """The kinds to make and, for `all`, those skipped with the reason.

    A kind asked for by name that the record cannot have is an error, not a skip.
    """
    asked = list(asked)
    if "all" in asked:
        todo, skipped = [], []
        for kind in KINDS:
            unmet = unmet_needs(kind, record)
            if unmet:
                skipped.append(Problem(f"skipped {KIND_NAMES[kind]}: {unmet[0].message}",
                                       field=unmet[0].field))
            else:
                todo.append(kind)
        return todo, skipped
    for kind in asked:
        unmet = unmet_needs(kind, record)
        if unmet:
            raise KindNotPossible(unmet)
    return asked, []


def meeting_place(record: Record) -> str | None:
    """The number we will call, the address or the link: a phone meeting with none given
    uses the customer's own number."""
    meeting = record.meeting
    if meeting is None:
        return None
    if meeting.where is None and meeting.mode == "phone":
        return record.customer.phone
    return meeting.where


def letter_context(
    record: Record, *, kind: str, language: str, layout: str, today: dt.date
) -> dict[str, Any]:
    """Everything a template may use: the record's fields (absent ones as None, so a
    template can test them) plus the letter's own facts. See `letterkit fields`."""
    context: dict[str, Any] = record.model_dump()
    if record.meeting is not None:
        start = record.meeting.local_start()
        context["meeting"].update(
            start=start,
            end=start + dt.timedelta(minutes=record.meeting.minutes),
            where=meeting_place(record),
        )
    context.update(kind=kind, language=language, layout=layout, today=today)
    return context


def make_letter(
    record: Record,
    kind: str,
    *,
    language: str,
    layout: str,
    today: dt.date,
    templates: Path | None = None,
    native_digits: bool = False,
) -> Letter:
    """Render one letter. The record must have what the kind needs (see `plan_kinds`).

    `native_digits` writes dates, times and amounts in the language's own digits.
    """
    check_language(language, field="language")
    path = find_template(kind, layout, language, templates)
    if path.parent != shipped_templates_dir():
        from letterkit.template_check import ensure_usable  # it imports this module's peers

        ensure_usable(path, language)
    template = compile_template(path, language, native_digits=native_digits)
    context = letter_context(record, kind=kind, language=language, layout=layout, today=today)
    return Letter(record.reference, kind, language, layout, template.render(context))
