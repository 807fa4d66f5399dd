"""The kinds of letter, each defined in one place: everything that differs from one kind to
another lives in its `Kind` below, and nothing else in letterkit tests a kind by name.

A new kind is a `Kind` here, its templates (`scripts/build_templates.py`, which writes
`templates/<kind>-<layout>.docx`) and its wording in the catalogs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from letterkit.errors import DATE, MISSING, InputError, KindNotPossible, Problem
from letterkit.i18n.formats import Formats
from letterkit.i18n.languages import pmark
from letterkit.record import Enclosure, Person, Record


@dataclass(frozen=True)
class Commitment:
    """Something the practice asks a letter to commit to, which the record does not."""

    field: str
    problem: str
    practice: str
    suggestion: str


Needs = Callable[[Record], Iterator[tuple[str, str]]]  # (field, why) for each gap
Commitments = Callable[[Record, dt.date], Iterator[Commitment]]

@dataclass(frozen=True)
class DateBound:
    """A day a letter may not be dated before: the record field that sets it, and what it
    is in words ("the last agreed action is due")."""

    day: dt.date
    field: str
    what: str


Bound = Callable[[Record], DateBound | None]


@dataclass(frozen=True)
class Kind:
    """One kind of letter, and everything about it that is not the same for every kind."""

    name: str  # as `-k` takes it; files are <name>-<layout>.docx and <name>.<lang>.docx
    called: str  # how messages to staff name it
    title: str  # what the customer sees it called (attachments, subjects); translated
    needs: tuple[Needs, ...]  # what the record must hold; a kind lacking any is not made
    text_fields: tuple[str, ...]  # the staff's text it shows, for the practice checks
    commitments: tuple[Commitments, ...]  # what the practice asks it to commit to
    email: Literal["letter", "covering note"]  # the email's body: the letter itself, or a
    # short covering note with the letter attached
    subject: Callable[[Record], str]  # its email's subject (by the record: the meeting's
    # mode); %(subject)s, %(reference)s, and a meeting's %(date)s and %(time)s filled in
    covering_note: tuple[str, ...] = ()  # its paragraphs, %(date)s and %(time)s filled in
    invitation: bool = False  # a calendar invitation for the meeting goes with it
    copied: Callable[[Record], list[Person]] = lambda record: []  # Cc and "Copy to:"
    encloses: bool = False  # the record's enclosures go with it, unless it says otherwise
    not_before: Bound = lambda record: None  # the first day it may be dated
    not_after: Bound = lambda record: None  # the last day it may be dated
    first_answer: bool = False  # the first answer to the complaint: it should be quick
    must_apologise: bool = False  # its template's own wording must apologise

    @property
    def attaches_letter(self) -> bool:
        """Whether its email attaches the letter (and its PDF) to a covering note, rather
        than being the letter itself."""
        return self.email == "covering note"

    def unmet(self, record: Record, today: dt.date) -> list[Problem]:
        """Why this letter cannot be made for the record on `today`; empty when it can."""
        return self.missing(record) or self.misdated(record, today)

    def missing(self, record: Record) -> list[Problem]:
        """What the record lacks for this letter."""
        return [Problem(f"{why}; needed for {self.called}", field=field, code=MISSING)
                for needs in self.needs for field, why in needs(record)]

    def misdated(self, record: Record, today: dt.date) -> list[Problem]:
        """Why the letter may not carry `today`'s date, if it may not."""
        first, last = self.not_before(record), self.not_after(record)
        if first is not None and today < first.day:
            return [Problem(f"the letter's date {today} is before {first.what} ({first.day}); "
                            f"{self.called} may be dated from {first.day}", field=first.field,
                            expected=f"{first.day} or later", code=DATE)]
        if last is not None and today > last.day:
            return [Problem(f"the letter's date {today} is after {last.what} ({last.day}); "
                            f"{self.called} may be dated up to {last.day}", field=last.field,
                            expected=f"{last.day} or earlier", code=DATE)]
        return []

    def title_in(self, language: str) -> str:
        """What the letter is called, for the customer, in `language`."""
        return Formats.for_language(language).pgettext("letter title", self.title)

    def enclosures(self, record: Record) -> list[Enclosure]:
        """What goes with this letter: the record's enclosures, if it names this kind in
        `enclose_with`, or names none and this kind encloses them by default."""
        goes = record.enclose_with == self.name if record.enclose_with else self.encloses
        return list(record.enclosures) if goes else []


