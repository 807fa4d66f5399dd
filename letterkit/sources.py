"""Reading records and settings from files: YAML and JSON, one record per file."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import functools
import json
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml
from pydantic import BaseModel

from letterkit.errors import UNUSED_COLUMNS, InputError, Problem
from letterkit.record import Record, is_list, section_model, shown

# --- limits ------------------------------------------------------------------------------
# A broken or hostile file is refused in words, at once, before it can fill the memory or
# the stack. Each limit is far above what a genuine file needs.

MAX_DATA_FILE_BYTES = 1024 * 1024
"""The most read of a record, config, column map or word list: a complaint record is a few
KiB, the shipped word lists under 100 KiB. A CSV has no such limit (thousands of rows are
normal): only its rows and cells are bounded."""

MAX_DEPTH = 32
"""Levels of lists and sections inside each other in a YAML or JSON file; a complaint
record has four (resolution: actions: - what:)."""

MAX_YAML_VALUES = 100_000
"""Values in a YAML file, counting each alias (`*name`) as every value it stands for: a
"billion laughs" of aliases to aliases is a few lines that grow to gigabytes. A complaint
record has a few hundred values, the shipped word lists a few thousand."""

MAX_CELL_CHARS = 32_767
"""Characters in a CSV cell: Excel's own limit, so no sheet Excel saved goes beyond it."""

MAX_ROW_CHARS = 1024 * 1024
"""Characters in a CSV row, all its lines together (a cell may hold line breaks): whatever
is wrong with a file, one row never takes more memory than this."""

MAX_COLUMNS = 16_384
"""Columns in a CSV: Excel's own limit (column XFD)."""


def _kib(size: int) -> str:
    return f"{size // 1024 // 1024} MiB" if size >= 1024 * 1024 else f"{size // 1024} KiB"


# --- YAML and JSON ------------------------------------------------------------------------

class _Refused(yaml.MarkedYAMLError):
    """YAML refused for what it holds (not its syntax): its line and why, in words."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


_MERGE = "tag:yaml.org,2002:merge"
_TYPES = {"tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
          "tag:yaml.org,2002:timestamp": "a date"}


class _RecordLoader(yaml.SafeLoader):
    """YAML as a record file may hold it: no implicit timestamps, no key twice in a
    section, at most MAX_DEPTH levels deep and MAX_YAML_VALUES values, aliases counted as
    what they stand for.

    Dates stay text for the record model to check: PyYAML would turn `2026-13-45` into a
    bare ValueError with no line or field, and a datetime with seconds into an aware or
    naive datetime depending on how it was typed. The limits are kept by the Composer's
    hooks below, which run in Python; libyaml's CSafeLoader composes in C, past them (and
    overflows the C stack on deep nesting), so it is not used: a record is a few KiB.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        # For each list and section composed: its values (aliases expanded) and height.
        self._measured: dict[int, tuple[int, int]] = {}

    def _next_event(self) -> yaml.Event:
        return self.peek_event()  # type: ignore[no-any-return,no-untyped-call]

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self._next_event()
            node = self.anchors.get(getattr(event, "anchor", None))
            if isinstance(node, yaml.CollectionNode) and id(node) not in self._measured:
                raise _Refused(f"the alias *{getattr(event, 'anchor', '')} is inside the "
                               "very value it stands for, which would never end",
                               event.start_mark)
            return super().compose_node(parent, index)
        if self.check_event(yaml.ScalarEvent):
            return super().compose_node(parent, index)
        self._depth += 1  # a list or section starts
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(_too_deep(), self._next_event().start_mark)
            composed = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(composed, yaml.CollectionNode):
            self._measure(composed)
        return composed

    def _measure(self, node: yaml.CollectionNode) -> None:
        children = ([n for pair in node.value for n in pair]
                    if isinstance(node, yaml.MappingNode) else node.value)
        values, height = 1, 1
        for child in children:
            child_values, child_height = self._measured.get(id(child), (1, 0))
            values += child_values
            height = max(height, child_height + 1)
        if height > MAX_DEPTH:
            raise _Refused(_too_deep(), node.start_mark)
        if values > MAX_YAML_VALUES:
            raise _Refused(f"holds more than {MAX_YAML_VALUES:,} values, counting each alias "
                           "(*name) as the values it stands for; a complaint record has a "
                           "few hundred", node.start_mark)
        self._measured[id(node)] = values, height

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node: yaml.MappingNode = super().compose_mapping_node(anchor)
        seen: dict[tuple[str, str], yaml.Node] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                first = seen.setdefault((key.tag, key.value), key)
                if first is not key:
                    raise _Refused(f"{key.value!r} is given twice in one section (first on "
                                   f"line {first.start_mark.line + 1}); keep one",
                                   key.start_mark)
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError):
            # int() of thousands of digits, an explicit !!timestamp that is no date
            kind = _TYPES.get(node.tag, node.tag.rpartition(":")[2])
            raise _Refused(f"cannot read {shown(str(node.value), 40, quoted=True)} as {kind}",
                           node.start_mark) from None


_RecordLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _too_deep() -> str:
    return (f"nested more than {MAX_DEPTH} levels deep; a complaint record has four "
            "(resolution: actions: - what:)")


def parse_yaml(text: str, *, file: str) -> Any:
    """Parse YAML text; a syntax error names the file, line and column, and so does a key
    given twice, nesting too deep and aliases that stand for too much."""
    try:
        return yaml.load(text, Loader=_RecordLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as exc:
        where = f"{file}:{exc.problem_mark.line + 1}" if exc.problem_mark else file
        raise InputError.at(str(exc.problem), file=where) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{file}:{mark.line + 1}" if mark else file
        column = f" (column {mark.column + 1})" if mark else ""
        problem = str(exc.problem)
        if exc.context and problem.startswith("but "):  # "but found another document"
            problem = f"{exc.context}, {problem}"
        raise InputError.at(f"not valid YAML: {problem}{column}", file=where) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        raise InputError.at(f"not valid YAML: a control character (U+{code:04X}), which a "
                            "YAML file cannot hold", file=f"{file}:{line}") from None
    except yaml.YAMLError as exc:
        raise InputError.at(f"not valid YAML: {exc}", file=file) from None


def parse_json(text: str, *, file: str) -> Any:
    """Parse JSON text; a syntax error names the file, line and column, and so does a key
    given twice (with its section) or nesting too deep."""
    try:
        data = json.loads(text, object_pairs_hook=_JsonObject.of)
    except json.JSONDecodeError as exc:
        raise InputError.at(
            f"not valid JSON: {exc.msg} (column {exc.colno})", file=f"{file}:{exc.lineno}"
        ) from None
    except RecursionError:
        raise InputError.at(_too_deep(), file=file) from None
    except ValueError:  # int() of thousands of digits, the one error left
        raise InputError.at("has a number too long to read (thousands of digits)",
                            file=file) from None
    _check_json(data, file=file)
    return data


class _JsonObject(dict[str, Any]):
    """A JSON object that had a key twice (json keeps the last, silently): found after
    parsing, when its place in the file is known."""

    twice: str = ""

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) == len(pairs):
            return found
        marked = cls(found)
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                marked.twice = key
                break
            seen.add(key)
        return marked


