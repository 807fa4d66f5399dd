"""The emails and the invitation, parsed back as a mail or calendar client would."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from letterkit import load_record, make_letter, validate_record
from letterkit.resources import data_path
from letterkit.writing import letter_files

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
TELUGU = data_path("samples") / "complaint.te.yaml"


def files(record, kind: str, language: str = "en", **kwargs) -> dict[str, bytes]:
    letter = make_letter(record, kind, language=language, layout="block", today=NOW.date())
    made, _ = letter_files(letter, record, now=NOW, **kwargs)
    return {f.ext: f.data for f in made}


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def headers_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def rfc2047(raw: bytes, name: str) -> str:
    """A header decoded as RFC 2047 says, as mail clients do. (Python 3.11's own address
    parser keeps the folding space between two encoded words of a display name, which
    splits a Telugu word; its RFC decoder, used here, does not.)"""
    from email.header import decode_header, make_header

    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    return str(make_header(decode_header(str(message[name]))))


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # the wire's CRLF, as text


@pytest.mark.parametrize("kind", ["acknowledgement", "meeting", "resolution"])
def test_english_emails_greet_the_customer(sample_data, kind) -> None:
    """Each email is addressed to the customer by name, from the handler, with the
    reference in the subject, and readable as text and HTML."""
    raw = files(validate_record(sample_data), kind)["eml"]
    message = parse(raw)
    assert "Ms Lakshmi Prasanna <lakshmi@example.com>" == str(message["To"])
    assert "Ravi Teja <ravi.teja@deccanhome.example>" == str(message["From"])
    assert "(reference CMP-2026-0142)" in str(message["Subject"])
    assert str(message["Message-ID"]).endswith("@deccanhome.example>")
    assert "Dear Ms Lakshmi Prasanna," in body(message, "plain")
    assert "Dear Ms Lakshmi Prasanna," in body(message, "html")
    assert headers_of(raw).isascii()


def test_acknowledgement_email_is_the_letter(sample_data) -> None:
    """The acknowledgement's body is the letter from its greeting on: apology, summary and
    the call on the customer's own number, the references below the signature; no date,
    address or subject line ahead of the greeting."""
    message = parse(files(validate_record(sample_data), "acknowledgement")["eml"])
    text = body(message, "plain")
    assert text.startswith("Dear Ms Lakshmi Prasanna,\n")
    assert "I apologise sincerely" in text
    assert "call you on Wednesday, 25 November 2026 at 3:30\u202fpm, on +91 98480 22338." in text
    assert text.rstrip().endswith("Our reference: CMP-2026-0142  ·  Your reference: ORD-88213")
    for head in ("23 November 2026", "Flat 4B", "Subject:"):
        assert head not in text
    assert "<strong>Ravi Teja</strong>" in body(message, "html")
    assert [] == list(message.iter_attachments())
    assert message["Cc"] is None


def test_a_tables_rows_read_apart_in_plain_text(sample_data) -> None:
    """The follow-up's table of steps, in the plain-text body: each step and its date on
    a line, told apart, not run together as one sentence."""
    letter = make_letter(validate_record(sample_data), "follow-up", language="en",
                         layout="block", today=dt.date(2026, 12, 5))
    made, _ = letter_files(letter, validate_record(sample_data), now=NOW)
    text = body(parse(next(f.data for f in made if f.ext == "eml")), "plain")
    assert "What we agreed — Done on\n" in text
    assert "Deliver and install a replacement refrigerator — 28 November 2026\n" in text
    assert "Refund the installation charge: ₹1,500 — 1 December 2026\n" in text


@pytest.mark.parametrize("kind", ["acknowledgement", "meeting", "resolution"])
def test_html_is_headed_by_the_organisation_and_styled_inline(sample_data, kind) -> None:
    """The HTML opens with the organisation's name, then the greeting; every style sits on
    its element (no style sheet for mail clients to drop)."""
    html = body(parse(files(validate_record(sample_data), kind)["eml"]), "html")
    assert "<style" not in html and "class=" not in html
    start = html.index("Deccan Home Appliances Pvt Ltd")
    assert start < html.index("Dear Ms Lakshmi Prasanna,")
    assert 'style="margin:0;font-size:20px;font-weight:bold;color:#1F3A5F"' in html
    assert all('style="' in tag for tag in re.findall(r"<(?:p|li|ul|td|h3)\b[^>]*>", html))


def test_a_picture_in_a_template_travels_as_a_related_part(tmp_path, sample_data) -> None:
    """A picture an admin puts in a template (a logo, say) goes with the HTML as a related
    part it refers to by cid:, never as a data: address mail clients block."""
    import base64
    import io

    from docx import Document
    from docx.shared import Cm

    from letterkit.docx.find import shipped_templates_dir

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    doc = Document(str(shipped_templates_dir() / "acknowledgement-block.docx"))
    after_greeting = next(n for n, p in enumerate(doc.paragraphs)
                          if p.style.name == "Letter Salutation") + 1
    doc.paragraphs[after_greeting].insert_paragraph_before().add_run().add_picture(
        io.BytesIO(png), width=Cm(1))
    folder = tmp_path / "custom"
    folder.mkdir()
    doc.save(str(folder / "acknowledgement-block.docx"))
    record = validate_record(sample_data)
    letter = make_letter(record, "acknowledgement", language="en", layout="block",
                         today=NOW.date(), templates=folder)
    made, _ = letter_files(letter, record, now=NOW)
    message = parse(next(f.data for f in made if f.ext == "eml"))
    html = body(message, "html")
    assert "data:" not in html
    (cid,) = re.findall(r'src="cid:([^"]+)"', html)
    related = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert [f"<{cid}>"] == [p["Content-ID"] for p in related]
    assert png == related[0].get_content()


def test_bodies_travel_safely_encoded(sample_data) -> None:
    """Text parts are quoted-printable or base64: no 8-bit data for SMTP to mangle."""
    message = parse(files(load_record(TELUGU), "meeting", "te")["eml"])
    for part in message.walk():
        if not part.is_multipart():
            assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")


def test_telugu_emails(sample_data) -> None:
    """Telugu subject and names are RFC 2047-encoded and decode back; the body greets the
    customer the Telugu way."""
    record = load_record(TELUGU)
    raw = files(record, "resolution", "te")["eml"]
    assert headers_of(raw).isascii()
    message = parse(raw)
    subject = ("వాషింగ్ మెషిన్ రిపేర్ ఆలస్యం: సమస్య పరిష్కారానికి మనం అంగీకరించిన చర్యలు "
               "(ఫిర్యాదు సంఖ్య CMP-2026-0143)")
    assert subject == str(message["Subject"]) == rfc2047(raw, "Subject")
    assert "శ్రీ వెంకట సుబ్బారావు గారు <subbarao@example.com>" == rfc2047(raw, "To")
    assert "సురేష్ కుమార్ <suresh.kumar@deccanhome.example>" == rfc2047(raw, "Cc")
    # Python's own parser keeps the space between encoded words: words stay whole.
    assert ["శ్రీ", "వెంకట", "సుబ్బారావు", "గారు"] == message["To"].addresses[0].display_name.split()
    assert "శ్రీ వెంకట సుబ్బారావు గారు, నమస్కారం." in body(message, "plain")
    assert "te-IN" == message.get_body(("plain",))["Content-Language"]


def test_resolution_email_attaches_the_letter_and_copies_the_people_involved(
        sample_data) -> None:
    """The resolution goes to the customer, copied to the people involved, with the letter."""
    message = parse(files(validate_record(sample_data), "resolution")["eml"])
    assert "Suresh Kumar <suresh.kumar@deccanhome.example>" == str(message["Cc"])
    (attachment,) = list(message.iter_attachments())
    assert ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            == attachment.get_content_type())
    assert "Resolution of your complaint CMP-2026-0142.docx" == attachment.get_filename()
    assert attachment.get_content().startswith(b"PK")


def test_telugu_attachment_name_has_an_ascii_fallback() -> None:
    """The attachment's Telugu name decodes back; its content type carries an ASCII name."""
    message = parse(files(load_record(TELUGU), "resolution", "te")["eml"])
    (attachment,) = list(message.iter_attachments())
    assert "మీ ఫిర్యాదు పరిష్కారం CMP-2026-0143.docx" == attachment.get_filename()
    assert "Resolution of your complaint CMP-2026-0143.docx" == attachment.get_param("name")


