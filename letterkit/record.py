"""The complaint record: its fields, their validation, and field-level error messages."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from letterkit.errors import InputError, Problem

# Word and LibreOffice refuse a document holding characters XML 1.0 forbids; Excel pastes
# vertical tabs (its in-cell line break) and form feeds, which mean "new line" to a person.
_LINE_BREAKS = str.maketrans({"\v": "\n", "\f": "\n", "\u2028": "\n", "\u2029": "\n"})
_NEEDS_CLEANING = re.compile("[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: Any) -> Any:
    """Make free text safe for a document: line breaks unified, forbidden characters gone.

    Blank text counts as absent, so an empty CSV cell and a missing key mean the same.
    """
    if not isinstance(value, str):
        return value
    if not _NEEDS_CLEANING.search(value) and value.strip() == value:
        return value or None  # the usual case: plain one-line text
    text = value.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_BREAKS)
    text = _NOT_XML.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip()
    return text or None


def _email(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"{value} is not an email address (name@example.com)")
    return value


def _timezone(value: str) -> str:
    # As IANA spells it, whatever the case typed: macOS would find "asia/kolkata" (its
    # disk ignores case) where Windows and Linux would not, and an invitation needs the
    # true name. So a record means the same on every laptop.
    name = _timezone_names().get(value.casefold(), value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value} is not a time zone (an IANA name such as Asia/Kolkata)"
        ) from None
    return name


@functools.cache
def _timezone_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _currency(value: str) -> str:
    code = value.upper()
    if code not in list_currencies():
        raise ValueError(f"{value} is not a currency code (ISO 4217, such as INR)")
    return code


def _language(value: str) -> str:
    code = value.lower()
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise ValueError(f"{value} is not a language code (such as en or te)")
    return code


Text = Annotated[str, BeforeValidator(clean_text)]
Email = Annotated[Text | None, AfterValidator(_email)]
Channel = Literal["phone", "email", "letter", "web", "social", "in-person"]
Layout = Literal["block", "semi-block"]
LAYOUTS: tuple[str, ...] = get_args(Layout)
# The kinds of letter, by name (defined in letterkit.kinds, which a test keeps the same).
KindName = Literal["acknowledgement", "meeting", "resolution", "follow-up"]
Language = Annotated[Text, AfterValidator(_language)]
TimeZone = Annotated[Text, AfterValidator(_timezone)]

DEFAULT_TIMEZONE = "Asia/Kolkata"

M = TypeVar("M", bound=BaseModel)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class Person(_Section):
    """Someone named in a letter: copied on it or attending a meeting."""

    name: Text
    title: Text | None = None
    email: Email = None
    phone: Text | None = None


class Customer(_Section):
    title: Text | None = None
    name: Text
    email: Email = None
    phone: Text | None = None
    address: Text | None = None


class Organisation(_Section):
    name: Text
    address: Text | None = None
    phone: Text | None = None
    email: Email = None
    website: Text | None = None
    # Its own time zone (default: the config's): a meeting in another names its zone.
    timezone: TimeZone = DEFAULT_TIMEZONE


class Handler(_Section):
    name: Text
    title: Text | None = None
    email: Email = None
    phone: Text | None = None


class Complaint(_Section):
    subject: Text
    summary: Text
    order: Text | None = None


class Meeting(_Section):
    at: dt.datetime
    timezone: TimeZone = DEFAULT_TIMEZONE
    mode: Literal["phone", "in-person", "video"]
    where: Text | None = None
    minutes: int = Field(default=30, gt=0, le=24 * 60)
    attendees: list[Person] = Field(default_factory=list)

    def local_start(self) -> dt.datetime:
        """The meeting's start as an aware datetime in its own time zone."""
        return self.at.replace(tzinfo=ZoneInfo(self.timezone))


class Action(_Section):
    what: Text
    due: dt.date | None = None
    # When it was carried out: the follow-up letter says so, and only then.
    done: dt.date | None = None
    # Money this action pays or refunds, in the resolution's currency: the action says
    # what it is for ("Refund the installation charge").
    amount: Decimal | None = Field(default=None, ge=0)


class Resolution(_Section):
    summary: Text
    remedy: Literal["refund", "replacement", "repair", "credit", "gift", "other"] = "other"
    # Money beyond the actions' own, and what it is for (always said with the amount).
    amount: Decimal | None = Field(default=None, ge=0)
    amount_for: Text | None = None
    currency: Annotated[Text, AfterValidator(_currency)] = "INR"
    actions: list[Action] = Field(default_factory=list)
    prevention: list[Text] = Field(default_factory=list)


class Enclosure(_Section):
    """Something that goes with a letter: named on it ("Enclosure:") and, when it has a
    file, attached to the letter's email."""

    what: Text
    file: Text | None = None  # a path, relative to the record's folder
    # A record may give an enclosure as its text alone (enclosures.N in a CSV).
    SHORTHAND: ClassVar[str] = "what"


def _enclosure(value: Any) -> Any:
    return {Enclosure.SHORTHAND: value} if isinstance(value, str) else value


