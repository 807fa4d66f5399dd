"""The email as letterkit made it up to issue 17, with the standard library's `email`
package and mammoth, frozen here as the reference the fast writer is checked against:
every message must parse to the same headers, parts and decoded content."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8, Policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import mammoth
from docx import Document
from docx.table import Table

from letterkit.errors import MISSING, Problem
from letterkit.i18n.formats import Formats
from letterkit.i18n.languages import pmark
from letterkit.kinds import Kind
from letterkit.letters import Letter
from letterkit.output import safe_folder_name
from letterkit.record import Record, mail_address, needs_smtputf8

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
# Python's own table of types: the module-level guess reads the Windows registry (and
# /etc/mime.types), so one record would make different emails on different machines.
_TYPES = mimetypes.MimeTypes()
_BULLET = "  • "
# The paragraphs that head a letter on paper (its date, references, inside address and
# subject line): in an email the headers say these, and the body opens with the greeting.
_LETTER_HEAD = ("Letter Date", "Letter Lines", "Letter Subject")
_STYLE_MAP = "\n".join([
    *(f"p[style-name='{name}'] => !" for name in _LETTER_HEAD),
    "p[style-name='Letter Heading'] => h3:fresh",
    "p[style-name='Letter Quote'] => blockquote > p:fresh",
    "p[style-name='List Bullet'] => ul > li:fresh",
    "p[style-name='Letter Small'] => p.small:fresh",
    "p[style-name='Letter Signature'] => p.signature:fresh",
])
# Each element's look, written on the element itself.
_FONT = ("font-family:Calibri,'Noto Sans','Noto Sans Telugu','Nirmala UI',Arial,sans-serif;"
         "font-size:15px;line-height:1.5;color:#222222")
_INLINE = {
    "p": "margin:0 0 12px",
    "p.small": "margin:0 0 6px;font-size:13px;color:#555555",
    "p.signature": "margin:0 0 12px",
    "p.letterhead": "margin:0;font-size:20px;font-weight:bold;color:#1F3A5F",
    "p.details": "margin:0 0 18px;padding-bottom:8px;border-bottom:1px solid #1F3A5F;"
                 "font-size:12px;color:#555555",
    "h3": "margin:18px 0 4px;font-size:15px",
    "blockquote": "margin:0 0 12px 24px;color:#444444",
    "ul": "margin:0 0 12px;padding-left:24px",
    "li": "margin:0 0 4px",
    "table": "border-collapse:collapse;margin:4px 0 14px",
    "td": "padding:3px 12px 3px 0;vertical-align:top",
    "th": "padding:3px 12px 3px 0;vertical-align:top;text-align:left",
}
_TAG = re.compile(r'<(p|h3|blockquote|ul|li|table|td|th)(?: class="([\w-]+)")?([^>]*)>')

ENCLOSURES_BY_POST = pmark("email", "Coming to you separately, by post: %(items)s.")
# The covering note's own wording (an email greets as an email does: in Telugu, the
# reader's name with గారు, not a letter's గారికి).
GREETING = pmark("email", "Dear %(name)s,")
CLOSE = pmark("email", "Yours sincerely,")
PHONE = pmark("email", "Phone:")
OUR_REFERENCE = pmark("email", "Our reference:")
YOUR_REFERENCE = pmark("email", "Your reference:")


def sender(record: Record) -> Address | None:
    """Who the email is from: the handler, or else the organisation, if it has an address."""
    if record.handler.email:
        return _address(record.handler.name, record.handler.email)
    if record.organisation.email:
        return _address(record.organisation.name, record.organisation.email)
    return None


def _address(name: str, email: str) -> Address:
    """A person's address as a header carries it: the domain in its ASCII (xn--) form,
    never an encoded word inside the address, which RFC 2047 forbids."""
    local, _, domain = mail_address(email).rpartition("@")
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


def copy_notes(record: Record, kind: Kind) -> list[Problem]:
    """Whom the letter copies ("Copy to:") that its email cannot, for want of an address."""
    return [Problem(f"{person.name} is copied on {kind.called} but has no email address, so "
                    "its email does not copy them", field=field, code=MISSING)
            for field, person in _copied_fields(record, kind) if not person.email]


def _copied_fields(record: Record, kind: Kind) -> list[tuple[str, Any]]:
    """(field of their email, person) for each person the kind copies."""
    found = []
    for person in kind.copied(record):
        for section, people in (("cc", record.cc), ("meeting.attendees",
                                                    record.meeting.attendees
                                                    if record.meeting else [])):
            if person in people:
                found.append((f"{section}.{people.index(person) + 1}.email", person))
                break
    return found


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
    short covering note with the letter (and `attachments`, such as its PDF) attached; the
    letter's enclosures go with it, attached where they have a file. An `invitation` goes
    in as a `text/calendar; method=REQUEST` alternative. `now` is the Date it shows until
    `send` stamps the moment it goes."""
    kind = letter.definition
    formats = Formats.for_language(letter.language, native_digits=letter.native_digits)
    from_ = sender(record)
    assert from_ is not None and record.customer.email, "check email_problems first"
    to = _address(formats.addressee(record.customer.model_dump()), record.customer.email)
    copied = [_address(p.name, p.email) for p in kind.copied(record) if p.email]
    replies = [_address("", reply_to)] if reply_to else []
    # An address with letters beyond ASCII before the @ (రామ@…) cannot be written in a
    # 7-bit message: this one is written in UTF-8 (RFC 6532), and `send` hands it only to
    # a server that offers SMTPUTF8. Every other message stays 7-bit.
    utf8 = any(needs_smtputf8(a.addr_spec) for a in (from_, to, *copied, *replies))
    message = EmailMessage(policy=SMTPUTF8 if utf8 else SMTP)
    message["Subject"] = text_header("Subject", subject(kind, record, formats))
    message["From"] = address_header("From", [from_])
    message["To"] = address_header("To", [to])
    if copied:
        message["Cc"] = address_header("Cc", copied)
    if replies:
        message["Reply-To"] = address_header("Reply-To", replies)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = _message_id(letter, record, from_.domain, invitation)

    enclosed = kind.enclosures(record)
    by_post = [item.what for item in enclosed if item.file is None]
    if kind.email == "letter":
        text, body, images = _letter_body(letter, record, formats, by_post)
    else:
        (text, body), images = _covering_note(kind, record, formats, by_post), []
    message.set_content(text, subtype="plain", cte="quoted-printable")
    message.add_alternative(_html_document(_letterhead(record) + body, formats),
                            subtype="html", cte="quoted-printable")
    html_part = message.get_body(("html",))
    assert html_part is not None
    for cid, data, (maintype, subtype) in images:
        html_part.add_related(data, maintype, subtype, cid=f"<{cid}>")
    for part in message.iter_parts():  # set_content clears Content-* headers: set it after
        part["Content-Language"] = _language_tag(formats)
    if invitation is not None:
        # Inside the alternatives, where Outlook and Gmail look for an invitation.
        message.add_alternative(invitation, maintype="text", subtype="calendar",
                                params={"method": "REQUEST", "charset": "UTF-8"},
                                cte="base64")
    files = list(attachments)
    if kind.email == "covering note":
        files.insert(0, (letter.display_name(), letter.docx, DOCX_TYPE))
    for item in enclosed:
        if item.file is not None:
            path = Path(item.file)
            guessed = _TYPES.guess_type(path.name)[0] or "application/octet-stream"
            maintype, _, subtype = guessed.partition("/")
            files.append((path.name, path.read_bytes(), (maintype, subtype)))
    for filename, data, (maintype, subtype) in files:
        message.add_attachment(data, maintype, subtype, filename=filename)
        # A Telugu name travels as RFC 2231 `filename*`; mail clients that do not read it
        # fall back to the plain-ASCII `name` of the content type.
        attached = list(message.iter_attachments())[-1]
        attached.set_param("name", ascii_fallback(filename, letter))
    return message


