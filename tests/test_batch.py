"""letterkit batch: CSV in every form Excel writes, bad rows reported, nothing lost."""

from __future__ import annotations

import copy
import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from letterkit.resources import data_path

from hostile import REFUSED, as_cell, with_value
from readback import docx_text
from sheets import MEETING_DAY, read_csv, rows_like_sample, write_csv

BAD = {
    7: lambda r: r.update(received="2026-13-45"),
    42: lambda r: r["customer"].pop("name"),
    99: lambda r: r["meeting"].update(mode="pigeon"),
    150: lambda r: r["resolution"].update(amount="a lot"),
    288: lambda r: r["customer"].update(email="not-an-address"),
}


def test_excel_unicode_text_with_bad_rows(cli, tmp_path) -> None:
    """300 rows as Excel saves "Unicode text": every good letter, errors.csv naming each
    bad row, a manifest, exit 1; a rerun with --resume rewrites nothing."""
    source = write_csv(tmp_path / "complaints.txt", rows_like_sample(300, BAD),
                       encoding="utf-16", delimiter="\t")
    out = tmp_path / "letters"
    result = cli("batch", str(source), "-o", str(out), "-j", "2", "--no-email",
                 "--date", MEETING_DAY)
    assert 1 == result.exit_code, result.output
    assert "295 rows" not in result.stderr  # the summary counts letters, not rows
    errors = read_csv(out / "errors.csv")
    assert [9, 44, 101, 152, 290] == sorted({int(e["row"]) for e in errors})
    by_row = {int(e["row"]): e for e in errors}
    assert ("CMP-2026-0008", "received") == (by_row[9]["reference"], by_row[9]["field"])
    assert "2026-13-45 is not a date (YYYY-MM-DD)" == by_row[9]["message"]
    assert "customer.name" == by_row[44]["field"]
    assert "resolution.amount" == by_row[152]["field"]

    letters = sorted(out.glob("*/*.docx"))
    assert 295 * 3 == len(letters)
    manifest = read_csv(out / "manifest.csv")
    assert len(letters) == len(manifest)
    assert {"row", "reference", "kind", "language", "path", "sha256"} == set(manifest[0])
    assert all((out / m["path"]).is_file() for m in manifest)
    telugu = out / "CMP-2026-0005" / "resolution.te.docx"
    assert "శ్రీ వెంకట సుబ్బారావు గారికి, నమస్కారం." in docx_text(telugu)

    stamps = {p: p.stat().st_mtime_ns for p in letters}
    again = cli("batch", str(source), "-o", str(out), "-j", "2", "--no-email",
                "--resume", "--date", MEETING_DAY)
    assert 1 == again.exit_code  # the bad rows are still bad
    assert stamps == {p: p.stat().st_mtime_ns for p in sorted(out.glob("*/*.docx"))}
    assert len(manifest) == len(read_csv(out / "manifest.csv"))
    assert f"0 letters written (0 files), {len(letters)} files skipped" in again.stderr


@pytest.mark.parametrize(
    ("encoding", "delimiter", "line_end"),
    [("utf-8", ",", "\n"), ("utf-8-sig", ",", "\r\n"), ("utf-8-sig", ";", "\r\n"),
     ("utf-16", "\t", "\r\n"), ("utf-8", "\t", "\n")],
    ids=["utf8-comma", "excel-csv-utf8", "semicolon", "unicode-text", "tab"],
)
def test_csv_forms(cli, tmp_path, encoding, delimiter, line_end) -> None:
    """Each form of CSV Excel and LibreOffice write is read, multi-line cells intact."""
    source = write_csv(tmp_path / "in.csv", rows_like_sample(5), encoding=encoding,
                       delimiter=delimiter, line_end=line_end)
    out = tmp_path / "out"
    result = cli("batch", str(source), "-o", str(out), "-j", "1", "-k", "resolution",
                 "--no-email", "--date", MEETING_DAY)
    assert 0 == result.exit_code, result.output
    text = docx_text(out / "CMP-2026-0001" / "resolution.en.docx")
    assert "Flat 4B, Sai Residency\nRoad No. 12, Banjara Hills\nHyderabad 500034" in text
    assert 5 == len(list(out.glob("*/resolution.*.docx")))