class Record(_Section):
    """One complaint, as staff write it in a record file or a CSV row."""

    reference: Text
    received: dt.date
    channel: Channel | None = None
    language: Language | None = None
    layout: Layout | None = None
    customer: Customer
    organisation: Organisation
    handler: Handler
    complaint: Complaint
    meeting: Meeting | None = None
    findings: list[Text] = Field(default_factory=list)
    resolution: Resolution | None = None
    cc: list[Person] = Field(default_factory=list)
    enclosures: list[Annotated[Enclosure, BeforeValidator(_enclosure)]] = Field(
        default_factory=list)
    enclose_with: KindName | None = None  # the letter they go with (default: resolution)

    def meeting_place(self) -> str | None:
        """The number we will call, the address or the link: a phone meeting with none
        given uses the customer's own number."""
        if self.meeting is None:
            return None
        if self.meeting.where is None and self.meeting.mode == "phone":
            return self.customer.phone
        return self.meeting.where


def validate_record(data: Any, *, file: str | None = None, row: int | None = None) -> Record:
    """Turn raw data (parsed YAML, JSON or a CSV row) into a Record, or raise InputError
    with one Problem per wrong field."""
    record = validate(Record, data, file=file, row=row, expected="the record's fields "
                      "(reference, received, customer, …)")
    resolution = record.resolution
    if resolution is not None and resolution.amount is not None \
            and resolution.amount_for is None:
        raise InputError.at("required with resolution.amount: say what the amount is for "
                            "(a refund of what, compensation for what), or give the amount "
                            "on the action it belongs to", file=file, row=row,
                            field="resolution.amount_for", expected="what the amount is for")
    return record


def validate(
    model: type[M],
    data: Any,
    *,
    file: str | None = None,
    row: int | None = None,
    expected: str = "a set of fields",
) -> M:
    """Validate data against one of our models, turning pydantic's errors into Problems."""
    if not isinstance(data, dict):
        raise InputError.at(f"expected {expected}, found {_kind_of(data)}", file=file, row=row)
    try:
        return model.model_validate(_drop_blank_items(data))
    except ValidationError as exc:
        raise InputError(
            Problem(_message(model, err), file=file, row=row, field=dotted(err["loc"]),
                    expected=_expected(err))
            for err in exc.errors(include_url=False)
        ) from None


def dotted(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the record's dotted path, list items numbered from 1."""
    return ".".join(str(p + 1) if isinstance(p, int) else p for p in loc)


def _drop_blank_items(value: Any) -> Any:
    # A blank list item (an empty CSV cell, a stray "-" in YAML) is nothing, not an error.
    if isinstance(value, dict):
        return {k: _drop_blank_items(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_blank_items(v) for v in value if clean_text(v) is not None]
    return value


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


_FIELD_HINTS = {"date": "a date (YYYY-MM-DD)", "datetime": "a date and time (YYYY-MM-DDTHH:MM)"}
_EXPECTED = {"date": "YYYY-MM-DD", "datetime": "YYYY-MM-DDTHH:MM", "int": "a whole number",
             "decimal": "an amount", "list": "a list", "string": "text", "model": "a section",
             "dict": "a section", "missing": "a value"}


def _expected(err: Any) -> str | None:
    """What would have been right, in a few words, for programs reading the Problem."""
    kind: str = err["type"]
    if kind == "literal_error":
        return str(err["ctx"]["expected"])
    return _EXPECTED.get(kind.partition("_")[0])


def _message(root: type[BaseModel], err: Any) -> str:
    kind: str = err["type"]
    value = err.get("input")
    shown = value if isinstance(value, str) else repr(value)
    if kind == "missing" or (value is None and kind.endswith("_type")):
        return "required"
    if kind == "extra_forbidden":
        return _unknown_field(root, err["loc"])
    for prefix, hint in _FIELD_HINTS.items():
        if kind.startswith(f"{prefix}_"):
            return f"{shown} is not {hint}"
    if kind == "literal_error":
        return f"{shown} is not one of: {err['ctx']['expected']}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{shown} is not a whole number"
    if kind in ("decimal_parsing", "decimal_type"):
        return f"{shown} is not an amount (digits, with a decimal point if needed)"
    if kind in ("model_type", "dict_type"):
        return f"expected a section with its own fields, found {_kind_of(value)}"
    if kind == "list_type":
        return f"expected a list, found {_kind_of(value)}"
    if kind == "string_type":
        return f"expected text, found {_kind_of(value)}"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    return str(err["msg"])


def section_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (a section, or the items of a list of sections), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = section_model(arg)
        if found is not None:
            return found
    return None


def is_list(annotation: Any) -> bool:
    """Whether a field holds a list (of text, or of sections), optional or not."""
    return get_origin(annotation) is list or any(get_origin(a) is list
                                                 for a in get_args(annotation))


def _unknown_field(root: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        model = section_model(annotation)
        if model is None:
            return "unknown field"
    known = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"expected one of: {', '.join(known)}"
    return f"unknown field; {hint}"
