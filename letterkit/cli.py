"""The `letterkit` command: options in, the core called, results and problems reported.

Exit status: 0 all done; 1 some letters were not written or a check found problems;
2 bad usage or bad input. Problems go to stderr, one line each, naming file and field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from tqdm import tqdm

from letterkit import __version__
from letterkit.batch import ERRORS, NOTES, RowResult, run_batch
from letterkit.bundle import RecordOutcome, WriteOptions, finish_pdfs, write_letters
from letterkit.catalogs import (
    check_catalog,
    compile_catalog,
    extract_messages,
    is_translated,
    update_catalog,
    write_catalog,
)
from letterkit.config import Config, apply_config, load_config
from letterkit.errors import InputError, LetterkitError, Problem
from letterkit.fields import FILTERS, all_fields
from letterkit.i18n import (
    SOURCE_LANGUAGE,
    available_languages,
    catalog_path,
    catalogs_changed,
    check_language,
    locale_for,
    locales_dir,
)
from letterkit.letters import (
    KIND_NAMES,
    KINDS,
    LAYOUTS,
    letter_context,
    load_record,
    make_letter,
    plan_kinds,
)
from letterkit.output import safe_folder_name, write_atomic
from letterkit.pdf import converter_for_this_process, first_page_png, soffice
from letterkit.practice import check_record, late_note, word_lists
from letterkit.record import validate_record
from letterkit.render import environment
from letterkit.resources import data_path
from letterkit.sending import SmtpSettings, already_sent, read_outgoing, send_all, sent_log
from letterkit.sources import count_rows, csv_rows, open_csv
from letterkit.template_check import check_template
from letterkit.templates import (
    custom_templates_dir,
    docx_files,
    find_template,
    shipped_templates_dir,
)

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    """What every command shares: the config, loaded once and only when needed."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path

    @functools.cached_property
    def config(self) -> Config:
        return load_config(self.config_path)[0]


def report(problems: Iterable[Problem], *, label: str = "error", file: str | None = None) -> None:
    for problem in problems:
        if file and not problem.file:
            problem = dataclasses.replace(problem, file=file)
        click.echo(f"{label}: {problem}", err=True)


def fail(error: LetterkitError) -> NoReturn:
    report(error.problems)
    sys.exit(error.exit_code)


def handles_errors(command: F) -> F:
    """Turn letterkit's own errors into stderr lines and the contract's exit status;
    anything else is a bug and keeps its traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LetterkitError as error:
            fail(error)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="letterkit")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (organisation, handler, language, layout, timezone). "
    "Default: $LETTERKIT_CONFIG, ./letterkit.yaml, then ~/.config/letterkit/config.yaml.",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Complaint letters from Word templates: acknowledgement, meeting confirmation and
    resolution letter, in English and Telugu."""
    ctx.obj = _State(config_path)


def letter_options(command: F) -> F:
    """The options `render` and `batch` share: which letters, how, where, and how strictly.
    (In a batch, a record is a row.)"""
    for option in reversed([
        click.option("-k", "--kind", "kinds", multiple=True, default=["all"],
                     show_default=True, type=click.Choice([*KINDS, "all"]),
                     help="Which letter to make; repeat for several. `all` makes every kind "
                     "the record has the fields for and says which it skipped."),
        click.option("-l", "--lang", "language", metavar="LANG",
                     help="Language of the fixed wording (en, te …). Default: the record's "
                     "`language`, then the config's, then en."),
        click.option("--layout", type=click.Choice(LAYOUTS),
                     help="Letter layout. Default: the record's `layout`, then the config's, "
                     "then block."),
        click.option("-o", "--output", "out_dir", default=Path("letters"), show_default=True,
                     type=click.Path(path_type=Path, file_okay=False),
                     help="Folder for the letters; each record gets a subfolder named by "
                     "its reference."),
        click.option("--templates", "templates_dir",
                     type=click.Path(path_type=Path, file_okay=False),
                     help="Folder of custom templates, used before the shipped ones. "
                     "Default: $LETTERKIT_TEMPLATES, then the config's `templates`."),
        click.option("--date", "letter_date", type=click.DateTime(formats=["%Y-%m-%d"]),
                     help="The date the letters carry (YYYY-MM-DD). Default: today."),
        click.option("--force", is_flag=True, help="Replace letters that already exist."),
        click.option("--no-email", "emails", is_flag=True, default=True, flag_value=False,
                     help="Write the .docx letters only: no .eml or .ics."),
        click.option("--strict", is_flag=True,
                     help="Write nothing for a record the practice checks find fault with."),
        click.option("--pdf", is_flag=True,
                     help="Also a PDF beside each letter (LibreOffice); the resolution email "
                     "attaches it."),
    ]):
        command = option(command)
    return command


