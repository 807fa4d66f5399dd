"""Compiling a .docx template once and rendering many contexts into .docx bytes.

docxtpl's `DocxTemplate.render()` reopens the package, re-patches its XML and recompiles
the Jinja source for every letter. Here each XML part is patched by docxtpl's own code and
compiled once; a render is then Jinja plus docxtpl's post-processing, and a new zip.
"""

from __future__ import annotations

import functools
import html
import io
import re
import traceback
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree
from markupsafe import Markup, escape

from letterkit.errors import Problem, TemplateError
from letterkit.i18n import Formats
from letterkit.zipjoin import SharedEntries, join

_W = "application/vnd.openxmlformats-officedocument.wordprocessingml"
# The parts that hold text a template may put tags in.
TEMPLATED_CONTENT_TYPES = frozenset(
    {
        f"{_W}.document.main+xml",
        f"{_W}.template.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        f"{_W}.header+xml",
        f"{_W}.footer+xml",
        f"{_W}.footnotes+xml",
        f"{_W}.endnotes+xml",
        "application/vnd.openxmlformats-package.core-properties+xml",
    }
)
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
# docxtpl's XML patching and post-processing need no document: one instance serves all.
_PATCHER = DocxTemplate(io.BytesIO())


class _Undefined(jinja2.StrictUndefined):
    """Strict: a field the record lacks is an error naming the field, never a blank."""

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        return f"{self._undefined_name!r} is not a field letterkit gives templates"


def _escaped(fn: Callable[..., Any]) -> Callable[..., Markup]:
    # Translations are text, not markup: a translator's "&" must come out as "&amp;"
    # or the document is no longer valid XML. A message's translation never changes in
    # one environment, and every letter asks for the same ones: look each up once.
    @functools.lru_cache(maxsize=4096)
    def translated(*args: Any) -> Markup:
        return escape(str(fn(*args)))

    return translated


@functools.cache
def environment(language: str, native_digits: bool = False) -> SandboxedEnvironment:
    """The Jinja environment for one language: sandboxed, autoescaping, strict, with the
    language's gettext and Babel formats as filters."""
    formats = Formats.for_language(language, native_digits=native_digits)
    env = SandboxedEnvironment(
        autoescape=True,
        undefined=_Undefined,
        extensions=["jinja2.ext.i18n"],
        finalize=lambda value: "" if value is None else value,
    )
    t = formats.translations
    gettext = _escaped(t.gettext)
    env.extend(letterkit_gettext=gettext)  # for folding constant messages at compile time
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext,
        ngettext=_escaped(t.ngettext),
        pgettext=_escaped(t.pgettext),
        npgettext=_escaped(t.npgettext),
        newstyle=True,
    )
    env.filters.update(template_filters(formats))
    return env


def template_filters(formats: Formats) -> dict[str, Callable[..., str]]:
    """The filters letterkit adds to Jinja's own, by the name templates use."""
    return {
        "date": formats.date,
        "time": formats.time,
        "timezone": formats.timezone,
        "money": formats.money,
        "number": formats.number,
        "duration": formats.duration,
        "join_and": formats.join_and,
        "courtesy_title": formats.courtesy_title,
        "addressee": formats.addressee,
        "nobreak": formats.nobreak,
    }


@dataclass
class _Part:
    name: str
    location: PartLocation
    template: jinja2.Template
    reshapes_tables: bool
    has_drawings: bool
    # docxtpl's escapes for literal braces ({_{ … }_}) appear in the template itself.
    has_brace_escapes: bool


@dataclass(frozen=True)
class PartSource:
    """One XML part of a template as Jinja source, one paragraph per line."""

    name: str
    source: str
    # Uses docxtpl's column tags ({%tc}, {% hm %}, colspan), after which docxtpl
    # repairs each table's grid.
    reshapes_tables: bool


