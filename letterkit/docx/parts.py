"""A .docx template as Jinja source: its parts, patched by docxtpl's own code, one
paragraph per line, with where each line stands in words an admin understands."""

from __future__ import annotations

import functools
import html
import io
import re
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from letterkit.errors import Problem, TemplateError

if TYPE_CHECKING:
    from docxtpl import DocxTemplate

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
_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


@functools.cache
def patcher() -> DocxTemplate:
    """docxtpl's XML patching and post-processing, which need no document: one instance
    serves all. (Its patch_xml, resolve_listing, fix_tables and fix_docpr_ids are public
    but not documented: pyproject.toml bounds docxtpl to the versions the differential
    test passed.) Loaded when first needed: a template kept compiled needs it only for
    values that hold a line break or a tab, and docxtpl brings python-docx with it."""
    from docxtpl import DocxTemplate

    return DocxTemplate(io.BytesIO())


@dataclass(frozen=True)
class PartSource:
    """One XML part of a template as Jinja source, one paragraph per line."""

    name: str
    source: str
    # Uses docxtpl's column tags ({%tc}, {% hm %}, colspan), after which docxtpl
    # repairs each table's grid.
    reshapes_tables: bool


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
    xml = patcher().patch_xml(xml)
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