# --- what kinds need ------------------------------------------------------------------

def _meeting(record: Record) -> Iterator[tuple[str, str]]:
    if record.meeting is None:
        yield "meeting", "the record has no meeting (date, time, mode, place)"
    elif record.meeting_place() is None:
        yield "meeting.where", "no number, address or link for the meeting"


def _agreed_actions(record: Record) -> Iterator[tuple[str, str]]:
    if record.resolution is None:
        yield "resolution", "the record has no agreed resolution"
        return
    for n, action in enumerate(record.resolution.actions, start=1):
        if action.due is None:
            yield f"resolution.actions.{n}.due", f"the action {action.what!r} has no due date"


def _postal_address(record: Record) -> Iterator[tuple[str, str]]:
    if record.customer.address is None:
        yield "customer.address", "a formal letter needs the customer's address"


def _actions_done(record: Record) -> Iterator[tuple[str, str]]:
    if record.resolution is None:
        return
    if not record.resolution.actions:
        yield "resolution.actions", "no agreed actions to follow up"
    for n, action in enumerate(record.resolution.actions, start=1):
        if action.done is None:
            yield (f"resolution.actions.{n}.done",
                   f"the action {action.what!r} is not marked done (done: YYYY-MM-DD)")


def _direct_line(record: Record) -> Iterator[tuple[str, str]]:
    if record.handler.phone is None:
        yield "handler.phone", "no direct line for the handler, which the customer is given"


def _meeting_day(what: str) -> Bound:
    def bound(record: Record) -> DateBound | None:
        if record.meeting is None:
            return None
        return DateBound(record.meeting.at.date(), "meeting.at", what)
    return bound


def _last_action(record: Record) -> DateBound | None:
    """The day the last agreed action is due (or was done, if that was later)."""
    if record.resolution is None:
        return None
    days = [(day, f"resolution.actions.{n}.{name}", what)
            for n, action in enumerate(record.resolution.actions, start=1)
            for name, day, what in (("due", action.due, "the last agreed action is due"),
                                    ("done", action.done, "the last agreed action was done"))
            if day is not None]
    if not days:
        return None
    day, field, what = max(days, key=lambda item: item[0])
    return DateBound(day, field, what)


# --- what the practice asks of each kind ------------------------------------------------

_TO_TALK = "Set a date for a phone call or a face-to-face meeting"
_FIX_IT = "Agree a specific remedy with a time frame"


def _proposes_meeting(record: Record, today: dt.date) -> Iterator[Commitment]:
    if record.meeting is None:
        yield Commitment("meeting", "no call or meeting is proposed", _TO_TALK,
                         "Add meeting.at, meeting.mode and meeting.where.")


def _meeting_arranged(record: Record, today: dt.date) -> Iterator[Commitment]:
    meeting = record.meeting
    if meeting is None:
        return
    if record.meeting_place() is None:
        yield Commitment("meeting.where", "no number, address or link for the meeting",
                         "Fix the date, time, medium and place beforehand",
                         "Add the number we will call, the address, or the link.")
    if meeting.mode == "phone" and _our_own_number(record):
        yield Commitment("meeting.where", f"the number we will call ({record.meeting_place()}) "
                         "is our own, not the customer's", "Call the customer, on their number",
                         "Leave meeting.where out to call the customer's phone, or give "
                         "the number they asked to be called on.")
    if meeting.at.date() < record.received:
        yield Commitment("meeting.at", f"the meeting ({meeting.at.date()}) is before the "
                         f"complaint arrived ({record.received})", "Set a real date to talk",
                         "Check the meeting date.")


