"""A letter's body as HTML and plain text for its email, from the template, compiled once.

Converting every rendered letter with mammoth costs some 16 ms a letter, thirty times the
letter itself. Here the template is converted once: each Jinja tag of its document is
swapped for a marker mammoth carries through as text, the HTML mammoth makes of that is
turned back into a Jinja template, and each letter renders it from its own context, as
its .docx is rendered. What a letter gets is what mammoth makes of the rendered .docx (a
differential test holds it to that); a template whose tags this cannot carry (a value
written between runs, a tag in a dropped paragraph that opens what another closes) is
converted letter by letter, as before.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from letterkit.docx.compiled import BRACE_ESCAPES
from letterkit.docx.environment import environment
from letterkit.docx.limits import letter_limits
from letterkit.docx.parts import template_sources

# The paragraphs that head a letter on paper (its date, references, inside address and
# subject line): in an email the headers say these, and the body opens with the greeting.
LETTER_HEAD = ("Letter Date", "Letter Lines", "Letter Subject")
STYLE_MAP = "\n".join([
    *(f"p[style-name='{name}'] => !" for name in LETTER_HEAD),
    "p[style-name='Letter Heading'] => h3:fresh",
    "p[style-name='Letter Quote'] => blockquote > p:fresh",
    "p[style-name='List Bullet'] => ul > li:fresh",
    "p[style-name='Letter Small'] => p.small:fresh",
    "p[style-name='Letter Signature'] => p.signature:fresh",
])
BULLET = "  • "
Images = list[tuple[str, bytes, tuple[str, str]]]  # (content id, bytes, (maintype, subtype))

_JINJA = r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"
_TOKENS = re.compile(
    rf"(?P<jinja>{_JINJA})|<(?P<close>/?)(?P<name>[\w:]+)(?:\s[^>]*?)?(?P<empty>/?)>", re.DOTALL)
# A tag within the text, and one between elements, in an element of its own.
_MARK, _PLACED = "\ue000{}\ue001", "\ue002{}\ue003"
_MARKS = r"(?:[\ue000\ue002]\d+[\ue001\ue003])+"
_PLACED_MARKS = r"(?:\ue002\d+\ue003)+"
# What mammoth makes of the element a tag between elements stands in, by where it stood.
_WRAPPED = re.compile(rf"<tr><td><p>{_PLACED_MARKS}</p></td></tr>"
                      rf"|<td><p>{_PLACED_MARKS}</p></td>|<p>{_PLACED_MARKS}</p>")
_WRAPPERS = {
    "w:tbl": '<w:tr><w:tc><w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p></w:tc></w:tr>',
    "w:tr": '<w:tc><w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p></w:tc>',
    "w:p": '<w:r><w:t xml:space="preserve">{}</w:t></w:r>',
    "w:hyperlink": '<w:r><w:t xml:space="preserve">{}</w:t></w:r>',
    "w:r": '<w:t xml:space="preserve">{}</w:t>',
}
_IN_A_PARAGRAPH = '<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>'
# After a render: what mammoth would not have made of the rendered letter. It drops
# empty paragraphs, and puts one list's (or quote's) paragraphs in one element.
_EMPTY = re.compile(r'<(p|h[1-6]|li)(?: class="[\w-]+")?></\1>')
_REJOINED = re.compile(r"</(ul|blockquote)><\1>")
_KNOWN_TAGS = re.compile(r"</?(?:p|h[1-6]|blockquote|ul|li|table|thead|tbody|tr|td|th|br|"
                         r"strong|em|u|s|sup|sub|a|img)\b[^>]*>")


class HtmlTemplate:
    """A template's body (from the greeting on) as a Jinja template of HTML."""

    def __init__(self, docx: bytes, env: jinja2.Environment, *, name: str) -> None:
        self.images: Images = []
        self.template = self._convert(docx, env, name)

    def _convert(self, docx: bytes, env: jinja2.Environment, name: str) -> jinja2.Template | None:
        document = next(p for p in template_sources(docx, name=name)
                        if p.name == "word/document.xml")
        marked, tags = _marked(document.source)
        if marked is None:
            return None
        converted = _mammoth_html(_with_part(docx, "word/document.xml", marked), self.images)
        found: list[int] = []

        def back(match: re.Match[str]) -> str:
            numbers = [int(n) for n in re.findall(r"\d+", match.group(0))]
            found.extend(numbers)
            return "".join(tags[n] for n in numbers)

        source = re.sub(_MARKS, back, _WRAPPED.sub(back, converted))
        if sorted(found) != sorted(set(found)) or "<" in _KNOWN_TAGS.sub("", source) \
                or not _drops_whole_blocks(tags, set(found)):
            return None
        try:
            return env.from_string(source)
        except jinja2.TemplateSyntaxError:
            return None

    def render(self, context: Mapping[str, Any]) -> str | None:
        """The body's HTML for one letter (as mammoth would write it), or None if this
        template (or this letter: it may use what a dropped paragraph set) is converted
        letter by letter."""
        if self.template is None:
            return None
        template = self.template
        try:
            body = letter_limits(lambda: template.render(context))  # as its .docx is held
        except Exception:  # noqa: BLE001 - its .docx rendered: mammoth converts that
            return None
        for escaped, brace in BRACE_ESCAPES.items():
            body = body.replace(escaped, brace)
        # As mammoth writes text (&, <, > and " escaped, ' as it is); a line break within
        # a value as docxtpl breaks the line in the letter.
        body = body.replace("&#34;", "&quot;").replace("&#39;", "'").replace("\n", "<br />")
        previous = None
        while previous != body:
            previous, body = body, _REJOINED.sub("", _EMPTY.sub("", body))
        return body