def _check_json(data: Any, *, file: str) -> None:
    """Refuse a key given twice, and nesting deeper than MAX_DEPTH (json itself goes as
    deep as the stack allows, and what reads the data after it would not)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]  # (node, its level, its path)
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, _JsonObject):
            raise InputError.at(f"{node.twice!r} is given twice in one section; keep one",
                                file=file, field=path.rstrip(".") or None)
        children = (node.items() if isinstance(node, dict) else
                    enumerate(node, start=1) if isinstance(node, list) else ())
        for key, child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    raise InputError.at(_too_deep(), file=file)
                stack.append((child, depth + 1, f"{path}{key}."))


def read_text(path: Path, *, expected: str = "a YAML or JSON file",
              limit: int = MAX_DATA_FILE_BYTES) -> str:
    """A text file's contents (UTF-8, or UTF-16 or UTF-32 with its BOM), with a clear error
    for a file that is missing, unreadable, binary, larger than `limit` bytes, or not a
    file at all (a folder, a device, a pipe: these are refused before reading)."""
    _check_is_file(path, expected)
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None
    if len(data) > limit:
        raise InputError.at(f"is larger than {_kib(limit)}; a complaint record, like a "
                            "settings file, is a few KiB", file=str(path),
                            expected=f"at most {_kib(limit)}")
    encoding = _bom_encoding(data)
    if encoding is None and b"\x00" in data:
        raise InputError.at(f"is not a text file; expected {expected}", file=str(path))
    try:
        return data.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        if encoding in (None, "utf-8-sig"):
            message = (f"is not UTF-8 text (byte {data[exc.start]:#04x}); save it as UTF-8 "
                       "(most editors offer it under Save As, Encoding)")
        else:
            message = f"is not {encoding.upper()} text, as its first bytes say"
        raise InputError.at(message, file=f"{path}:{line}") from None


def _check_is_file(path: Path, expected: str) -> None:
    """Refuse a path that is not there, or is not a plain file: a folder, or a device or
    pipe (/dev/zero, a FIFO), which would be read forever, or wait forever for a writer."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise InputError.at("no such file", file=str(path)) from None
    except OSError as exc:
        raise InputError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None
    if stat.S_ISDIR(mode):
        raise InputError.at(f"is a folder, expected {expected}", file=str(path))
    if not stat.S_ISREG(mode):
        raise InputError.at(f"is not a file but a device or a pipe; expected {expected}",
                            file=str(path))


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16
         (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _bom_encoding(start: bytes) -> str | None:
    """The encoding a file's first bytes (its byte order mark) name, if any; the codec named
    drops the mark. UTF-32's little-endian mark begins with UTF-16's, so it is tried first."""
    return next((encoding for bom, encoding in _BOMS if start.startswith(bom)), None)


def load_shipped_file(path: Path) -> Any:
    """The parsed contents of a YAML file letterkit ships (its word lists), read by
    libyaml's C parser where PyYAML has it: those files are known good and read on every
    start, where the checked reading of a user's files costs a tenth of a second."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506


def load_data_file(path: Path) -> Any:
    """The parsed contents of a YAML or JSON file (JSON by its .json suffix)."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        return parse_json(text, file=str(path))
    return parse_yaml(text, file=str(path))


# --- CSV: the record flattened to dotted columns (README, "CSV") ------------------------

def csv_columns(model: type[BaseModel], list_items: int = 2, prefix: str = "",
                *, shorthand: bool = False) -> list[str]:
    """Every column a CSV row may have for `model`, lists shown with `list_items` items;
    with `shorthand`, also `path.N` for lists whose items may be given as text alone."""
    columns: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        section = section_model(field.annotation)
        if is_list(field.annotation):
            for n in range(1, list_items + 1):
                if section is None or (shorthand and hasattr(section, "SHORTHAND")):
                    columns.append(f"{path}.{n}")
                if section is not None:
                    columns += csv_columns(section, list_items, f"{path}.{n}.",
                                           shorthand=shorthand)
        elif section is not None:
            columns += csv_columns(section, list_items, f"{path}.")
        else:
            columns.append(path)
    return columns


def flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """Nested record data as dotted CSV cells; list items numbered from 1, None as ''."""
    cells: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            cells.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, list):
        for n, value in enumerate(data, start=1):
            cells.update(flatten(value, f"{prefix}{n}."))
    else:
        cells[prefix.rstrip(".")] = "" if data is None else _cell(data)
    return cells


def _cell(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).rstrip("\n")


# --- reading a CSV of records ------------------------------------------------------------

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_NUMBER = re.compile(r"(?<=\.)\d+(?=\.|$)")


@dataclass(frozen=True)
class CsvSource:
    """An opened CSV of records: how it is encoded and delimited, the record field each
    column gives (None: a column letterkit does not use), and what was said of the header."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str | None]
    warnings: tuple[Problem, ...] = ()


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), or UTF-16 or UTF-32 with its BOM (Excel's "Unicode
    text" is UTF-16); anything else is an error that says how to save the file."""
    _check_is_file(path, "a CSV file")
    try:
        with path.open("rb") as fh:
            start = fh.read(65536)
    except OSError as exc:
        raise InputError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None
    encoding = _bom_encoding(start)
    if encoding not in (None, "utf-8-sig"):
        return str(encoding)
    if start.startswith(b"PK\x03\x04"):
        raise InputError.at("is a workbook, not a CSV; in Excel use Save As, "
                            "CSV UTF-8 (Comma delimited)", file=str(path))
    if b"\x00" in start:
        raise InputError.at("is not a text file; expected a CSV saved as UTF-8 or as "
                            "Unicode Text", file=str(path))
    try:
        start.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_short = len(start) == 65536 and exc.start >= len(start) - 3  # a character split
        if not cut_short:
            raise InputError.at(_NOT_UTF8, file=str(path)) from None
    return "utf-8-sig"


