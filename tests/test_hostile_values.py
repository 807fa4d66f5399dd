"""Hostile values in a record (tests/hostile.py), through the library and `letterkit render`:
letters, emails and an invitation that open and show the value as written, or one line
naming the field and what is expected; never a traceback. And sending what they make: an
IDN domain as xn--, an address in UTF-8 only over SMTPUTF8."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from letterkit import InputError, WriteOptions, load_record, make_letter, validate_record
from letterkit import write_record as write_letters
from letterkit.delivery.smtp import SmtpSettings, read_messages, send_all
from letterkit.letters import letter_context
from letterkit.record import Record, mail_address, needs_smtputf8
from letterkit.writing import letter_files

from hostile import HOSTILE_VALUES, REFUSED, with_value
from readback import docx_text

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
MEETING_DAY = dt.date(2026, 11, 25)
CASES = [pytest.param(case, field, value, id=case) for case, field, value in HOSTILE_VALUES]
# A Message-ID as the sent log takes one (letterkit.delivery.smtp), and as RFC 5322 has it:
# dot-atoms of ASCII on either side of the @.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
MESSAGE_ID = re.compile(rf"<{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*>")
HEADERS = {"subject", "from", "to", "cc", "reply-to", "date", "message-id", "mime-version",
           "content-type", "content-transfer-encoding", "x-letterkit-dated"}


@pytest.mark.parametrize(("case", "field", "value"), CASES)
def test_a_hostile_value_through_the_library(case, field, value, tmp_path, write_record,
                                              sample_data) -> None:
    """load_record and write_record either make files that open and show the value, or
    refuse it at its field with what is expected."""
    path = write_record(with_value(sample_data, field, value))
    if case in REFUSED:
        with pytest.raises(InputError) as caught:
            load_record(path)
        (problem,) = caught.value.problems
        assert (problem.field or "").startswith(field), problem
        assert REFUSED[case] in problem.message
        assert problem.expected
        return
    record = load_record(path)
    out = tmp_path / "out"
    outcome = write_letters(record, WriteOptions(out_dir=out, today=MEETING_DAY, now=NOW))
    assert outcome.error is None and [] == outcome.problems
    assert 3 == outcome.letters
    check_files(out, record, field)


@pytest.mark.parametrize(("case", "field", "value"), CASES)
def test_a_hostile_value_through_render(case, field, value, cli, tmp_path, write_record,
                                        sample_data) -> None:
    """`letterkit render` exits 0 with files that open and show the value, or exits 2 with
    one line naming the field and what is expected."""
    path = write_record(with_value(sample_data, field, value))
    out = tmp_path / "out"
    result = cli("render", path, "-o", out, "--date", MEETING_DAY)
    if case in REFUSED:
        assert 2 == result.exit_code, result.output
        (line,) = result.stderr.splitlines()
        named = re.match(rf"error: {re.escape(str(path))}: ([\w.-]+): ", line)
        assert named is not None and named.group(1).startswith(field), line
        assert REFUSED[case] in line
        assert not list(out.rglob("*.*"))
        return
    assert 0 == result.exit_code, result.output
    assert "Traceback" not in result.output
    check_files(out, load_record(path), field)


def check_files(out: Path, record: Record, field: str) -> None:
    """Every file opens as its reader would open it, and the field's value is in them."""
    (folder,) = out.iterdir()
    seen = [docx_text(path) for path in sorted(folder.glob("*.docx"))]
    assert 3 == len(seen)
    for path in sorted(folder.glob("*.eml")):
        seen += email_text(path.read_bytes())
    (ics,) = folder.glob("*.ics")
    seen += calendar_text(ics.read_bytes())
    text = "\n".join(seen).replace("\u00a0", " ").replace("\u2011", "-")
    value = value_at(record.model_dump(), field)
    if field.endswith("email") and isinstance(value, str):
        assert f"<{mail_address(value)}>" in text
    elif isinstance(value, str):
        for line in value.splitlines():
            assert line in text, line[:80]


