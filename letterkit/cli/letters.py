"""Making letters: `render` (record files), `batch` (a CSV) and `preview` (a picture)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from letterkit.cli.common import (
    State,
    advice,
    columns_option,
    config_option,
    date_option,
    lang_option,
    layout_option,
    letter_options,
    report,
    report_outcome,
    shown,
    templates_option,
)
from letterkit.errors import EXISTS, DiskFull, InputError, OutputExists
from letterkit.kinds import KINDS

if TYPE_CHECKING:
    from letterkit.batch import RowResult


@click.command()
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=Path))
@letter_options
@click.pass_obj
def render(state: State, records: tuple[Path, ...], kinds: tuple[str, ...],
           language: str | None, layout: str | None, out_dir: Path,
           templates_dir: Path | None, letter_date: dt.date | None, force: bool,
           emails: bool, strict: bool, pdf: bool) -> None:
    """Make the letters for one or more RECORDS (YAML or JSON files).

    Letters go to OUTPUT/<reference>/<kind>.<lang>.docx. An existing letter is never
    replaced without --force.
    """
    from letterkit.writing import write_record_files

    options = state.write_options(kinds=kinds, language=language, layout=layout,
                                  out_dir=out_dir, templates_dir=templates_dir,
                                  letter_date=letter_date, force=force, emails=emails,
                                  strict=strict, pdf=pdf)
    status = 0
    for path, outcome in write_record_files(records, options):
        if isinstance(outcome.error, DiskFull):  # said once: the records after it wait too
            report(outcome.error.problems)
            click.echo(f"nothing more was written: {shown(path)} and the records after it "
                       "still need their letters, once there is room", err=True)
            sys.exit(2)
        status = max(status, report_outcome(outcome, file=str(path)))
    sys.exit(status)


@click.command()
@click.argument("csv_file", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False))
@letter_options
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes rendering at once. Default: the number of CPUs; at most "
              "twice that.")
@click.option("--fail-fast", is_flag=True,
              help="Stop at the first bad row, writing nothing after it (one row at a time).")
@click.option("--resume", is_flag=True,
              help="Skip the letters already made (after an interrupted run); make the rest.")
@click.option("--delimiter", type=click.Choice([",", ";", "tab"]),
              help="Column separator. Default: detected from the header row.")
@columns_option
@click.option("--print", "print_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE.pdf", help="With --pdf: also one PDF of all the batch's letters, "
              "in row order, to print for a postal run.")
@click.pass_obj
def batch(state: State, csv_file: Path, kinds: tuple[str, ...], language: str | None,
          layout: str | None, out_dir: Path, templates_dir: Path | None,
          letter_date: dt.date | None, force: bool, emails: bool, strict: bool, pdf: bool,
          jobs: int | None, fail_fast: bool, resume: bool, delimiter: str | None,
          columns_file: Path | None, print_file: Path | None) -> None:
    """Make the letters for every row of a CSV (see `letterkit sample` for its columns).

    Letters go to OUTPUT/<reference>/ exactly as `render` writes them. Each file written is
    listed in OUTPUT/manifest.csv; bad rows go to OUTPUT/errors.csv and do not stop the
    others. Exit 1 when any row failed.
    """
    from tqdm import tqdm

    from letterkit.batch import run_batch
    from letterkit.delivery.pdf import joined_pdf
    from letterkit.letters import Letter
    from letterkit.output import ERRORS, MANIFEST, NOTES, write_atomic
    from letterkit.sources import open_csv

    options = state.write_options(kinds=kinds, language=language, layout=layout,
                                  out_dir=out_dir, templates_dir=templates_dir,
                                  letter_date=letter_date, force=force, emails=emails,
                                  strict=strict, pdf=pdf, resume=resume)
    if print_file is not None:
        if not pdf:
            raise InputError.at("a print file is made of the letters' PDFs: add --pdf",
                                field="--print")
        # Said now, not after the whole run; a resumed run makes it anew from every PDF.
        if print_file.exists() and not (force or resume):
            raise OutputExists.at("already exists", file=str(print_file), code=EXISTS)
    source = open_csv(csv_file, {"tab": "\t"}.get(delimiter or "", delimiter),
                      state.column_map(columns_file))
    printed: list[tuple[int, int, Path]] = []  # row, kind's place, PDF
    report(source.warnings, label="warning")
    interactive = sys.stderr.isatty()
    bar = tqdm(unit="row", disable=not interactive, file=sys.stderr, dynamic_ncols=True)

    def started(rows: int) -> None:
        bar.reset(total=rows)

    def on_row(result: RowResult) -> None:
        bar.update(1)
        if print_file is not None:
            printed.extend((result.row, KINDS.index(parts[0]), path)
                           for path in [*(f.path for f in result.outcome.written),
                                        *result.outcome.existing]
                           if path.suffix == ".pdf" and (parts := Letter.file_parts(path.name)))
        for line in row_lines(result, str(source.path)):
            if interactive:
                bar.write(line, file=sys.stderr)  # above the bar, which stays
            else:
                click.echo(line, err=True)

    with bar:
        summary = run_batch(source, options, jobs=jobs or os.cpu_count() or 1,
                            fail_fast=fail_fast,
                            on_start=started if interactive else None, on_row=on_row)
    failed = f", {summary.failed_rows} rows failed (see {shown(out_dir / ERRORS)})" \
        if summary.failed_rows else ""
    if summary.in_the_way:
        failed += (f"; {summary.in_the_way} files were already there: --resume keeps them "
                   "and makes the rest, --force replaces them")
    stopped = " (stopped at the first bad row)" if summary.stopped_early else ""
    if summary.not_made:
        failed += (f", {summary.not_made} letters not made for lack of fields or a date "
                   f"too early (see {shown(out_dir / NOTES)})")
    if summary.pdf_starts:
        starts = "start" if summary.pdf_starts == 1 else "starts"
        failed += f", PDFs from {summary.pdf_starts} LibreOffice {starts}"
    click.echo(f"{summary.letters} letters written ({summary.files} files), "
               f"{summary.existing} files skipped{failed}{stopped}, "
               f"in {summary.seconds:.1f} s: {summary.letters_per_second:.1f} letters/s",
               err=True)
    if summary.changed:
        click.echo(f"warning: {summary.changed} letter files had changed since "
                   f"{shown(out_dir / MANIFEST)} listed them (edited, or made again by "
                   "render); it now has their hashes", err=True)
    if summary.stopped_by is not None or summary.interrupted:
        why = "interrupted" if summary.interrupted else "stopped"
        if summary.stopped_by is not None:
            report([summary.stopped_by])
        click.echo(f"{why} after {summary.rows} rows: {shown(out_dir / MANIFEST)} lists every "
                   "letter written; run the same command with --resume to make the rest",
                   err=True)
        sys.exit(130 if summary.interrupted else 2)
    if print_file is not None and printed:
        pdfs = [path for _, _, path in sorted(printed)]
        write_atomic(print_file, joined_pdf(pdfs), force=force or resume)
        click.echo(f"wrote {shown(print_file)}: {len(pdfs)} letters in row order, to print",
                   err=True)
    sys.exit(1 if summary.failed_rows else 0)


@click.command()
@click.argument("record_file", metavar="RECORD|CSV", type=click.Path(path_type=Path))
@click.option("-k", "--kind", required=True, type=click.Choice(KINDS), help="Which letter.")
@click.option("--row", type=click.IntRange(min=2), metavar="N",
              help="With a CSV: the row to picture, as the spreadsheet numbers it.")
@columns_option
@lang_option
@layout_option()
@click.option("-o", "--output", "png", type=click.Path(path_type=Path, dir_okay=False),
              help="The PNG to write. Default: <reference>-<kind>.<lang>.png here.")
@templates_option
@date_option
@click.option("--force", is_flag=True, help="Replace the PNG if it exists.")
@config_option
@click.pass_obj
def preview(state: State, record_file: Path, kind: str, row: int | None,
            columns_file: Path | None, language: str | None, layout: str | None,
            png: Path | None, templates_dir: Path | None, letter_date: dt.date | None,
            force: bool) -> None:
    """Write a picture of a letter's first page, to look at before it goes: of a record
    file, or of row N of a CSV (--row N)."""
    from letterkit.inputs import CSV_SUFFIXES, load_record, record_at_row
    from letterkit.kinds import kind_named
    from letterkit.output import safe_folder_name, write_atomic
    from letterkit.writing import preview_png

    if record_file.suffix.lower() in CSV_SUFFIXES:
        if row is None:
            raise InputError.at("which row? give --row N (the spreadsheet's row number)",
                                file=str(record_file), field="--row")
        record = record_at_row(record_file, row, state.config, state.column_map(columns_file))
    elif row is not None:
        raise InputError.at("--row is for a CSV; this is a record file", file=str(record_file),
                            field="--row")
    else:
        record = load_record(record_file, state.config)
    options = state.write_options(kinds=(kind,), language=language, layout=layout,
                                  out_dir=Path("."), templates_dir=templates_dir,
                                  letter_date=letter_date)
    picture = preview_png(record, kind, options)
    target = png or Path(f"{safe_folder_name(record.reference)}-{kind}."
                         f"{options.language_for(record)}.png")
    write_atomic(target, picture, force=force)
    click.echo(f"wrote {shown(target)} (first page of {kind_named(kind).called})")


def row_lines(result: RowResult, sheet: str) -> list[str]:
    """A failed row's problems, a line each, saying the sheet's row and its reference
    before the letter file, field and message: `in.csv:5 (CMP-1): customer.email: …`."""
    lines = []
    for problem in result.problems:
        where = f"{sheet}:{result.row}" + (f" ({result.reference})" if result.reference else "")
        own = problem.file if problem.file not in (None, sheet) else None
        text = ": ".join(p for p in (where, own, problem.field) if p)
        line = advice(dataclasses.replace(problem, file=None, row=None, field=None), "error")
        lines.append(f"error: {text}: {line}")
    return lines