_NOT_UTF8 = "is not UTF-8 text; in Excel use Save As, CSV UTF-8 (Comma delimited)"


def _not_encoded(encoding: str) -> str:
    if encoding == "utf-8-sig":
        return _NOT_UTF8
    return (f"is not {encoding.upper()} text, as its first bytes say; in Excel use Save As, "
            "CSV UTF-8 (Comma delimited)")


ROW_PROBLEMS = "(what is wrong with the row)"
"""The key, in a row's data from `csv_rows`, of the Problems found reading the row (more
cells than the header has columns, a cell longer than Excel allows); `record_from_row`
reports them as the row's errors. No column gives this key: columns give record fields."""


def open_csv(path: Path, delimiter: str | None = None,
             columns: Mapping[str, str] | None = None) -> CsvSource:
    """Open a CSV of records and read its header: letterkit's own column names (in any
    case), or a sheet's own names mapped to them by `columns`; other columns are left out,
    with a warning that names them."""
    encoding = detect_encoding(path)
    try:
        with path.open(encoding=encoding, newline="") as fh:
            first = fh.readline(MAX_ROW_CHARS + 1)
    except UnicodeDecodeError:
        raise InputError.at(_not_encoded(encoding), file=str(path), row=1) from None
    except OSError as exc:
        raise InputError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None
    if not first.strip():
        raise InputError.at("is empty; expected a header row of column names", file=str(path))
    if len(first) > MAX_ROW_CHARS:
        raise InputError.at(f"the header row is longer than {_kib(MAX_ROW_CHARS)}; expected "
                            "a row of column names", file=str(path), row=1)
    if delimiter is None:
        delimiter = max(_DELIMITERS, key=first.count)
    try:
        names = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    except csv.Error:  # a name longer than csv's field limit (128 KiB)
        names = [first]
    if len(names) > MAX_COLUMNS:
        raise InputError.at(f"has {len(names):,} columns; a sheet has at most "
                            f"{MAX_COLUMNS:,}, as in Excel", file=str(path), row=1)
    if too_long := next((n for n in names if len(n) > MAX_CELL_CHARS), None):
        raise InputError.at(f"a column name of {len(too_long):,} characters; expected a "
                            "header row of column names", file=str(path), row=1)
    header, warnings = read_header(names, columns or {}, file=str(path))
    return CsvSource(path, encoding, delimiter, header, tuple(warnings))


def read_header(names: list[str], columns: Mapping[str, str], *, file: str
                ) -> tuple[list[str | None], list[Problem]]:
    """The record field each column gives (None: unused), and a warning naming the columns
    left out; an InputError for a map to no field, two columns for one field, or no
    reference."""
    known = set(csv_columns(Record, list_items=1, shorthand=True))
    problems = []
    mapped: dict[str, str] = {}
    sheet_names: dict[str, str] = {}
    for sheet, target in columns.items():
        if _NUMBER.sub("1", str(target).strip().lower()) not in known:
            problems.append(Problem(f"the column map gives {sheet!r} to {target!r}, which is "
                                    f"not a field{_suggestion(str(target), known)}", file=file))
        name = str(sheet).strip().casefold()
        if name in mapped and mapped[name] != str(target).strip().lower():
            problems.append(Problem(f"the column map gives {sheet_names[name]!r} and "
                                    f"{sheet!r}, one column as letterkit matches names "
                                    "(ignoring case), to two fields; keep one", file=file))
            continue
        mapped[name] = str(target).strip().lower()
        sheet_names[name] = str(sheet)
    header: list[str | None] = []
    unused: list[str] = []
    given: dict[str, tuple[str, int]] = {}
    for index, name in enumerate(names):
        field: str | None = mapped.get(name.casefold())
        if field is None and _NUMBER.sub("1", name.lower()) in known:
            field = name.lower()
        if field is not None and field in given:
            first, at = given[field]
            problems.append(Problem(f"columns {first!r} and {name!r} both give {field} "
                                    f"(columns {column_letter(at)} and "
                                    f"{column_letter(index)}); keep one", file=file, row=1))
        elif field is not None:
            given[field] = name, index
        elif name and len(unused) < _UNUSED_NAMED:
            unused.append(f"{shown(name, 40, quoted=True)}{_suggestion(name, known, ' (%s?)')}")
        elif name:
            unused.append("")
        header.append(field)
    if "reference" not in given:
        problems.append(Problem("no reference column; every row needs its reference (name "
                                "the sheet's own column in a column map)", file=file, row=1))
    if problems:
        raise InputError(problems)
    named = ", ".join(name for name in unused if name)
    if len(unused) > _UNUSED_NAMED:
        named += f" and {len(unused) - _UNUSED_NAMED:,} more"
    warnings = [Problem(f"left out {len(unused)} column{'s' if len(unused) > 1 else ''} "
                        f"letterkit does not use: {named}; to use one, map it to "
                        "a field in a column map", file=file, row=1, code=UNUSED_COLUMNS)
                ] if unused else []
    return header, warnings


