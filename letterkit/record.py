"""The complaint record: its fields, their validation, and field-level error messages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.numbers import get_currency_precision, list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

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


def shown(value: Any, limit: int = 60, *, quoted: bool = False) -> str:
    """A value as a message quotes it: on one line (a line break shown as \\n), and cut
    short when long, so that one mistake is one line of output; in quotes when it needs
    them to be seen (or when `quoted`)."""
    if not isinstance(value, str):
        return repr(value)[:limit]
    text = value if len(value) <= limit else value[:limit] + "…"
    needs = quoted or not text.isprintable() or text != text.strip()
    return repr(text) if needs else text


def _refused(message: str, expected: str) -> PydanticCustomError:
    """A validation error in our own words, with what would have been right."""
    return PydanticCustomError("letterkit", message, {"expected": expected})


# An email address as RFC 5321 and RFC 6531 take it: a local part of dot-separated atoms,
# which may hold letters beyond ASCII (రామ@…, sent only where the server offers
# SMTPUTF8), and a domain of dot-separated labels, which may be a name in any script (an
# IDN, ఉదాహరణ.భారత్), written in mail as its xn-- form (see `mail_address`). Quoted local
# parts ("a b"@…) and address literals (…@[192.0.2.1]) are refused: no customer needs
# them, and an address header or calendar would have to quote them.
_ATOM_ASCII = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _email(value: str | None) -> str | None:
    return None if value is None else _checked_email(value)


@functools.lru_cache(maxsize=4096)  # the organisation's and handler's, on every row
def _checked_email(value: str) -> str:
    text = unicodedata.normalize("NFC", value)
    local, at, domain = text.rpartition("@")
    if not at or not _is_local_part(local) or _ascii_domain(domain) is None:
        raise _refused(f"{shown(value)} is not an email address (name@example.com)",
                       "an email address such as name@example.com")
    return text


def _is_local_part(local: str) -> bool:
    if not local or len(local.encode()) > 64:
        return False
    return all(atom and all(_ATOM_ASCII.fullmatch(c) if c.isascii()
                            else unicodedata.category(c)[0] not in "CZ" for c in atom)
               for atom in local.split("."))


def _ascii_domain(domain: str) -> str | None:
    """A domain as DNS and mail headers carry it, each label in a script other than ASCII
    as its IDNA form (bücher → xn--bcher-kva); None if it is not a domain name."""
    labels = domain.lower().split(".")
    if len(labels) < 2:
        return None
    ascii_labels = []
    for label in labels:
        if not label.isascii():
            try:
                label = label.encode("idna").decode("ascii")
            except UnicodeError:
                return None
        if not _HOST_LABEL.fullmatch(label):
            return None
        ascii_labels.append(label)
    ascii_domain = ".".join(ascii_labels)
    return ascii_domain if len(ascii_domain) <= 253 else None


def mail_address(address: str) -> str:
    """An address as mail carries it (headers, the SMTP envelope, a calendar's mailto:):
    the domain in its ASCII (IDNA, xn--) form, the local part as written. A record's
    addresses keep the form staff typed, which is what a letter shows."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{mail_domain(domain)}"


def mail_domain(domain: str) -> str:
    """A domain as mail carries it: in its ASCII (IDNA, xn--) form."""
    return _ascii_domain(domain) or domain


def needs_smtputf8(address: str) -> bool:
    """Whether an address has letters beyond ASCII before the @: no 7-bit message can
    carry it (RFC 6532), and only a server that offers SMTPUTF8 takes it (RFC 6531)."""
    return not address.rpartition("@")[0].isascii()


def _timezone(value: str) -> str:
    # As IANA spells it, whatever the case typed: macOS would find "asia/kolkata" (its
    # disk ignores case) where Windows and Linux would not, and an invitation needs the
    # true name. So a record means the same on every laptop.
    name = _timezone_names().get(value.casefold(), value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise _refused(f"{shown(value)} is not a time zone (an IANA name such as "
                       "Asia/Kolkata)", "an IANA time zone name such as Asia/Kolkata") from None
    return name


@functools.cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())  # (Babel builds the set anew on each call)


@functools.cache
def _timezone_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _currency(value: str) -> str:
    code = value.upper()
    if code not in _currencies():
        raise _refused(f"{shown(value)} is not a currency code (ISO 4217, such as INR)",
                       "an ISO 4217 currency code such as INR")
    return code


def _language(value: str) -> str:
    code = value.lower()
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise _refused(f"{shown(value)} is not a language code (such as en or te)",
                       "a language code such as en or te")
    return code


def _one_line(what: str, limit: int) -> AfterValidator:
    """A check that text is one line of at most `limit` characters: a name, a title, a
    number or a reference, which go into a letter's lines, an email's headers and file
    names, where a line break has no place (and a run of text this long is a paste gone
    wrong)."""
    def check(value: str | None) -> str | None:
        expected = f"{what} on one line, of at most {limit} characters"
        if value is not None and "\n" in value:
            raise _refused(f"{shown(value)} is more than one line; expected {expected}",
                           expected)
        if value is not None and len(value) > limit:
            raise _refused(f"{shown(value)} is {len(value)} characters long; expected "
                           f"{expected}", expected)
        return value
    return AfterValidator(check)


Text = Annotated[str, BeforeValidator(clean_text)]
Name = Annotated[Text, _one_line("a name", 200)]
Title = Annotated[Text | None, _one_line("a title", 200)]
Phone = Annotated[Text | None, _one_line("a phone number", 100)]
Reference = Annotated[Text, _one_line("a reference", 100)]
Email = Annotated[Text | None, _one_line("an email address", 254), AfterValidator(_email)]
Channel = Literal["phone", "email", "letter", "web", "social", "in-person"]
Layout = Literal["block", "semi-block"]
LAYOUTS: tuple[str, ...] = get_args(Layout)
# The kinds of letter, by name (defined in letterkit.kinds, which a test keeps the same).
KindName = Literal["acknowledgement", "meeting", "resolution", "follow-up"]
Language = Annotated[Text, AfterValidator(_language)]
TimeZone = Annotated[Text, AfterValidator(_timezone)]

DEFAULT_TIMEZONE = "Asia/Kolkata"

# The years a date may fall in: wide enough for any complaint and its remedy, narrow
# enough that a mistyped year (0226, 20226) is caught, and that what letterkit works out
# from a date (a meeting's end, the working days waited, a calendar's time-zone rules for
# the years around the meeting) stays inside the years Python counts (1 to 9999).
FIRST_YEAR, LAST_YEAR = 1900, 2200
_YEARS = f"a date from {FIRST_YEAR} to {LAST_YEAR}"


def _given_as_text(value: Any) -> Any:
    """A date or time as text (or as YAML's own date), never as a bare number, which
    pydantic would read as seconds since 1970 (`received: 0` as 1 January 1970)."""
    if isinstance(value, bool | int | float | Decimal):
        raise PydanticCustomError("date_type", "not a date")
    return value


def _given_with_time(value: Any) -> Any:
    """A meeting's date and time, never a date alone (which would be read as midnight)."""
    if isinstance(value, bool | int | float | Decimal):
        raise PydanticCustomError("datetime_type", "not a date and time")
    alone = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if alone or (isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d\d-\d\d\s*", value)):
        raise _refused(f"{shown(value)} has no time of day; expected a date and time "
                       "(YYYY-MM-DDTHH:MM)", "YYYY-MM-DDTHH:MM")
    return value


def _in_years(value: dt.date | None) -> dt.date | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        when = (value.isoformat(timespec="minutes") if isinstance(value, dt.datetime)
                else value.isoformat())
        raise _refused(f"{when} is outside the years letterkit takes ({FIRST_YEAR} to "
                       f"{LAST_YEAR})", _YEARS)
    return value


Day = Annotated[dt.date, BeforeValidator(_given_as_text), AfterValidator(_in_years)]
# Optional as a whole (not Annotated[date] | None), so that a sheet's reader still sees a
# date field in `dt.date | None` (letterkit.spreadsheet).
MaybeDay = Annotated[dt.date | None, BeforeValidator(_given_as_text), AfterValidator(_in_years)]
Moment = Annotated[dt.datetime, BeforeValidator(_given_with_time), AfterValidator(_in_years)]

# Money: never negative, and below 10^15 (a thousand million million): more than any
# remedy, and well within the 28 digits to which Python's decimals (and so Babel's
# formats) work an amount out exactly.
AMOUNT_LIMIT = Decimal(10) ** 15
_AMOUNTS = f"an amount from 0 to less than {AMOUNT_LIMIT:,}"


def _amount(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if value < 0:
        raise _refused(f"{value} is negative; expected {_AMOUNTS}", _AMOUNTS)
    if value >= AMOUNT_LIMIT:
        raise _refused(f"{value} is too large for an amount; expected {_AMOUNTS}", _AMOUNTS)
    return value if value else Decimal(0)  # not -0


Amount = Annotated[Decimal | None, AfterValidator(_amount)]


def _not_yes_or_no(value: Any) -> Any:
    # YAML reads `yes` as True, which would otherwise count as the number 1.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "not a whole number")
    return value


def _minutes(value: int) -> int:
    if not 1 <= value <= 24 * 60:
        raise _refused(f"{value} minutes is not a length of meeting letterkit takes; expected "
                       "1 to 1440 minutes (a day at most)", "1 to 1440 minutes")
    return value


Minutes = Annotated[int, BeforeValidator(_not_yes_or_no), AfterValidator(_minutes)]

# A letter writes out every item of a list (each finding, action, person copied): more
# than this is a sheet's columns gone astray, not a letter anyone would read.
MAX_ITEMS = 100

M = TypeVar("M", bound=BaseModel)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class Person(_Section):
    """Someone named in a letter: copied on it or attending a meeting."""

    name: Name
    title: Title = None
    email: Email = None
    phone: Phone = None


class Customer(_Section):
    title: Title = None
    name: Name
    email: Email = None
    phone: Phone = None
    address: Text | None = None


class Organisation(_Section):
    name: Name
    address: Text | None = None
    phone: Phone = None
    email: Email = None
    website: Annotated[Text | None, _one_line("a web address", 2000)] = None
    # Its own time zone (default: the config's): a meeting in another names its zone.
    timezone: TimeZone = DEFAULT_TIMEZONE


class Handler(_Section):
    name: Name
    title: Title = None
    email: Email = None
    phone: Phone = None


class Complaint(_Section):
    subject: Text
    summary: Text
    order: Annotated[Text | None, _one_line("a reference", 100)] = None  # blank: None


class Meeting(_Section):
    # Local to `timezone`. A time given with an offset (…T15:30+05:30, …T10:00Z) names
    # one moment wherever it was written: it is kept as that moment's local time in
    # `timezone`, which the letters show (10:00Z is 15:30 in Asia/Kolkata).
    at: Moment
    timezone: TimeZone = DEFAULT_TIMEZONE
    mode: Literal["phone", "in-person", "video"]
    where: Text | None = None
    minutes: Minutes = 30
    attendees: list[Person] = Field(default_factory=list, max_length=MAX_ITEMS)
    # Whether `at` came with an offset: then it is one moment even at a time the clocks
    # pass twice (its `fold` says which pass).
    _exact: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _local_time(self) -> Meeting:
        if self.at.tzinfo is not None:
            local = self.at.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)
            object.__setattr__(self, "at", local)  # frozen to everyone else
            self._exact = True
        return self

    def local_start(self) -> dt.datetime:
        """The meeting's start as an aware datetime in its own time zone."""
        return self.at.replace(tzinfo=ZoneInfo(self.timezone))

    def local_end(self) -> dt.datetime:
        """The meeting's end, `minutes` after its start as a clock counts them, in its own
        time zone (a call over the night the clocks change ends an hour off on the wall)."""
        start = self.local_start()
        end = start.astimezone(dt.UTC) + dt.timedelta(minutes=self.minutes)
        return end.astimezone(start.tzinfo)

    def time_problem(self) -> str | None:
        """Why `at` is no one moment in its time zone: a time the clocks skip as they go
        forward, or pass twice as they go back; None when it is one."""
        zone = ZoneInfo(self.timezone)
        first, second = (self.at.replace(tzinfo=zone, fold=f) for f in (0, 1))
        if self._exact or first.utcoffset() == second.utcoffset():
            return None
        when = self.at.isoformat(timespec="minutes")
        if first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != self.at:
            return (f"{when} does not exist in {self.timezone}: the clocks go forward that "
                    "night and skip it; give a time before or after the change")
        return (f"{when} happens twice in {self.timezone}, as the clocks go back that night; "
                f"add the offset to say which: {first.isoformat(timespec='minutes')} (the "
                f"first) or {second.isoformat(timespec='minutes')} (the second)")


class Action(_Section):
    what: Text
    due: MaybeDay = None
    # When it was carried out: the follow-up letter says so, and only then.
    done: MaybeDay = None
    # Money this action pays or refunds, in the resolution's currency: the action says
    # what it is for ("Refund the installation charge").
    amount: Amount = None


class Resolution(_Section):
    summary: Text
    remedy: Literal["refund", "replacement", "repair", "credit", "gift", "other"] = "other"
    # Money beyond the actions' own, and what it is for (always said with the amount).
    amount: Amount = None
    amount_for: Text | None = None
    currency: Annotated[Text, AfterValidator(_currency)] = "INR"
    actions: list[Action] = Field(default_factory=list, max_length=MAX_ITEMS)
    prevention: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)


class Enclosure(_Section):
    """Something that goes with a letter: named on it ("Enclosure:") and, when it has a
    file, attached to the letter's email."""

    what: Text
    file: Annotated[Text | None, _one_line("a file's path", 1000)] = None  # relative to
    # the record's folder
    # A record may give an enclosure as its text alone (enclosures.N in a CSV).
    SHORTHAND: ClassVar[str] = "what"


def _enclosure(value: Any) -> Any:
    return {Enclosure.SHORTHAND: value} if isinstance(value, str) else value


class Record(_Section):
    """One complaint, as staff write it in a record file or a CSV row."""

    reference: Reference
    received: Day
    channel: Channel | None = None
    language: Language | None = None
    layout: Layout | None = None
    customer: Customer
    organisation: Organisation
    handler: Handler
    complaint: Complaint
    meeting: Meeting | None = None
    findings: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    resolution: Resolution | None = None
    cc: list[Person] = Field(default_factory=list, max_length=MAX_ITEMS)
    enclosures: list[Annotated[Enclosure, BeforeValidator(_enclosure)]] = Field(
        default_factory=list, max_length=MAX_ITEMS)
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
    problems = [dataclasses.replace(p, file=file, row=row) for p in _across_fields(record)]
    if problems:
        raise InputError(problems)
    return record


def _across_fields(record: Record) -> Iterator[Problem]:
    """What is wrong with fields taken together: an amount and what it is for, amounts
    and their currency, a meeting's time and its time zone."""
    resolution = record.resolution
    if resolution is not None and resolution.amount is not None \
            and resolution.amount_for is None:
        yield Problem("required with resolution.amount: say what the amount is for (a refund "
                      "of what, compensation for what), or give the amount on the action it "
                      "belongs to", field="resolution.amount_for",
                      expected="what the amount is for")
    if resolution is not None:
        places = get_currency_precision(resolution.currency)
        amounts = [("resolution.amount", resolution.amount), *(
            (f"resolution.actions.{n}.amount", action.amount)
            for n, action in enumerate(resolution.actions, start=1))]
        for field, amount in amounts:
            if amount is not None and _decimal_places(amount) > places:
                expected = f"an amount in whole {resolution.currency}" if not places else (
                    f"an amount with at most {places} decimal places")
                yield Problem(f"{amount} has more decimal places than {resolution.currency} "
                              f"has ({places}); expected {expected}", field=field,
                              expected=expected)
    if record.meeting is not None:
        problem = record.meeting.time_problem()
        if problem is not None:
            yield Problem(problem, field="meeting.at",
                          expected=f"a time that exists once in {record.meeting.timezone}")


def _decimal_places(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


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
        raise InputError.at(f"expected {expected}, found {kind_of(data)}", file=file, row=row)
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
    # (Only sections and lists are looked into: a record is mostly text, read for every row.)
    if isinstance(value, dict):
        return {k: _drop_blank_items(v) if isinstance(v, dict | list) else v
                for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_blank_items(v) for v in value if clean_text(v) is not None]
    return value


def kind_of(value: Any) -> str:
    """What a value is, in a user's words, for "expected …, found …" messages."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text {shown(value, 40, quoted=True)}"
    if isinstance(value, bool):  # YAML's yes/no, true/false
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, int) and value.bit_length() > 64:  # str() refuses the longest
        return "a number too large to use"
    if isinstance(value, int | float | Decimal):
        return f"the number {shown(str(value), 40)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a section"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return f"a {type(value).__name__}"


_FIELD_HINTS = {"date": "a date (YYYY-MM-DD)", "datetime": "a date and time (YYYY-MM-DDTHH:MM)"}
_EXPECTED = {"date": "YYYY-MM-DD", "datetime": "YYYY-MM-DDTHH:MM", "int": "a whole number",
             "decimal": "an amount", "list": "a list", "string": "text", "model": "a section",
             "dict": "a section", "missing": "a value"}


def _expected(err: Any) -> str | None:
    """What would have been right, in a few words, for programs reading the Problem."""
    kind: str = err["type"]
    if kind in ("literal_error", "letterkit"):
        return str(err["ctx"]["expected"])
    if kind == "too_long":
        return f"at most {err['ctx']['max_length']} items"
    if kind == "finite_number":
        return "an amount"
    return _EXPECTED.get(kind.partition("_")[0])


def _message(root: type[BaseModel], err: Any) -> str:
    kind: str = err["type"]
    value = err.get("input")
    quoted = shown(value)
    if kind == "missing" or (value is None and kind.endswith("_type")):
        return "required"
    if kind == "letterkit":
        return str(err["msg"])
    if kind == "extra_forbidden":
        return _unknown_field(root, err["loc"])
    for prefix, hint in _FIELD_HINTS.items():
        if kind.startswith(f"{prefix}_"):
            return f"{quoted} is not {hint}"
    if kind == "literal_error":
        return f"{quoted} is not one of: {err['ctx']['expected']}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{quoted} is not a whole number"
    if kind in ("decimal_parsing", "decimal_type", "finite_number"):
        return f"{quoted} is not an amount (digits, with a decimal point if needed)"
    if kind in ("model_type", "dict_type"):
        return f"expected a section with its own fields, found {kind_of(value)}"
    if kind == "list_type":
        return f"expected a list, found {kind_of(value)}"
    if kind == "too_long":
        return (f"{err['ctx']['actual_length']} items; expected at most "
                f"{err['ctx']['max_length']} (a letter writes out every one)")
    if kind == "string_type":
        return f"expected text, found {kind_of(value)}"
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