class CompiledTemplate:
    """A .docx template, parsed and compiled once, that renders contexts into .docx bytes."""

    def __init__(self, source: bytes, *, name: str, env: jinja2.Environment) -> None:
        self.name = name
        # A part with no tag and nothing docxtpl would change renders to itself: keep it as
        # it is in the package instead of rendering it for every letter.
        self._parts = {part.name: self._compile(part, env)
                       for part in template_sources(source, name=name)
                       if "{{" in part.source or "{%" in part.source
                       or _LISTING_CHARS.search(part.source.replace("\n<w:p", "<w:p"))}
        # The parts no tag touches are compressed once, here; every letter shares them as
        # they are and adds only the parts it rendered.
        with zipfile.ZipFile(io.BytesIO(source)) as package:
            infos = package.infolist()
            self._shared = SharedEntries.from_entries(
                [(i, package.read(i)) for i in infos if i.filename not in self._parts])
        self._rendered_infos = [i for i in infos if i.filename in self._parts]

    def _compile(self, part: PartSource, env: jinja2.Environment) -> _Part:
        location = PartLocation(self.name, part.name, part.source.splitlines())
        try:
            template = env.from_string(_fold_constant_messages(part.source, env))
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(location.problem(exc.message or str(exc), exc.lineno)) from None
        return _Part(part.name, location, template, part.reshapes_tables, "docPr" in part.source,
                     any(e in part.source for e in _BRACE_ESCAPES))

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The letter for one context, as the bytes of a .docx file."""
        return join(self._shared, [(info, self._render_part(self._parts[info.filename], context))
                                   for info in self._rendered_infos])

    def _render_part(self, part: _Part, context: Mapping[str, Any]) -> bytes:
        try:
            xml = part.template.render(context)
        except SecurityError as exc:
            raise TemplateError(part.location.problem(
                f"refused: the template reaches for Python internals ({exc})",
                _template_line(exc))) from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, LookupError) as exc:
            raise TemplateError(part.location.problem(str(exc), _template_line(exc))) from None
        xml = xml.replace("\n<w:p", "<w:p")
        if part.has_brace_escapes:
            for escaped, brace in _BRACE_ESCAPES.items():
                xml = xml.replace(escaped, brace)
        xml = _resolve_listing(xml)
        try:
            tree = etree.fromstring(xml.encode("utf-8"))
        except etree.XMLSyntaxError as exc:
            raise TemplateError.at(
                f"{part.name}: the template produced a broken document ({exc}); "
                "a tag may cut across a table or paragraph it does not close",
                file=self.name,
            ) from None
        if part.reshapes_tables:
            tree = _PATCHER.fix_tables(xml)
        if part.has_drawings:
            _PATCHER.docx_ids_index = 1000
            _PATCHER.fix_docpr_ids(tree)
        if part.reshapes_tables or part.has_drawings:
            xml = str(etree.tostring(tree, encoding="unicode"))
        return (_XML_DECLARATION + xml).encode("utf-8")


_CONSTANT_MESSAGE = re.compile(
    r"""\{\{\s*_\(\s*(?P<q>['"])(?P<msg>(?:(?!(?P=q)).)*)(?P=q)\s*\)\s*\}\}""")


def _fold_constant_messages(source: str, env: jinja2.Environment) -> str:
    """`{{ _('Yours sincerely,') }}` as its translation, worked out once per language when
    the template is compiled rather than for every letter. Messages with values, and any
    whose literal or translation holds a backslash or template syntax, are left to Jinja."""
    translate: Callable[[str], Markup] = env.letterkit_gettext  # type: ignore[attr-defined]

    def fold(match: re.Match[str]) -> str:
        message = match.group("msg")
        if "\\" in message:
            return match.group(0)
        try:
            # As Jinja's newstyle gettext would: the escaped translation, %-formatted.
            text = str(translate(message) % {})
        except (TypeError, KeyError, ValueError):
            return match.group(0)
        if any(mark in text for mark in ("{{", "{%", "{#", "}}", "%}", "#}", "\n")):
            return match.group(0)
        return text

    return _CONSTANT_MESSAGE.sub(fold, source)


_BRACE_ESCAPES = {"{_{": "{{", "}_}": "}}", "{_%": "{%", "%_}": "%}"}
_LISTING_CHARS = re.compile("[\n\t\a\f]")
_PARAGRAPH_START = re.compile(r"<w:p[ >]")


def _resolve_listing(xml: str) -> str:
    """docxtpl's line breaks, tabs, new paragraphs and page breaks for text holding a
    newline, tab, BEL or form feed, applied only to the paragraphs that hold one (docxtpl
    runs it over every paragraph; the result is the same, and most parts have none)."""
    found = _LISTING_CHARS.search(xml)
    if found is None:
        return xml
    pieces, done = [], 0
    while found is not None:
        start = max(xml.rfind("<w:p ", done, found.start()), xml.rfind("<w:p>", done,
                                                                        found.start()))
        end = xml.find("</w:p>", found.start())
        if start < 0 or end < 0 or not _PARAGRAPH_START.match(xml, start):
            found = _LISTING_CHARS.search(xml, found.end())  # outside a paragraph: as is
            continue
        end += len("</w:p>")
        pieces += [xml[done:start], _PATCHER.resolve_listing(xml[start:end])]
        done = end
        found = _LISTING_CHARS.search(xml, done)
    pieces.append(xml[done:])
    return "".join(pieces)


_WORD_HABITS = str.maketrans({"\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u2009": " "})
# A template is opened whole only if it is a plausible Word document: no zip bombs.
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 2000


def check_package(package: zipfile.ZipFile, *, name: str) -> None:
    """Refuse a .docx whose contents would unpack to something no letter needs."""
    infos = package.infolist()
    if len(infos) > MAX_ENTRIES:
        raise TemplateError.at(f"refused: {len(infos)} files inside; a Word document has "
                               f"far fewer than {MAX_ENTRIES}", file=name)
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise TemplateError.at(f"refused: it would unpack to {unpacked // 2**20} MiB; a letter "
                               f"template stays well under {MAX_UNPACKED_BYTES // 2**20} MiB",
                               file=name)
    names = {i.filename for i in infos}
    for required in ("[Content_Types].xml", "word/document.xml"):
        if required not in names:
            raise TemplateError.at(f"is not a Word document: {required} is missing", file=name)


_TABLE_RESHAPING_TAG = re.compile(r"\{%-?\s*(?:tc\s|hm\s*-?%|colspan\s)")


def part_source(blob: bytes, *, part_name: str, template: str) -> PartSource:
    """The Jinja source of one XML part of a .docx, one paragraph per line.

    docxtpl's own patching repairs tags Word split across runs, turns smart quotes in tags
    back into plain ones and resolves its paragraph and row tags; rendering and message
    extraction both start from this, so they always agree on every message.
    """
    try:
        xml = etree.tostring(etree.fromstring(blob), encoding="unicode")
    except etree.XMLSyntaxError as exc:
        raise TemplateError.at(f"{part_name} is not valid XML: {exc}", file=template) from None
    # Judged on the text alone, so a tag Word split across runs is still seen.
    reshapes = bool(_TABLE_RESHAPING_TAG.search(re.sub(r"<[^>]+>", "", xml)))
    xml = _PATCHER.patch_xml(xml)
    # Word escapes what sits inside a tag as XML ("&amp;", "&quot;"); Jinja must see it
    # as the admin typed it, so that `_("Terms & conditions")` is one message. Word's
    # autocorrect also turns "-" into dashes and spaces into non-breaking ones.
    xml = _JINJA_TAG.sub(lambda m: html.unescape(m.group(0)).translate(_WORD_HABITS), xml)
    return PartSource(part_name, re.sub(r"<w:p([ >])", r"\n<w:p\1", xml), reshapes)


def template_sources(docx: bytes, *, name: str) -> list[PartSource]:
    """The Jinja source of every part of a .docx that may hold tags."""
    if len(docx) > MAX_TEMPLATE_BYTES:
        raise TemplateError.at(f"refused: {len(docx) // 2**20} MiB is far larger than a letter "
                               "template", file=name)
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as package:
            check_package(package, name=name)
            names = set(package.namelist())
            parts = [p for p in _templated_parts(package.read("[Content_Types].xml"))
                     if p in names]
            return [part_source(package.read(p), part_name=p, template=name) for p in parts]
    except zipfile.BadZipFile:
        raise TemplateError.at("is not a Word document (.docx)", file=name) from None


def _templated_parts(content_types: bytes) -> list[str]:
    root = etree.fromstring(content_types)
    return [
        override.get("PartName", "").lstrip("/")
        for override in root.iter(f"{_CT_NS}Override")
        if override.get("ContentType") in TEMPLATED_CONTENT_TYPES
    ]


def _template_line(exc: BaseException) -> int | None:
    # Jinja rewrites tracebacks so template frames carry the template's own line numbers.
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f.lineno for f in frames if f.filename == "<template>"]
    return lines[-1] if lines else getattr(exc, "lineno", None)


def part_label(part: str) -> str:
    """What an admin calls a part of a Word document."""
    for word in ("header", "footer", "footnotes", "endnotes"):
        if word in part:
            return word
    return "document properties" if part.startswith("docProps") else "body"


def paragraph_text(line: str) -> str:
    """A line of a part's source (one paragraph) as the admin sees it in Word."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip()


class PartLocation:
    """Where a line of a part's source stands, in an admin's words: the part, a table cell
    or text box, and the paragraph's text."""

    def __init__(self, template: str, part: str, lines: list[str]) -> None:
        self.template, self.part, self.lines = template, part, lines
        self._inside: list[tuple[int, int]] = []
        cell = box = 0
        for line in lines:  # a paragraph's line starts inside whatever holds it
            self._inside.append((cell, box))
            cell += line.count("<w:tc>") + line.count("<w:tc ") - line.count("</w:tc>")
            box += line.count("<w:txbxContent") - line.count("</w:txbxContent>")

    def problem(self, message: str, lineno: int | None) -> Problem:
        where = [] if self.part == "word/document.xml" else [part_label(self.part)]
        if lineno is not None and 0 < lineno <= len(self.lines):
            cell, box = self._inside[lineno - 1]
            where += ["text box"] if box > 0 else ["table cell"] if cell > 0 else []
            text = paragraph_text(self.lines[lineno - 1])
            if text:
                where.append(f"paragraph “{text if len(text) <= 100 else text[:99] + '…'}”")
        return Problem(f"{message} ({', '.join(where)})" if where else message,
                       file=self.template)


@functools.lru_cache(maxsize=64)
def _compiled(
    path: str, mtime_ns: int, size: int, language: str, native_digits: bool
) -> CompiledTemplate:
    return CompiledTemplate(Path(path).read_bytes(), name=path,
                            env=environment(language, native_digits))


def compile_template(path: Path, language: str, *, native_digits: bool = False
                     ) -> CompiledTemplate:
    """The compiled template for a file and language, compiled once per process
    (and again if the file changes)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise TemplateError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None
    return _compiled(str(path), stat.st_mtime_ns, stat.st_size, language, native_digits)
