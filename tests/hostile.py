"""Hostile values for a complaint record, one field at a time, for any test to reuse: each
either makes letters, emails and an invitation that show it as written, or is refused
with one line naming its field and saying what is expected (`REFUSED`).

`HOSTILE_VALUES` holds (id, field, value): the field as letterkit names it in its
messages and a CSV names its column (dotted, list items numbered from 1), the value as
YAML or JSON would give it. A sheet's cell can hold only text: take the cases whose value
is a `str` (`as_cell`). `with_value` puts one into a record's data.
"""

from __future__ import annotations

import copy
from typing import Any

TEN_KIB = "x" * 10240
TEN_KIB_OF_WORDS = "word " * 2048

HOSTILE_VALUES: list[tuple[str, str, object]] = [
    # The reference: in the folder, the Message-ID, the invitation's UID, file names.
    ("reference-accented", "reference", "RÉF-2026-1"),
    ("reference-telugu", "reference", "ఫిర్యాదు-1"),
    ("reference-slashes", "reference", "DHA/CC/142"),
    ("reference-number", "reference", 142),
    ("reference-crlf-header", "reference", "CMP-1\r\nBcc: x@example.com"),
    ("reference-10kib", "reference", TEN_KIB),
    ("reference-list", "reference", ["CMP-1"]),
    # A name: in the letter's lines, and the display name of an address header.
    ("name-crlf-header", "customer.name", "Lakshmi\r\nBcc: x@example.com"),
    ("name-line-separator", "customer.name", "Lakshmi\u2028Prasanna"),
    ("name-nul", "customer.name", "Lak\x00shmi Prasanna"),
    ("name-10kib", "customer.name", TEN_KIB),
    ("name-empty", "customer.name", ""),
    ("name-blank", "customer.name", "   "),
    ("name-rtl-override", "customer.name", "\u202eLakshmi Prasanna"),
    ("name-emoji", "customer.name", "Lakshmi 🙏 Prasanna"),
    ("name-telugu", "customer.name", "లక్ష్మి ప్రసన్న"),
    ("name-xml", "customer.name", "</w:t></w:r><w:r><w:t>Lakshmi"),
    ("name-jinja", "customer.name", "{{ customer.email }}{% if true %}x{% endif %}"),
    ("name-formula", "customer.name", "=cmd|' /C calc'!A0"),
    ("name-quotes-and-commas", "customer.name", 'Lakshmi "Lucky" <Prasanna>, Jr.'),
    ("name-number", "customer.name", 12345),
    ("name-list", "customer.name", ["Lakshmi"]),
    ("name-section", "customer.name", {"first": "Lakshmi"}),
    ("handler-name-crlf", "handler.name", "Ravi\nTeja"),
    ("handler-name-telugu-long", "handler.name", "రవి తేజ " * 20),
    ("copied-name-crlf", "cc.1.name", "Suresh\r\nKumar"),
    ("title-crlf", "customer.title", "Dr\r\nBcc: x@example.com"),
    ("phone-line-break", "customer.phone", "+91 98480\n22338"),
    ("phone-formula", "customer.phone", "=HYPERLINK(\"http://x\")"),
    # The subject: the letter's subject line (lines kept) and the email's Subject.
    ("subject-crlf-header", "complaint.subject", "Damaged door\r\nBcc: x@example.com"),
    ("subject-10kib-of-words", "complaint.subject", TEN_KIB_OF_WORDS.strip()),
    ("subject-one-long-word", "complaint.subject", TEN_KIB),
    ("subject-telugu", "complaint.subject", "తలుపు దెబ్బతిన్న రిఫ్రిజిరేటర్"),
    ("subject-rtl-emoji", "complaint.subject", "\u202eDoor 🚪 damaged"),
    # Free text: printed as written, pasted control characters cleaned.
    ("summary-10kib", "complaint.summary", TEN_KIB_OF_WORDS.strip()),
    ("summary-control-characters", "complaint.summary", "Door\x07 dented\x1b on\x00 arrival"),
    ("summary-line-separator", "complaint.summary", "First line\u2028Second line"),
    ("summary-xml", "complaint.summary", "<w:p>&amp; </w:t> ]]> <![CDATA[ x"),
    ("summary-jinja", "complaint.summary", "{% for x in range(9) %}{{ x }}{% endfor %}"),
    ("finding-formula", "findings.1", "=cmd|' /C calc'!A0"),
    ("findings-as-text", "findings", "The door was dented."),
    ("findings-too-many", "findings", ["The door was dented."] * 101),
    ("action-xml", "resolution.actions.1.what", "Replace </w:t> the door"),
    # Money.
    ("amount-paise", "resolution.actions.2.amount", "1500.50"),
    ("amount-as-text", "resolution.actions.2.amount", "1500"),
    ("amount-1e26", "resolution.actions.2.amount", 10**26),
    ("amount-1e400", "resolution.actions.2.amount", "1e400"),
    ("amount-negative", "resolution.actions.2.amount", -1),
    ("amount-nan", "resolution.actions.2.amount", "NaN"),
    ("amount-infinity", "resolution.actions.2.amount", "Infinity"),
    ("amount-three-places", "resolution.actions.2.amount", "12.345"),
    ("amount-words", "resolution.actions.2.amount", "fifteen hundred"),
    # Dates: within 1900 to 2200.
    ("received-year-1", "received", "0001-01-01"),
    ("received-year-9999", "received", "9999-12-31"),
    ("received-number", "received", 0),
    ("received-no-such-day", "received", "2026-02-30"),
    ("due-year-1", "resolution.actions.1.due", "0001-01-01"),
    ("due-year-2201", "resolution.actions.1.due", "2201-01-01"),
    ("done-year-9999", "resolution.actions.1.done", "9999-12-31"),
    # The meeting's time: an offset honoured, a time without a day refused, a time the
    # clocks skip or pass twice refused.
    ("meeting-year-9998", "meeting.at", "9998-12-31T10:00"),
    ("meeting-year-1", "meeting.at", "0001-01-01T10:00"),
    ("meeting-date-alone", "meeting.at", "2026-11-25"),
    ("meeting-number", "meeting.at", 1764064800),
    ("meeting-offset", "meeting.at", "2026-11-25T15:30+05:30"),
    ("meeting-utc", "meeting.at", "2026-11-25T10:00Z"),
    ("meeting-in-a-gap", "meeting", {"at": "2026-03-29T01:30", "timezone": "Europe/London",
                                     "mode": "phone"}),
    ("meeting-in-an-overlap", "meeting", {"at": "2026-10-25T01:30",
                                          "timezone": "Europe/London", "mode": "phone"}),
    ("meeting-video-link-crlf", "meeting", {
        "at": "2026-11-25T15:30", "mode": "video",
        "where": "https://meet.example/abc\r\nATTENDEE:mailto:x@example.com"}),
    ("minutes-zero", "meeting.minutes", 0),
    ("minutes-negative", "meeting.minutes", -30),
    ("minutes-1e9", "meeting.minutes", 10**9),
    ("minutes-yes", "meeting.minutes", True),
    ("minutes-fraction", "meeting.minutes", 30.5),
    ("minutes-as-text", "meeting.minutes", "45"),
    ("timezone-10kib", "meeting.timezone", TEN_KIB),
    # Addresses: an IDN domain in its xn-- form in mail; letters beyond ASCII before the @
    # in UTF-8 (RFC 6532); what no header can carry, refused.
    ("email-idn-telugu", "customer.email", "user@ఉదాహరణ.భారత్"),
    ("email-idn-latin", "handler.email", "ravi@bücher.example"),
    ("email-utf8-local-part", "customer.email", "రామ@example.com"),
    ("email-utf8-both", "cc.1.email", "rāma@bücher.example"),
    ("email-attendee-idn", "meeting.attendees", [{"name": "Rāma", "email": "rama@bücher.example"}]),
    ("email-crlf-header", "customer.email", "a@example.com\r\nBcc: x@example.com"),
    ("email-comma", "customer.email", "a,b@example.com"),
    ("email-quoted", "customer.email", '"a b"@example.com'),
    ("email-no-dot", "customer.email", "lakshmi@localhost"),
    ("email-bad-idn", "customer.email", "a@" + "ü" * 70 + ".example"),
    ("copied-too-many", "cc", [{"name": f"Person {n}"} for n in range(101)]),
    ("copied-as-text", "cc", "Suresh Kumar"),
]