def test_html_escapes_every_record_value(sample_data) -> None:
    """Markup in a record is shown as text in the HTML body, never run."""
    sample_data["customer"]["name"] = "<script>alert('x')</script> & Co"
    sample_data["complaint"]["summary"] = "<img src=x onerror=alert(1)>"
    for kind in ("acknowledgement", "meeting", "resolution"):
        html = body(parse(files(validate_record(sample_data), kind)["eml"]), "html")
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html


def test_meeting_email_carries_the_invitation(sample_data) -> None:
    """The meeting email has a text/calendar REQUEST among its alternatives, and the letter."""
    message = parse(files(validate_record(sample_data), "meeting")["eml"])
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert 1 == len(calendars)
    assert "REQUEST" == calendars[0].get_param("method")
    event = next(iter(Calendar.from_ical(calendars[0].get_content()).walk("VEVENT")))
    assert "CMP-2026-0142.meeting@deccanhome.example" == str(event["uid"])
    assert ["Confirmation of our meeting CMP-2026-0142.docx"] == [
        a.get_filename() for a in message.iter_attachments()]


def test_reply_to_from_config(sample_data) -> None:
    """A configured reply address is set on every email."""
    raw = files(validate_record(sample_data), "acknowledgement",
                reply_to="care@deccanhome.example")["eml"]
    assert "care@deccanhome.example" == str(parse(raw)["Reply-To"])