def _digits(number: str | None) -> str:
    """A phone number's last ten digits: +91 40 5555 0101 and 040 5555 0101 are one line."""
    return "".join(c for c in number or "" if c.isdigit())[-10:]


def _our_own_number(record: Record) -> bool:
    ours = {_digits(record.handler.phone), _digits(record.organisation.phone)} - {""}
    return _digits(record.meeting_place()) in ours


def _actions_with_dates(record: Record, today: dt.date) -> Iterator[Commitment]:
    resolution, meeting = record.resolution, record.meeting
    if resolution is None:
        return
    if not resolution.actions:
        yield Commitment("resolution.actions", "no agreed action", _FIX_IT,
                         "List each action we will take, with its date.")
    for n, action in enumerate(resolution.actions, start=1):
        field = f"resolution.actions.{n}.due"
        if action.due is None:
            yield Commitment(field, f"the action {action.what!r} has no due date", _FIX_IT,
                             "Agree a date for it with the customer.")
        elif action.due <= today:
            yield Commitment(field, f"the action {action.what!r} is due {action.due}, not "
                             f"after the letter's date ({today})", _FIX_IT,
                             "Give a date still to come.")
        elif meeting is not None and action.due < meeting.at.date():
            yield Commitment(field, f"the action {action.what!r} is due {action.due}, "
                             f"before the meeting ({meeting.at.date()}) where it is to be "
                             "agreed", _FIX_IT, "Check the dates.")


def _prevention(record: Record, today: dt.date) -> Iterator[Commitment]:
    if record.resolution is not None and not record.resolution.prevention:
        yield Commitment("resolution.prevention", "nothing says how it will not happen again",
                         "Explain the steps taken so it does not happen again",
                         "Add at least one prevention step.")


def _people_copied(record: Record, today: dt.date) -> Iterator[Commitment]:
    if record.resolution is not None and not record.cc:
        yield Commitment("cc", "nobody involved is copied",
                         "Copy the letter to the people involved, so the team learns",
                         "Add the colleagues involved under cc.")


def _attendees(record: Record) -> list[Person]:
    return list(record.meeting.attendees) if record.meeting is not None else []


def _involved(record: Record) -> list[Person]:
    return list(record.cc)


# --- the kinds ----------------------------------------------------------------------

_MEETING_SUBJECTS = {
    "phone": pmark("email", "Our phone call on %(date)s at %(time)s: %(subject)s (reference "
                            "%(reference)s)"),
    "in-person": pmark("email", "Our meeting on %(date)s at %(time)s: %(subject)s (reference "
                                "%(reference)s)"),
    "video": pmark("email", "Our video call on %(date)s at %(time)s: %(subject)s (reference "
                            "%(reference)s)"),
}

ACKNOWLEDGEMENT = Kind(
    name="acknowledgement",
    called="the acknowledgement",
    title=pmark("letter title", "Acknowledgement of your complaint"),
    needs=(),
    text_fields=("complaint.subject", "complaint.summary", "meeting.where"),
    commitments=(_proposes_meeting, _meeting_arranged),
    email="letter",
    subject=lambda record: pmark(
        "email", "%(subject)s: we are sorry, and we are looking into it (reference "
                 "%(reference)s)"),
    not_after=_meeting_day("the call or meeting it proposes"),
    first_answer=True,
    must_apologise=True,
)