def email_text(raw: bytes) -> list[str]:
    """An .eml read back: it parses without defects, with the headers letterkit writes
    (none injected), lines within RFC 5322's 998, 7-bit unless an address needs UTF-8."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert all(not part.defects for part in message.walk()), raw[:2000]
    assert {name.lower() for name in message.keys()} <= HEADERS
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert MESSAGE_ID.fullmatch(str(message["Message-ID"]).strip())
    addresses = [a.addr_spec for name in ("From", "To", "Cc")
                 for a in getattr(message[name], "addresses", ())]
    assert all(a.rpartition("@")[2].isascii() for a in addresses), addresses
    if not any(needs_smtputf8(a) for a in addresses):
        assert raw.isascii()
    for attached in message.iter_attachments():
        assert attached.get_filename()
        assert str(attached.get_param("name")).isascii()
    texts = [f"{name}: {value}" for name, value in message.items()]
    for subtype in ("plain", "html"):
        body = message.get_body((subtype,))
        assert body is not None
        texts.append(str(body.get_content()))
    return texts


def calendar_text(raw: bytes) -> list[str]:
    """An invitation read back: one event, an ASCII UID, its text properties."""
    (event,) = Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["uid"]).isascii()
    people = [event["organizer"], *(event.get("attendee") or [])]
    people = people if isinstance(people, list) else [people]
    assert all(str(person).isascii() for person in people)
    return [str(event.get(key, "")) for key in ("summary", "description", "location")]


def value_at(data: Any, field: str) -> Any:
    for part in field.split("."):
        data = data[int(part) - 1] if part.isdigit() else data[part]
    return data


def made(record: Record, kind: str = "meeting") -> dict[str, bytes]:
    """The files of one letter, made in memory."""
    letter = make_letter(record, kind, language="en", layout="block",
                         today=record.meeting.at.date() if record.meeting else MEETING_DAY)
    files, _ = letter_files(letter, record, now=NOW)
    return {file.ext: file.data for file in files}


def test_an_offset_names_the_moment_letters_show_in_the_meeting_zone(sample_data) -> None:
    """10:00Z for a meeting in Asia/Kolkata is 15:30 there: the letter says 3:30 pm and the
    invitation starts at 10:00 UTC."""
    sample_data["meeting"]["at"] = "2026-11-25T10:00Z"
    record = validate_record(sample_data)
    assert dt.datetime(2026, 11, 25, 15, 30) == record.meeting.at
    files = made(record)
    assert "3:30\u202fpm" in docx_text(files["docx"])
    (event,) = Calendar.from_ical(files["ics"]).walk("VEVENT")
    assert dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC) == event.decoded("dtstart")


@pytest.mark.parametrize(("at", "utc"), [("2026-10-25T01:30+01:00", "2026-10-25T00:30"),
                                         ("2026-10-25T01:30+00:00", "2026-10-25T01:30")],
                         ids=["first-pass", "second-pass"])
def test_a_time_the_clocks_pass_twice_with_its_offset_is_one_moment(sample_data, at,
                                                                   utc) -> None:
    """01:30 on the night London's clocks go back, with its offset, is the moment it says,
    and so is the invitation's start."""
    sample_data.update(received="2026-10-20")
    sample_data["meeting"].update(at=at, timezone="Europe/London")
    record = validate_record(sample_data)
    (event,) = Calendar.from_ical(made(record)["ics"]).walk("VEVENT")
    expected = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    assert expected == event.decoded("dtstart").astimezone(dt.UTC)


def test_a_meeting_over_the_change_of_clocks_lasts_its_minutes(sample_data) -> None:
    """A 90-minute call from 00:30 on the night the clocks go back ends 90 minutes later
    (01:00 by the clock that has gone back), not at 02:00."""
    sample_data.update(received="2026-10-20")
    sample_data["meeting"].update(at="2026-10-25T00:30", timezone="Europe/London",
                                  minutes=90)
    record = validate_record(sample_data)
    assert "2026-10-25T01:00:00+00:00" == record.meeting.local_end().isoformat()
    (event,) = Calendar.from_ical(made(record)["ics"]).walk("VEVENT")
    assert dt.timedelta(minutes=90) == (event.decoded("dtend").astimezone(dt.UTC)
                                        - event.decoded("dtstart").astimezone(dt.UTC))
    context = letter_context(record, kind="meeting", language="en", layout="block",
                             today=dt.date(2026, 10, 21))
    assert context["meeting"]["end"] == record.meeting.local_end()  # the letter says 01:00


def test_a_reference_beyond_ascii_gives_stable_ascii_ids(sample_data) -> None:
    """A Telugu or accented reference gives ASCII Message-IDs and UIDs, the same each time
    and different for another reference; an ASCII reference keeps the ids it had."""
    def ids(reference: str) -> tuple[str, str]:
        files = made(validate_record(with_value(sample_data, "reference", reference)))
        message = email.message_from_bytes(files["eml"], policy=email.policy.default)
        (event,) = Calendar.from_ical(files["ics"]).walk("VEVENT")
        return str(message["Message-ID"]), str(event["uid"])

    first, again, other = ids("ఫిర్యాదు-1"), ids("ఫిర్యాదు-1"), ids("ఫిర్యాదు-2")
    assert first == again
    assert first[0] != other[0] and first[1] != other[1]
    assert all(MESSAGE_ID.fullmatch(i) for i in (first[0], other[0]))
    assert ids("RÉF-2026-1")[1].startswith("REF-2026-1-")
    assert "CMP-2026-0142.meeting@deccanhome.example" == ids("CMP-2026-0142")[1]
    assert ids("CMP-2026-0142")[0].startswith("<meeting.en.CMP-2026-0142.")


def render(cli, out: Path, record: Path, *args: object) -> None:
    result = cli("render", record, "-o", out, "--date", MEETING_DAY, *args)
    assert 0 == result.exit_code, result.output


def send(cli, port: int, *args: object):
    return cli("send", "--host", "127.0.0.1", "--port", port, *args)