def test_batch_gives_what_render_gives(cli, tmp_path, write_record) -> None:
    """A good row's letters equal what `render` makes from the same record."""
    records = rows_like_sample(1)
    source = write_csv(tmp_path / "one.csv", records)
    cli("batch", str(source), "-o", str(tmp_path / "b"), "--date", MEETING_DAY, "-j", "1")
    cli("render", str(write_record(records[0])), "-o", str(tmp_path / "r"),
        "--date", MEETING_DAY)
    for kind in ("acknowledgement", "meeting", "resolution"):
        name = f"CMP-2026-0001/{kind}.en.docx"
        assert (tmp_path / "r" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "r" / "CMP-2026-0001").iterdir()) == sorted(
        p.name for p in (tmp_path / "b" / "CMP-2026-0001").iterdir())


def test_rerun_never_overwrites(cli, tmp_path) -> None:
    """A second run without --resume or --force keeps every letter and says so (a later
    date may add a letter the first run could not make yet: the resolution)."""
    source = write_csv(tmp_path / "in.csv", rows_like_sample(3))
    out = tmp_path / "out"
    cli("batch", str(source), "-o", str(out), "-j", "1", "--no-email",
        "--date", "2026-11-23")
    before = {p: p.read_bytes() for p in out.glob("*/*.docx")}
    result = cli("batch", str(source), "-o", str(out), "-j", "1", "--no-email",
                 "--date", MEETING_DAY)
    assert 1 == result.exit_code
    assert before == {p: p.read_bytes() for p in before}
    assert 3 == len(list(out.glob("*/resolution.en.docx")))
    assert "already exists" in (out / "errors.csv").read_text(encoding="utf-8-sig")
    assert "6 files were already there: --resume keeps them" in result.stderr
    forced = cli("batch", str(source), "-o", str(out), "-j", "1", "--no-email",
                 "--date", MEETING_DAY, "--force")
    assert 0 == forced.exit_code
    assert not (out / "errors.csv").exists()  # this run had none
    assert "25 November 2026" in docx_text(out / "CMP-2026-0001" / "acknowledgement.en.docx")


def test_letters_a_row_cannot_have_are_noted(cli, tmp_path) -> None:
    """A row lacking what a letter needs gets the others, and notes.csv says why; the run
    still succeeds."""
    records = rows_like_sample(3, {1: lambda r: r["resolution"]["actions"][0].pop("due")})
    source = write_csv(tmp_path / "in.csv", records)
    out = tmp_path / "out"
    result = cli("batch", str(source), "-o", str(out), "-j", "1", "--no-email",
                 "--date", MEETING_DAY)
    assert 0 == result.exit_code, result.output
    # Row 3's resolution, and every row's follow-up (its actions are not all due yet).
    assert "4 letters not made for lack of fields or a date too early" in result.stderr
    notes = [(n["row"], n["reference"], n["field"]) for n in read_csv(out / "notes.csv")]
    assert ("3", "CMP-2026-0002", "resolution.actions.1.due") in notes
    assert 3 == sum(1 for n in read_csv(out / "notes.csv")
                    if "skipped the follow-up letter" in n["message"])
    assert not (out / "CMP-2026-0002" / "resolution.en.docx").exists()
    assert (out / "CMP-2026-0002" / "meeting.en.docx").exists()


