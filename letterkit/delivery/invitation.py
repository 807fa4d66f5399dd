"""The meeting invitation: an iCalendar REQUEST that calendar clients add as an event."""

from __future__ import annotations

import datetime as dt
import functools
import re
from urllib.parse import quote

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from letterkit.delivery.email import reference_id
from letterkit.i18n.formats import Formats
from letterkit.i18n.languages import pmark
from letterkit.record import Record, mail_address, mail_domain

SUMMARY = {
    "phone": pmark("invitation", "Phone call about your complaint (reference %(reference)s)"),
    "in-person": pmark("invitation", "Meeting about your complaint (reference %(reference)s)"),
    "video": pmark("invitation", "Video call about your complaint (reference %(reference)s)"),
}
# The invitation's description repeats the agenda of the meeting confirmation.
AGENDA = (pmark("invitation", "We will talk about:"),
          pmark("invitation", "what happened, in your own words"),
          pmark("invitation", "what we have found so far"),
          pmark("invitation", "how we will put things right, and by when"))
NUMBER = pmark("invitation", "Number:")


def invitation_uid(record: Record, domain: str) -> str:
    """The same for every invitation to this complaint's meeting, so a re-sent invitation
    updates the event in the customer's calendar instead of adding another."""
    return f"{reference_id(record.reference)}.meeting@{mail_domain(domain)}"


def mailto(address: str) -> str:
    """An address as a calendar's CAL-ADDRESS URI (RFC 6068): the domain in its xn-- form,
    letters beyond ASCII before the @ percent-encoded as UTF-8."""
    local, _, domain = mail_address(address).rpartition("@")
    return "mailto:" + "".join(c if c.isascii() else quote(c) for c in local) + f"@{domain}"


def _unambiguous(moment: dt.datetime) -> dt.datetime:
    """A local time as a calendar reads it without doubt: a time the clocks pass twice is
    the first pass to a calendar (RFC 5545), so the second is written in UTC."""
    if moment.fold and moment.utcoffset() != moment.replace(fold=0).utcoffset():
        return moment.astimezone(dt.UTC)
    return moment


def build_invitation(
    record: Record,
    *,
    language: str,
    now: dt.datetime,
    organizer_email: str,
    previous: bytes | None = None,
    native_digits: bool = False,
) -> bytes:
    """The meeting as an iCalendar file with METHOD:REQUEST, its text in `language` (with
    that language's own digits, if `native_digits`).

    `previous` is the invitation made before for this meeting, if any: when the time or
    place has changed since, SEQUENCE rises by one so calendars take the update.
    """
    meeting = record.meeting
    assert meeting is not None
    formats = Formats.for_language(language, native_digits=native_digits)
    start, end = meeting.local_start(), meeting.local_end()
    domain = mail_address(organizer_email).rpartition("@")[2]
    where = record.meeting_place() or ""

    event = Event()
    event.add("uid", invitation_uid(record, domain))
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", _unambiguous(start))
    event.add("dtend", _unambiguous(end))
    event.add("summary", formats.pgettext("invitation", SUMMARY[meeting.mode])
              % {"reference": record.reference})
    description = [record.complaint.subject, "",
                   formats.pgettext("invitation", AGENDA[0]),
                   *(f"- {formats.pgettext('invitation', a)}" for a in AGENDA[1:])]
    event.add("description", "\n".join(description))
    if meeting.mode == "phone":
        event.add("location", f"{formats.pgettext('invitation', NUMBER)} {where}")
    else:
        event.add("location", where)
        if meeting.mode == "video" and re.fullmatch(r"https?://\S+", where):
            event.add("url", where)  # a link alone; other text stays the location's
    organizer = vCalAddress(mailto(organizer_email))
    organizer.params["cn"] = vText(record.handler.name)
    event.add("organizer", organizer)
    people = [(formats.addressee(record.customer.model_dump()), record.customer.email),
              *((p.name, p.email) for p in meeting.attendees)]
    for name, email in people:
        if email:
            attendee = vCalAddress(mailto(email))
            attendee.params.update(cn=vText(name), role="REQ-PARTICIPANT",
                                   partstat="NEEDS-ACTION", rsvp="TRUE")
            event.add("attendee", attendee, encode=False)
    event.add("status", "CONFIRMED")
    event.add("sequence", _sequence(event, previous))

    # The calendar around the event is the same for every meeting in a zone and year:
    # written once, and the event written into it.
    head, tail = _calendar(meeting.timezone, start.year)
    return head + bytes(event.to_ical()) + tail


@functools.cache
def _calendar(tzid: str, year: int) -> tuple[bytes, bytes]:
    """The invitation's calendar, with the zone's VTIMEZONE for the years around a
    meeting, as the bytes before and after its event. icalendar works a zone out hour by
    hour; over its default 1970-2038 that took 45 ms an invitation, so the span is short
    and each zone and year is worked out once."""
    calendar = Calendar()
    calendar.add("prodid", "-//letterkit//complaint letters//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")
    calendar.add_component(Timezone.from_tzid(tzid, first_date=dt.date(year - 1, 1, 1),
                                              last_date=dt.date(year + 2, 1, 1)))
    calendar.add_component(Event())
    empty_event = b"BEGIN:VEVENT\r\nEND:VEVENT\r\n"
    head, found, tail = bytes(calendar.to_ical()).partition(empty_event)
    assert found, "icalendar writes an empty event as BEGIN and END lines"
    return head, tail


def _sequence(event: Event, previous: bytes | None) -> int:
    if previous is None:
        return 0
    try:
        old = next(iter(Calendar.from_ical(previous).walk("VEVENT")))
    except (ValueError, StopIteration):
        return 0
    sequence = int(old.get("sequence", 0))
    changed = any(
        str(old.get(key).to_ical() if old.get(key) is not None else "")
        != str(event.get(key).to_ical() if event.get(key) is not None else "")
        for key in ("dtstart", "dtend", "location")
    )
    return sequence + 1 if changed else sequence
