"""Sheets as Excel writes them: extra columns, day-first dates, serial numbers, grouped
amounts with a currency sign, semicolons, UTF-16, a reference given twice, a column map."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from icalendar import Calendar

from letterkit.resources import data_path

from readback import docx_text

DAY = "2026-12-05"  # the sample rows' resolution and follow-up letters may carry this date


def sample_rows() -> list[dict[str, str]]:
    with (data_path("samples") / "complaints.csv").open(encoding="utf-8-sig",
                                                          newline="") as fh:
        return list(csv.DictReader(fh))


def as_excel(rows: list[dict[str, str]], path: Path, *, delimiter: str = ",",
             encoding: str = "utf-8-sig", extra: dict[str, str] | None = None) -> Path:
    """Rows saved the way Excel saves them: its own column after ours, CRLF lines."""
    columns = [*rows[0], *(extra or {})]
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, delimiter=delimiter,
                            lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, **(extra or {})})
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def excel_reformatted(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """What Excel in an Indian locale does to the sample's dates and amounts."""
    english, telugu = (dict(row) for row in rows)
    english.update({"received": "20-11-2026", "meeting.at": "25/11/2026 15:30",
                    "resolution.actions.1.due": "28/11/2026",
                    "resolution.actions.1.done": "46354",  # a date column saved as numbers
                    "resolution.actions.2.amount": "1,500.00"})
    telugu.update({"received": "21/11/2026", "resolution.actions.1.amount": "₹750"})
    return [english, telugu]


@pytest.mark.parametrize(("delimiter", "encoding"), [
    (",", "utf-8-sig"),  # CSV UTF-8
    (";", "utf-8-sig"),  # where the list separator is ;
    ("\t", "utf-16"),  # Unicode Text
], ids=["csv-utf8", "semicolons", "utf16"])
def test_an_excel_sheet_makes_every_good_rows_letters(cli, tmp_path, delimiter,
                                                      encoding) -> None:
    """Extra columns, day-first dates, a serial number, `1,500.00` and `₹750`, a reference
    given twice and a date Excel cannot have meant: every good row's letters are made,
    every bad row named on stderr and in errors.csv."""
    good = excel_reformatted(sample_rows())
    twice = dict(good[0], **{"customer.name": "Someone Else"})  # CMP-2026-0142 again
    impossible = dict(good[1], reference="CMP-2026-0150", received="31/11/2026")
    month_first = dict(good[1], reference="CMP-2026-0151", received="11/21/2026")
    source = as_excel([*good, twice, impossible, month_first], tmp_path / "export.csv",
                      delimiter=delimiter, encoding=encoding,
                      extra={"Agent notes": "called twice", "custmer.phone": "x"})
    out = tmp_path / "out"
    result = cli("batch", source, "-o", out, "--date", DAY, "-j", "1")
    assert 1 == result.exit_code
    assert "warning: " in result.stderr
    assert ("left out 2 columns letterkit does not use: 'Agent notes', 'custmer.phone' "
            "(customer.phone?)") in result.stderr
    for reference, lang in (("CMP-2026-0142", "en"), ("CMP-2026-0143", "te")):
        assert [f"follow-up.{lang}.docx", f"resolution.{lang}.docx"] == sorted(
            p.name for p in (out / reference).glob("*.docx")), result.stderr
    letter = docx_text(out / "CMP-2026-0142" / "resolution.en.docx")
    assert "₹1,500" in letter and "28 November 2026" in letter
    assert "Someone Else" not in letter  # the second CMP-2026-0142 replaced nothing
    assert "₹750" in docx_text(out / "CMP-2026-0143" / "resolution.te.docx")
    assert not (out / "CMP-2026-0150").exists() and not (out / "CMP-2026-0151").exists()

    name = str(source)
    expected = [
        f"error: {name}:4 (CMP-2026-0142): reference: 'CMP-2026-0142' is row 2's reference "
        "too; each complaint needs a reference of its own, so this row made nothing",
        f"error: {name}:5 (CMP-2026-0150): received: read '31/11/2026' as day, month, year: "
        "there is no such date",
        f"error: {name}:6 (CMP-2026-0151): received: read '11/21/2026' as day, month, year: "
        "there is no such date; if this sheet writes dates month-first, set date_order: "
        "month-first in the config",
    ]
    assert expected == [line for line in result.stderr.splitlines()
                        if line.startswith("error")]
    with (out / "errors.csv").open(encoding="utf-8-sig", newline="") as fh:
        errors = list(csv.DictReader(fh))
    assert [("4", "CMP-2026-0142", "reference"), ("5", "CMP-2026-0150", "received"),
            ("6", "CMP-2026-0151", "received")] == [
        (e["row"], e["reference"], e["field"]) for e in errors]