def test_an_idn_domain_is_sent_as_xn(cli, smtp_server, tmp_path, write_record,
                                     sample_data) -> None:
    """An address whose domain is Telugu or German goes in headers and RCPT as xn--,
    never as an encoded word inside the address."""
    mailbox, port = smtp_server
    sample_data["customer"]["email"] = "user@ఉదాహరణ.భారత్"
    sample_data["cc"][0]["email"] = "suresh@bücher.example"
    out = tmp_path / "out"
    render(cli, out, write_record(sample_data), "-k", "resolution")
    result = send(cli, port, out)
    assert 0 == result.exit_code, result.output
    ((sender, rcpt, content),) = mailbox.messages
    assert ["user@xn--noc6ci4b4b3a.xn--fpcrj9c3d", "suresh@xn--bcher-kva.example"] == rcpt
    headers = content.split(b"\r\n\r\n")[0]
    assert b"<user@xn--noc6ci4b4b3a.xn--fpcrj9c3d>" in headers
    assert b"<suresh@xn--bcher-kva.example>" in headers
    assert headers.isascii()


def test_a_test_send_to_an_idn_address(cli, smtp_server, letters_of_the_sample) -> None:
    """--to with an IDN domain goes to its xn-- form, in RCPT and the To header alike."""
    mailbox, port = smtp_server
    result = send(cli, port, "--to", "tester@bücher.example", "-k", "acknowledgement",
                  letters_of_the_sample)
    assert 0 == result.exit_code, result.output
    ((_, rcpt, content),) = mailbox.messages
    assert ["tester@xn--bcher-kva.example"] == rcpt
    delivered = email.message_from_bytes(content, policy=email.policy.default)
    assert "tester@xn--bcher-kva.example" == str(delivered["To"])


@pytest.fixture
def letters_of_the_sample(cli, tmp_path, write_record, sample_data) -> Path:
    """The sample's letters and emails, in tmp_path/letters."""
    out = tmp_path / "letters"
    render(cli, out, write_record(sample_data))
    return out


def test_an_address_in_utf8_goes_with_smtputf8(cli, smtp_server, tmp_path, write_record,
                                               sample_data) -> None:
    """A customer's address with Telugu before the @ is written in UTF-8 in the .eml (which
    still parses) and delivered with SMTPUTF8 where the server offers it."""
    mailbox, port = smtp_server
    sample_data["customer"]["email"] = "రామ@example.com"
    out = tmp_path / "out"
    render(cli, out, write_record(sample_data), "-k", "acknowledgement")
    (eml,) = out.rglob("*.eml")
    written = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert "Ms Lakshmi Prasanna <రామ@example.com>" == str(written["To"])
    result = send(cli, port, out)
    assert 0 == result.exit_code, result.output
    ((sender, rcpt, content),) = mailbox.messages
    assert ("ravi.teja@deccanhome.example", ["రామ@example.com"]) == (sender, rcpt)
    assert "<రామ@example.com>".encode() in content


WITHOUT_SMTPUTF8 = pytest.mark.parametrize("smtp_server", [{"enable_SMTPUTF8": False}],
                                           indirect=True)


@WITHOUT_SMTPUTF8
def test_an_address_in_utf8_is_refused_where_smtputf8_is_not_offered(
        cli, smtp_server, tmp_path, write_record, sample_data) -> None:
    """Without SMTPUTF8 the message to రామ@… is not sent, in one line naming its file and
    the address; the other complaint's messages go, and only they are logged."""
    mailbox, port = smtp_server
    out = tmp_path / "out"
    render(cli, out, write_record(sample_data, "plain.yaml"))
    sample_data.update(reference="CMP-2026-0999")
    sample_data["customer"]["email"] = "రామ@example.com"
    render(cli, out, write_record(sample_data, "utf8.yaml"), "-k", "acknowledgement")
    result = send(cli, port, out)
    assert 1 == result.exit_code
    eml = out / "CMP-2026-0999" / "acknowledgement.en.eml"
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {eml}: the server refused రామ@example.com: 553 5.6.7 ")
    assert "SMTPUTF8" in line
    assert 3 == len(mailbox.messages)
    assert (out / "CMP-2026-0142" / "sent.csv").is_file()
    assert not (out / "CMP-2026-0999" / "sent.csv").exists()


@WITHOUT_SMTPUTF8
def test_the_library_sends_idn_and_refuses_utf8_alike(smtp_server, tmp_path, write_record,
                                                      sample_data) -> None:
    """send_all, as scripts call it, reports the refusal the command line prints."""
    mailbox, port = smtp_server
    sample_data["customer"]["email"] = "రామ@ఉదాహరణ.భారత్"
    out = tmp_path / "out"
    write_letters(load_record(write_record(sample_data)),
                  WriteOptions(out_dir=out, today=MEETING_DAY, now=NOW,
                               kinds=("acknowledgement",)))
    report = send_all(read_messages([out]), SmtpSettings("127.0.0.1", port))
    (refused,) = report.refused
    assert "the server refused రామ@xn--noc6ci4b4b3a.xn--fpcrj9c3d: 553 5.6.7" in str(refused)
    assert [] == report.sent and [] == mailbox.messages