def test_fail_fast_stops_at_the_first_bad_row(cli, tmp_path) -> None:
    """--fail-fast writes nothing after the first bad row."""
    source = write_csv(tmp_path / "in.csv",
                       rows_like_sample(40, {2: lambda r: r.update(received="nope")}))
    out = tmp_path / "out"
    result = cli("batch", str(source), "-o", str(out), "-j", "1", "--fail-fast",
                 "--no-email", "-k", "acknowledgement")
    assert 1 == result.exit_code
    assert "stopped at the first bad row" in result.stderr
    assert len(list(out.glob("*/*.docx"))) < 39


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"PK\x03\x04rest of a workbook", "is a workbook, not a CSV"),
     (b"\x00\x01\x02binary", "is not a text file"),
     (b"name\nA\n", "no reference column"),
     (b"Ref,customer.name\nA,B\n", "no reference column"),
     (b"reference,customer.name,Customer.Name\nA,B,C\n",
      "columns 'customer.name' and 'Customer.Name' both give customer.name"),
     ("é,ü\n".encode("latin-1"), "is not UTF-8 text")],
    ids=["xlsx", "binary", "no-reference", "mapped-away", "twice", "latin-1"],
)
def test_unreadable_csv_is_a_clear_error(cli, tmp_path, content, message) -> None:
    """A file that is not a usable CSV is refused before anything is written."""
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    result = cli("batch", str(source), "-o", str(tmp_path / "out"))
    assert 2 == result.exit_code
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.posix  # SIGKILL stages the crash
def test_killed_batch_leaves_no_half_files_and_resumes(tmp_path) -> None:
    """A batch killed mid-run leaves only whole letters; --resume finishes the rest."""
    source = write_csv(tmp_path / "in.csv", rows_like_sample(120))
    out = tmp_path / "out"
    exe = Path(sys.executable).parent / "letterkit"
    command = [str(exe), "batch", str(source), "-o", str(out), "-j", "1", "--no-email",
               "--date", MEETING_DAY]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*/*.docx"))) < 30:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    made = list(out.glob("*/*.docx"))
    assert 30 <= len(made) < 360, "the batch should have been stopped part-way"
    for letter in made:
        assert zipfile.ZipFile(letter).testzip() is None  # whole, never half written
    result = subprocess.run([*command, "--resume"], capture_output=True, text=True,
                            check=False)
    assert 0 == result.returncode, result.stderr
    assert 360 == len(list(out.glob("*/*.docx")))
    assert [] == list(out.glob("*/.*.tmp"))


def test_cells_that_read_as_formulas_are_shown_as_text(cli, tmp_path) -> None:
    """A reference or value that starts like a spreadsheet formula goes into manifest.csv,
    errors.csv and notes.csv with a leading ', so Excel shows it and never runs it; the
    folder name never starts with - either."""
    hostile = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)"]
    records = rows_like_sample(5)
    for record, reference in zip(records, hostile, strict=False):
        record["reference"] = reference
    records[4]["reference"] = "=HYPERLINK(\"http://x.example\")"
    records[4]["received"] = "=1+1"  # a bad row, to have errors.csv
    source = write_csv(tmp_path / "in.csv", records)
    out = tmp_path / "out"
    result = cli("batch", source, "-o", out, "--date", MEETING_DAY, "-j", "1")
    assert 1 == result.exit_code
    for name in ("manifest.csv", "errors.csv", "notes.csv"):
        if not (out / name).exists():
            continue
        for line in read_csv(out / name):
            for cell in line.values():
                assert not cell.startswith(("=", "+", "-", "@")), (name, cell)
    references = {line["reference"] for line in read_csv(out / "manifest.csv")}
    assert {f"'{r}" for r in hostile} == references
    assert "'=HYPERLINK(\"http://x.example\")" in {
        line["reference"] for line in read_csv(out / "errors.csv")}
    assert not [p for p in out.iterdir() if p.name.startswith("-")]