_OPENS = re.compile(r"\{%-?\s*(if|for|macro|call|filter|block|with|autoescape|trans|raw)\b"
                    r"|\{%-?\s*set\s+[\w, ]+\s*-?%\}")
_CLOSES = re.compile(r"\{%-?\s*end\w+")
_BETWEEN = re.compile(r"\{%-?\s*(elif|else|pluralize)\b")


def _drops_whole_blocks(tags: list[str], kept: set[int]) -> bool:
    """Whether the tags mammoth dropped with the letter head's paragraphs open and close
    only among themselves: each run of dropped tags is whole (an `if` dropped with its
    `endif`), so what stays means what it meant."""
    depth = 0
    for n, tag in enumerate(tags):
        if n in kept:
            if depth:
                return False
            continue
        if _OPENS.match(tag):
            depth += 1
        elif _CLOSES.match(tag) or (_BETWEEN.match(tag) and not depth):
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _marked(source: str) -> tuple[str | None, list[str]]:
    """The document's XML with each Jinja tag a numbered marker, placed in an element
    mammoth keeps where the tag stood between elements; None if a tag writes a value
    outside the text (which the letter would not show)."""
    pieces: list[str] = []
    tags: list[str] = []
    stack, done = ["w:body"], 0
    for token in _TOKENS.finditer(source):
        if token.group("jinja"):
            tag = token.group("jinja")
            inside = stack[-1] if stack else "w:body"
            if inside != "w:t" and tag.startswith("{{"):
                return None, []
            if inside == "w:t":
                placed = _MARK.format(len(tags))
            else:
                placed = _WRAPPERS.get(inside, _IN_A_PARAGRAPH).format(_PLACED.format(len(tags)))
            tags.append(tag)
            pieces += [source[done:token.start()], placed]
            done = token.end()
        elif token.group("close"):
            if stack and stack[-1] == token.group("name"):
                stack.pop()
        elif not token.group("empty"):
            stack.append(token.group("name"))
    pieces.append(source[done:])
    return "".join(pieces), tags


def _with_part(docx: bytes, name: str, xml: str) -> bytes:
    """The package with one part's XML replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as package, zipfile.ZipFile(out, "w") as copy:
        for info in package.infolist():
            copy.writestr(info, xml.encode("utf-8") if info.filename == name
                          else package.read(info))
    return out.getvalue()


def _mammoth_html(docx: bytes, images: Images, domain: str = "letterkit.invalid") -> str:
    def picture(image: Any) -> dict[str, str]:
        with image.open() as fh:
            data = fh.read()
        cid = f"{hashlib.sha256(data).hexdigest()[:16]}@{domain}"
        maintype, _, subtype = (image.content_type or "image/png").partition("/")
        if cid not in (known for known, _, _ in images):
            images.append((cid, data, (maintype, subtype)))
        return {"src": f"cid:{cid}"}

    import mammoth  # imported here: a covering note's email never needs it

    result = mammoth.convert_to_html(io.BytesIO(docx), style_map=STYLE_MAP,
                                     convert_image=mammoth.images.img_element(picture))
    return str(result.value)


@functools.lru_cache(maxsize=64)
def _html_template(path: str, mtime_ns: int, size: int, language: str,
                   native_digits: bool) -> HtmlTemplate:
    return HtmlTemplate(Path(path).read_bytes(), environment(language, native_digits),
                        name=path)


def html_template(path: Path, language: str, *, native_digits: bool = False) -> HtmlTemplate:
    """The body template for a file and language, converted once per process (and again
    if the file changes)."""
    stat = path.stat()
    return _html_template(str(path), stat.st_mtime_ns, stat.st_size, language, native_digits)


@dataclass(frozen=True)
class Body:
    """A letter's body for its email: HTML from the greeting on, plain text, pictures."""

    html: str
    text: str
    images: Images


