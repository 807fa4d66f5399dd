"""Making one letter: a record, a kind and a template in, the letter's .docx bytes out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from letterkit.i18n.languages import check_language
from letterkit.kinds import KINDS, Kind, kind_named
from letterkit.output import letter_path, safe_name
from letterkit.record import Record

# What a letter makes, each beside its .docx: its email, invitation and PDF.
LETTER_FILE_TYPES = ("docx", "eml", "ics", "pdf")
# The header of a letter's email with the day the letter is dated (YYYY-MM-DD), which
# `send` holds it back until; mail programs pass over headers they do not know.
DATED_HEADER = "X-Letterkit-Dated"


@dataclass(frozen=True)
class Letter:
    """One rendered letter: what it is and its .docx bytes."""

    reference: str
    kind: str
    language: str
    layout: str
    docx: bytes
    native_digits: bool = False  # its dates, times and amounts in the language's digits
    # What it was rendered from, so its email's body comes from the same template.
    template: Path | None = field(default=None, compare=False, repr=False)
    context: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    # The day it is dated: its email is not sent before it (see `send`).
    dated: dt.date | None = None

    @property
    def definition(self) -> Kind:
        return kind_named(self.kind)

    def filename(self, ext: str = "docx") -> str:
        return f"{self.kind}.{self.language}.{ext}"

    @staticmethod
    def file_parts(name: str) -> tuple[str, str] | None:
        """(kind, language) of a file named as `filename` names a letter's files
        (`follow-up.te.eml`), or None for any other file."""
        parts = name.split(".")
        if len(parts) != 3 or parts[0] not in KINDS or not parts[1] \
                or parts[2] not in LETTER_FILE_TYPES:
            return None
        return parts[0], parts[1]

    def title(self) -> str:
        """What the customer sees the letter called, in the letter's language."""
        return self.definition.title_in(self.language)

    def display_name(self, ext: str = "docx") -> str:
        """The file name a customer sees (an email attachment), in the letter's language:
        "Resolution of your complaint CMP-2026-0142.docx"."""
        return f"{self.title()} {safe_name(self.reference)}.{ext}"

    def path(self, out_dir: Path, ext: str = "docx") -> Path:
        """Where this letter is filed: `<out_dir>/<reference>/<kind>.<lang>.<ext>`."""
        return letter_path(out_dir, self.reference, self.filename(ext))


def letter_context(
    record: Record, *, kind: str, language: str, layout: str, today: dt.date
) -> dict[str, Any]:
    """Everything a template may use: the record's fields (absent ones as None, so a
    template can test them) plus the letter's own facts. See `letterkit fields`."""
    definition = kind_named(kind)
    context: dict[str, Any] = record.model_dump()
    if record.meeting is not None:
        start = record.meeting.local_start()
        context["meeting"].update(
            start=start,
            end=record.meeting.local_end(),  # real minutes, across a change of the clocks
            where=record.meeting_place(),
        )
    title = definition.title_in(language)
    context.update(kind=kind, title=title, language=language, layout=layout, today=today,
                   copied=[person.model_dump() for person in definition.copied(record)],
                   enclosed=[item.what for item in definition.enclosures(record)])
    return context


def render_letter(
    record: Record,
    kind: str,
    template: Path,
    *,
    language: str,
    layout: str,
    today: dt.date,
    native_digits: bool = False,
) -> Letter:
    """Render one letter from the template file given, as it is. `make_letter` finds the
    template and checks a custom one first; so does `write_records`."""
    # Imported here: the docx libraries are for making letters, not for every command
    # that reads what a letter holds (`letterkit fields`).
    from letterkit.docx.compiled import compile_template

    check_language(language)
    compiled = compile_template(template, language, native_digits=native_digits)
    context = letter_context(record, kind=kind, language=language, layout=layout, today=today)
    return Letter(record.reference, kind, language, layout, compiled.render(context),
                  native_digits, template, context, today)
