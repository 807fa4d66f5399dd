"""Writing everything a record's letters make: each letter's .docx, its email (.eml), the
meeting's calendar invitation (.ics) and, when asked, a PDF of each letter. `render`,
`batch` and scripts all write through `write_records`, so they cannot drift apart."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from letterkit.collector import settle_collector
from letterkit.config import Config
from letterkit.delivery.email import build_email, copy_notes, email_problems, sender
from letterkit.docx.find import custom_templates_dir, find_template, is_shipped
from letterkit.errors import (
    CannotWrite,
    DiskFull,
    InputError,
    LetterkitError,
    OutputExists,
    Problem,
    unexpected,
)
from letterkit.i18n.languages import check_language
from letterkit.inputs import load_record
from letterkit.kinds import Kind, kind_named, plan_kinds
from letterkit.letters import Letter, render_letter
from letterkit.output import (
    FolderClaims,
    cannot_write,
    check_folder,
    check_output_folder,
    letter_path,
    write_atomic,
)
from letterkit.practice.records import check_record, late_note
from letterkit.practice.wording import word_lists
from letterkit.record import LAYOUTS, Record

if TYPE_CHECKING:  # PDFs' module (with psutil) is loaded only when PDFs are asked for
    from letterkit.delivery.pdf import PdfBatch, PdfConverter

PDF_TYPE = ("application", "pdf")


@dataclass(frozen=True)
class WriteOptions:
    """What to make of each record, and how to write it (the same for `render`, `batch`
    and scripts)."""

    kinds: tuple[str, ...] = ("all",)  # kind names, or "all": every kind the record allows
    out_dir: Path = Path("letters")  # each record's files go in <out_dir>/<reference>/
    today: dt.date | None = None  # the letters' date; None: the day they are made
    now: dt.datetime | None = None  # the emails' Date (aware); None: when they are made
    config: Config = Config()
    language: str | None = None  # None: the record's `language`, then the config's
    layout: str | None = None  # None: the record's `layout`, then the config's
    # A custom templates folder; None: $LETTERKIT_TEMPLATES, then the config's.
    templates: Path | None = None
    force: bool = False  # replace files already there
    resume: bool = False  # keep files already there and make the rest
    emails: bool = True  # the .eml (and .ics) beside each letter
    pdf: bool = False  # a PDF beside each letter (LibreOffice)
    strict: bool = False  # write nothing for a record the practice checks find fault with
    durable: bool = True  # flush each file to disk before naming it (a batch syncs once)

    def __post_init__(self) -> None:
        if self.force and self.resume:
            raise InputError.at("force replaces files that are there and resume keeps them: "
                                "choose one", field="resume")
        for name in self.kinds:
            if name != "all":
                kind_named(name)
        if self.layout is not None and self.layout not in LAYOUTS:
            raise InputError.at(f"{self.layout!r} is not a layout", field="layout",
                                expected=", ".join(LAYOUTS))

    def language_for(self, record: Record) -> str:
        """A record's letter language: these options', else the record's, else the
        config's."""
        return check_language((self.language or record.language or self.config.language)
                              .lower())

    def layout_for(self, record: Record) -> str:
        return self.layout or record.layout or self.config.layout

    def fixed(self) -> WriteOptions:
        """These options with the letters' date and the emails' time fixed for the run."""
        now = self.now or dt.datetime.now(dt.UTC)
        return dataclasses.replace(self, today=self.today or dt.date.today(), now=now)


@dataclass(frozen=True)
class WrittenFile:
    kind: str
    language: str
    path: Path
    sha256: str
    what: str  # for people: "the meeting confirmation email"


@dataclass
class RecordOutcome:
    """What writing one record's letters did, and why anything was not done."""

    reference: str | None = None
    written: list[WrittenFile] = field(default_factory=list)
    existing: list[Path] = field(default_factory=list)  # already there, kept (resume)
    not_made: list[Problem] = field(default_factory=list)  # letters the record cannot have
    notes: list[Problem] = field(default_factory=list)  # emails not made; a late answer
    warnings: list[Problem] = field(default_factory=list)  # the practice checks' findings
    problems: list[Problem] = field(default_factory=list)  # what stopped a letter or file
    error: LetterkitError | None = None  # what stopped the whole record, if anything

    @property
    def letters(self) -> int:
        return sum(1 for f in self.written if f.path.suffix == ".docx")

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.error is not None