def test_hostile_rows_among_good_ones_are_one_outcome_each(cli, tmp_path) -> None:
    """Every hostile value a cell can hold, each in a row of its own between good rows,
    in one `-j 2` batch: each hostile row makes its letters or is a bad row naming its
    field, never an unforeseen failure; every good row makes its three letters; the
    manifest lists exactly what is on disk."""
    good = rows_like_sample(1)[0]
    records, hostile_rows = [], {}
    # A NUL makes the whole file "not text": refused before any row (test_hostile_inputs).
    cells = [(case, field, value) for case, field, value in as_cell() if "\x00" not in value]
    for number, (case, field, value) in enumerate(cells):
        records.append(dict(copy.deepcopy(good), reference=f"GOOD-{number}"))
        row = with_value(dict(copy.deepcopy(good), reference=f"HOSTILE-{number}"),
                         field, value)
        records.append(row)
        hostile_rows[2 * number + 3] = (case, field)  # the sheet's row: header is row 1
    source = write_csv(tmp_path / "in.csv", records)
    out = tmp_path / "out"
    result = cli("batch", source, "-o", out, "--date", MEETING_DAY, "-j", "2")
    assert result.exit_code in (0, 1), result.output
    assert "letterkit failed on this record" not in result.stderr
    failed = {int(line["row"]): line for line in read_csv(out / "errors.csv")} \
        if (out / "errors.csv").exists() else {}
    # In a sheet, a list as text is the shorthand a cell has for it (one item a line).
    shorthands = {"findings-as-text", "copied-as-text"}
    not_refused = [case for row, (case, _) in hostile_rows.items()
                   if case in REFUSED and case not in shorthands and row not in failed]
    assert [] == not_refused
    for row, (case, field) in hostile_rows.items():
        if row in failed:
            assert failed[row]["field"].startswith(field.split(".")[0]), (case, failed[row])
    for row, line in failed.items():
        assert row in hostile_rows, f"good row {row} failed: {line}"
    for number in range(len(hostile_rows)):
        assert 3 == len(list((out / f"GOOD-{number}").glob("*.docx")))
    listed = {line["path"] for line in read_csv(out / "manifest.csv")}
    on_disk = {f"{p.parent.name}/{p.name}" for p in out.glob("*/*.*")
               if p.suffix in {".docx", ".eml", ".ics"}}
    assert on_disk == listed


def manifest_paths_and_hashes(out: Path) -> dict[str, str]:
    return {line["path"]: line["sha256"] for line in read_csv(out / "manifest.csv")}