_UNUSED_NAMED = 20  # the unused columns a warning names; it counts the others


def column_letter(index: int) -> str:
    """A column's name in Excel from its index (0: A, 26: AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _suggestion(name: str, known: set[str], form: str = "; did you mean %s?") -> str:
    close = difflib.get_close_matches(_NUMBER.sub("1", name.lower()), sorted(known), n=1)
    return form % close[0] if close else ""


def column_map(value: Mapping[str, str] | Path | None) -> dict[str, str]:
    """A column map given inline (the config) or as a YAML file of `sheet column: field`."""
    if value is None:
        return {}
    if isinstance(value, Path):
        data = load_data_file(value)
        if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise InputError.at("expected a column map: lines of `sheet column: field`, such "
                                "as `Customer name: customer.name`", file=str(value))
        return data
    return dict(value)


def csv_rows(source: CsvSource) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each row as nested record data, with its spreadsheet row number (the header is
    row 1). Rows are read one at a time, so memory does not grow with the file. What is
    wrong with a row as read (more cells than columns, a cell longer than Excel allows)
    is in its data under ROW_PROBLEMS; a row that cannot be read at all (longer than
    MAX_ROW_CHARS, or not in the file's encoding) stops the file with an InputError."""
    for number, cells in csv_cells(source):
        yield number, row_data(cells)