@dataclass(frozen=True)
class OutputFile:
    """One file to write beside the others of its complaint."""

    ext: str
    data: bytes
    what: str


def write_record(record: Record, options: WriteOptions | None = None,
                 *, converter: PdfConverter | None = None) -> RecordOutcome:
    """Make and write every letter (with its email, invitation and PDF) the options ask of
    one record. Nothing is raised for the record itself: see the outcome's `error`."""
    return write_records([record], options, converter=converter)[0]


def write_record_files(paths: Iterable[Path], options: WriteOptions | None = None,
                       *, converter: PdfConverter | None = None
                       ) -> list[tuple[Path, RecordOutcome]]:
    """`write_records` for record files (YAML or JSON), read with the options' config; a
    file that cannot be read is an outcome with its `error`, and stops nothing else."""
    options = options or WriteOptions()
    loaded: list[tuple[Path, Record]] = []
    done: dict[Path, RecordOutcome] = {}
    paths = list({path.resolve(): path for path in paths}.values())  # each file once
    for path in paths:
        try:
            loaded.append((path, load_record(path, options.config)))
        except LetterkitError as error:
            done[path] = RecordOutcome(error=error)
    outcomes = write_records([record for _, record in loaded], options, converter=converter)
    done.update(zip([path for path, _ in loaded], outcomes, strict=True))
    return [(path, done[path]) for path in paths]


def write_records(records: Iterable[Record], options: WriteOptions | None = None,
                  *, converter: PdfConverter | None = None,
                  on_done: Callable[[int, RecordOutcome], None] | None = None
                  ) -> list[RecordOutcome]:
    """Make and write every letter the options ask of each record; with PDFs, the letters
    of all the records are converted in one LibreOffice start (one for each MOST_PER_START
    letters), started as the first letter is made, each PDF written as it comes.
    `on_done(index, outcome)` is told of each record as soon as it is done (with PDFs,
    some long before others).

    A kind the record cannot have is noted under `all` and an error when named; a file
    already there is a problem, and kept, unless `force` replaces it or `resume` keeps it
    quietly. One record's error never stops the others.
    """
    options = (options or WriteOptions()).fixed()
    check_output_folder(options.out_dir)
    if options.pdf and converter is None:
        from letterkit.delivery.pdf import converter_for_this_process

        # Without LibreOffice: how to install it, before any letter is written.
        converter = converter_for_this_process(options.config.soffice)
    records = list(records)
    with contextlib.ExitStack() as stack:
        pdfs = None
        if options.pdf and converter is not None:
            try:
                pdfs = stack.enter_context(converter.batch(_pdfs_to_come(records, options)))
            except OSError as error:  # no room for LibreOffice's copies of the letters
                raise cannot_write(converter.work, error) from None
        return _write_all(records, options, pdfs, on_done or (lambda index, outcome: None))


def _write_all(records: list[Record], options: WriteOptions, pdfs: PdfBatch | None,
               on_done: Callable[[int, RecordOutcome], None]) -> list[RecordOutcome]:
    outcomes: list[RecordOutcome] = []
    pending: list[_Pending] = []
    claims = FolderClaims()
    full: DiskFull | None = None  # once the disk takes nothing more, no record is tried
    for number, record in enumerate(records, 1):
        outcome = RecordOutcome(reference=record.reference, error=full)
        outcomes.append(outcome)
        if full is not None:
            continue
        try:
            if claims.earlier(record.reference, number) is not None:
                raise InputError.at(
                    f"{record.reference!r} is the reference of an earlier record of this run "
                    "too (or differs from it only in case); each complaint needs a reference "
                    "of its own, so this one made nothing", field="reference")
            check_folder(options.out_dir, record.reference)
            pending += _write_letters(record, options, outcome, pdfs)
        except DiskFull as error:
            outcome.error = full = error
        except LetterkitError as error:
            outcome.error = error
        except Exception as error:  # noqa: BLE001 - one record's fault stops only that record
            outcome.error = unexpected(error)
        settle_collector()  # what the first letter loaded is kept (see letterkit.collector)
    undone = {id(outcome): n for n, outcome in enumerate(outcomes)}

    def done(outcome: RecordOutcome) -> None:
        n = undone.pop(id(outcome), None)
        if n is not None:
            on_done(n, outcome)

    waiting = {id(item.outcome) for item in pending}
    for outcome in outcomes:
        if id(outcome) not in waiting:
            done(outcome)
    if pending:
        assert pdfs is not None
        _finish_pdfs(pending, options, pdfs, done)
    for outcome in outcomes:
        done(outcome)  # those whose PDFs a full disk stopped
    return outcomes