def disk_paths_and_hashes(out: Path) -> dict[str, str]:
    return {f"{p.parent.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in out.glob("*/*.*") if p.suffix in {".docx", ".eml", ".ics", ".pdf"}}


def test_the_manifest_lists_follow_up_letters(cli, tmp_path) -> None:
    """Every kind's files are in the manifest, follow-up letters (a kind with a hyphen)
    too, after a run and after a resumed one."""
    out = tmp_path / "out"
    source = data_path("samples") / "complaints.csv"
    result = cli("batch", source, "-o", out, "--date", "2026-12-05", "-j", "1")
    assert result.exit_code in (0, 1), result.output
    assert any(p.startswith("follow-up.") for p in
               (path.split("/")[1] for path in manifest_paths_and_hashes(out)))
    assert disk_paths_and_hashes(out) == manifest_paths_and_hashes(out)
    cli("batch", source, "-o", out, "--date", "2026-12-05", "-j", "1", "--resume")
    assert disk_paths_and_hashes(out) == manifest_paths_and_hashes(out)


def test_a_file_changed_since_the_manifest_listed_it_gets_its_new_hash(
        cli, tmp_path, write_record, sample_data) -> None:
    """A letter made again by render --force into a batch's folder (or edited in Word)
    is listed with its new hash when the next batch there ends, with a warning."""
    out = tmp_path / "out"
    rows = rows_like_sample(2)
    rows[0]["reference"] = "CMP-2026-0142"
    cli("batch", write_csv(tmp_path / "a.csv", rows[:1]), "-o", out, "--date", MEETING_DAY)
    time.sleep(0.05)
    cli("render", write_record(sample_data), "-o", out, "--date", "2026-11-24", "--force",
        "-k", "acknowledgement")
    result = cli("batch", write_csv(tmp_path / "b.csv", rows[1:]), "-o", out, "--date",
                 MEETING_DAY)
    assert 0 == result.exit_code, result.output
    assert "letter files had changed since" in result.stderr
    assert disk_paths_and_hashes(out) == manifest_paths_and_hashes(out)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="pipes by name are POSIX")
@pytest.mark.parametrize("name", ["manifest.csv", "errors.csv", "notes.csv"])
def test_a_pipe_where_the_batch_keeps_its_lists_is_refused(cli, tmp_path, name) -> None:
    """A pipe under the name of manifest.csv, errors.csv or notes.csv: one line, before
    any row is made; never a batch waiting forever for a reader."""
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / name)
    result = cli("batch", data_path("samples") / "complaints.csv", "-o", out)
    assert 2 == result.exit_code
    assert f"{out / name}: is not a file but a folder, a link, a device or a pipe" in result.stderr
    assert [name] == [p.name for p in out.iterdir()]


def test_a_manifest_line_cut_short_inside_quotes_spoils_no_other(cli, tmp_path) -> None:
    """A manifest whose last line a killed run cut short inside a quoted cell, and one
    with a cell longer than the csv module reads: the batch goes on, and its manifest
    lists exactly the files on disk."""
    out = tmp_path / "out"
    source = data_path("samples") / "complaints.csv"
    cli("batch", source, "-o", out, "--date", MEETING_DAY, "-j", "1")
    with (out / "manifest.csv").open("a", encoding="utf-8") as fh:
        fh.write('2,"ACME, Ltd,resolution,en,ACME/x' + "\n" + "y" * 200_000)
    result = cli("batch", source, "-o", out, "--date", MEETING_DAY, "-j", "1", "--resume")
    assert 0 == result.exit_code, result.output
    assert disk_paths_and_hashes(out) == manifest_paths_and_hashes(out)


def test_a_batch_starts_no_more_processes_than_twice_the_cpus(tmp_path, monkeypatch) -> None:
    """`-j 1000` on a small machine starts at most twice as many workers as CPUs."""
    from letterkit import batch

    asked = []

    class Pool(batch.ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs) -> None:
            asked.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(batch, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    source = write_csv(tmp_path / "in.csv", rows_like_sample(3))
    summary = batch.run_batch(source, batch.WriteOptions(out_dir=tmp_path / "out"), jobs=1000)
    assert [4] == asked and 3 == summary.rows


def test_errors_csv_names_the_file_already_there(cli, tmp_path) -> None:
    """A row failed for a letter already there: errors.csv names that letter's file."""
    out = tmp_path / "out"
    source = data_path("samples") / "complaints.csv"
    cli("batch", source, "-o", out, "--date", MEETING_DAY, "-j", "1")
    result = cli("batch", source, "-o", out, "--date", MEETING_DAY, "-j", "1")
    assert 1 == result.exit_code
    messages = [line["message"] for line in read_csv(out / "errors.csv")]
    assert messages and all(m.endswith(": already exists") for m in messages)
    assert str(out / "CMP-2026-0142" / "acknowledgement.en.docx") + ": already exists" \
        in messages


def test_two_batches_into_one_folder_list_every_file_with_its_row(tmp_path) -> None:
    """Two colleagues' batches of different rows, run into one folder at once: whichever
    ends last writes the manifest, and every file in it still has its row and reference
    (from the other run's lines), none blank."""
    rows = rows_like_sample(40)
    for n, record in enumerate(rows):
        record["reference"] = f"{'AB'[n % 2]}-{n:04d}"
    sheets = [write_csv(tmp_path / f"{name}.csv", rows[n::2]) for n, name in enumerate("ab")]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "letterkit", "batch", "-k", "resolution", "--date",
               MEETING_DAY, "-j", "1", "-o", str(out)]
    runs = [subprocess.Popen([*command, str(sheet)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for sheet in sheets]
    said = [run.communicate(timeout=300)[1] for run in runs]
    assert [0, 0] == [run.returncode for run in runs], said
    manifest = read_csv(out / "manifest.csv")
    assert 80 == len(manifest)  # 40 letters and their emails
    assert all(line["row"] and line["reference"] for line in manifest), [
        line for line in manifest if not (line["row"] and line["reference"])]
    assert {line["path"].split("/")[0] for line in manifest} == \
        {line["reference"] for line in manifest}