@main.command()
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=Path))
@letter_options
@click.pass_obj
@handles_errors
def render(
    state: _State,
    records: tuple[Path, ...],
    kinds: tuple[str, ...],
    language: str | None,
    layout: str | None,
    out_dir: Path,
    templates_dir: Path | None,
    letter_date: dt.datetime | None,
    force: bool,
    emails: bool,
    strict: bool,
    pdf: bool,
) -> None:
    """Make the letters for one or more RECORDS (YAML or JSON files).

    Letters go to OUTPUT/<reference>/<kind>.<lang>.docx. An existing letter is never
    replaced without --force.
    """
    if language is not None:
        check_language(language.lower(), field="--lang")
    if pdf:
        soffice()  # say how to install LibreOffice before making anything
    options = WriteOptions(
        kinds=kinds, out_dir=out_dir,
        today=letter_date.date() if letter_date else dt.date.today(),
        now=dt.datetime.now(dt.UTC), config=state.config, language=language, layout=layout,
        templates=custom_templates_dir(templates_dir, state.config.templates), force=force,
        emails=emails, strict=strict, pdf=pdf)
    status = 0
    done: list[tuple[Path, RecordOutcome]] = []
    for path in records:
        try:
            done.append((path, write_letters(load_record(path, state.config), options)))
        except LetterkitError as error:
            report(error.problems, file=str(path))
            status = max(status, error.exit_code)
    if pdf:  # every record's letters in one LibreOffice start
        finish_pdfs([outcome for _, outcome in done], options, converter_for_this_process())
    for path, outcome in done:
        status = max(status, _report_outcome(path, outcome))
    sys.exit(status)


def _report_outcome(path: Path, outcome: RecordOutcome) -> int:
    report(outcome.notes, label="note", file=str(path))
    report(outcome.warnings, label="warning", file=str(path))
    for file in outcome.written:
        click.echo(f"wrote {_shown(file.path)} ({file.what})")
    report(outcome.problems, file=str(path))
    return 1 if outcome.problems else 0


@main.command()
@click.argument("csv_file", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False))
@letter_options
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes rendering at once. Default: the number of CPUs.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first bad row.")
@click.option("--resume", is_flag=True,
              help="Skip the letters already made (after an interrupted run); make the rest.")
@click.option("--delimiter", type=click.Choice([",", ";", "tab"]),
              help="Column separator. Default: detected from the header row.")
@click.pass_obj
@handles_errors
def batch(
    state: _State,
    csv_file: Path,
    kinds: tuple[str, ...],
    language: str | None,
    layout: str | None,
    out_dir: Path,
    jobs: int | None,
    fail_fast: bool,
    resume: bool,
    force: bool,
    delimiter: str | None,
    templates_dir: Path | None,
    letter_date: dt.datetime | None,
    emails: bool,
    strict: bool,
    pdf: bool,
) -> None:
    """Make the letters for every row of a CSV (see `letterkit sample` for its columns).

    Letters go to OUTPUT/<reference>/ exactly as `render` writes them. Each file written is
    listed in OUTPUT/manifest.csv; bad rows go to OUTPUT/errors.csv and do not stop the
    others. Exit 1 when any row failed.
    """
    if resume and force:
        raise click.UsageError("--resume keeps existing letters and --force replaces them: "
                               "choose one")
    if language is not None:
        check_language(language.lower(), field="--lang")
    source = open_csv(csv_file, {"tab": "\t"}.get(delimiter or "", delimiter))
    options = WriteOptions(
        kinds=kinds, out_dir=out_dir,
        today=letter_date.date() if letter_date else dt.date.today(),
        now=dt.datetime.now(dt.UTC), config=state.config, language=language, layout=layout,
        templates=custom_templates_dir(templates_dir, state.config.templates), force=force,
        resume=resume, emails=emails, durable=False, strict=strict, pdf=pdf)
    if pdf:
        soffice()
    interactive = sys.stderr.isatty()
    bar = tqdm(total=count_rows(source) if interactive else None, unit="row",
               disable=not interactive, file=sys.stderr, dynamic_ncols=True)

    def on_row(result: RowResult) -> None:
        bar.update(1)
        if result.failed and not interactive:
            report(result.outcome.problems)

    with bar:
        summary = run_batch(source, options, jobs=jobs or os.cpu_count() or 1,
                            fail_fast=fail_fast, on_row=on_row)
    failed = f", {summary.failed_rows} rows failed (see {_shown(out_dir / ERRORS)})" \
        if summary.failed_rows else ""
    stopped = " (stopped at the first bad row)" if summary.stopped_early else ""
    if summary.not_made:
        failed += (f", {summary.not_made} letters not made for lack of fields "
                   f"(see {_shown(out_dir / NOTES)})")
    if summary.pdf_starts:
        failed += f", PDFs from {summary.pdf_starts} LibreOffice starts"
    click.echo(f"{summary.letters} letters written ({summary.files} files), "
               f"{summary.skipped} files skipped{failed}{stopped}, "
               f"in {summary.seconds:.1f} s: {summary.letters_per_second:.1f} letters/s",
               err=True)
    sys.exit(1 if summary.failed_rows else 0)