def _pdfs_to_come(records: list[Record], options: WriteOptions) -> int:
    """How many letters will want a PDF made, so that LibreOffice can start before the
    first is made (see PdfConverter.batch). A guess: a letter not made leaves its name
    unused, and letters beyond the guess wait for another start."""
    assert options.today is not None
    count = 0
    for record in records:
        try:
            kinds, _ = plan_kinds(record, options.kinds, today=options.today)
            language = options.language_for(record)
            for kind in kinds:
                pdf = letter_path(options.out_dir, record.reference,
                                  f"{kind.name}.{language}.pdf")
                if not (options.resume and pdf.exists()):
                    count += 1
        except Exception:  # noqa: BLE001 - a guess: writing the letters says what is wrong
            continue
    return count


@dataclass(frozen=True)
class _Pending:
    """A letter written, whose PDF (and the email that attaches it, if one does) are still
    to come. Its .docx is on disk and with LibreOffice, not held here: a batch holds
    hundreds of these."""

    outcome: RecordOutcome
    letter: Letter  # without its .docx bytes
    record: Record
    invitation: bytes | None
    kept: bool  # the letter was there already (resume): so may its PDF be
    slot: int | None  # its number in the PdfBatch; None: its PDF is there already (resume)


def _write_letters(record: Record, options: WriteOptions, outcome: RecordOutcome,
                   pdfs: PdfBatch | None) -> list[_Pending]:
    config, today = options.config, options.today
    assert today is not None and options.now is not None, "use WriteOptions.fixed()"
    language, layout = options.language_for(record), options.layout_for(record)
    todo, outcome.not_made = plan_kinds(record, options.kinds, today=today)
    findings = check_record(record, todo, today=today, lists=word_lists(config.practice_words))
    outcome.warnings = [finding.as_problem() for finding in findings]
    late = late_note(record, today, config.respond_within_working_days)
    if late is not None and any(kind.first_answer for kind in todo):
        outcome.notes.append(late)
    if options.strict and outcome.warnings:
        outcome.problems, outcome.warnings = outcome.warnings, []
        return []
    pending = []
    for kind in todo:
        letter = _letter(record, kind, options, language, layout)
        files, unmade = letter_files(
            letter, record, now=options.now, reply_to=config.reply_to,
            existing=partial(_existing, letter, options.out_dir), invitation=options.emails,
            # With PDFs, an email that attaches the PDF waits for it (see _finish_pdfs).
            email=options.emails and not (options.pdf and letter.definition.attaches_letter))
        outcome.notes += unmade
        # The letter first: its invitation and email speak of it, so they are written
        # only where it is (a letter kept by a problem keeps its companions too).
        # With resume, a letter kept keeps its companions; a letter made anew replaces
        # those a letter before it left (a PDF or invitation of other words or times).
        kept = options.resume and letter.path(options.out_dir).exists()
        letter_in_place = _write_or_keep(outcome, letter, options, files[0])
        if letter_in_place:
            for file in files[1:]:
                _write_or_keep(outcome, letter, options, file, keep=kept)
        if pdfs is not None and letter_in_place:
            invitation = next((f.data for f in files if f.ext == "ics"), None)
            # The PDF is made of the letter on disk: a letter kept is its file.
            slot = None if kept and letter.path(options.out_dir, "pdf").exists() \
                else pdfs.add(letter.path(options.out_dir) if kept else letter.docx)
            pending.append(_Pending(outcome, dataclasses.replace(letter, docx=b""), record,
                                    invitation, kept, slot))
    return pending


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
    """Render one letter from the template for its kind, layout and language: the custom
    folder `templates` first, then the shipped ones. A custom template is checked first
    (once per file version), so a faulty one makes no letter. The record should have what
    the kind needs (see `plan_kinds`); `native_digits` writes dates, times and amounts in
    the language's own digits."""
    kind_named(kind)
    template = find_template(kind, layout, language, templates)
    if not is_shipped(template):
        from letterkit.docx.check import ensure_usable  # only custom templates are checked

        ensure_usable(template, language)
    return render_letter(record, kind, template, language=language, layout=layout,
                         today=today, native_digits=native_digits)


