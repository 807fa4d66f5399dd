"""Broken and hostile inputs: record files and CSVs that are too large, too deep, endless,
binary, in another encoding, or that give a key or a column twice. Each is refused in one
line that names the file (and row or line) and what was expected, never a traceback, and
never after filling the memory or waiting forever."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from letterkit import InputError, load_record
from letterkit.inputs import records_in
from letterkit.resources import data_path
from letterkit.sources import (
    MAX_CELL_CHARS,
    MAX_DATA_FILE_BYTES,
    MAX_DEPTH,
    MAX_ROW_CHARS,
    column_map,
    count_rows,
    csv_rows,
    open_csv,
    parse_yaml,
)

SAMPLES = data_path("samples")
SAMPLE_CSV = (SAMPLES / "complaints.csv").read_text(encoding="utf-8-sig")
HEADER, *SAMPLE_ROWS = list(csv.reader(io.StringIO(SAMPLE_CSV)))
SUMMARY = HEADER.index("complaint.summary")  # column V
AMOUNT = HEADER.index("resolution.amount")


def laughs(levels: int) -> str:
    """A "billion laughs": ten values, then `levels - 1` lists of ten aliases to the last."""
    lines = ["a: &a [" + ", ".join(["lol"] * 10) + "]"]
    for previous, name in zip("abcdefghi", "bcdefghi"[:levels - 1], strict=False):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def sheet(*rows: list[str], header: list[str] = HEADER) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    return buffer.getvalue()


def row(change: Callable[[list[str]], Any] = lambda cells: None, n: int = 0) -> list[str]:
    """A copy of a sample row, changed."""
    cells = list(SAMPLE_ROWS[n])
    change(cells)
    return cells


def put(index: int, value: str) -> Callable[[list[str]], None]:
    return lambda cells: cells.__setitem__(index, value)


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert 1 == len(lines), stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- record files ---------------------------------------------------------------------------

RECORDS = [
    pytest.param("r.yaml", laughs(6),
                 "{file}:5: holds more than 100,000 values, counting each alias (*name) as "
                 "the values it stands for; a complaint record has a few hundred",
                 id="billion-laughs"),
    pytest.param("r.yaml", "a: &a [1, *a]\n",
                 "{file}:1: the alias *a is inside the very value it stands for, which "
                 "would never end", id="alias-inside-itself"),
    pytest.param("r.json", "[" * 100_000 + "]" * 100_000,
                 f"{{file}}: nested more than {MAX_DEPTH} levels deep; a complaint record "
                 "has four (resolution: actions: - what:)", id="deep-json"),
    pytest.param("r.yaml", "findings: " + "[" * 100_000 + "]" * 100_000,
                 f"{{file}}:1: nested more than {MAX_DEPTH} levels deep; a complaint record "
                 "has four (resolution: actions: - what:)", id="deep-yaml"),
    pytest.param("r.yaml", "".join(f"{'  ' * n}k:\n" for n in range(40)),
                 f"{{file}}:{MAX_DEPTH + 1}: nested more than {MAX_DEPTH} levels deep; a "
                 "complaint record has four (resolution: actions: - what:)",
                 id="deep-yaml-sections"),
    pytest.param("r.yaml", "reference: A\ncustomer: {name: B}\nreference: C\n",
                 "{file}:3: 'reference' is given twice in one section (first on line 1); "
                 "keep one", id="key-twice-yaml"),
    pytest.param("r.yaml", "customer:\n  name: A\n  email: a@example.com\n  name: B\n",
                 "{file}:4: 'name' is given twice in one section (first on line 2); "
                 "keep one", id="key-twice-yaml-section"),
    pytest.param("r.json", '{"reference": "A", "received": "2026-11-20", "reference": "B"}',
                 "{file}: 'reference' is given twice in one section; keep one",
                 id="key-twice-json"),
    pytest.param("r.json", '{"reference": "A", "customer": {"name": "B", "name": "C"}}',
                 "{file}: customer: 'name' is given twice in one section; keep one",
                 id="key-twice-json-section"),
    pytest.param("r.yaml", "reference: A\nnotes: " + "x" * MAX_DATA_FILE_BYTES + "\n",
                 "{file}: is larger than 1 MiB; a complaint record, like a settings file, "
                 "is a few KiB", id="too-large"),
    pytest.param("r.yaml", b"",
                 "{file}: expected the record's fields (reference, received, customer, …), "
                 "found nothing", id="empty"),
    pytest.param("r.yaml", codecs.BOM_UTF8,
                 "{file}: expected the record's fields (reference, received, customer, …), "
                 "found nothing", id="bom-only"),
    pytest.param("r.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
                 "{file}: is not a text file; expected a YAML or JSON file", id="png"),
    pytest.param("r.yaml", "- CMP-1\n- CMP-2\n",
                 "{file}: expected the record's fields (reference, received, customer, …), "
                 "found a list", id="top-level-list"),
    pytest.param("r.yaml", "CMP-1\n",
                 "{file}: expected the record's fields (reference, received, customer, …), "
                 "found the text 'CMP-1'", id="top-level-text"),
    pytest.param("r.yaml", "reference: A\ncustomer:\n  name: Café\n".encode("cp1252"),
                 "{file}:3: is not UTF-8 text (byte 0xe9); save it as UTF-8 (most editors "
                 "offer it under Save As, Encoding)", id="cp1252"),
    pytest.param("r.yaml", "reference: A\x01B\n",
                 "{file}:1: not valid YAML: a control character (U+0001), which a YAML file "
                 "cannot hold", id="control-character"),
    pytest.param("r.yaml", "reference: " + "1" * 5000 + "\n",
                 "{file}:1: cannot read '1111111111111111111111111111111111111111…' as a "
                 "number", id="number-of-5000-digits-yaml"),
    pytest.param("r.json", '{"reference": ' + "1" * 5000 + "}",
                 "{file}: has a number too long to read (thousands of digits)",
                 id="number-of-5000-digits-json"),
    pytest.param("r.yaml", "reference: !!timestamp 2026-13-45\n",
                 "{file}:1: cannot read '2026-13-45' as a date", id="explicit-bad-date"),
    pytest.param("r.yaml", "reference: A\n---\nreference: B\n",
                 "{file}:2: not valid YAML: expected a single document in the stream, but "
                 "found another document (column 1)", id="two-documents"),
]


@pytest.mark.parametrize(("name", "content", "expected"), RECORDS)
def test_a_bad_record_file_is_an_input_error(tmp_path, name, content, expected) -> None:
    """load_record refuses the file with one Problem naming the file (and line)."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as caught:
        load_record(path)
    assert [expected.format(file=path)] == [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(("name", "content", "expected"), RECORDS)
def test_render_refuses_a_bad_record_in_one_line(cli, tmp_path, name, content,
                                                 expected) -> None:
    """letterkit render says what is wrong in one line on stderr and exits 2."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cli("render", path, "-o", tmp_path / "out")
    assert 2 == result.exit_code
    assert "error: " + expected.format(file=path) == one_error_line(result.stderr)
    assert not (tmp_path / "out").exists()


def test_billion_laughs_is_refused_as_it_is_read() -> None:
    """The aliases' values are counted as the YAML is composed, before anything expands
    them, so nine levels of ten are refused at once."""
    with pytest.raises(InputError, match="holds more than 100,000 values"):
        parse_yaml(laughs(9), file="r.yaml")


@pytest.mark.parametrize(("name", "nested"), [
    ("r.json", lambda n: "[" * n + "1" + "]" * n),
    ("r.yaml", lambda n: "[" * n + "1" + "]" * n),
    ("r.yaml", lambda n: "".join(f"{'  ' * level}- \n" for level in range(n - 1))
     + "  " * (n - 1) + "- 1\n"),
    ("r.yaml", lambda n: "a: &a " + "[" * (n - 1) + "1" + "]" * (n - 1) + "\nb: *a\n"),
], ids=["json", "yaml-flow", "yaml-block", "yaml-alias"])
def test_nesting_is_allowed_to_the_limit_and_no_further(tmp_path, name, nested) -> None:
    """MAX_DEPTH lists inside each other (a value in the innermost) are read; one more is
    refused, whether written out or through an alias."""
    from letterkit.sources import load_data_file

    path = tmp_path / name
    path.write_text(nested(MAX_DEPTH), encoding="utf-8")
    load_data_file(path)
    path.write_text(nested(MAX_DEPTH + 1), encoding="utf-8")
    with pytest.raises(InputError, match=f"nested more than {MAX_DEPTH} levels deep"):
        load_data_file(path)


def test_aliases_and_merges_a_record_may_use_still_load() -> None:
    """A few aliases, and a merge key (<<) whose keys the section then gives again, are
    not refused."""
    data = parse_yaml("base: &base {name: A, email: a@example.com}\n"
                      "customer:\n  <<: *base\n  name: B\n"
                      "cc: [*base, *base]\n", file="r.yaml")
    assert {"name": "B", "email": "a@example.com"} == data["customer"]
    assert 2 == len(data["cc"])


def test_a_large_genuine_record_loads(tmp_path, write_record, sample_data) -> None:
    """A record with 50 findings and a 5 KiB summary is well inside every limit."""
    sample_data["findings"] = [f"Finding {n}: the part was checked." for n in range(50)]
    sample_data["complaint"]["summary"] = "The cooler stopped working. " * 180
    record = load_record(write_record(sample_data))
    assert 50 == len(record.findings)
    assert 5000 < len(record.complaint.summary)


@pytest.mark.parametrize("name", ["complaint.yaml", "complaint.te.yaml"])
def test_the_shipped_samples_load(name) -> None:
    """The samples `letterkit sample` writes load as they are."""
    assert load_record(SAMPLES / name).reference.startswith("CMP-2026-")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_record_saved_as_unicode_with_its_bom_loads(tmp_path, encoding) -> None:
    """A record saved as UTF-16 or UTF-32 (with the BOM such editors write) reads as text."""
    path = tmp_path / "r.yaml"
    path.write_bytes((SAMPLES / "complaint.yaml").read_text(encoding="utf-8").encode(encoding))
    assert "CMP-2026-0142" == load_record(path).reference


# --- paths that are not plain files -------------------------------------------------------

def not_a_file(kind: str, name: str, tmp_path: Path) -> Path:
    """A path by `name` that is no plain file: a named pipe, a device, a folder, nothing."""
    path = tmp_path / name
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes on this system")
        os.mkfifo(path)
        # Should letterkit ever open the pipe, it would wait for a writer forever: one
        # comes after 5 seconds, with a few bytes, so the test fails instead.
        writer = threading.Timer(5, write_to_a_waiting_reader, [path])
        writer.daemon = True
        writer.start()
    elif kind == "device":  # /dev/null: read, it gives nothing, so a failure is quick
        if not Path("/dev/null").exists():
            pytest.skip("no /dev/null here")
        try:
            path.symlink_to("/dev/null")
        except OSError:
            pytest.skip("no symbolic links here")
    elif kind == "folder":
        path.mkdir()
    return path


def write_to_a_waiting_reader(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # fails at once without a reader
    except OSError:
        return
    os.write(fd, b"reference: stuck\n")
    os.close(fd)


NOT_FILES = {"fifo": "is not a file but a device or a pipe; expected {what}",
             "device": "is not a file but a device or a pipe; expected {what}",
             "folder": "is a folder, expected {what}",
             "missing": "no such file"}


@pytest.mark.parametrize("kind", list(NOT_FILES))
def test_render_refuses_what_is_not_a_record_file(cli, tmp_path, kind) -> None:
    """A pipe or device is refused before it is opened (it would be read forever, or wait
    forever for a writer), and so are a folder and a missing file."""
    path = not_a_file(kind, "r.yaml", tmp_path)
    result = cli("render", path, "-o", tmp_path / "out")
    assert 2 == result.exit_code
    expected = NOT_FILES[kind].format(what="a YAML or JSON file")
    assert f"error: {path}: {expected}" == one_error_line(result.stderr)


@pytest.mark.parametrize("kind", list(NOT_FILES))
def test_open_csv_refuses_what_is_not_a_file(tmp_path, kind) -> None:
    """A pipe, device, folder or nothing given as the CSV is refused before it is opened
    (`letterkit batch` itself refuses a folder, as click does)."""
    path = not_a_file(kind, "s.csv", tmp_path)
    with pytest.raises(InputError) as caught:
        open_csv(path)
    assert f"{path}: {NOT_FILES[kind].format(what='a CSV file')}" == str(caught.value)


def test_a_record_without_permission_to_read_it(cli, tmp_path, monkeypatch,
                                                sample_data, write_record) -> None:
    """A file letterkit may not read is named, with the system's reason."""
    path = write_record(sample_data)
    opened = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    result = cli("render", path, "-o", tmp_path / "out")
    assert 2 == result.exit_code
    assert f"error: {path}: cannot be read: Permission denied" == one_error_line(
        result.stderr)


# --- CSVs: the file ------------------------------------------------------------------------

BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}


