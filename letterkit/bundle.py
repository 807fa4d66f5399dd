"""Everything one letter produces: its .docx, its email (.eml) and, for a meeting, the
calendar invitation (.ics)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from letterkit.config import Config
from letterkit.errors import OutputExists, Problem
from letterkit.i18n import check_language
from letterkit.invitation import build_invitation
from letterkit.letters import KIND_NAMES, Letter, make_letter, plan_kinds
from letterkit.mail import build_email, email_problems, sender
from letterkit.output import write_atomic
from letterkit.pdf import PdfConverter
from letterkit.practice import check_record, late_note, word_lists
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
    pdf: bytes | None = None,
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
        attached = [(letter.display_name("pdf"), pdf, ("application", "pdf"))] \
            if pdf is not None and letter.kind == "resolution" else []
        message = build_email(letter, record, now=now, invitation=invitation,
                              reply_to=reply_to, attachments=attached)
        files.append(OutputFile("eml", message.as_bytes(), f"{KIND_NAMES[letter.kind]} email"))
    return files, problems


@dataclass(frozen=True)
class WrittenFile:
    kind: str
    language: str
    path: Path
    sha256: str
    what: str


@dataclass
class RecordOutcome:
    """What writing one record's letters did: files written, files skipped because they
    were there already (resume), notes, and problems that stopped a letter."""

    written: list[WrittenFile] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # the practice checks' findings
    problems: list[Problem] = field(default_factory=list)
    # With PDFs: letters whose PDF (and email, which may attach it) are still to come.
    pending: list[tuple[Letter, Record]] = field(default_factory=list)

    @property
    def letters(self) -> int:
        return sum(1 for f in self.written if f.path.suffix == ".docx")


@dataclass(frozen=True)
class WriteOptions:
    """How `render` and `batch` write a record's letters (the same way for both)."""

    kinds: tuple[str, ...]
    out_dir: Path
    today: dt.date
    now: dt.datetime
    config: Config = Config()
    language: str | None = None
    layout: str | None = None
    templates: Path | None = None
    force: bool = False
    resume: bool = False
    emails: bool = True
    durable: bool = True
    strict: bool = False  # refuse to write a record the practice checks find fault with
    pdf: bool = False  # a PDF beside each letter (see finish_pdfs)


def write_letters(record: Record, options: WriteOptions) -> RecordOutcome:
    """Make and write every letter (and email, and invitation) the options ask of a record.

    A kind the record cannot have is a note under `all` and an error when named; a letter
    already written is an error, kept as it is, unless `force` replaces it or `resume`
    skips it.
    """
    config = options.config
    language = (options.language or record.language or config.language).lower()
    check_language(language, field="--lang" if options.language else "language")
    outcome = RecordOutcome()
    todo, outcome.notes = plan_kinds(record, options.kinds)
    lists = word_lists(config.practice_words)
    findings = check_record(record, todo, today=options.today, lists=lists)
    outcome.warnings = [f.as_problem() for f in findings]
    late = late_note(record, options.today, config.respond_within_working_days)
    if late and "acknowledgement" in todo:
        outcome.notes.append(Problem(late, field="received"))
    if options.strict and outcome.warnings:
        outcome.problems = [dataclasses.replace(w, message=f"{w.message} (--strict: no "
                                                "letters written)") for w in outcome.warnings]
        outcome.warnings = []
        return outcome
    for kind in todo:
        letter = make_letter(record, kind, language=language,
                             layout=options.layout or record.layout or config.layout,
                             today=options.today, templates=options.templates,
                             native_digits=config.digits == "native")
        if options.emails:
            files, notes = letter_files(letter, record, now=options.now,
                                        reply_to=config.reply_to,
                                        existing=partial(_existing, letter, options.out_dir))
            outcome.notes += notes
        else:
            files = [OutputFile("docx", letter.docx, KIND_NAMES[kind])]
        if options.pdf:
            # The email waits for the PDF it may attach (finish_pdfs writes both).
            files = [f for f in files if f.ext != "eml"]
            outcome.pending.append((letter, record))
        for file in files:
            target = letter.path(options.out_dir, file.ext)
            if options.resume and target.exists():
                outcome.skipped.append(target)
            else:
                _write(outcome, letter, options, file)
    return outcome


def finish_pdfs(outcomes: list[RecordOutcome], options: WriteOptions,
                converter: PdfConverter) -> None:
    """Convert the pending letters of several records in one LibreOffice start, write each
    PDF beside its letter, then the emails held back for them."""
    todo = []
    for outcome in outcomes:
        for letter, record in outcome.pending:
            target = letter.path(options.out_dir, "pdf")
            if options.resume and target.exists():
                outcome.skipped.append(target)
                _write_email(outcome, letter, record, options, target.read_bytes())
            else:
                todo.append((outcome, letter, record))
    made = converter.convert([letter.path(options.out_dir) for _, letter, _ in todo])
    for outcome, letter, record in todo:
        pdf = made[letter.path(options.out_dir)]
        if isinstance(pdf, Problem):
            outcome.problems.append(pdf)
            pdf_bytes = None
        else:
            _write(outcome, letter, options, OutputFile("pdf", pdf, f"{KIND_NAMES[letter.kind]} "
                                                        "as PDF"))
            pdf_bytes = pdf
        _write_email(outcome, letter, record, options, pdf_bytes)
    for outcome in outcomes:
        outcome.pending.clear()


def _write_email(outcome: RecordOutcome, letter: Letter, record: Record,
                 options: WriteOptions, pdf: bytes | None) -> None:
    if not options.emails:
        return
    files, _ = letter_files(letter, record, now=options.now, reply_to=options.config.reply_to,
                            existing=partial(_existing, letter, options.out_dir), pdf=pdf)
    for file in files:
        if file.ext == "eml":
            target = letter.path(options.out_dir, "eml")
            if options.resume and target.exists():
                outcome.skipped.append(target)
            else:
                _write(outcome, letter, options, file)


def _write(outcome: RecordOutcome, letter: Letter, options: WriteOptions,
           file: OutputFile) -> None:
    target = letter.path(options.out_dir, file.ext)
    try:
        write_atomic(target, file.data, force=options.force, durable=options.durable)
    except OutputExists as error:
        outcome.problems += error.problems
        return
    outcome.written.append(WrittenFile(letter.kind, letter.language, target,
                                       hashlib.sha256(file.data).hexdigest(), file.what))


def _existing(letter: Letter, out_dir: Path, ext: str) -> bytes | None:
    path = letter.path(out_dir, ext)
    return path.read_bytes() if path.is_file() else None