def _letter(record: Record, kind: Kind, options: WriteOptions, language: str,
            layout: str) -> Letter:
    """The letter, from the template the options put in force."""
    assert options.today is not None
    return make_letter(record, kind.name, language=language, layout=layout,
                       today=options.today,
                       templates=custom_templates_dir(options.templates, options.config.templates),
                       native_digits=options.config.digits == "native")


def preview_png(record: Record, kind: str, options: WriteOptions | None = None,
                *, converter: PdfConverter | None = None) -> bytes:
    """A picture (PNG) of the first page of one letter, made as `write_records` would make
    it, to look at before it goes. Needs LibreOffice."""
    from letterkit.delivery.pdf import converter_for_this_process, first_page_png

    options = (options or WriteOptions()).fixed()
    assert options.today is not None
    chosen, _ = plan_kinds(record, [kind], today=options.today)
    letter = _letter(record, chosen[0], options, options.language_for(record),
                     options.layout_for(record))
    return first_page_png(letter.docx,
                          converter or converter_for_this_process(options.config.soffice))


def letter_files(
    letter: Letter,
    record: Record,
    *,
    now: dt.datetime,
    reply_to: str | None = None,
    existing: Callable[[str], bytes | None] = lambda ext: None,
    invitation: bool = True,
    email: bool = True,
) -> tuple[list[OutputFile], list[Problem]]:
    """The files a letter makes: its .docx, its invitation if its kind has one, and its
    email (an email that attaches a PDF of its letter waits for it: see _finish_pdfs); and
    why the email could not be made. `existing(ext)` is the file of that extension already
    written for this letter, if any: an invitation made again for a changed time raises its
    SEQUENCE."""
    kind = letter.definition
    files = [OutputFile("docx", letter.docx, kind.called)]
    calendar = _invitation(letter, record, now, existing) if invitation else None
    if calendar is not None:
        files.append(OutputFile("ics", calendar, "the calendar invitation"))
    if email:
        files += _email(letter, record, now, reply_to, calendar, None)
    if not (invitation or email):
        return files, []
    return files, email_problems(record, kind) or copy_notes(record, kind)


def _invitation(letter: Letter, record: Record, now: dt.datetime,
                existing: Callable[[str], bytes | None]) -> bytes | None:
    from_ = sender(record)
    if not letter.definition.invitation or from_ is None or record.meeting is None:
        return None
    # Imported here: icalendar is for meetings only, and costs a tenth of a second.
    from letterkit.delivery.invitation import build_invitation

    return build_invitation(record, language=letter.language, now=now,
                            organizer_email=from_.addr_spec, previous=existing("ics"),
                            native_digits=letter.native_digits)


def _email(letter: Letter, record: Record, now: dt.datetime, reply_to: str | None,
           invitation: bytes | None, pdf: bytes | None) -> list[OutputFile]:
    kind = letter.definition
    if email_problems(record, kind):
        return []
    attached = [(letter.display_name("pdf"), pdf, PDF_TYPE)] \
        if pdf is not None and kind.attaches_letter else []
    message = build_email(letter, record, now=now, invitation=invitation,
                          reply_to=reply_to, attachments=attached)
    return [OutputFile("eml", message, f"{kind.called} email")]


