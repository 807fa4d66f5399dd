"""Everything one letter produces: its .docx, its email (.eml) and, for a meeting, the
calendar invitation (.ics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from letterkit.errors import Problem
from letterkit.invitation import build_invitation
from letterkit.letters import KIND_NAMES, Letter
from letterkit.mail import build_email, email_problems, sender
from letterkit.record import Record


@dataclass(frozen=True)
class OutputFile:
    """One file to write beside the others of its complaint."""

    ext: str
    data: bytes
    what: str  # for messages: "the acknowledgement email"


def letter_files(
    letter: Letter,
    record: Record,
    *,
    now: dt.datetime,
    reply_to: str | None = None,
    existing: Callable[[str], bytes | None] = lambda ext: None,
) -> tuple[list[OutputFile], list[Problem]]:
    """The files for a letter, and why any email or invitation could not be made.

    `existing(ext)` returns the file of that extension already written for this letter,
    if any: a meeting invitation made again for a changed time raises its SEQUENCE.
    """
    files = [OutputFile("docx", letter.docx, KIND_NAMES[letter.kind])]
    problems = email_problems(record, letter.kind)
    from_ = sender(record)
    invitation = None
    if letter.kind == "meeting" and from_ is not None:
        invitation = build_invitation(record, language=letter.language, now=now,
                                      organizer_email=from_.addr_spec,
                                      previous=existing("ics"))
        files.append(OutputFile("ics", invitation, "the meeting invitation"))
    if not problems:
        message = build_email(letter, record, now=now, invitation=invitation,
                              reply_to=reply_to)
        files.append(OutputFile("eml", message.as_bytes(), f"{KIND_NAMES[letter.kind]} email"))
    return files, problems
