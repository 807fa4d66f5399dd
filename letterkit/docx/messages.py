"""The wording of .docx templates and of letterkit's own Python, as a template catalog.

The extractor is registered with Babel (`babel.extractors` entry point `docx`), so
`pybabel extract -F babel.cfg` works as well as `letterkit i18n extract`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import jinja2
from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_from_file
from jinja2.ext import babel_extract

from letterkit.docx.find import kind_of_template
from letterkit.docx.parts import paragraph_text, part_label, template_sources
from letterkit.errors import TemplateError
from letterkit.i18n.languages import DOMAIN

# Fixed wording kept in Python (courtesy titles, how a reader is named) is marked with
# `pmark(context, message)`; Babel's default keywords cover the templates' gettext calls.
PYTHON_KEYWORDS: Mapping[str, Any] = {"pmark": ((1, "c"), 2)}
PACKAGE = Path(__file__).resolve().parent.parent
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
    found_kind = kind_of_template(Path(name))
    letter = found_kind[0].name if found_kind else Path(name).stem
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
    python_dir = python_dir or PACKAGE
    for source in sorted(python_dir.rglob("*.py")):
        name = source.relative_to(python_dir).as_posix()
        for lineno, message, comments, context in extract_from_file(
            "python", source, keywords=PYTHON_KEYWORDS, comment_tags=("Translators:",)
        ):
            catalog.add(message, None, [(f"letterkit/{name}", lineno)],
                        auto_comments=comments, context=context)
    return catalog