def subject(kind: Kind, record: Record, formats: Formats) -> str:
    """The email's subject, as the kind words it, in the letter's language."""
    values = {"subject": record.complaint.subject.replace("\n", " "),
              "reference": record.reference}
    if record.meeting is not None:
        start = record.meeting.local_start()
        values.update(date=formats.date(start, "full"), time=formats.time(start))
    return formats.pgettext("email", kind.subject(record)) % values


@dataclass(frozen=True)
class FoldedHeader:
    """A header whose non-ASCII text is folded only between words. Python's own folding
    splits encoded words anywhere (inside a Telugu word) and turns a space between words
    into whitespace between encoded words, which RFC 2047 readers drop ("AM:వాషింగ్").
    Here each encoded word holds whole words with the space after each inside it, so
    every reader shows the text as written."""

    name: str
    tokens: tuple[str, ...]
    shown: str

    def fold(self, *, policy: Policy) -> str:
        lines, line = [], f"{self.name}:"
        for token in self.tokens:
            if len(line) + 1 + len(token) > 78 and line.strip() != f"{self.name}:":
                lines.append(line)
                line = ""
            line += f" {token}"
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep

    def __str__(self) -> str:
        return self.shown


def text_header(name: str, text: str) -> str | FoldedHeader:
    """An unstructured header (Subject): as it is if ASCII, else in whole encoded words
    (so too a word too long for a line, which only an encoded word may split)."""
    if text.isascii() and all(len(word) <= 70 for word in text.split(" ")):
        return text
    return FoldedHeader(name, tuple(_encoded_words(text)), text)