@main.command()
@click.option("-o", "--output", "out_dir", default=Path("."), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write the sample files into.")
@click.option("--force", is_flag=True, help="Replace sample files that already exist.")
@handles_errors
def sample(out_dir: Path, force: bool) -> None:
    """Write a sample record and a sample CSV to start from.

    The CSV's header shows every column a batch file may have.
    """
    status = 0
    for source in sorted(data_path("samples").iterdir()):
        if not source.is_file():
            continue
        target = out_dir / source.name
        try:
            write_atomic(target, source.read_bytes(), force=force)
        except LetterkitError as error:
            report(error.problems)
            status = max(status, error.exit_code)
            continue
        click.echo(f"wrote {_shown(target)}")
    if status == 0:
        click.echo(f"next: letterkit render {_shown(out_dir / 'complaint.yaml')}", err=True)
    sys.exit(status)


@main.command()
@click.argument("messages", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--host", help="Mail server. Default: the config's smtp.host, else localhost.")
@click.option("--port", type=int, help="Default: 25, 587 with --starttls, 465 with --ssl.")
@click.option("--starttls", "security", flag_value="starttls", help="Upgrade to TLS.")
@click.option("--ssl", "security", flag_value="ssl", help="Connect with TLS from the start.")
@click.option("--user", help="Log in as this user; the password comes from "
              "$LETTERKIT_SMTP_PASSWORD or a prompt.")
@click.option("--rate", "per_minute", type=click.FloatRange(min=0, min_open=True),
              metavar="N", help="Send at most N messages a minute.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.pass_obj
@handles_errors
def send(
    state: _State,
    messages: tuple[Path, ...],
    host: str | None,
    port: int | None,
    security: str | None,
    user: str | None,
    per_minute: float | None,
    dry_run: bool,
) -> None:
    """Send MESSAGES (.eml files, or folders of them) over one SMTP connection.

    Each folder keeps a sent.csv log: a message already in it is not sent again, so
    running the same command twice sends nothing twice. Settings come from the flags,
    then $LETTERKIT_SMTP_HOST/_PORT/_SECURITY/_USER, then the config's smtp section.
    """
    paths = _eml_files(messages)
    outgoing = []
    problems: list[Problem] = []
    for path in paths:
        try:
            outgoing.append(read_outgoing(path))
        except LetterkitError as error:
            problems += error.problems
    if problems:  # nothing is sent unless every file can be
        raise InputError(problems)
    smtp = state.config.smtp
    settings = SmtpSettings(smtp.host, smtp.port, smtp.security, smtp.user).with_env(os.environ)
    settings = dataclasses.replace(
        settings, host=host or settings.host, port=port or settings.port,
        security=security or settings.security,  # type: ignore[arg-type]
        user=user or settings.user)
    if dry_run:
        for item in outgoing:
            when = already_sent(sent_log(item.path)).get(item.message_id)
            state_ = f"already sent {when}" if when else "would send"
            click.echo(f"{state_}: {_shown(item.path)} to {', '.join(item.recipients)}: "
                       f"{item.subject}")
        return
    if settings.user and not settings.password:
        if not sys.stdin.isatty():
            raise InputError.at("no password: set LETTERKIT_SMTP_PASSWORD",
                                field="--user")
        settings = dataclasses.replace(
            settings, password=click.prompt(f"Password for {settings.user}", hide_input=True))
    result = send_all(outgoing, settings, per_minute=per_minute,
                      on_sent=lambda item, refused: click.echo(
                          f"sent {_shown(item.path)} to {', '.join(item.recipients)}"))
    for path, when in result.already_sent:
        click.echo(f"already sent {_shown(path)} on {when}; not sent again")
    report(result.refused + result.failed)
    click.echo(f"{len(result.sent)} sent, {len(result.already_sent)} already sent, "
               f"{len(result.failed)} failed, {len(result.refused)} recipients refused",
               err=True)
    sys.exit(0 if result.ok else 1)


def _eml_files(arguments: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for argument in arguments:
        if argument.is_dir():
            files += sorted(argument.rglob("*.eml"))
        elif argument.is_file():
            files.append(argument)
        else:
            raise InputError.at("no such file or folder", file=str(argument))
    if not files:
        raise InputError.at("no .eml files found", file=" ".join(map(str, arguments)))
    return files


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-k", "--kind", "kinds", multiple=True, default=["all"], show_default=True,
              type=click.Choice([*KINDS, "all"]), help="Check for these letters only.")
@click.option("--date", "letter_date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The letters' date the checks work from (YYYY-MM-DD). Default: today.")
@click.pass_obj
@handles_errors
def check(state: _State, inputs: tuple[Path, ...], kinds: tuple[str, ...],
          letter_date: dt.datetime | None) -> None:
    """Check records (YAML, JSON, or every row of a CSV) against the practice: what each
    letter must commit to, and wording that blames, stonewalls, sends the customer
    elsewhere, promises too much or reads like a form. Exit 1 when anything is found;
    notes (a late first answer) do not count."""
    config = state.config
    today = letter_date.date() if letter_date else dt.date.today()
    lists = word_lists(config.practice_words)
    status = 0
    checked = 0
    for path in inputs:
        try:
            for row, record in _records_in(path, config):
                checked += 1
                if isinstance(record, LetterkitError):
                    report(record.problems)
                    status = max(status, 2)
                    continue
                # Every letter asked for: a letter the record cannot have yet (an action
                # without a date) is exactly what the check must name.
                findings = check_record(record, kinds, today=today, lists=lists)
                report([f.as_problem(str(path), row) for f in findings], label="finding")
                late = late_note(record, today, config.respond_within_working_days)
                if late:
                    report([Problem(late, file=str(path), row=row, field="received")],
                           label="note")
                status = max(status, 1 if findings else 0)
        except LetterkitError as error:
            report(error.problems)
            status = max(status, error.exit_code)
    click.echo(f"checked {checked} record{'s' if checked != 1 else ''}: "
               f"{'clean' if status == 0 else 'see above'}", err=True)
    sys.exit(status)


def _records_in(path: Path, config: Config) -> Iterator[tuple[int | None, Any]]:
    """(row, record or the error that stopped it) for a record file or each CSV row."""
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        for row, data in csv_rows(open_csv(path)):
            try:
                yield row, validate_record(apply_config(data, config), file=str(path), row=row)
            except LetterkitError as error:
                yield row, error
    else:
        yield None, load_record(path, config)


@main.group()
def templates() -> None:
    """The .docx templates: which are in use, copies to edit, and checks.

    A custom folder (--templates, $LETTERKIT_TEMPLATES or the config's `templates`) is
    searched first: DIR/<lang>/<kind>-<layout>.docx, then DIR/<kind>-<layout>.docx, then
    the shipped template.
    """


_CUSTOM_OPTION = click.option(
    "--templates", "templates_dir", type=click.Path(path_type=Path, file_okay=False),
    help="Custom templates folder. Default: $LETTERKIT_TEMPLATES, then the config's.")


@templates.command("list")
@_CUSTOM_OPTION
@click.pass_obj
@handles_errors
def templates_list(state: _State, templates_dir: Path | None) -> None:
    """Show the template used for each kind, layout and language, custom or shipped."""
    custom = custom_templates_dir(templates_dir, state.config.templates)
    if custom is not None:
        click.echo(f"custom templates: {custom} (then the shipped ones)")
    for kind in KINDS:
        for layout in LAYOUTS:
            for language in available_languages():
                path = find_template(kind, layout, language, custom)
                origin = "shipped" if path.parent == shipped_templates_dir() else "custom"
                click.echo(f"{kind:<16} {layout:<11} {language:<3} {origin:<8} {_shown(path)}")


@templates.command("init")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@handles_errors
def templates_init(folder: Path) -> None:
    """Copy the shipped templates into FOLDER to edit in Word (never over existing files)."""
    status = 0
    for source in sorted(shipped_templates_dir().glob("*.docx")):
        try:
            write_atomic(folder / source.name, source.read_bytes())
        except LetterkitError as error:
            report(error.problems)
            status = 1
            continue
        click.echo(f"wrote {_shown(folder / source.name)}")
    click.echo(f"next: edit them in Word, then: letterkit templates check {_shown(folder)}",
               err=True)
    sys.exit(status)


@templates.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-l", "--lang", "languages", multiple=True, metavar="LANG",
              help="Check the wording against these languages' catalogs. Default: all.")
@handles_errors
def templates_check(paths: tuple[Path, ...], languages: tuple[str, ...]) -> None:
    """Check TEMPLATES (.docx files or folders of them): syntax, fields, filters, Python
    internals, tags Word damaged, and wording missing from the catalogs. Exit 1 with one
    line per problem."""
    for language in languages:
        check_language(language, field="--lang")
    files = docx_files(paths)
    if not files:
        raise InputError.at("no .docx templates found", file=" ".join(map(str, paths)))
    status = 0
    for path in files:
        result = check_template(path, languages or None)
        if result.problems:
            report(result.problems)
            status = 1
        else:
            click.echo(f"ok: {_shown(path)}: {len(result.fields_used)} fields, "
                       f"{result.messages} messages")
    sys.exit(status)


@main.command()
@click.option("--markdown", is_flag=True, help="As Markdown tables (for the README).")
def fields(markdown: bool) -> None:
    """Every field a template may use, and letterkit's filters, with examples."""
    from letterkit.letters import load_record

    sample = load_record(data_path("samples") / "complaint.yaml")
    rows = all_fields(sample)
    env = environment(SOURCE_LANGUAGE)
    context = letter_context(sample, kind="resolution", language=SOURCE_LANGUAGE,
                             layout="block", today=dt.date(2026, 11, 23))
    filters = [(name, text, example, env.from_string(example).render(context))
               for name, (text, example) in FILTERS.items()]
    if markdown:
        click.echo("| field | type | required | what it is | example |")
        click.echo("|---|---|---|---|---|")
        for f in rows:
            click.echo(f"| `{f.path}` | {f.type} | {'yes' if f.required else ''} | "
                       f"{f.description} | {f.example.replace('|', '/')} |")
        click.echo("\n| filter | what it does | example | gives |")
        click.echo("|---|---|---|---|")
        for name, text, example, output in filters:
            click.echo(f"| `{name}` | {text} | `{example}` | {output} |")
        return
    for f in rows:
        required = "required" if f.required else ""
        click.echo(f"{f.path:<32} {f.type:<22} {required:<9} {f.description}")
        if f.example:
            click.echo(f"{'':<32} e.g. {f.example}")
    click.echo("\nFilters (besides Jinja's own):")
    for name, text, example, output in filters:
        click.echo(f"  {name:<15} {text}\n  {'':<15} {example}  ->  {output}")


@main.command()
@click.argument("record_file", metavar="RECORD", type=click.Path(path_type=Path))
@click.option("-k", "--kind", required=True, type=click.Choice(KINDS), help="Which letter.")
@click.option("-l", "--lang", "language", metavar="LANG", help="Language (default: the "
              "record's, then the config's).")
@click.option("--layout", type=click.Choice(LAYOUTS), help="Layout (default: the record's).")
@click.option("-o", "--output", "png", type=click.Path(path_type=Path, dir_okay=False),
              help="The PNG to write. Default: <reference>-<kind>.<lang>.png here.")
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Custom templates folder.")
@click.option("--date", "letter_date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The date the letter carries. Default: today.")
@click.option("--force", is_flag=True, help="Replace the PNG if it exists.")
@click.pass_obj
@handles_errors
def preview(state: _State, record_file: Path, kind: str, language: str | None,
            layout: str | None, png: Path | None, templates_dir: Path | None,
            letter_date: dt.datetime | None, force: bool) -> None:
    """Write a picture of a letter's first page, to look at before it goes."""
    import tempfile

    soffice()
    config = state.config
    record = load_record(record_file, config)
    kinds, _ = plan_kinds(record, [kind])
    lang = (language or record.language or config.language).lower()
    letter = make_letter(record, kind, language=lang,
                         layout=layout or record.layout or config.layout,
                         today=letter_date.date() if letter_date else dt.date.today(),
                         templates=custom_templates_dir(templates_dir, config.templates),
                         native_digits=config.digits == "native")
    target = png or Path(f"{safe_folder_name(record.reference)}-{letter.filename('png')}")
    with tempfile.TemporaryDirectory(prefix="letterkit-preview-") as tmp:
        docx = Path(tmp) / letter.filename()
        docx.write_bytes(letter.docx)
        made = converter_for_this_process().convert([docx])[docx]
        if isinstance(made, Problem):
            raise LetterkitError(made)
        pdf = docx.with_suffix(".pdf")
        pdf.write_bytes(made)
        picture = Path(tmp) / "page.png"
        first_page_png(pdf, picture)
        write_atomic(target, picture.read_bytes(), force=force)
    click.echo(f"wrote {_shown(target)} (first page of {KIND_NAMES[kind]})")


@main.command()
def languages() -> None:
    """List the languages letters can be written in."""
    for lang in available_languages():
        click.echo(lang)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)



@main.group()
def i18n() -> None:
    """Catalogs of the letters' fixed wording (thin wrappers over Babel).

    extract → messages.pot from the templates; update → each language's .po;
    compile → check every catalog is complete and write .mo files.
    """


def _template_files(templates_dir: Path | None) -> list[Path]:
    files = sorted(shipped_templates_dir().glob("*.docx"))
    if templates_dir is not None:
        if not templates_dir.is_dir():
            raise InputError.at("templates folder not found", file=str(templates_dir))
        files += docx_files([templates_dir])
    return files


_TEMPLATES_OPTION = click.option(
    "--templates", "templates_dir", type=click.Path(path_type=Path, file_okay=False),
    help="Also take the wording of the custom templates in this folder.")


@i18n.command("extract")
@_TEMPLATES_OPTION
@click.option("-o", "--output", "pot", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the template catalog. Default: locales/messages.pot.")
@handles_errors
def i18n_extract(templates_dir: Path | None, pot: Path | None) -> None:
    """Write messages.pot: every message in the templates, with where it stands."""
    catalog = extract_messages(_template_files(templates_dir))
    target = pot or locales_dir() / "messages.pot"
    write_catalog(catalog, target)
    click.echo(f"wrote {_shown(target)} ({sum(1 for m in catalog if m.id)} messages)")


@i18n.command("update")
@_TEMPLATES_OPTION
@click.option("--add", "new_language", metavar="LANG",
              help="Start a catalog for a new language (for example hi).")
@handles_errors
def i18n_update(templates_dir: Path | None, new_language: str | None) -> None:
    """Bring each language's catalog up to date with the templates' wording."""
    template = extract_messages(_template_files(templates_dir))
    languages = [lang for lang in available_languages() if lang != SOURCE_LANGUAGE]
    if new_language:
        languages.append(new_language)
    for lang in dict.fromkeys(languages):
        path = catalog_path(lang)
        catalog = update_catalog(template, path, str(locale_for(lang)))
        write_catalog(catalog, path)
        todo = sum(1 for m in catalog if m.id and (not is_translated(m) or m.fuzzy))
        click.echo(f"updated {_shown(path)} ({todo} to translate)")
    catalogs_changed()


@i18n.command("compile")
@_TEMPLATES_OPTION
@handles_errors
def i18n_compile(templates_dir: Path | None) -> None:
    """Check every catalog is complete (nothing untranslated or fuzzy, placeholders
    intact) and write its .mo. Exit 1 when a catalog has gaps."""
    template = extract_messages(_template_files(templates_dir))
    status = 0
    for lang in available_languages():
        if lang == SOURCE_LANGUAGE:
            continue
        report_ = check_catalog(lang, template)
        for line in report_.lines():
            click.echo(f"error: {line}", err=True)
        if not report_.ok:
            status = 1
        click.echo(f"wrote {_shown(compile_catalog(lang))}")
    sys.exit(status)
