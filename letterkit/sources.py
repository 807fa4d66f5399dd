"""Reading records and settings from files: YAML and JSON, one record per file."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from letterkit.errors import UNUSED_COLUMNS, InputError, Problem
from letterkit.record import Record, is_list, section_model


class _TextDatesLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML without implicit timestamps: dates stay text for the record model to check.

    PyYAML would turn `2026-13-45` into a bare ValueError with no line or field; and a
    datetime with seconds into an aware or naive datetime depending on how it was typed.
    """


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, *, file: str) -> Any:
    """Parse YAML text; a syntax error names the file, line and column."""
    try:
        return yaml.load(text, Loader=_TextDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{file}:{mark.line + 1}" if mark else file
        column = f" (column {mark.column + 1})" if mark else ""
        raise InputError.at(f"not valid YAML: {exc.problem}{column}", file=where) from None
    except yaml.YAMLError as exc:
        raise InputError.at(f"not valid YAML: {exc}", file=file) from None


def read_text(path: Path) -> str:
    """A text file's contents, with a clear error for a missing, unreadable or binary file."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError.at("no such file", file=str(path)) from None
    except IsADirectoryError:
        raise InputError.at("is a folder, expected a record file", file=str(path)) from None
    except UnicodeDecodeError:
        raise InputError.at("is not UTF-8 text", file=str(path)) from None
    except OSError as exc:
        raise InputError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None


def load_data_file(path: Path) -> Any:
    """The parsed contents of a YAML or JSON file (JSON by its .json suffix)."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError.at(
                f"not valid JSON: {exc.msg} (column {exc.colno})", file=f"{path}:{exc.lineno}"
            ) from None
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
    """UTF-8 (with or without BOM) or Excel's UTF-16 "Unicode text"; anything else is an
    error that says how to save the file."""
    try:
        with path.open("rb") as fh:
            start = fh.read(65536)
    except FileNotFoundError:
        raise InputError.at("no such file", file=str(path)) from None
    except OSError as exc:
        raise InputError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
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


def open_csv(path: Path, delimiter: str | None = None,
             columns: Mapping[str, str] | None = None) -> CsvSource:
    """Open a CSV of records and read its header: letterkit's own column names (in any
    case), or a sheet's own names mapped to them by `columns`; other columns are left out,
    with a warning that names them."""
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise InputError.at("is empty; expected a header row of column names", file=str(path))
    if delimiter is None:
        delimiter = max(_DELIMITERS, key=first.count)
    names = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    header, warnings = read_header(names, columns or {}, file=str(path))
    return CsvSource(path, encoding, delimiter, header, tuple(warnings))


def read_header(names: list[str], columns: Mapping[str, str], *, file: str
                ) -> tuple[list[str | None], list[Problem]]:
    """The record field each column gives (None: unused), and a warning naming the columns
    left out; an InputError for a map to no field, two columns for one field, or no
    reference."""
    known = set(csv_columns(Record, list_items=1, shorthand=True))
    problems = []
    mapped = {}
    for sheet, target in columns.items():
        if _NUMBER.sub("1", str(target).strip().lower()) not in known:
            problems.append(Problem(f"the column map gives {sheet!r} to {target!r}, which is "
                                    f"not a field{_suggestion(str(target), known)}", file=file))
        mapped[str(sheet).strip().casefold()] = str(target).strip().lower()
    header: list[str | None] = []
    unused: list[str] = []
    given: dict[str, str] = {}
    for name in names:
        field: str | None = mapped.get(name.casefold())
        if field is None and _NUMBER.sub("1", name.lower()) in known:
            field = name.lower()
        if field is not None and field in given:
            problems.append(Problem(f"columns {given[field]!r} and {name!r} both give {field}; "
                                    "keep one", file=file, row=1))
        elif field is not None:
            given[field] = name
        elif name:
            unused.append(f"{name!r}{_suggestion(name, known, ' (%s?)')}")
        header.append(field)
    if "reference" not in given:
        problems.append(Problem("no reference column; every row needs its reference (name "
                                "the sheet's own column in a column map)", file=file, row=1))
    if problems:
        raise InputError(problems)
    warnings = [Problem(f"left out {len(unused)} column{'s' if len(unused) > 1 else ''} "
                        f"letterkit does not use: {', '.join(unused)}; to use one, map it to "
                        "a field in a column map", file=file, row=1, code=UNUSED_COLUMNS)
                ] if unused else []
    return header, warnings


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
    row 1). Rows are read one at a time, so memory does not grow with the file."""
    with source.path.open(encoding=source.encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=source.delimiter)
        next(reader, None)
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                if any(cell.strip() for cell in cells):
                    yield number, unflatten({field: cell for field, cell
                                             in zip(source.header, cells, strict=False)
                                             if field is not None})
        except UnicodeDecodeError:
            raise InputError.at(_NOT_UTF8, file=str(source.path), row=number + 1) from None


def count_rows(source: CsvSource) -> int:
    with source.path.open(encoding=source.encoding, newline="") as fh:
        return sum(1 for cells in csv.reader(fh, delimiter=source.delimiter)
                   if any(c.strip() for c in cells)) - 1


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
        parts = column.split(".")
        list_path, _, number = column.rpartition(".")
        if number.isdigit() and list_path in _SHORTHANDS:
            parts.append(_SHORTHANDS[list_path])
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return {key: _lists(value) for key, value in root.items()}


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}