@pytest.mark.parametrize("encoding", list(BOMS))
def test_a_csv_in_utf16_or_utf32_with_its_bom_reads_as_text(tmp_path, encoding) -> None:
    """UTF-16 (Excel's "Unicode text") and UTF-32, either byte order, are read by their
    BOM: every row, with its Telugu."""
    path = tmp_path / "s.csv"
    path.write_bytes(BOMS[encoding] + SAMPLE_CSV.encode(encoding))
    rows = list(csv_rows(open_csv(path)))
    assert list(csv_rows(open_csv(SAMPLES / "complaints.csv"))) == rows
    assert "వెంకట సుబ్బారావు" == rows[1][1]["customer"]["name"]


def test_batch_makes_the_letters_of_a_utf32_csv(cli, tmp_path) -> None:
    """letterkit batch makes every row's letters from a UTF-32 CSV."""
    path = tmp_path / "s.csv"
    path.write_bytes(SAMPLE_CSV.encode("utf-32"))
    result = cli("batch", path, "-o", tmp_path / "out", "-j", "1", "-k", "acknowledgement",
                 "--no-email", "--date", "2026-11-23")
    assert 0 == result.exit_code, result.stderr
    assert 2 == len(list((tmp_path / "out").glob("*/acknowledgement.*.docx")))