def address_header(name: str, addresses: list[Address]) -> FoldedHeader:
    """An address header (From, To, Cc), display names in whole encoded words."""
    tokens: list[str] = []
    for n, address in enumerate(addresses):
        display = address.display_name
        if display and display.isascii():
            tokens.append(str(Address(display_name=display, addr_spec="x@y")).rpartition(
                " <")[0])
        elif display:
            tokens += _encoded_words(display)
        tokens.append(f"<{address.addr_spec}>" + ("," if n < len(addresses) - 1 else ""))
    return FoldedHeader(name, tuple(tokens), ", ".join(map(str, addresses)))


def _encoded_words(text: str) -> list[str]:
    """Text as RFC 2047 encoded words of at most 75 characters, each ending at a space
    (kept inside it); only a word too long for one is split, between characters."""
    pieces: list[str] = []
    for n, word in enumerate(text.split(" ")):
        word += " " if n < text.count(" ") else ""
        while len(_encoded(word)) > 75:  # a very long word: as much as fits, then on
            cut = max(i for i in range(1, min(len(word), 76))
                      if len(_encoded(word[:i])) <= 75)
            pieces.append(word[:cut])
            word = word[cut:]
        pieces.append(word)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(_encoded(chunks[-1] + piece)) <= 75 and chunks[-1].endswith(" "):
            chunks[-1] += piece
        else:
            chunks.append(piece)
    return [_encoded(chunk) for chunk in chunks]


def _encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def ascii_fallback(filename: str, letter: Letter) -> str:
    """A plain-ASCII file name for mail clients that cannot show the real one."""
    if filename.isascii():
        return filename
    _, dot, ext = filename.rpartition(".")
    english = letter.definition.title
    ext = ext if dot and re.fullmatch(r"[A-Za-z0-9]{1,10}", ext) else "bin"
    return f"{english} {reference_id(letter.reference)}.{ext}"


