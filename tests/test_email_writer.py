"""The emails letterkit writes straight to bytes against the same emails built with the
standard library's `email` package, as letterkit made them before (tests/email_reference.py):
parsed with `email` (policy.default), every message has the same headers, the same tree of
parts and the same decoded content, on every kind, in both languages, for the samples and
for every hostile record that makes letters; and every one is 7-bit (unless an address
needs UTF-8), with CRLF lines of at most 998 characters."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import io
import re
from email.message import EmailMessage
from typing import Any

import pytest

from letterkit import InputError, load_record, make_letter, validate_record
from letterkit.delivery.email import build_email, email_problems
from letterkit.delivery.invitation import build_invitation
from letterkit.delivery.mime import base64_lines
from letterkit.docx.html import html_template
from letterkit.kinds import KINDS, kind_named
from letterkit.record import Record, needs_smtputf8
from letterkit.resources import data_path

import email_reference
from hostile import HOSTILE_VALUES, REFUSED, with_value

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 24)
TELUGU = data_path("samples") / "complaint.te.yaml"


def shape(message: EmailMessage, top: bool = True) -> Any:
    """What a reader sees of a message: headers (parameters apart, boundaries left out),
    and each part's decoded content, as a tree. MIME-Version is a header of the message
    only (RFC 2045); `email` repeats it in parts, which says nothing."""
    headers = []
    for name, value in message.items():
        key = name.lower()
        if key == "mime-version" and not top:
            continue
        if key in ("content-type", "content-disposition"):
            params = message.get_params(header=name) or []
            headers.append((key, str(value).split(";")[0].strip().lower(),
                            sorted((k, str(v)) for k, v in params[1:] if k != "boundary")))
        else:
            headers.append((key, str(value).strip(), []))  # folding space before it is not
            # part of a header's value (`email` keeps it when the value begins on a new line)
    if message.is_multipart():
        return sorted(headers), [shape(part, False) for part in message.iter_parts()]
    return sorted(headers), message.get_content()


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def check_same(record: Record, kind: str, language: str, layout: str = "block",
               **extra: Any) -> None:
    letter = make_letter(record, kind, language=language, layout=layout, today=TODAY)
    invitation = None
    if kind_named(kind).invitation and record.meeting is not None:
        invitation = build_invitation(record, language=language, now=NOW,
                                      organizer_email="ravi.teja@deccanhome.example")
    if kind_named(kind).email == "letter":  # its body from the template, not mammoth
        assert letter.template is not None and letter.context is not None
        assert html_template(letter.template, language).render(letter.context) is not None
    made = build_email(letter, record, now=NOW, invitation=invitation, **extra)
    before = email_reference.build_email(letter, record, now=NOW, invitation=invitation,
                                         **extra).as_bytes()
    message = parse(made)
    # The one header the reference builder never wrote: the letter's own date, for `send`.
    assert TODAY.isoformat() == message["X-Letterkit-Dated"]
    del message["X-Letterkit-Dated"]
    assert shape(parse(before)) == shape(message)
    utf8 = needs_smtputf8(record.customer.email or "") or any(
        needs_smtputf8(p.email or "") for p in kind_named(kind).copied(record))
    assert made.isascii() != utf8
    assert b"\n" not in made.replace(b"\r\n", b"")
    assert max(map(len, made.split(b"\r\n"))) <= 998


@pytest.mark.parametrize("layout", ["block", "semi-block"])
@pytest.mark.parametrize("language", ["en", "te"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sample", ["complaint.yaml", "complaint.te.yaml"])
def test_the_samples_make_the_same_messages(sample, kind, language, layout) -> None:
    check_same(load_record(data_path("samples") / sample), kind, language, layout)


def test_a_reply_to_a_pdf_and_enclosed_files_make_the_same_message(tmp_path, sample_data,
                                                                    write_record) -> None:
    (tmp_path / "receipt.pdf").write_bytes(b"%PDF-1.4 receipt")
    (tmp_path / "బిల్లు photo.jpeg").write_bytes(b"\xff\xd8\xff photo")
    (tmp_path / 'odd "name".weird').write_bytes(b"\x00\x01")
    sample_data["enclosures"] = [
        {"what": "Receipt", "file": "receipt.pdf"},
        {"what": "Photo", "file": "బిల్లు photo.jpeg"},
        {"what": "Odd", "file": 'odd "name".weird'},
        {"what": "Copy of the order"}]
    record = load_record(write_record(sample_data))
    for kind in KINDS:
        for language in ("en", "te"):
            if not kind_named(kind).missing(record):
                check_same(record, kind, language, reply_to="replies@deccanhome.example",
                           attachments=[("రిజల్యూషన్ letter with a rather long name that runs"
                                         " past a line.pdf", b"%PDF-1.7 x",
                                         ("application", "pdf"))])


def test_a_picture_makes_the_same_related_part(tmp_path, sample_data) -> None:
    from docx import Document
    from docx.shared import Cm

    from letterkit.docx.find import shipped_templates_dir

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
        "RU5ErkJggg==")
    doc = Document(str(shipped_templates_dir() / "acknowledgement-block.docx"))
    doc.paragraphs[3].insert_paragraph_before().add_run().add_picture(io.BytesIO(png),
                                                                      width=Cm(1))
    folder = tmp_path / "custom"
    folder.mkdir()
    doc.save(str(folder / "acknowledgement-block.docx"))
    record = validate_record(sample_data)
    letter = make_letter(record, "acknowledgement", language="en", layout="block",
                         today=TODAY, templates=folder)
    assert html_template(letter.template, "en").template is not None
    made = build_email(letter, record, now=NOW)
    before = email_reference.build_email(letter, record, now=NOW).as_bytes()
    message = parse(made)
    # The one header the reference builder never wrote: the letter's own date, for `send`.
    assert TODAY.isoformat() == message["X-Letterkit-Dated"]
    del message["X-Letterkit-Dated"]
    assert shape(parse(before)) == shape(message)
    assert b"multipart/related" in made and re.search(rb"Content-ID: <\w+@", made)


HOSTILE = [pytest.param(case, field, value, id=case) for case, field, value in HOSTILE_VALUES
           if case not in REFUSED]


@pytest.mark.parametrize(("case", "field", "value"), HOSTILE)
def test_a_hostile_record_makes_the_same_messages(case, field, value, sample_data,
                                                  write_record) -> None:
    try:
        record = load_record(write_record(with_value(sample_data, field, value)))
    except InputError:
        pytest.skip("refused at its field, as tests/hostile.py says")
    language = "te" if sum(map(ord, case)) % 2 else "en"
    for kind in KINDS:
        if not kind_named(kind).missing(record) and not email_problems(record,
                                                                       kind_named(kind)):
            check_same(record, kind, language)


def test_the_writer_quotes_what_a_reader_would_misread() -> None:
    """Text that looks like an encoded word, or a control character, is not written raw
    into a Subject (a reader would decode or drop it)."""
    from letterkit.delivery.email import text_header

    assert "=?utf-8?b?" in text_header("Subject", "=?utf-8?q?Hi?= there")
    assert "=?utf-8?b?" in text_header("Subject", "tab\there")
    assert "Subject: Plain words" == text_header("Subject", "Plain words")


def test_a_long_file_name_is_cut_between_escapes(tmp_path) -> None:
    from letterkit.delivery import mime

    name = "ఫిర్యాదు " * 12 + ".pdf"
    header = mime.with_params("Content-Disposition", "attachment", [("filename", name)])
    assert all(len(line) <= 78 for line in header.split("\r\n"))
    message = parse((header + "\r\nContent-Type: text/plain\r\n\r\nx\r\n").encode())
    assert name == message.get_filename()



@pytest.mark.parametrize("kind", ["acknowledgement", "follow-up"])
@pytest.mark.parametrize("sample", ["complaint.yaml", "complaint.te.yaml"])
def test_a_letter_converted_on_its_own_reads_as_from_its_template(sample, kind) -> None:
    """A template that cannot be converted once gives its letters' bodies as mammoth and
    the letter's own paragraphs give them, as the compiled one does."""
    from letterkit.docx.html import letter_body

    record = load_record(data_path("samples") / sample)
    letter = make_letter(record, kind, language=record.language or "en", layout="block",
                         today=TODAY)
    alone = letter_body(letter.docx)
    compiled = letter_body(letter.docx, template=letter.template, context=letter.context,
                           language=letter.language)
    html, images = email_reference.letter_html(letter.docx)
    assert (html, images) == (alone.html, alone.images) == (compiled.html, compiled.images)
    assert email_reference.letter_text(letter.docx) == alone.text == compiled.text


@pytest.mark.parametrize("size", [0, 1, 2, 3, 56, 57, 58, 114, 30_001])
def test_base64_bodies_are_cut_as_email_cuts_them(size) -> None:
    """An attachment's lines end where, and as, the `email` package's would."""
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    assert base64.encodebytes(data).replace(b"\n", b"\r\n") == base64_lines(data)