def csv_cells(source: CsvSource) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each row as `csv_rows` reads it, its cells by dotted field, not yet nested (see
    `row_data`): a batch reads the sheet in one process and nests the rows in its
    workers."""
    for number, cells in _cells(source):
        data: dict[str, Any] = {field: cell for field, cell
                                in zip(source.header, cells, strict=False) if field is not None}
        problems = _row_problems(source, number, cells)
        if problems:
            data[ROW_PROBLEMS] = problems
        yield number, data


def row_data(cells: dict[str, Any]) -> dict[str, Any]:
    """A row from `csv_cells` as nested record data, as `csv_rows` gives it."""
    problems = cells.get(ROW_PROBLEMS)
    if problems is None:
        return unflatten(cells)
    data = unflatten({field: cell for field, cell in cells.items() if field != ROW_PROBLEMS})
    data[ROW_PROBLEMS] = problems
    return data


def count_rows(source: CsvSource) -> int:
    """How many rows `csv_rows` gives (reading the whole file)."""
    return sum(1 for _ in _cells(source))


def _cells(source: CsvSource) -> Iterator[tuple[int, list[str]]]:
    """The cells of each row that has any, with its spreadsheet row number."""
    file = str(source.path)
    with source.path.open(encoding=source.encoding, newline="") as fh:
        lines = _Lines(fh)
        number = 1
        try:
            for number, cells in enumerate(csv.reader(lines, delimiter=source.delimiter),
                                           start=1):
                lines.next_row()
                if number > 1 and any(cell.strip() for cell in cells):
                    yield number, cells
        except UnicodeDecodeError:
            raise InputError.at(_not_encoded(source.encoding), file=file,
                                row=number + 1) from None
        except (csv.Error, _RowTooLong):  # csv's limit is 128 KiB a cell
            index, lines_in_it = _long_cell("".join(lines.row), source.delimiter)
            if index is None:
                raise InputError.at(f"the row is longer than {_kib(MAX_ROW_CHARS)}; a row of "
                                    "a complaint is a few KiB", file=file, row=number + 1,
                                    expected=f"at most {_kib(MAX_ROW_CHARS)} a row"
                                    ) from None
            unclosed = "; is a quote (\") left open?" if lines_in_it else ""
            raise InputError.at(f"the cell in column {column_letter(index)} is longer than "
                                f"{MAX_CELL_CHARS:,} characters, the most a cell holds in "
                                f"Excel{unclosed}", file=file, row=number + 1,
                                field=_field(source, index),
                                expected=f"at most {MAX_CELL_CHARS:,} characters a cell"
                                ) from None


class _RowTooLong(Exception):
    pass


class _Lines:
    """A CSV file's lines, for csv.reader, keeping those of the row being read: a row is
    refused as soon as it is longer than MAX_ROW_CHARS, and what is kept shows which of
    its cells is too long."""

    def __init__(self, fh: TextIO) -> None:
        self.fh = fh
        self.row: list[str] = []
        self.size = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.fh.readline(MAX_ROW_CHARS + 1)
        if not line:
            raise StopIteration
        self.row.append(line)
        self.size += len(line)
        if self.size > MAX_ROW_CHARS:
            raise _RowTooLong
        return line

    def next_row(self) -> None:
        self.row.clear()
        self.size = 0


def _long_cell(text: str, delimiter: str) -> tuple[int | None, bool]:
    """The index of the first cell in a row's text longer than MAX_CELL_CHARS (None if
    there is none), reading quotes roughly as csv does, and whether that cell runs over
    several lines (as it does when a quote is never closed)."""
    column = length = 0
    quoted = lines = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            column, length, lines = column + 1, 0, False
        else:
            length += 1
            lines = lines or char == "\n"
            if length > MAX_CELL_CHARS:
                return column, lines
    return None, False


def _field(source: CsvSource, index: int) -> str | None:
    return source.header[index] if index < len(source.header) else None


def _row_problems(source: CsvSource, number: int, cells: list[str]) -> list[Problem]:
    """What is wrong with a row as read: a cell longer than Excel allows, or cells beyond
    the header's columns (a value with the delimiter in it, and no quotes around it)."""
    file = str(source.path)
    problems = [Problem(f"the cell in column {column_letter(index)} has {len(cell):,} "
                        f"characters; a cell holds at most {MAX_CELL_CHARS:,}, as in Excel",
                        file=file, row=number, field=_field(source, index),
                        expected=f"at most {MAX_CELL_CHARS:,} characters a cell")
                for index, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS]
    extra = [cell for cell in cells[len(source.header):] if cell.strip()]
    if extra:
        problems.append(Problem(
            f"has {len(cells)} cells but the header has {len(source.header)} columns (the "
            f"first beyond them: {shown(extra[0], 40, quoted=True)}); a value with a "
            f"{_DELIMITERS.get(source.delimiter, repr(source.delimiter))} in it needs "
            "quotes around it", file=file, row=number,
            expected=f"at most {len(source.header)} cells a row"))
    return problems


def _shorthands(model: type[BaseModel], prefix: str = "") -> dict[str, str]:
    """For each list whose items may be given as text alone, the field that text fills:
    {"enclosures": "what"}."""
    found = {}
    for name, field in model.model_fields.items():
        section = section_model(field.annotation)
        if section is not None and is_list(field.annotation) and hasattr(section, "SHORTHAND"):
            found[f"{prefix}{name}"] = section.SHORTHAND
        elif section is not None:
            found |= _shorthands(section, f"{prefix}{name}.")
    return found


_SHORTHANDS = _shorthands(Record)


def unflatten(cells: dict[str, str]) -> dict[str, Any]:
    """Dotted CSV columns as nested record data. Empty cells are left out, so a section
    with no values is absent; numbered items become lists in number order; an item given
    as text alone (enclosures.1) fills its shorthand field, beside any others
    (enclosures.1.file)."""
    root: dict[str, Any] = {}
    for column, value in cells.items():
        if not column or value is None or not value.strip():
            continue
        node = root
        *path, last = _column_path(column)
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return {key: _lists(value) if isinstance(value, dict) else value
            for key, value in root.items()}


@functools.lru_cache(maxsize=4096)  # a sheet's columns, read for every row
def _column_path(column: str) -> tuple[str, ...]:
    """Where a column's value goes in the nested data."""
    list_path, _, number = column.rpartition(".")
    if number.isdigit() and list_path in _SHORTHANDS:
        return (*column.split("."), _SHORTHANDS[list_path])
    return tuple(column.split("."))


def _lists(node: dict[str, Any]) -> Any:
    """Sections whose keys are all numbers as lists, in number order."""
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) if isinstance(node[key], dict) else node[key]
                for key in sorted(node, key=int)]
    return {key: _lists(value) if isinstance(value, dict) else value
            for key, value in node.items()}