def reference_id(reference: str) -> str:
    """The reference as a Message-ID, a calendar's UID or a plain-ASCII file name carries
    it: its folder name where that is ASCII letters, digits, `-`, `_` and single dots
    (CMP-2026-0142 is itself, so ids made before stay the same); otherwise its ASCII
    letters and digits (accents dropped: RÉF-2026-1 gives REF-2026-1) and a short hash of
    the whole, which keeps two references apart (ఫిర్యాదు-1 gives 1 and the hash)."""
    name = safe_folder_name(reference)
    if re.fullmatch(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*", name):
        return name
    text = unicodedata.normalize("NFC", reference)
    letters = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", letters).strip("-")[:40].strip("-")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{slug}-{digest}" if slug else digest


def _language_tag(formats: Formats) -> str:
    return str(formats.locale).replace("_", "-")


def _message_id(letter: Letter, record: Record, domain: str, invitation: bytes | None) -> str:
    # Stable for the same letter to the same people, so the sent log recognises a message
    # made again from unchanged input; a changed letter is a new message.
    # The invitation without its DTSTAMP, the moment it was made: the same meeting made
    # again is the same message.
    stable = re.sub(rb"(?m)^DTSTAMP[:;][^\r\n]*\r?\n", b"", invitation or b"")
    digest = hashlib.sha256(letter.docx + stable)
    for email in (record.customer.email, *(p.email for p in letter.definition.copied(record))):
        digest.update((email or "").encode())
    name = f"{letter.kind}.{letter.language}.{reference_id(record.reference)}"
    return f"<{name}.{digest.hexdigest()[:16]}@{domain}>"


def _by_post(formats: Formats, items: list[str]) -> list[str]:
    return [formats.pgettext("email", ENCLOSURES_BY_POST) % {
        "items": formats.join_and(items)}] if items else []


def _covering_note(kind: Kind, record: Record, formats: Formats, by_post: list[str]
                   ) -> tuple[str, str]:
    values: dict[str, str] = {}
    if record.meeting is not None:
        start = record.meeting.local_start()
        values = {"date": formats.date(start, "full"), "time": formats.time(start)}
    paragraphs = [formats.pgettext("email", GREETING) % {
        "name": formats.addressee(record.customer.model_dump())}]
    paragraphs += [formats.pgettext("email", p) % values for p in kind.covering_note]
    paragraphs += _by_post(formats, by_post)
    paragraphs.append(formats.pgettext("email", CLOSE))
    signature = [record.handler.name, record.handler.title, record.organisation.name]
    if record.handler.phone:
        signature.append(f"{formats.pgettext('email', PHONE)} {record.handler.phone}")
    signature_lines = [line for line in signature if line]
    text = "\n\n".join([*paragraphs, "\n".join(signature_lines)]) + "\n"
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    body += '<p class="signature">' + "<br />".join(map(html.escape, signature_lines)) + "</p>"
    return text, inline_styles(body)


def _letter_body(letter: Letter, record: Record, formats: Formats, by_post: list[str]
                 ) -> tuple[str, str, list[tuple[str, bytes, tuple[str, str]]]]:
    """The letter as the email's body, from the greeting on, with its references below
    the signature and any pictures as related parts."""
    body, images = letter_html(letter.docx, domain=mail_address(record.customer.email or "x@x")
                               .rpartition("@")[2])
    text = letter_text(letter.docx)
    after = _by_post(formats, by_post) + [_references(record, formats)]
    body += "".join(f'<p class="small">{html.escape(line)}</p>' for line in after)
    text += "".join(f"\n{line}\n" for line in after)
    return text, inline_styles(body), images


def _references(record: Record, formats: Formats) -> str:
    ours = f"{formats.pgettext('email', OUR_REFERENCE)} {record.reference}"
    if record.complaint.order:
        return (f"{ours}  ·  {formats.pgettext('email', YOUR_REFERENCE)} "
                f"{record.complaint.order}")
    return ours


def _letterhead(record: Record) -> str:
    org = record.organisation
    details = [(org.address or "").replace("\n", ", "), org.phone, org.email, org.website]
    return inline_styles(
        f'<p class="letterhead">{html.escape(org.name)}</p>'
        f'<p class="details">{html.escape("  ·  ".join(d for d in details if d))}</p>')


def letter_html(docx: bytes, *, domain: str = "letterkit.invalid"
                ) -> tuple[str, list[tuple[str, bytes, tuple[str, str]]]]:
    """A rendered letter's body as HTML from the greeting on (paragraphs, tables, lists;
    every value escaped by mammoth), and its pictures as (content id, bytes, type) for
    related parts."""
    images: list[tuple[str, bytes, tuple[str, str]]] = []

    def picture(image: Any) -> dict[str, str]:
        with image.open() as fh:
            data = fh.read()
        cid = f"{hashlib.sha256(data).hexdigest()[:16]}@{domain}"
        maintype, _, subtype = (image.content_type or "image/png").partition("/")
        images.append((cid, data, (maintype, subtype)))
        return {"src": f"cid:{cid}"}

    result = mammoth.convert_to_html(io.BytesIO(docx), style_map=_STYLE_MAP,
                                     convert_image=mammoth.images.img_element(picture))
    return str(result.value), list({cid: (cid, d, t) for cid, d, t in images}.values())


def letter_text(docx: bytes) -> str:
    """A rendered letter's body as plain text from the greeting on: paragraphs apart, line
    breaks kept, bullets and table rows readable."""
    chunks: list[str] = []
    for block in Document(io.BytesIO(docx)).iter_inner_content():
        bullet = False
        if isinstance(block, Table):
            # Cells apart by " — " (changed with the builder's on purpose: a space alone ran
            # an action and its date together).
            rows = [" — ".join(text for cell in row.cells
                               if (text := cell.text.replace("\n", ", ").strip()))
                    for row in block.rows]
            text = "\n".join(r for r in rows if r)
        else:
            if block.style is not None and block.style.name in _LETTER_HEAD:
                continue
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


def inline_styles(body: str) -> str:
    """Each element's look written on it (`style="…"`): Gmail and others drop <style>."""
    def styled(match: re.Match[str]) -> str:
        tag, css_class, rest = match.group(1), match.group(2), match.group(3)
        style = _INLINE.get(f"{tag}.{css_class}", _INLINE[tag])
        return f'<{tag} style="{style}"{rest}>'
    return _TAG.sub(styled, body)


def _html_document(body: str, formats: Formats) -> str:
    lang = _language_tag(formats)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"></head>'
            f'<body style="margin:0;padding:16px"><div style="{_FONT};max-width:42em">'
            f"{body}</div></body></html>\n")