# The cases refused, by id, with words of the message that say what is expected.
REFUSED: dict[str, str] = {
    "reference-crlf-header": "expected a reference on one line",
    "reference-10kib": "expected a reference on one line, of at most 100 characters",
    "reference-list": "expected text",
    "name-crlf-header": "expected a name on one line",
    "name-line-separator": "expected a name on one line",
    "name-10kib": "of at most 200 characters",
    "name-empty": "required",
    "name-blank": "required",
    "name-list": "expected text",
    "name-section": "expected text",
    "handler-name-crlf": "expected a name on one line",
    "copied-name-crlf": "expected a name on one line",
    "title-crlf": "expected a title on one line",
    "phone-line-break": "expected a phone number on one line",
    "findings-as-text": "expected a list",
    "findings-too-many": "expected at most 100",
    "amount-1e26": "expected an amount from 0 to less than 1,000,000,000,000,000",
    "amount-1e400": "expected an amount from 0 to less than 1,000,000,000,000,000",
    "amount-negative": "expected an amount from 0",
    "amount-nan": "is not an amount",
    "amount-infinity": "is not an amount",
    "amount-three-places": "expected an amount with at most 2 decimal places",
    "amount-words": "is not an amount",
    "received-year-1": "outside the years letterkit takes (1900 to 2200)",
    "received-year-9999": "outside the years letterkit takes (1900 to 2200)",
    "received-number": "is not a date (YYYY-MM-DD)",
    "received-no-such-day": "is not a date (YYYY-MM-DD)",
    "due-year-1": "outside the years letterkit takes (1900 to 2200)",
    "due-year-2201": "outside the years letterkit takes (1900 to 2200)",
    "done-year-9999": "outside the years letterkit takes (1900 to 2200)",
    "meeting-year-9998": "outside the years letterkit takes (1900 to 2200)",
    "meeting-year-1": "outside the years letterkit takes (1900 to 2200)",
    "meeting-date-alone": "expected a date and time (YYYY-MM-DDTHH:MM)",
    "meeting-number": "is not a date and time (YYYY-MM-DDTHH:MM)",
    "meeting-in-a-gap": "does not exist in Europe/London",
    "meeting-in-an-overlap": "happens twice in Europe/London",
    "minutes-zero": "expected 1 to 1440 minutes",
    "minutes-negative": "expected 1 to 1440 minutes",
    "minutes-1e9": "expected 1 to 1440 minutes",
    "minutes-yes": "is not a whole number",
    "minutes-fraction": "is not a whole number",
    "timezone-10kib": "is not a time zone (an IANA name such as Asia/Kolkata)",
    "email-crlf-header": "expected an email address on one line",
    "email-comma": "is not an email address (name@example.com)",
    "email-quoted": "is not an email address (name@example.com)",
    "email-no-dot": "is not an email address (name@example.com)",
    "email-bad-idn": "is not an email address (name@example.com)",
    "copied-too-many": "expected at most 100",
    "copied-as-text": "expected a list",
}


def with_value(data: dict[str, Any], field: str, value: object) -> dict[str, Any]:
    """A copy of a record's data with `field` (dotted, list items from 1) set to `value`."""
    data = copy.deepcopy(data)
    *path, last = field.split(".")
    here: Any = data
    for part in path:
        here = here[int(part) - 1] if part.isdigit() else here[part]
    if last.isdigit():
        here[int(last) - 1] = value
    else:
        here[last] = value
    return data


def as_cell() -> list[tuple[str, str, str]]:
    """The cases a sheet's cell can hold: those whose value is text."""
    return [(case, field, value) for case, field, value in HOSTILE_VALUES
            if isinstance(value, str)]