def test_message_id_is_stable_for_the_same_letter(sample_data) -> None:
    """Made again from the same record, a message keeps its Message-ID; changed, it does not."""
    record = validate_record(sample_data)
    first = parse(files(record, "acknowledgement")["eml"])["Message-ID"]
    again = parse(files(record, "acknowledgement")["eml"])["Message-ID"]
    assert first == again
    sample_data["complaint"]["summary"] = "Something else happened."
    changed = parse(files(validate_record(sample_data), "acknowledgement")["eml"])["Message-ID"]
    assert first != changed


def test_no_customer_email_means_no_email(sample_data) -> None:
    """Without the customer's address the letter is made, the email is not, and says why."""
    del sample_data["customer"]["email"]
    record = validate_record(sample_data)
    letter = make_letter(record, "acknowledgement", language="en", layout="block",
                         today=NOW.date())
    made, problems = letter_files(letter, record, now=NOW)
    assert ["docx"] == [f.ext for f in made]
    assert "customer.email" == problems[0].field


def event_of(ics: bytes):
    calendar = Calendar.from_ical(ics)
    assert "REQUEST" == str(calendar["method"])
    return calendar, next(iter(calendar.walk("VEVENT")))


def test_invitation_time_zone_duration_organiser_attendee(sample_data) -> None:
    """The invitation parses with the right local time, zone, length and people."""
    calendar, event = event_of(files(validate_record(sample_data), "meeting")["ics"])
    start = event.decoded("dtstart")
    assert dt.datetime(2026, 11, 25, 15, 30, tzinfo=ZoneInfo("Asia/Kolkata")) == start
    assert "Asia/Kolkata" == str(start.tzinfo)
    assert dt.timedelta(minutes=30) == event.decoded("dtend") - start
    assert ["Asia/Kolkata"] == [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")]
    assert "mailto:ravi.teja@deccanhome.example" == str(event["organizer"])
    assert "Ravi Teja" == event["organizer"].params["cn"]
    assert "mailto:lakshmi@example.com" == str(event["attendee"])
    assert "Number: +91 98480 22338" == str(event["location"])  # the customer's phone
    assert "Phone call about your complaint (reference CMP-2026-0142)" == str(event["summary"])
    assert 0 == event["sequence"]
    assert dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC) == event.decoded("dtstamp")


