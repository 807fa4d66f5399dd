"""Message catalogs: extracting wording from .docx templates, updating and checking catalogs.

The extractor is registered with Babel (`babel.extractors` entry point `docx`), so
`pybabel extract -F babel.cfg` works as well as `letterkit i18n extract`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import jinja2
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from letterkit.errors import TemplateError
from letterkit.i18n import DOMAIN, SOURCE_LANGUAGE, catalog_path
from letterkit.render import paragraph_text, part_label, template_sources

# Fixed wording kept in Python (courtesy titles, how a reader is named) is marked with
# `pmark(context, message)`; Babel's default keywords cover the templates' gettext calls.
PYTHON_KEYWORDS: Mapping[str, Any] = {"pmark": ((1, "c"), 2)}
PYTHON_SOURCES = ("i18n.py", "mail.py", "invitation.py")
_GETTEXT_CALL = re.compile(r"""\{\{\s*_\(\s*(['"])(.*?)\1.*?\}\}""", re.DOTALL)


def extract_docx(
    fileobj: Any,
    keywords: Any,
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel extractor for .docx templates: the wording of every part (body, headers,
    footers) with a translator comment naming the template and the paragraph.

    Line numbers count paragraphs through the whole document, headers and footers after
    the body, so each message's location is distinct.
    """
    name = str(options.get("filename") or getattr(fileobj, "name", "template.docx"))
    offset = 0
    for part_source in template_sources(fileobj.read(), name=name):
        part, source = part_source.name, part_source.source
        lines = source.splitlines()
        try:
            found = list(babel_extract(io.BytesIO(source.encode("utf-8")), list(keywords),
                                       list(comment_tags), {"silent": "false"}))
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError.at(f"{part_label(part)}: {exc.message}", file=name) from None
        for lineno, funcname, message, comments in found:
            letter = re.sub(r"-(semi-)?block$", "", Path(name).stem)
            where = f"{letter}, {part_label(part)}: “{_paragraph(lines, lineno)}”"
            yield offset + lineno, funcname, message, [*comments, where]
        offset += len(lines)


def _paragraph(lines: list[str], lineno: int) -> str:
    """A paragraph as a translator should see it: its wording, other fields as `…`."""
    if not 0 < lineno <= len(lines):
        return ""
    text = paragraph_text(lines[lineno - 1].replace("<w:br/>", " / "))
    text = _GETTEXT_CALL.sub(lambda m: m.group(2), text)
    text = re.sub(r"\{\{.*?\}\}", "…", text, flags=re.DOTALL)
    text = re.sub(r"\{%.*?%\}", "", text, flags=re.DOTALL)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= 160 else text[:157] + "…"


def extract_messages(templates: list[Path], python_dir: Path | None = None) -> Catalog:
    """The template catalog (.pot) for the given .docx templates and letterkit's own
    Python wording."""
    catalog = Catalog(project="letterkit", domain=DOMAIN, fuzzy=False,
                      msgid_bugs_address="", copyright_holder="letterkit")
    for path in sorted(templates):
        with path.open("rb") as fh:
            # Babel's hints describe what extract() yields, not what an extractor does.
            for lineno, message, comments, context in extract(
                cast(Any, extract_docx), fh, comment_tags=("Translators:",),
                options={"filename": str(path)},
            ):
                catalog.add(message, None, [(path.name, lineno)],
                            auto_comments=comments, context=context)
    for entry in catalog:
        entry.auto_comments = list(dict.fromkeys(entry.auto_comments))
    python_dir = python_dir or Path(__file__).parent
    for name in PYTHON_SOURCES:
        for lineno, message, comments, context in extract_from_file(
            "python", python_dir / name, keywords=PYTHON_KEYWORDS, comment_tags=("Translators:",)
        ):
            catalog.add(message, None, [(f"letterkit/{name}", lineno)],
                        auto_comments=comments, context=context)
    return catalog


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=88, sort_output=False)


def read_catalog(path: Path, locale: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, domain=DOMAIN)


def update_catalog(template: Catalog, path: Path, locale: str) -> Catalog:
    """Merge a fresh template into a language's catalog: new messages appear untranslated
    (or as fuzzy guesses), messages no longer used become obsolete."""
    catalog = read_catalog(path, locale) if path.is_file() else Catalog(locale=locale,
                                                                        domain=DOMAIN)
    catalog.update(template)
    return catalog


@dataclass
class CatalogReport:
    """What is wrong with a language's catalog against the templates' wording."""

    language: str
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.untranslated or self.fuzzy or self.errors)

    def lines(self) -> list[str]:
        path = catalog_path(self.language)
        return ([f"{path}: untranslated: {m!r}" for m in self.untranslated]
                + [f"{path}: fuzzy (a guess, not used): {m!r}" for m in self.fuzzy]
                + [f"{path}: {e}" for e in self.errors])


def check_catalog(language: str, template: Catalog) -> CatalogReport:
    """Every message of the template must be translated, not fuzzy, and keep its
    placeholders (`%(name)s`) intact."""
    report = CatalogReport(language)
    if language == SOURCE_LANGUAGE:
        return report
    path = catalog_path(language)
    if not path.is_file():
        report.errors.append("no catalog")
        return report
    catalog = read_catalog(path, language)
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        shown = message.id if isinstance(message.id, str) else message.id[0]
        if found is None or not is_translated(found):
            report.untranslated.append(shown)
        elif found.fuzzy:
            report.fuzzy.append(shown)
    for message, errors in catalog.check():
        report.errors += [f"{message.id!r}: {error}" for error in errors]
    return report


def is_translated(message: Message) -> bool:
    """A translation for every form (a plural message has several); fuzzy ones count as
    translated here, and are reported apart."""
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def compile_catalog(language: str) -> Path:
    """Write the language's .mo beside its .po, for gettext tools outside letterkit
    (letterkit itself reads the .po)."""
    path = catalog_path(language)
    catalog = read_catalog(path, language)
    mo = path.with_suffix(".mo")
    with mo.open("wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)
    return mo
