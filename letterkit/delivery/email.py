"""The email that carries each letter, as a standard MIME message (.eml) any mail client
opens: the letter itself as the body, or a covering note with the letter attached, as the
letter's kind says. The body opens with the greeting, under the organisation's name; its
styles sit on the elements (mail clients drop style sheets) and its pictures travel as
related parts (`cid:`), not as `data:` addresses that clients block."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from email.headerregistry import Address
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from letterkit.delivery import mime
from letterkit.docx.html import Images, letter_body
from letterkit.errors import MISSING, Problem
from letterkit.i18n.formats import Formats
from letterkit.i18n.languages import pmark
from letterkit.kinds import Kind
from letterkit.letters import DATED_HEADER, Letter
from letterkit.output import safe_folder_name
from letterkit.record import Record, mail_address

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
# Python's own table of types: the module-level guess reads the Windows registry (and
# /etc/mime.types), so one record would make different emails on different machines.
_TYPES = mimetypes.MimeTypes()
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
) -> bytes:
    """The email for a letter, as the bytes of an .eml file, shaped as its kind says: the
    letter itself as the body, or a short covering note with the letter (and
    `attachments`, such as its PDF) attached; the letter's enclosures go with it, attached
    where they have a file. An `invitation` goes in as a `text/calendar; method=REQUEST`
    alternative. `now` is the Date it shows until `send` stamps the moment it goes."""
    kind = letter.definition
    formats = Formats.for_language(letter.language, native_digits=letter.native_digits)
    from_ = sender(record)
    assert from_ is not None and record.customer.email, "check email_problems first"
    to = _address(formats.addressee(record.customer.model_dump()), record.customer.email)
    copied = [_address(p.name, p.email) for p in kind.copied(record) if p.email]
    replies = [_address("", reply_to)] if reply_to else []
    message_id = _message_id(letter, record, from_.domain, invitation)
    headers = [text_header("Subject", subject(kind, record, formats)),
               address_header("From", [from_]), address_header("To", [to])]
    if copied:
        headers.append(address_header("Cc", copied))
    if replies:
        headers.append(address_header("Reply-To", replies))
    headers += [f"Date: {format_datetime(now)}", _message_id_header(message_id),
                "MIME-Version: 1.0"]
    if letter.dated is not None:
        # The letter's own date: `send` holds the message back until that day.
        headers.append(f"{DATED_HEADER}: {letter.dated.isoformat()}")

    enclosed = kind.enclosures(record)
    by_post = [item.what for item in enclosed if item.file is None]
    if kind.email == "letter":
        text, body, images = _letter_body(letter, record, formats, by_post)
    else:
        (text, body), images = _covering_note(kind, record, formats, by_post), []
    # Boundaries of the message's own: its id's digest, and the depth.
    boundary = f"=_{message_id.partition('@')[0].rpartition('.')[2]}_"
    language = f"Content-Language: {_language_tag(formats)}"
    html_part = mime.text("html", _html_document(_letterhead(record) + body, formats))
    if images:
        pictures = [mime.binary(mime.with_params("Content-Type", f"{maintype}/{subtype}", []),
                                data, f"Content-ID: <{cid}>", "Content-Disposition: inline")
                    for cid, data, (maintype, subtype) in images]
        html_part = mime.multipart("related", [html_part, *pictures], boundary + "3",
                                   language)
    else:
        html_part = mime.Part((*html_part.headers, language), html_part.body)
    alternatives = [mime.text("plain", text, language), html_part]
    if invitation is not None:
        # Inside the alternatives, where Outlook and Gmail look for an invitation.
        alternatives.append(mime.binary(mime.with_params(
            "Content-Type", "text/calendar", [("method", "REQUEST"), ("charset", "UTF-8")]),
            invitation))
    files = list(attachments)
    if kind.attaches_letter:
        files.insert(0, (letter.display_name(), letter.docx, DOCX_TYPE))
    for item in enclosed:
        if item.file is not None:
            path = Path(item.file)
            guessed = _TYPES.guess_type(path.name)[0] or "application/octet-stream"
            maintype, _, subtype = guessed.partition("/")
            files.append((path.name, path.read_bytes(), (maintype, subtype)))
    top = mime.multipart("alternative", alternatives, boundary + "2")
    if files:
        # A Telugu name travels as RFC 2231 `filename*`; mail clients that do not read it
        # fall back to the plain-ASCII `name` of the content type.
        top = mime.multipart("mixed", [top, *(
            mime.binary(mime.with_params("Content-Type", f"{maintype}/{subtype}",
                                         [("name", ascii_fallback(filename, letter))]),
                        data, mime.with_params("Content-Disposition", "attachment",
                                               [("filename", filename)]))
            for filename, data, (maintype, subtype) in files)], boundary + "1")
    # An address with letters beyond ASCII before the @ (రామ@…) cannot be written in a
    # 7-bit message: such a one is written in UTF-8 (RFC 6532), and `send` hands it only
    # to a server that offers SMTPUTF8. Every other message stays 7-bit.
    return mime.Part((*headers, *top.headers), top.body).as_bytes()


def subject(kind: Kind, record: Record, formats: Formats) -> str:
    """The email's subject, as the kind words it, in the letter's language."""
    values = {"subject": record.complaint.subject.replace("\n", " "),
              "reference": record.reference}
    if record.meeting is not None:
        start = record.meeting.local_start()
        values.update(date=formats.date(start, "full"), time=formats.time(start))
    return formats.pgettext("email", kind.subject(record)) % values


def text_header(name: str, text: str) -> str:
    """An unstructured header line (Subject): as it is if plain ASCII words, else in whole
    encoded words (so too a word too long for a line, which only an encoded word may
    split, and text a reader would take for encoded words). Python's own folding splits
    encoded words anywhere (inside a Telugu word) and turns a space between words into
    whitespace between encoded words, which RFC 2047 readers drop ("AM:వాషింగ్"); here each
    encoded word holds whole words with the space after each inside it, so every reader
    shows the text as written."""
    words = text.split(" ")
    if text.isascii() and text.isprintable() and "=?" not in text \
            and all(0 < len(word) <= 70 for word in words):
        return mime.folded(name, words)
    return mime.folded(name, _encoded_words(text))


def address_header(name: str, addresses: list[Address]) -> str:
    """An address header line (From, To, Cc), display names in whole encoded words."""
    tokens: list[str] = []
    for n, address in enumerate(addresses):
        display = address.display_name
        if display and display.isascii():
            # Quoted as `email` would; an address given in parts is not parsed again.
            tokens.append(str(Address(display_name=display, username="x", domain="y"))
                          .rpartition(" <")[0])
        elif display:
            tokens += _encoded_words(display)
        tokens.append(f"<{address.addr_spec}>" + ("," if n < len(addresses) - 1 else ""))
    return mime.folded(name, tokens)


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


def _message_id_header(message_id: str) -> str:
    # An id too long for the line goes on the next, whole, as `email` writes it.
    line = f"Message-ID: {message_id}"
    return line if len(line) <= 78 else f"Message-ID:\r\n {message_id}"


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
                 ) -> tuple[str, str, Images]:
    """The letter as the email's body, from the greeting on, with its references below
    the signature and any pictures as related parts."""
    body = letter_body(letter.docx, template=letter.template, context=letter.context,
                       language=letter.language, native_digits=letter.native_digits,
                       domain=mail_address(record.customer.email or "x@x").rpartition("@")[2])
    after = _by_post(formats, by_post) + [_references(record, formats)]
    html_body = body.html + "".join(f'<p class="small">{html.escape(line)}</p>'
                                    for line in after)
    text = body.text + "".join(f"\n{line}\n" for line in after)
    return text, inline_styles(html_body), body.images


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