def test_telugu_invitation() -> None:
    """A Telugu invitation: summary and description in Telugu, the place as given."""
    _, event = event_of(files(load_record(TELUGU), "meeting", "te")["ics"])
    assert "మీ ఫిర్యాదు గురించి సమావేశం (ఫిర్యాదు సంఖ్య CMP-2026-0143)" == str(event["summary"])
    assert "మనం మాట్లాడుకునే విషయాలు:" in str(event["description"])
    assert "మా సేవా కేంద్రం, బందర్ రోడ్, విజయవాడ" == str(event["location"])
    assert dt.timedelta(minutes=45) == event.decoded("dtend") - event.decoded("dtstart")


def test_rescheduled_meeting_updates_the_same_event(sample_data) -> None:
    """Same UID; SEQUENCE rises when the time changes, and stays when nothing did."""
    record = validate_record(sample_data)
    first = files(record, "meeting")["ics"]
    same = files(record, "meeting", existing=lambda ext: first)["ics"]
    assert 0 == event_of(same)[1]["sequence"]
    sample_data["meeting"]["at"] = "2026-11-26T10:00"
    moved = files(validate_record(sample_data), "meeting", existing=lambda ext: first)["ics"]
    _, event = event_of(moved)
    assert 1 == event["sequence"]
    assert event_of(first)[1]["uid"] == event["uid"]
    moved_again = files(validate_record(sample_data), "meeting",
                        existing=lambda ext: moved)["ics"]
    assert 1 == event_of(moved_again)[1]["sequence"]


@pytest.mark.parametrize("kind", ["acknowledgement", "meeting", "resolution"])
def test_telugu_emails_greet_the_customer(kind) -> None:
    """Each Telugu email has 7-bit clean headers and greets the customer the Telugu way."""
    raw = files(load_record(TELUGU), kind, "te")["eml"]
    assert headers_of(raw).isascii()
    message = parse(raw)
    assert "(ఫిర్యాదు సంఖ్య CMP-2026-0143)" in str(message["Subject"]) == rfc2047(raw,
                                                                               "Subject")
    # A letter sent as the email is written to the reader (గారికి); a covering note
    # greets them as an email does (గారు).
    case = {"acknowledgement": "గారికి", "meeting": "గారు", "resolution": "గారు",
            "follow-up": "గారికి"}[kind]
    for subtype in ("plain", "html"):
        assert f"శ్రీ వెంకట సుబ్బారావు {case}, నమస్కారం." in body(message, subtype)


def test_invitation_in_a_daylight_saving_zone(sample_data) -> None:
    """A meeting in a zone with summer time keeps its local time and its VTIMEZONE rules."""
    sample_data["meeting"].update(at="2026-07-01T09:00", timezone="Europe/London")
    calendar, event = event_of(files(validate_record(sample_data), "meeting")["ics"])
    start = event.decoded("dtstart")
    assert dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC) == start.astimezone(dt.UTC)
    (zone,) = calendar.walk("VTIMEZONE")
    assert {"STANDARD", "DAYLIGHT"} <= {c.name for c in zone.subcomponents}


def test_each_kind_has_its_own_subject(sample_data) -> None:
    """Each email's subject says what this letter is, in words for the customer."""
    record = validate_record(sample_data)
    subjects = {kind: str(parse(files(record, kind)["eml"])["Subject"])
                for kind in ("acknowledgement", "meeting", "resolution")}
    assert {
        "acknowledgement": "Refrigerator delivered with a damaged door: we are sorry, and we "
                           "are looking into it (reference CMP-2026-0142)",
        "meeting": "Our phone call on Wednesday, 25 November 2026 at 3:30\u202fpm: Refrigerator "
                   "delivered with a damaged door (reference CMP-2026-0142)",
        "resolution": "Refrigerator delivered with a damaged door: what we have agreed, to "
                      "put it right (reference CMP-2026-0142)",
    } == subjects


