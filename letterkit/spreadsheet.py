"""Values as Excel writes them, read back as a record wants them.

Excel rewrites what staff type: `2026-11-20` becomes `20-11-2026` or `20/11/2026` in an
Indian locale (`11/20/2026` in an American one), a date column saved as a number becomes
its serial (`46346`), and an amount becomes `1,500.00` or `₹1,500`. A sheet's date and
amount cells are turned into ISO dates and plain numbers before the record is checked; a
value that cannot be read names what was read, what is expected, and when Excel probably
changed it. Record files (YAML, JSON) are not touched: what staff type there is exact.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel

from letterkit.errors import Problem
from letterkit.record import Record, section_model, shown

DateOrder = Literal["day-first", "month-first"]

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 1 is 1900-01-01, after Excel's leap-day bug
# ISO, as a record file has it: a time may carry its offset (`Z`, `+05:30`).
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?")
_SLASHED = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})"
                      r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?")
_SERIAL = re.compile(r"\d{4,5}(?:\.\d+)?")
_CURRENCY = re.compile(r"^(?:₹|rs\.?|inr|\$|usd|£|gbp|€|eur)\s*|\s*(?:₹|rs\.?|inr|/-)$",
                       re.IGNORECASE)
_AMOUNT = re.compile(r"\d{1,3}(?:,\d{2,3})*(?:\.\d+)?|\d+(?:\.\d+)?")
_EXCEL = "Excel may have reformatted the column"
# The longest date, time or amount a sheet holds is some 25 characters (`Rs. 1,50,00,000.00
# /-`); a longer cell is none, and is not given to the patterns above, which would take
# seconds over a cell of thousands of spaces.
_LONGEST = 64


def excel_values(data: dict[str, Any], order: DateOrder = "day-first",
                 model: type[BaseModel] = Record, prefix: str = ""
                 ) -> tuple[dict[str, Any], list[Problem]]:
    """A CSV row's nested data with its date and amount cells in the record's own forms,
    and a Problem (naming the field) for each cell that cannot be read."""
    problems: list[Problem] = []
    result = dict(data)
    fields = _fields(model)
    for name, value in data.items():
        if name not in fields:
            continue
        path = f"{prefix}{name}"
        section, kind = fields[name]
        if section is not None:
            if isinstance(value, list):
                items = []
                for n, item in enumerate(value, start=1):
                    if isinstance(item, dict):
                        item, found = excel_values(item, order, section, f"{path}.{n}.")
                        problems += found
                    items.append(item)
                result[name] = items
            elif isinstance(value, dict):
                result[name], found = excel_values(value, order, section, f"{path}.")
                problems += found
            continue
        if kind is None or not isinstance(value, str):
            continue
        try:
            result[name] = _read(kind, value.strip(), order)
        except ValueError as error:
            problems.append(Problem(str(error), field=path, expected=_EXPECTED[kind]))
    return result, problems


@functools.cache  # read for every row
def _fields(model: type[BaseModel]) -> dict[str, tuple[type[BaseModel] | None, str | None]]:
    """Each field of a model: the model it holds (a section, or a list of sections), and
    the kind of value Excel may have reformatted (see `_kind`)."""
    return {name: (section_model(field.annotation), _kind(field.annotation))
            for name, field in model.model_fields.items()}


_EXPECTED = {
    "date": "a date such as 2026-11-20 or 20-11-2026",
    "datetime": "a date and time such as 2026-11-25 11:00 or 25-11-2026 11:00",
    "amount": "an amount such as 1500, 1,500.00 or ₹1,500",
}


def _kind(annotation: Any) -> str | None:
    types = set(get_args(annotation)) or {annotation}
    if dt.datetime in types:
        return "datetime"
    if dt.date in types:
        return "date"
    if Decimal in types:
        return "amount"
    return None


def _read(kind: str, text: str, order: DateOrder) -> str:
    if len(text) > _LONGEST:
        raise ValueError(f"read {shown(text, 24, quoted=True)} ({len(text):,} characters), "
                         "which is not "
                         f"{'an amount' if kind == 'amount' else 'a date'}")
    if kind == "amount":
        return _amount(text)
    if _ISO.fullmatch(text):
        return text
    if _SERIAL.fullmatch(text):
        return _serial(kind, text)
    found = _SLASHED.fullmatch(text)
    if found is None:
        raise ValueError(f"read {text!r}, which is not a date")
    first, _, second, year, hour, minute, second_of, half = found.groups()
    day, month = (first, second) if order == "day-first" else (second, first)
    if len(year) == 2:
        raise ValueError(f"read {text!r}, whose year has two digits; {_EXCEL} "
                         "(format it as yyyy-mm-dd, or type the year in full)")
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError:
        other = "month-first" if order == "day-first" else "day-first"
        hint = (f"; if this sheet writes dates {other}, set date_order: {other} in the config"
                if _possible(year, first, second, order) else "")
        fields = "day, month, year" if order == "day-first" else "month, day, year"
        raise ValueError(f"read {text!r} as {fields}: there is no such date{hint}") from None
    if kind == "date":
        if hour is not None:
            raise ValueError(f"read {text!r}, a date with a time; expected a date alone")
        return date.isoformat()
    if hour is None:
        raise ValueError(f"read {text!r}, a date without a time")
    hours = int(hour)
    if half is not None:
        if not 1 <= hours <= 12:
            raise ValueError(f"read {text!r}: {hours} is not an hour of a 12-hour clock")
        hours = hours % 12 + (12 if half.lower() == "pm" else 0)
    try:
        moment = dt.datetime.combine(date, dt.time(hours, int(minute), int(second_of or 0)))
    except ValueError:
        raise ValueError(f"read {text!r}: there is no such time of day") from None
    return moment.isoformat(sep=" ", timespec="minutes")


def _possible(year: str, first: str, second: str, order: DateOrder) -> bool:
    day, month = (second, first) if order == "day-first" else (first, second)
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _serial(kind: str, text: str) -> str:
    """Excel's serial number of a day (and fraction of it): a date column saved as a
    number."""
    days = float(text)
    if not 1 <= days < 2958466:  # Excel's own range: 1900-01-01 to 9999-12-31
        raise ValueError(f"read {text!r}, which is not a date")
    moment = _EXCEL_EPOCH + dt.timedelta(days=days)
    if kind == "date":
        if days != int(days):
            raise ValueError(f"read {text!r}, Excel's number for a date with a time; "
                             "expected a date alone")
        return moment.date().isoformat()
    moment = (moment + dt.timedelta(seconds=30)).replace(second=0, microsecond=0)
    return moment.isoformat(sep=" ", timespec="minutes")


def _amount(text: str) -> str:
    """`1,500.00`, `₹1,500`, `Rs. 1,50,000`, `1500 /-`: the number alone."""
    bare = _CURRENCY.sub("", text.replace("\u00a0", " ").strip()).strip()
    bare = bare.replace(" ", "")
    if not _AMOUNT.fullmatch(bare):
        raise ValueError(f"read {text!r}, which is not an amount")
    return bare.replace(",", "")