MEETING = Kind(
    name="meeting",
    called="the meeting confirmation",
    title=pmark("letter title", "Confirmation of our meeting"),
    needs=(_meeting,),
    text_fields=("complaint.subject", "meeting.where"),
    commitments=(_meeting_arranged,),
    email="covering note",
    subject=lambda record: _MEETING_SUBJECTS[record.meeting.mode if record.meeting else "phone"],
    covering_note=(
        pmark("email", "Thank you for agreeing to talk with me about your complaint. We will "
                       "speak on %(date)s at %(time)s. The attached letter gives the details, "
                       "and the invitation in this email adds our meeting to your calendar."),
        pmark("email", "If this time no longer suits you, please reply to this email and I "
                       "will gladly arrange another."),
    ),
    invitation=True,
    copied=_attendees,
    not_after=_meeting_day("the meeting it confirms"),
)

RESOLUTION = Kind(
    name="resolution",
    called="the resolution letter",
    title=pmark("letter title", "Resolution of your complaint"),
    needs=(_agreed_actions, _postal_address),
    text_fields=("complaint.subject", "complaint.summary", "findings", "resolution.summary",
                 "resolution.actions", "resolution.prevention"),
    commitments=(_actions_with_dates, _prevention, _people_copied),
    email="covering note",
    subject=lambda record: pmark(
        "email", "%(subject)s: what we have agreed, to put it right (reference "
                 "%(reference)s)"),
    covering_note=(
        pmark("email", "Thank you for your patience. Attached is my letter confirming what we "
                       "agreed, with the date by which each step will be done."),
        pmark("email", "I will keep you informed as each step is completed. If anything is not "
                       "as we agreed, please reply to this email and I will put it right."),
    ),
    copied=_involved,
    encloses=True,
    not_before=_meeting_day("the meeting where the remedy is agreed"),
)

FOLLOW_UP = Kind(
    name="follow-up",
    called="the follow-up letter",
    title=pmark("letter title", "Following up on your complaint"),
    needs=(_agreed_actions, _actions_done, _direct_line),
    text_fields=("complaint.subject", "resolution.actions", "resolution.prevention"),
    commitments=(_prevention, _people_copied),
    email="letter",
    subject=lambda record: pmark(
        "email", "%(subject)s: is everything now as it should be? (reference "
                 "%(reference)s)"),
    copied=_involved,
    not_before=_last_action,
)

# In the order a complaint meets them.
ALL: tuple[Kind, ...] = (ACKNOWLEDGEMENT, MEETING, RESOLUTION, FOLLOW_UP)
KINDS: tuple[str, ...] = tuple(kind.name for kind in ALL)
_BY_NAME = {kind.name: kind for kind in ALL}


def kind_named(name: str, *, field: str = "kind") -> Kind:
    """The kind called `name`, or an InputError naming the kinds there are."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise InputError.at(f"{name!r} is not a kind of letter; expected one of: "
                            f"{', '.join(KINDS)}", field=field,
                            expected=", ".join(KINDS)) from None


def kinds_among(asked: Iterable[str | Kind]) -> list[Kind]:
    """The kinds named in `asked` (names or Kinds, "all" for every one), in ALL's order."""
    names = {k if isinstance(k, str) else k.name for k in asked}
    return [kind for kind in ALL if kind.name in names or "all" in names]


def plan_kinds(record: Record, asked: tuple[str, ...] | list[str], *, today: dt.date
               ) -> tuple[list[Kind], list[Problem]]:
    """The kinds to make on `today` and, for `all`, those not made with the reason.

    A kind asked for by name that the record cannot have (or not on that date) is an error,
    not a skip.
    """
    if "all" in asked:
        todo, skipped = [], []
        for kind in ALL:
            unmet = kind.unmet(record, today)
            if unmet:
                first = unmet[0]
                skipped.append(Problem(f"skipped {kind.called}: {first.message}",
                                       field=first.field, expected=first.expected,
                                       code=first.code))
            else:
                todo.append(kind)
        return todo, skipped
    kinds = [kind_named(name) for name in dict.fromkeys(asked)]
    problems = [problem for kind in kinds for problem in kind.unmet(record, today)]
    if problems:
        raise KindNotPossible(problems)
    return kinds, []