def test_telugu_subjects_decode_as_written_everywhere() -> None:
    """Every Telugu subject reads the same through Python's parser and an RFC 2047
    decoder: no space lost between words, none added inside one."""
    record = load_record(TELUGU)
    for kind in ("acknowledgement", "meeting", "resolution"):
        raw = files(record, kind, "te")["eml"]
        python, rfc = str(parse(raw)["Subject"]), rfc2047(raw, "Subject")
        assert python == rfc, kind
        assert "ఫిర్యాదు సంఖ్య CMP-2026-0143" in python
    assert "నాడు ఉదయం 11:00 — వాషింగ్" in str(parse(files(record, "meeting", "te")["eml"])[
        "Subject"])


def test_calendar_part_says_its_charset(sample_data) -> None:
    """The invitation's text/calendar part says charset=UTF-8 (its text is Telugu too)."""
    message = parse(files(validate_record(sample_data), "meeting")["eml"])
    (calendar,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert "UTF-8" == calendar.get_param("charset")


def test_enclosures_go_with_their_letter_and_its_email(tmp_path, sample_data) -> None:
    """Enclosures are printed on the letter they go with, and only there; its email
    attaches those with a file and says how the others will come."""
    from readback import docx_text

    order = tmp_path / "replacement-order.pdf"
    order.write_bytes(b"%PDF-1.4 the order")
    sample_data["enclosures"] = [{"what": "Copy of the replacement order",
                                  "file": str(order)}, "The installer's visit report"]
    record = validate_record(sample_data)
    made = files(record, "resolution")
    message = parse(made["eml"])
    names = [a.get_filename() for a in message.iter_attachments()]
    assert ["Resolution of your complaint CMP-2026-0142.docx", "replacement-order.pdf"] == names
    assert ("Coming to you separately, by post: The installer's visit report."
            in body(message, "plain"))
    text = docx_text(made["docx"])
    assert "Enclosures:" in text and "Copy of the replacement order" in text
    for kind in ("acknowledgement", "meeting"):
        assert "Enclos" not in docx_text(files(record, kind)["docx"])
    sample_data["enclose_with"] = "acknowledgement"
    moved = validate_record(sample_data)
    assert "Enclosures:" in docx_text(files(moved, "acknowledgement")["docx"])
    assert "Enclos" not in docx_text(files(moved, "resolution")["docx"])
    assert "replacement-order.pdf" in [
        a.get_filename() for a in parse(files(moved, "acknowledgement")["eml"]).iter_attachments()]


def test_copy_to_names_exactly_whom_the_email_copies(sample_data) -> None:
    """The letter's "Copy to" and its email's Cc are the same people; someone copied
    without an address is noted, never silently left out."""
    from readback import docx_text

    sample_data["cc"].append({"name": "Anil Rao", "title": "Installer"})
    record = validate_record(sample_data)
    letter = make_letter(record, "resolution", language="en", layout="block",
                         today=NOW.date())
    made, notes = letter_files(letter, record, now=NOW)
    message = parse(next(f.data for f in made if f.ext == "eml"))
    assert "Suresh Kumar <suresh.kumar@deccanhome.example>" == str(message["Cc"])
    assert "Anil Rao, Installer" in docx_text(letter.docx)
    assert [("cc.2.email", "Anil Rao is copied on the resolution letter but has no email "
             "address, so its email does not copy them")] == [(n.field, n.message) for n in notes]


def test_native_digits_reach_the_email() -> None:
    """With the config's native digits, the meeting email writes the date and time as
    the letter does."""
    record = load_record(TELUGU)
    letter = make_letter(record, "meeting", language="te", layout="block", today=NOW.date(),
                         native_digits=True)
    made = {f.ext: f.data for f in letter_files(letter, record, now=NOW)[0]}
    message = parse(made["eml"])
    assert "౨౫ నవంబర్ ౨౦౨౬" in str(message["Subject"])
    assert "౧౧:౦౦" in body(message, "plain")