def test_force_never_lets_a_row_replace_anothers_letters(cli, tmp_path) -> None:
    rows = sample_rows()
    source = as_excel([rows[0], dict(rows[0], **{"customer.name": "Someone Else"})],
                      tmp_path / "in.csv")
    out = tmp_path / "out"
    result = cli("batch", source, "-o", out, "--date", DAY, "--force", "-j", "2")
    assert 1 == result.exit_code
    assert "is row 2's reference too" in result.stderr
    for letter in (out / "CMP-2026-0142").glob("*.docx"):
        assert "Someone Else" not in docx_text(letter)


def test_references_that_make_one_folder_are_told_apart(cli, tmp_path) -> None:
    """`ACME-1` and `acme-1` share a folder on a disk that ignores case: the second row is
    refused, naming the first; `ACME/1` and `ACME_1` get a folder each."""
    rows = sample_rows()
    references = ["ACME-1", "acme-1", "ACME/1", "ACME_1", "ACME:1"]
    source = as_excel([dict(rows[0], reference=r) for r in references], tmp_path / "in.csv")
    out = tmp_path / "out"
    result = cli("batch", source, "-o", out, "--date", DAY, "-j", "1", "--force")
    assert 1 == result.exit_code
    assert ("'acme-1' would write to the same folder as row 2's 'ACME-1' (Windows and macOS "
            "disks do not tell capitals from small letters)" in result.stderr)
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert 4 == len(folders) and all(list(f.glob("*.docx")) for f in folders)


@pytest.mark.parametrize(("cell", "field", "message"), [
    ("1.500,00", "resolution.actions.2.amount", "read '1.500,00', which is not an amount"),
    ("20/11/26", "received", "read '20/11/26', whose year has two digits; Excel may have "
                             "reformatted the column"),
    ("soon", "resolution.actions.1.due", "read 'soon', which is not a date"),
    ("25/11/2026", "meeting.at", "read '25/11/2026', a date without a time"),
])
def test_values_excel_cannot_have_meant_name_the_cell(cli, tmp_path, cell, field,
                                                      message) -> None:
    rows = sample_rows()
    source = as_excel([dict(rows[0], **{field: cell})], tmp_path / "in.csv")
    result = cli("batch", source, "-o", tmp_path / "out", "--date", DAY, "-j", "1")
    assert 1 == result.exit_code
    assert f"(CMP-2026-0142): {field}: {message}" in result.stderr


def test_month_first_sheets_by_the_config(cli, tmp_path) -> None:
    rows = sample_rows()
    source = as_excel([dict(rows[0], received="11/20/2026",
                            **{"meeting.at": "11/25/2026 3:30 PM"})], tmp_path / "in.csv")
    config = tmp_path / "letterkit.yaml"
    config.write_text("date_order: month-first\n", encoding="utf-8")
    result = cli("--config", config, "batch", source, "-o", tmp_path / "out",
                 "--date", "2026-11-23", "-j", "1", "-k", "meeting")
    assert 0 == result.exit_code, result.stderr
    assert "25 November 2026" in docx_text(tmp_path / "out" / "CMP-2026-0142"
                                           / "meeting.en.docx")
    assert "3:30" in docx_text(tmp_path / "out" / "CMP-2026-0142" / "meeting.en.docx")


def test_a_meeting_time_with_its_offset_reads_as_in_a_record(cli, tmp_path) -> None:
    """A sheet's meeting time written with its offset (UTC here) is taken as a record file
    takes it: the moment, shown in the meeting's time zone."""
    rows = sample_rows()
    source = as_excel([dict(rows[0], **{"meeting.at": "2026-11-25T10:00Z"})],
                      tmp_path / "in.csv")
    result = cli("batch", source, "-o", tmp_path / "out", "--date", "2026-11-23", "-j", "1",
                 "-k", "meeting")
    assert 0 == result.exit_code, result.stderr
    assert "3:30" in docx_text(tmp_path / "out" / "CMP-2026-0142" / "meeting.en.docx")