def wide_header() -> list[str]:
    return ["reference", *(f"notes {n}" for n in range(20_000))]


FILES = [
    pytest.param(sheet(row(put(SUMMARY, "x" * 200_000))),
                 "{file}:2: complaint.summary: the cell in column V is longer than 32,767 "
                 "characters, the most a cell holds in Excel", id="cell-over-128KiB"),
    pytest.param(sheet(row(put(SUMMARY, "x\n" * 100_000))),
                 "{file}:2: complaint.summary: the cell in column V is longer than 32,767 "
                 "characters, the most a cell holds in Excel; is a quote (\") left open?",
                 id="cell-of-many-lines"),
    pytest.param('reference,complaint.summary\r\n"CMP-1,x\r\n' + "CMP-2,x\r\n" * 40_000,
                 "{file}:2: reference: the cell in column A is longer than 32,767 "
                 "characters, the most a cell holds in Excel; is a quote (\") left open?",
                 id="quote-left-open"),
    pytest.param(sheet(["CMP-1", *["y" * 30_000] * 40]),
                 f"{{file}}:2: the row is longer than {MAX_ROW_CHARS // 2**20} MiB; a row "
                 "of a complaint is a few KiB", id="row-over-1MiB"),
    pytest.param(sheet(["CMP-1"], header=wide_header()),
                 "{file}:1: has 20,001 columns; a sheet has at most 16,384, as in Excel",
                 id="too-many-columns"),
    pytest.param(sheet(row(), header=[*HEADER, "customer.name"]),
                 "{file}:1: columns 'customer.name' and 'customer.name' both give "
                 "customer.name (columns G and BO); keep one", id="column-twice"),
    pytest.param(sheet(row(), header=[*HEADER, "CUSTOMER.NAME"]),
                 "{file}:1: columns 'customer.name' and 'CUSTOMER.NAME' both give "
                 "customer.name (columns G and BO); keep one", id="column-twice-any-case"),
    pytest.param(b"", "{file}: is empty; expected a header row of column names", id="empty"),
    pytest.param(codecs.BOM_UTF8, "{file}: is empty; expected a header row of column names",
                 id="bom-only"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                 "{file}: is not a text file; expected a CSV saved as UTF-8 or as Unicode "
                 "Text", id="png"),
    pytest.param(sheet(row(put(0, "CMP\x00-1"))),
                 "{file}: is not a text file; expected a CSV saved as UTF-8 or as Unicode "
                 "Text", id="nul"),
    pytest.param(sheet(row(put(6, "Café"))).encode("cp1252", errors="replace"),
                 "{file}: is not UTF-8 text; in Excel use Save As, CSV UTF-8 (Comma "
                 "delimited)", id="cp1252"),
    pytest.param(codecs.BOM_UTF16_LE + sheet(row()).encode("utf-16-le") + b"\x00\xd8",
                 "{file}:3: is not UTF-16 text, as its first bytes say; in Excel use Save "
                 "As, CSV UTF-8 (Comma delimited)", id="utf16-broken"),
]


