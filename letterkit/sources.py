"""Reading records and settings from files: YAML and JSON, one record per file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel

from letterkit.errors import InputError
from letterkit.record import section_model


class _TextDatesLoader(yaml.SafeLoader):
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


# --- CSV: the record flattened to dotted columns (see DESIGN.md, "CSV") ----------------

def csv_columns(model: type[BaseModel], list_items: int = 2, prefix: str = "") -> list[str]:
    """Every column a CSV row may have for `model`, lists shown with `list_items` items."""
    columns: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        section = section_model(field.annotation)
        if _is_list(field.annotation):
            for n in range(1, list_items + 1):
                if section is None:
                    columns.append(f"{path}.{n}")
                else:
                    columns += csv_columns(section, list_items, f"{path}.{n}.")
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


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or any(
        get_origin(a) is list for a in get_args(annotation)
    )