def _finish_pdfs(pending: list[_Pending], options: WriteOptions, pdfs: PdfBatch,
                 done: Callable[[RecordOutcome], None]) -> None:
    """Write each PDF beside its letter as soon as LibreOffice has made it, then the email
    held back for it (a PDF kept, at once); `done(outcome)` once a record's are all there.
    A letter's fault stops that letter only; a full disk, every letter not yet done."""
    undone = {id(item): item for item in pending}
    letters_left = Counter(id(item.outcome) for item in pending)

    def settle(item: _Pending, pdf: bytes | Problem | None) -> None:
        try:
            _place_pdf(item, pdf, options)
        except DiskFull:
            raise
        except Exception as error:  # noqa: BLE001 - one letter's fault stops only that letter
            item.outcome.problems += unexpected(error).problems
        del undone[id(item)]
        letters_left[id(item.outcome)] -= 1
        if not letters_left[id(item.outcome)]:
            done(item.outcome)

    by_slot = {item.slot: item for item in pending if item.slot is not None}
    try:
        for item in pending:
            if item.slot is None:
                settle(item, None)
        for slot, pdf in pdfs.pdfs():
            settle(by_slot[slot], pdf)
    except DiskFull as error:
        for item in undone.values():
            item.outcome.error = item.outcome.error or error
    except Exception as error:  # noqa: BLE001 - as above, for the letters not yet done
        for item in undone.values():
            item.outcome.problems += unexpected(error).problems


def _place_pdf(item: _Pending, pdf: bytes | Problem | None, options: WriteOptions) -> None:
    """A letter's PDF (None: the one there, kept) and the email that attaches it."""
    target = item.letter.path(options.out_dir, "pdf")
    if pdf is None:
        item.outcome.existing.append(target)
        _write_email(item, options, target.read_bytes())
        return
    if isinstance(pdf, Problem):
        # Its email is not made without it: a run that makes the PDF makes the email too,
        # rather than keeping one that lacks it.
        waits = options.emails and item.letter.definition.attaches_letter
        item.outcome.problems.append(dataclasses.replace(
            pdf, file=str(item.letter.path(options.out_dir)),
            message=f"{pdf.message}; its email, which attaches it, was not made either"
            if waits else pdf.message))
        return
    _write_or_keep(item.outcome, item.letter, options,
                   OutputFile("pdf", pdf, f"{item.letter.definition.called} as PDF"),
                   keep=item.kept)
    _write_email(item, options, pdf)


def _write_email(item: _Pending, options: WriteOptions, pdf: bytes) -> None:
    """The email that attaches the letter's PDF (and the letter, read back from its file)."""
    if not (options.emails and item.letter.definition.attaches_letter):
        return
    assert options.now is not None
    path = item.letter.path(options.out_dir)
    try:
        letter = dataclasses.replace(item.letter, docx=path.read_bytes())
    except OSError as error:
        item.outcome.problems.append(Problem(
            f"cannot read it back to attach it to its email ({error.strerror})",
            file=str(path)))
        return
    for file in _email(letter, item.record, options.now, options.config.reply_to,
                       item.invitation, pdf):
        _write_or_keep(item.outcome, letter, options, file, keep=item.kept)


def _write_or_keep(outcome: RecordOutcome, letter: Letter, options: WriteOptions,
                   file: OutputFile, *, keep: bool = True) -> bool:
    """Write a file (or keep the one there, when resuming, unless not to `keep` it: a
    companion of a letter made anew); False if one was in the way."""
    target = letter.path(options.out_dir, file.ext)
    if options.resume and keep and target.exists():
        outcome.existing.append(target)
        return True
    try:
        write_atomic(target, file.data, force=options.force or options.resume,
                     durable=options.durable)
    except DiskFull:
        raise
    except (OutputExists, CannotWrite) as error:  # this file only: the others go on
        outcome.problems += error.problems
        return False
    outcome.written.append(WrittenFile(letter.kind, letter.language, target,
                                       hashlib.sha256(file.data).hexdigest(), file.what))
    return True


def _existing(letter: Letter, out_dir: Path, ext: str) -> bytes | None:
    path = letter.path(out_dir, ext)
    return path.read_bytes() if path.is_file() else None