@pytest.mark.parametrize(("content", "expected"), FILES)
def test_a_csv_that_cannot_be_read_is_an_input_error(tmp_path, content, expected) -> None:
    """Opening the CSV, counting or reading its rows raises one Problem naming the file and
    the row (and the column, for a cell)."""
    path = tmp_path / "s.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as caught:
        list(csv_rows(open_csv(path)))
    assert [expected.format(file=path)] == [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(("content", "expected"), FILES)
def test_batch_refuses_a_csv_it_cannot_read_in_one_line(cli, tmp_path, content,
                                                        expected) -> None:
    """letterkit batch says what is wrong with the file in one line and exits 2."""
    path = tmp_path / "s.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cli("batch", path, "-o", tmp_path / "out", "-j", "1", "--no-email")
    assert 2 == result.exit_code
    assert "error: " + expected.format(file=path) == one_error_line(result.stderr)


def test_counting_rows_says_the_same(tmp_path) -> None:
    """count_rows (for the progress bar) refuses a cell too long as reading does."""
    path = tmp_path / "s.csv"
    path.write_text(sheet(row(put(SUMMARY, "x" * 200_000))), encoding="utf-8")
    with pytest.raises(InputError, match="column V is longer than 32,767 characters"):
        count_rows(open_csv(path))


def test_a_csv_of_a_header_alone_has_no_rows(cli, tmp_path) -> None:
    """A header without rows is no error: there is nothing to write."""
    path = tmp_path / "s.csv"
    path.write_text(sheet(), encoding="utf-8")
    assert [] == list(csv_rows(open_csv(path)))
    result = cli("batch", path, "-o", tmp_path / "out", "--no-email")
    assert 0 == result.exit_code
    assert one_error_line(result.stderr).startswith("0 letters written")


@pytest.mark.parametrize(("columns", "expected"), [
    ({"Name": "customer.name"},
     "{file}:1: columns 'customer.name' and 'Name' both give customer.name (columns G and "
     "BO); keep one"),
    ({"Name": "customer.name", "NAME": "customer.title"},
     "{file}: the column map gives 'Name' and 'NAME', one column as letterkit matches names "
     "(ignoring case), to two fields; keep one"),
], ids=["mapped-onto-a-column-there", "one-column-mapped-twice"])
def test_a_column_map_cannot_give_a_field_twice(tmp_path, columns, expected) -> None:
    """Two columns for one field, once the map and any-case matching are applied, are
    named with their letters; so is one sheet column mapped to two fields."""
    path = tmp_path / "s.csv"
    header = [*HEADER[:6], *HEADER[7:]] if len(columns) > 1 else HEADER
    path.write_text(sheet(row(), header=[*header, "Name"]), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        open_csv(path, columns=columns)
    assert expected.format(file=path) == str(caught.value)


def test_a_column_map_file_with_a_key_twice(tmp_path) -> None:
    """A column map file that names a sheet column twice is refused at its line."""
    path = tmp_path / "columns.yaml"
    path.write_text("Name: customer.name\nRef: reference\nName: handler.name\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        column_map(path)
    assert (f"{path}:3: 'Name' is given twice in one section (first on line 1); keep one"
            == str(caught.value))


def test_unused_columns_past_twenty_are_counted_not_named(tmp_path) -> None:
    """A sheet of thousands of unused columns gives a warning of one short line, quickly."""
    path = tmp_path / "s.csv"
    path.write_text(sheet(["CMP-1"], header=wide_header()[:16_000]), encoding="utf-8")
    (warning,) = open_csv(path).warnings
    assert warning.message.startswith("left out 15999 columns letterkit does not use: "
                                      "'notes 0', 'notes 1'")
    assert "'notes 19' and 15,979 more; to use one" in warning.message


# --- CSVs: one bad row among good ones -----------------------------------------------------

ROWS = [
    pytest.param(row(lambda cells: cells.extend(["", "Hyderabad"])),
                 "has 68 cells but the header has 66 columns (the first beyond them: "
                 "'Hyderabad'); a value with a comma in it needs quotes around it",
                 None, id="more-cells-than-columns"),
    pytest.param(row(put(SUMMARY, "x" * (MAX_CELL_CHARS + 1))),
                 "the cell in column V has 32,768 characters; a cell holds at most 32,767, "
                 "as in Excel", "complaint.summary", id="cell-longer-than-excel-allows"),
    pytest.param(row(put(AMOUNT, "1" + " " * 30_000 + "2")),
                 "read '1                       …' (30,002 characters), which is not an "
                 "amount", "resolution.amount", id="amount-of-spaces"),
]


@pytest.mark.parametrize(("bad", "message", "field"), ROWS)
def test_a_bad_row_is_that_rows_error(tmp_path, bad, message, field) -> None:
    """records_in gives the bad row's error, naming its row and field, and the next
    row's record."""
    path = tmp_path / "s.csv"
    path.write_text(sheet(bad, row(n=1)), encoding="utf-8")
    (first, error), (second, record) = records_in(path)
    assert isinstance(error, InputError)
    assert [(str(path), 2, field, message)] == [(p.file, p.row, p.field, p.message)
                                                for p in error.problems]
    assert (3, "CMP-2026-0143") == (second, getattr(record, "reference", None))


@pytest.mark.parametrize(("bad", "message", "field"), ROWS)
def test_batch_reports_a_bad_row_and_makes_the_rest(cli, tmp_path, bad, message,
                                                    field) -> None:
    """letterkit batch writes the bad row to errors.csv, makes the other row's letters, and
    exits 1."""
    path = tmp_path / "s.csv"
    path.write_text(sheet(bad, row(n=1)), encoding="utf-8")
    out = tmp_path / "out"
    result = cli("batch", path, "-o", out, "-j", "1", "-k", "acknowledgement", "--no-email",
                 "--date", "2026-11-23")
    assert 1 == result.exit_code
    assert "Traceback" not in result.output
    with (out / "errors.csv").open(encoding="utf-8-sig", newline="") as fh:
        errors = list(csv.DictReader(fh))
    assert [{"row": "2", "reference": "CMP-2026-0142", "field": field or "",
             "message": message}] == errors
    assert [out / "CMP-2026-0143" / "acknowledgement.te.docx"] == sorted(
        out.glob("*/*.docx"))


def test_empty_cells_beyond_the_header_are_no_error(tmp_path) -> None:
    """Trailing empty cells, as some programs write them, are not extra values."""
    path = tmp_path / "s.csv"
    path.write_text(sheet(row(lambda cells: cells.extend(["", " "])), row(n=1)),
                    encoding="utf-8")
    assert ["CMP-2026-0142", "CMP-2026-0143"] == [
        getattr(record, "reference", record) for _, record in records_in(path)]


def test_the_shipped_csv_reads_every_row(tmp_path) -> None:
    """The sample CSV gives both sample records."""
    assert ["CMP-2026-0142", "CMP-2026-0143"] == [
        getattr(record, "reference", record) for _, record in records_in(SAMPLES /
                                                                         "complaints.csv")]


def test_json_keys_twice_in_different_sections_are_fine(tmp_path) -> None:
    """The same key in two sections (customer.name, handler.name) is not a key twice."""
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"customer": {"name": "A"}, "handler": {"name": "B"}}),
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_record(path)
    assert not [p for p in caught.value.problems if "twice" in p.message]
