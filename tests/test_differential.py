"""letterkit's compile-once rendering gives the same document as docxtpl's own render."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from docxtpl import DocxTemplate
from lxml import etree

from letterkit import KINDS, LAYOUTS, load_record
from letterkit.docx.compiled import compile_template
from letterkit.docx.environment import environment
from letterkit.docx.find import shipped_templates_dir
from letterkit.letters import letter_context
from letterkit.resources import data_path

SAMPLES = {"en": "complaint.yaml", "te": "complaint.te.yaml"}


def canonical_parts(docx: bytes) -> dict[str, bytes]:
    """The body, headers and footers as canonical XML (namespace placement and attribute
    order normalised), by part name."""
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        return {
            name: etree.tostring(etree.fromstring(package.read(name)), method="c14n")
            for name in package.namelist()
            if name == "word/document.xml" or name.startswith(("word/header", "word/footer"))
        }


@pytest.mark.parametrize("language", sorted(SAMPLES))
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_same_document_as_docxtpl(kind, layout, language) -> None:
    """For every shipped template, in both languages and layouts, each rendered part is
    exactly what docxtpl's render() makes from the same template and context."""
    record = load_record(data_path("samples") / SAMPLES[language])
    context = letter_context(record, kind=kind, language=language, layout=layout,
                             today=dt.date(2026, 11, 23))
    path = shipped_templates_dir() / f"{kind}-{layout}.docx"

    reference = DocxTemplate(path)
    reference.render(context, jinja_env=environment(language))
    expected = io.BytesIO()
    reference.save(expected)

    ours = compile_template(path, language).render(context)
    assert canonical_parts(expected.getvalue()) == canonical_parts(ours)


def test_package_has_every_part_and_content_types_first() -> None:
    """The rendered package holds every part of the template, [Content_Types].xml first."""
    path = shipped_templates_dir() / "resolution-block.docx"
    record = load_record(data_path("samples") / "complaint.yaml")
    context = letter_context(record, kind="resolution", language="en", layout="block",
                             today=dt.date(2026, 11, 23))
    ours = zipfile.ZipFile(io.BytesIO(compile_template(path, "en").render(context)))
    template = zipfile.ZipFile(path)
    assert sorted(template.namelist()) == sorted(ours.namelist())
    assert "[Content_Types].xml" == ours.namelist()[0]
    assert ours.testzip() is None


@pytest.mark.parametrize(
    "xml",
    [
        '<w:p><w:r><w:t xml:space="preserve">one\ntwo</w:t></w:r></w:p>',
        '<w:p w:rsidR="1"><w:pPr><w:pStyle w:val="X"/></w:pPr><w:r><w:rPr><w:b/></w:rPr>'
        '<w:t>a\tb\ac\fd</w:t></w:r></w:p><w:p><w:r><w:t>plain</w:t></w:r></w:p>',
        "<w:p><w:r><w:t>no specials</w:t></w:r></w:p>",
        "<w:p><w:r><w:t>x\ny</w:t></w:r></w:p><w:p><w:r><w:t>z</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>p\tq</w:t></w:r><w:r><w:t>r\ns</w:t></w:r></w:p>",
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell\nline</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
        "<w:body>\n<w:sectPr/></w:body>",
    ],
    ids=["newline", "all-four", "none", "several", "table-cell", "outside-paragraph"],
)
def test_listing_resolution_matches_docxtpl(xml) -> None:
    """Line breaks, tabs, new paragraphs and page breaks come out as docxtpl makes them."""
    from letterkit.docx.compiled import _resolve_listing

    assert DocxTemplate(io.BytesIO()).resolve_listing(xml) == _resolve_listing(xml)