def letter_body(docx: bytes, *, template: Path | None = None,
                context: Mapping[str, Any] | None = None, language: str = "en",
                native_digits: bool = False, domain: str = "letterkit.invalid") -> Body:
    """The body of a letter: from its template's HTML, compiled once, where the template
    allows it; else converted from the letter itself."""
    if template is not None and context is not None:
        compiled = html_template(template, language, native_digits=native_digits)
        body = compiled.render(context)
        if body is not None:
            text = html_text(body)
            if text is not None:
                # Compiled with a stand-in domain: each letter's pictures carry its own
                # (and go with it only if its body shows them).
                own_images: Images = []
                for cid, data, kind in compiled.images:
                    own = cid.replace("@letterkit.invalid", f"@{domain}")
                    if f"cid:{cid}" in body:
                        body = body.replace(f"cid:{cid}", f"cid:{own}")
                        own_images.append((own, data, kind))
                return Body(body, text, own_images)
    images: Images = []
    body = _mammoth_html(docx, images, domain)
    return Body(body, letter_text(docx), images)


_TABLE = re.compile(r"(<table\b.*?</table>)", re.DOTALL)
_BLOCK = re.compile(r"<(p|h[1-6]|li)\b[^>]*>(.*?)</\1>", re.DOTALL)
_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", re.DOTALL)
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL)


def html_text(body: str) -> str | None:
    """The plain text of a body's HTML, as `letter_text` reads the letter: paragraphs
    apart, line breaks kept, bullets and table rows readable; None for what the HTML
    cannot say as the letter would (merged cells, tables in tables, numbered lists)."""
    if re.search(r"colspan|rowspan|<ol\b|<table\b(?:(?!</table>).)*<table\b", body,
                 re.DOTALL):
        return None

    def blocks() -> Iterator[tuple[str, bool]]:
        for n, segment in enumerate(_TABLE.split(body)):
            if n % 2:  # a table: a row a line, its cells side by side
                yield _table_text([["\n".join(_plain(p) for p in _PARAGRAPH.findall(cell))
                                    for cell in _CELL.findall(row)]
                                   for row in _ROW.findall(segment)]), False
                continue
            for block in _BLOCK.finditer(segment):
                yield _paragraph_text(_plain(block.group(2))), block.group(1) == "li"

    return _text_of(blocks())


def _plain(inner: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", inner.replace("<br />", "\n")))


def letter_text(docx: bytes) -> str:
    """A rendered letter's body as plain text from the greeting on: paragraphs apart, line
    breaks kept, bullets and table rows readable."""
    from docx import Document  # imported here: only a template mammoth cannot carry
    from docx.table import Table

    def blocks() -> Iterator[tuple[str, bool]]:
        for block in Document(io.BytesIO(docx)).iter_inner_content():
            if isinstance(block, Table):
                yield _table_text([[cell.text for cell in row.cells]
                                   for row in block.rows]), False
            elif block.style is None or block.style.name not in LETTER_HEAD:
                yield (_paragraph_text(block.text),
                       block.style is not None and block.style.name == "List Bullet")

    return _text_of(blocks())


def _paragraph_text(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u2011", "-")


# Between a table row's cells in plain text: a space alone ran "Deliver the refrigerator"
# and "28 November 2026" together.
_CELLS_APART = " — "


def _table_text(rows: list[list[str]]) -> str:
    lines = [_CELLS_APART.join(text for cell in row
                               if (text := cell.replace("\n", ", ").strip()))
             for row in rows]
    return "\n".join(line for line in lines if line)


def _text_of(blocks: Iterable[tuple[str, bool]]) -> str:
    """Paragraphs (text, whether a bullet) apart; a list's bullets together."""
    chunks: list[str] = []
    for text, bullet in blocks:
        text = f"{BULLET}{text}" if bullet and text else text
        if not text.strip():
            continue
        if bullet and chunks and chunks[-1].startswith(BULLET):
            chunks[-1] += "\n" + text  # a list stays together
        else:
            chunks.append(text)
    return "\n\n".join(chunks) + "\n"