def test_a_column_map_lets_the_sheets_own_headers_stand(cli, tmp_path) -> None:
    """The sheet calls its columns "Complaint no." and "Customer"; a small YAML file maps
    them to letterkit's fields."""
    row = sample_rows()[0]
    renamed = {"Complaint no.": row.pop("reference"), "Customer": row.pop("customer.name"),
               **row}
    source = as_excel([renamed], tmp_path / "export.csv")
    columns = tmp_path / "columns.yaml"
    columns.write_text("Complaint no.: reference\nCustomer: customer.name\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("batch", source, "-o", out, "--date", DAY, "-j", "1", "--columns", columns)
    assert 0 == result.exit_code, result.stderr
    assert "warning" not in result.stderr
    assert "Dear Ms Lakshmi Prasanna," in docx_text(out / "CMP-2026-0142"
                                                    / "resolution.en.docx")
    columns.write_text("Complaint no.: reference\nCustomer: customer.nmae\n", encoding="utf-8")
    refused = cli("batch", source, "-o", out, "--date", DAY, "--columns", columns)
    assert 2 == refused.exit_code
    assert ("the column map gives 'Customer' to 'customer.nmae', which is not a field; did "
            "you mean customer.name?") in refused.stderr


def test_fail_fast_writes_nothing_after_the_bad_row(cli, tmp_path) -> None:
    """--fail-fast: the bad row named with its reference, and no letter of a later row."""
    english = sample_rows()[0]
    rows = [dict(english, reference=f"CMP-2026-{n:04d}") for n in range(1, 11)]
    rows[2]["received"] = "31/11/2026"
    source = as_excel(rows, tmp_path / "in.csv")
    out = tmp_path / "out"
    result = cli("batch", source, "-o", out, "--date", DAY, "--fail-fast", "-j", "2")
    assert 1 == result.exit_code
    assert f"error: {source}:4 (CMP-2026-0003): received: read '31/11/2026'" in result.stderr
    assert "stopped at the first bad row" in result.stderr
    assert ["CMP-2026-0001", "CMP-2026-0002"] == sorted(
        p.name for p in out.iterdir() if p.is_dir())


def test_every_csv_letterkit_writes_opens_in_excel_with_its_telugu(cli, tmp_path) -> None:
    """manifest.csv, notes.csv and errors.csv start with the byte-order mark Excel needs
    to read UTF-8, keep their Telugu, and read back in letterkit (the sample CSV too)."""
    good, telugu = sample_rows()
    source = as_excel([good, dict(telugu, received="సోమవారం")], tmp_path / "in.csv")
    out = tmp_path / "out"
    assert 1 == cli("batch", source, "-o", out, "--date", DAY, "-j", "1").exit_code
    for name in ("manifest.csv", "notes.csv", "errors.csv"):
        assert (out / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    assert "read 'సోమవారం', which is not a date" in (out / "errors.csv").read_text(
        encoding="utf-8-sig")
    assert (data_path("samples") / "complaints.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    again = cli("batch", source, "-o", out, "--date", DAY, "-j", "1", "--resume")
    assert "errors.csv" in again.stderr  # the rerun appended to the manifest and read it
    manifest = (out / "manifest.csv").read_bytes()
    assert 1 == manifest.count(b"\xef\xbb\xbf")  # appending adds no second mark


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX's")
def test_failed_rows_are_named_above_the_progress_bar(tmp_path) -> None:
    """On a terminal (the progress bar showing), each failed row still gets its line."""
    import fcntl
    import pty
    import struct
    import termios

    good, telugu = sample_rows()
    source = as_excel([good, dict(telugu, received="31/11/2026")], tmp_path / "in.csv")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "letterkit"), "batch", str(source), "-o",
         str(tmp_path / "out"), "--date", DAY, "-j", "1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert 1 == process.wait(timeout=60)
    text = seen.decode("utf-8", "replace")
    assert f"error: {source}:3 (CMP-2026-0143): received: read '31/11/2026'" in text
    assert "2/2" in text and "row/s" in text  # the bar was there
    assert "1 rows failed" in text


@pytest.mark.libreoffice
def test_preview_a_row_of_a_sheet(cli, tmp_path) -> None:
    """`preview CSV --row N`: that row's letter, pictured, as batch would make it."""
    from PIL import Image

    from readback import libreoffice

    libreoffice()
    source = as_excel(excel_reformatted(sample_rows()), tmp_path / "in.csv")
    png = tmp_path / "row3.png"
    result = cli("preview", source, "--row", "3", "-k", "resolution", "--date", DAY,
                 "-o", png)
    assert 0 == result.exit_code, result.output
    with Image.open(png) as image:
        assert image.size[1] > image.size[0]
    missing = cli("preview", source, "--row", "9", "-k", "resolution")
    assert 2 == missing.exit_code
    assert "there is no row 9 with a complaint (its rows are 2 to 3)" in missing.stderr
    assert 2 == cli("preview", source, "-k", "resolution").exit_code


@pytest.mark.libreoffice
def test_one_print_file_for_a_postal_run(cli, tmp_path) -> None:
    """`batch --pdf --print FILE.pdf`: every letter's pages, in row order, in one PDF."""
    import pypdfium2

    from readback import libreoffice

    libreoffice()
    rows = sample_rows()
    source = as_excel([dict(rows[1], reference="CMP-2026-0001"), rows[0],
                       dict(rows[1], reference="CMP-2026-0003")], tmp_path / "in.csv")
    out, printed = tmp_path / "out", tmp_path / "post.pdf"
    result = cli("batch", source, "--pdf", "-k", "resolution", "-o", out, "--date", DAY,
                 "--print", printed, "-j", "2")
    assert 0 == result.exit_code, result.output
    assert "wrote" in result.stderr and "3 letters in row order" in result.stderr
    document = pypdfium2.PdfDocument(printed)
    try:
        firsts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()
    singles = [pypdfium2.PdfDocument(out / ref / name) for ref, name in (
        ("CMP-2026-0001", "resolution.te.pdf"), ("CMP-2026-0142", "resolution.en.pdf"),
        ("CMP-2026-0003", "resolution.te.pdf"))]
    assert sum(len(d) for d in singles) == len(firsts)
    for d in singles:
        d.close()
    order = [ref for text in firsts for ref in ("CMP-2026-0001", "CMP-2026-0142",
                                                "CMP-2026-0003") if ref in text]
    assert ["CMP-2026-0001", "CMP-2026-0142", "CMP-2026-0003"] == list(dict.fromkeys(order))
    refused = cli("batch", source, "-o", out, "--print", printed)
    assert 2 == refused.exit_code and "add --pdf" in refused.stderr


def test_check_reads_a_sheet_through_its_column_map(cli, tmp_path) -> None:
    row = sample_rows()[0]
    source = as_excel([{"Complaint no.": row.pop("reference"), **row}], tmp_path / "in.csv")
    columns = tmp_path / "columns.yaml"
    columns.write_text("Complaint no.: reference\n", encoding="utf-8")
    assert 2 == cli("check", source, "--date", "2026-11-23").exit_code
    result = cli("check", source, "--columns", columns, "--date", "2026-11-23")
    assert 0 == result.exit_code, result.output
    assert "checked 1 record: clean" in result.stderr


def test_a_reference_with_stray_spaces_is_the_same_reference(cli, tmp_path) -> None:
    """` CMP-2026-0142 ` (spaces Excel sheets often have) is the reference of the row that
    has it without them: a bad row naming the first, --force or not, with -j 2, and the
    first customer's letters stay theirs."""
    rows = sample_rows()
    filler = [dict(rows[0], reference=f"FILL-{n}") for n in range(10)]
    second = dict(rows[0], reference=" CMP-2026-0142 ", **{"customer.name": "Someone Else"})
    source = as_excel([rows[0], *filler, second], tmp_path / "in.csv")
    out = tmp_path / "out"
    result = cli("batch", source, "-o", out, "--date", DAY, "-j", "2", "--force")
    assert 1 == result.exit_code
    assert "is row 2's reference too" in result.stderr
    for letter in (out / "CMP-2026-0142").glob("*.docx"):
        assert "Someone Else" not in docx_text(letter)


def test_a_letter_made_anew_on_resume_replaces_its_companions(cli, tmp_path) -> None:
    """--resume after a meeting letter was deleted and its time changed: the letter made
    anew comes with a new invitation for the new time, never the kept one for the old."""
    rows = sample_rows()
    out = tmp_path / "out"
    first = as_excel([rows[0]], tmp_path / "in.csv")
    cli("batch", first, "-o", out, "--date", "2026-11-23", "-j", "1", "-k", "meeting")
    folder = out / "CMP-2026-0142"
    for name in ("meeting.en.docx", "meeting.en.eml"):
        (folder / name).unlink()
    moved = as_excel([dict(rows[0], **{"meeting.at": "2026-11-26T11:00"})],
                     tmp_path / "moved.csv")
    result = cli("batch", moved, "-o", out, "--date", "2026-11-23", "-j", "1", "-k", "meeting",
                 "--resume")
    assert 0 == result.exit_code, result.output
    (event,) = Calendar.from_ical((folder / "meeting.en.ics").read_bytes()).walk("VEVENT")
    assert (2026, 11, 26, 11) == event.decoded("dtstart").timetuple()[:4]
    message = email.message_from_bytes((folder / "meeting.en.eml").read_bytes(),
                                       policy=email.policy.default)
    (attached,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert attached.get_content().encode().replace(b"\r\n", b"\n") == \
        (folder / "meeting.en.ics").read_bytes().replace(b"\r\n", b"\n")


def test_check_refuses_the_repeated_references_batch_refuses(cli, tmp_path) -> None:
    """`check` on a sheet whose rows repeat a reference names the repeats, as `batch`
    would refuse them, instead of calling the sheet clean."""
    rows = sample_rows()
    source = as_excel([rows[0], rows[0], dict(rows[0], reference="cmp-2026-0142")],
                      tmp_path / "in.csv")
    result = cli("check", source, "--date", DAY)
    assert 2 == result.exit_code
    assert 2 == result.stderr.count("is row 2's reference too")
