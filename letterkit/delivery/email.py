"""The email that carries each letter, as a standard MIME message (.eml) any mail client
opens: the letter itself as the body, or a covering note with the letter attached, as the
letter's kind says."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
from collections.abc import Iterable
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import mammoth
from docx import Document
from docx.table import Table

from letterkit.errors import MISSING, Problem
from letterkit.i18n.formats import Formats
from letterkit.kinds import Kind
from letterkit.letters import Letter
from letterkit.output import safe_folder_name
from letterkit.record import Record

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
_BULLET = "  • "

# How the letter's named styles read in HTML; the rest are plain paragraphs.
_STYLE_MAP = """
p[style-name='Letter Subject'] => p.subject:fresh
p[style-name='Letter Heading'] => h3:fresh
p[style-name='Letter Quote'] => blockquote > p:fresh
p[style-name='List Bullet'] => ul > li:fresh
p[style-name='Letter Small'] => p.small:fresh
p[style-name='Letter Signature'] => p.signature:fresh
"""
_CSS = (
    "body{font-family:Calibri,'Noto Sans','Noto Sans Telugu','Nirmala UI',Arial,sans-serif;"
    "font-size:15px;line-height:1.5;color:#222;max-width:42em}"
    "p.subject{font-weight:bold}h3{font-size:15px;margin:1.2em 0 .3em}"
    "blockquote{margin:0 0 1em 1.5em;color:#444}p.small{font-size:13px;color:#555}"
    "table{border-collapse:collapse;margin:.5em 0 1em}td{padding:2px 12px 2px 0;"
    "vertical-align:top}"
)


def sender(record: Record) -> Address | None:
    """Who the email is from: the handler, or else the organisation, if it has an address."""
    if record.handler.email:
        return _address(record.handler.name, record.handler.email)
    if record.organisation.email:
        return _address(record.organisation.name, record.organisation.email)
    return None


def _address(name: str, email: str) -> Address:
    local, _, domain = email.partition("@")
    return Address(display_name=name, username=local, domain=domain)


def email_problems(record: Record, kind: Kind) -> list[Problem]:
    """Why the email for a kind cannot be made (the letter itself still can)."""
    problems = []
    if record.customer.email is None:
        problems.append(Problem(f"no email address for the customer, so no email for "
                                f"{kind.called}", field="customer.email", code=MISSING))
    if sender(record) is None:
        problems.append(Problem(f"no email address for the handler or the organisation, so no "
                                f"email for {kind.called}", field="handler.email",
                                code=MISSING))
    return problems


def build_email(
    letter: Letter,
    record: Record,
    *,
    now: dt.datetime,
    invitation: bytes | None = None,
    attachments: Iterable[tuple[str, bytes, tuple[str, str]]] = (),
    reply_to: str | None = None,
) -> EmailMessage:
    """The email for a letter, shaped as its kind says: the letter itself as the body, or a
    short covering note with the letter (and `attachments`, such as its PDF) attached. An
    `invitation` goes in as a `text/calendar; method=REQUEST` alternative."""
    kind = letter.definition
    formats = Formats.for_language(letter.language)
    from_ = sender(record)
    assert from_ is not None and record.customer.email, "check email_problems first"
    message = EmailMessage(policy=SMTP)
    message["Subject"] = formats.pgettext("email", kind.subject) % {
        "title": letter.title(),
        "subject": record.complaint.subject.replace("\n", " "),
        "reference": record.reference,
    }
    message["From"] = from_
    message["To"] = _address(formats.addressee(record.customer.model_dump()),
                             record.customer.email)
    copied = [_address(p.name, p.email) for p in kind.copied(record) if p.email]
    if copied:
        message["Cc"] = copied
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = _message_id(letter, record, from_.domain, invitation)

    if kind.email == "letter":
        text, body = letter_text(letter.docx), letter_html(letter.docx)
    else:
        text, body = _covering_note(kind, record, formats)
    message.set_content(text, subtype="plain", cte="quoted-printable")
    message.add_alternative(_html_document(body, formats), subtype="html",
                            cte="quoted-printable")
    for part in message.iter_parts():  # set_content clears Content-* headers: set it after
        part["Content-Language"] = _language_tag(formats)
    if invitation is not None:
        # Inside the alternatives, where Outlook and Gmail look for an invitation.
        message.add_alternative(invitation, maintype="text", subtype="calendar",
                                params={"method": "REQUEST"}, cte="base64")
    files = list(attachments)
    if kind.email == "covering note":
        files.insert(0, (letter.display_name(), letter.docx, DOCX_TYPE))
    for filename, data, (maintype, subtype) in files:
        message.add_attachment(data, maintype, subtype, filename=filename)
        # A Telugu name travels as RFC 2231 `filename*`; mail clients that do not read it
        # fall back to the plain-ASCII `name` of the content type.
        attached = list(message.iter_attachments())[-1]
        attached.set_param("name", ascii_fallback(filename, letter))
    return message


def ascii_fallback(filename: str, letter: Letter) -> str:
    """A plain-ASCII file name for mail clients that cannot show the real one."""
    if filename.isascii():
        return filename
    stem, _, ext = filename.rpartition(".")
    english = letter.definition.title
    reference = safe_folder_name(letter.reference).encode("ascii", "replace").decode()
    return f"{english} {reference.replace('?', '_')}.{ext or 'bin'}"


def _language_tag(formats: Formats) -> str:
    return str(formats.locale).replace("_", "-")


def _message_id(letter: Letter, record: Record, domain: str, invitation: bytes | None) -> str:
    # Stable for the same letter to the same people, so the sent log recognises a message
    # made again from unchanged input; a changed letter is a new message.
    digest = hashlib.sha256(letter.docx + (invitation or b""))
    for email in (record.customer.email, *(p.email for p in record.cc)):
        digest.update((email or "").encode())
    name = f"{letter.kind}.{letter.language}.{safe_folder_name(record.reference)}"
    return f"<{name}.{digest.hexdigest()[:16]}@{domain}>"


def _covering_note(kind: Kind, record: Record, formats: Formats) -> tuple[str, str]:
    values: dict[str, str] = {}
    if record.meeting is not None:
        start = record.meeting.local_start()
        values = {"date": formats.date(start, "full"), "time": formats.time(start)}
    paragraphs = [formats.gettext("Dear %(name)s,") % {
        "name": formats.addressee(record.customer.model_dump())}]
    paragraphs += [formats.pgettext("email", p) % values for p in kind.covering_note]
    paragraphs.append(formats.gettext("Yours sincerely,"))
    signature = [record.handler.name, record.handler.title, record.organisation.name]
    if record.handler.phone:
        signature.append(f"{formats.gettext('Phone:')} {record.handler.phone}")
    signature_lines = [line for line in signature if line]
    text = "\n\n".join([*paragraphs, "\n".join(signature_lines)]) + "\n"
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    body += '<p class="signature">' + "<br />".join(map(html.escape, signature_lines)) + "</p>"
    return text, body


def letter_html(docx: bytes) -> str:
    """A rendered letter as HTML (the body's paragraphs, tables and lists), every value
    escaped by mammoth."""
    result = mammoth.convert_to_html(io.BytesIO(docx), style_map=_STYLE_MAP)
    return str(result.value)


def letter_text(docx: bytes) -> str:
    """A rendered letter as plain text: paragraphs apart, line breaks kept, bullets and
    table rows readable."""
    chunks: list[str] = []
    for block in Document(io.BytesIO(docx)).iter_inner_content():
        bullet = False
        if isinstance(block, Table):
            rows = [" ".join(cell.text.replace("\n", ", ") for cell in row.cells).strip()
                    for row in block.rows]
            text = "\n".join(r for r in rows if r)
        else:
            text = block.text.replace("\u00a0", " ").replace("\u2011", "-")
            bullet = block.style is not None and block.style.name == "List Bullet"
            text = f"{_BULLET}{text}" if bullet and text else text
        if not text.strip():
            continue
        if bullet and chunks and chunks[-1].startswith(_BULLET):
            chunks[-1] += "\n" + text  # a list stays together
        else:
            chunks.append(text)
    return "\n\n".join(chunks) + "\n"


def _html_document(body: str, formats: Formats) -> str:
    lang = _language_tag(formats)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<style>{_CSS}</style></head><body>{body}</body></html>\n")
