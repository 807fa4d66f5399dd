"""The letters as LibreOffice draws them: they open, convert to PDF, and the layouts show."""

from __future__ import annotations

import datetime as dt

import pytest

from letterkit import KINDS, LAYOUTS, make_letter, validate_record

from readback import libreoffice, pdf_words, to_pdf

pytestmark = pytest.mark.libreoffice

MARGIN_PT = 72.0  # 2.54 cm
CENTRE_PT = 72.0 + (21 - 2 * 2.54) / 2 / 2.54 * 72  # the middle of the text block
INDENT_PT = 36.0  # 1.27 cm


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory, request):
    """Every kind in every layout, from the sample, as PDF pages."""
    libreoffice()
    import yaml

    from letterkit.resources import data_path

    data = yaml.safe_load((data_path("samples") / "complaint.yaml").read_text("utf-8"))
    record = validate_record(data)
    folder = tmp_path_factory.mktemp("pdf")
    docs = []
    for kind in KINDS:
        for layout in LAYOUTS:
            letter = make_letter(record, kind, language="en", layout=layout,
                                 today=dt.date(2026, 11, 23))
            path = folder / f"{kind}-{layout}.docx"
            path.write_bytes(letter.docx)
            docs.append(path)
    return {p.stem: p for p in to_pdf(docs, folder)}


def first_x(words, text: str) -> float:
    return next(x for word, x, _ in words if word == text)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_letter_converts_with_its_text(pdfs, kind, layout) -> None:
    """LibreOffice draws each letter with the customer's name and no template tags."""
    words = [w for w, _, _ in pdf_words(pdfs[f"{kind}-{layout}"])]
    text = " ".join(words)
    assert "Lakshmi Prasanna," in text
    assert "CMP-2026-0142" in text
    assert "{{" not in text and "{%" not in text


def test_block_starts_every_line_at_the_margin(pdfs) -> None:
    """Block: date, body, close and signature all at the left margin."""
    words = pdf_words(pdfs["resolution-block"])
    for word in ("23", "Thank", "Yours", "Ravi"):
        assert MARGIN_PT == pytest.approx(first_x(words, word), abs=1.5), word


def test_semi_block_puts_date_close_and_signature_at_the_centre(pdfs) -> None:
    """Semi-block: date, close and signature from the centre; body first lines indented."""
    words = pdf_words(pdfs["resolution-semi-block"])
    for word in ("23", "Yours", "Ravi"):
        assert CENTRE_PT == pytest.approx(first_x(words, word), abs=1.5), word
    assert MARGIN_PT + INDENT_PT == pytest.approx(first_x(words, "Thank"), abs=1.5)
    assert MARGIN_PT == pytest.approx(first_x(words, "Dear"), abs=1.5)


def test_acknowledgement_fits_one_page(pdfs) -> None:
    """The first reply is short: one page, in both layouts."""
    for layout in LAYOUTS:
        assert {1} == {page for _, _, page in pdf_words(pdfs[f"acknowledgement-{layout}"])}


def test_long_letter_numbers_pages_from_two(pdfs) -> None:
    """Page 2 carries its number and the reference; page 1 has the letterhead, no number."""
    words = pdf_words(pdfs["resolution-block"])
    pages = {page for _, _, page in words}
    if pages == {1}:
        pytest.skip("the resolution letter fits one page")
    second = [w for w, _, page in words if page == 2]
    assert "Page" in second and "2" in second and "CMP-2026-0142" in second
    first = [w for w, _, page in words if page == 1]
    assert "Page" not in first


@pytest.fixture(scope="module")
def telugu_pdfs(tmp_path_factory):
    """The Telugu sample's three letters as PDF."""
    libreoffice()
    from letterkit import load_record
    from letterkit.resources import data_path

    record = load_record(data_path("samples") / "complaint.te.yaml")
    folder = tmp_path_factory.mktemp("pdf-te")
    docs = []
    for kind in KINDS:
        path = folder / f"{kind}.te.docx"
        path.write_bytes(make_letter(record, kind, language="te", layout="semi-block",
                                     today=dt.date(2026, 11, 23)).docx)
        docs.append(path)
    return to_pdf(docs, folder)


def test_telugu_survives_into_the_pdf_text(telugu_pdfs) -> None:
    """Each Telugu letter's PDF holds the Telugu name, salutation and date as text."""
    for pdf in telugu_pdfs:
        words = [w for w, _, _ in pdf_words(pdf)]
        text = " ".join(words)
        assert "వెంకట సుబ్బారావు గారు, నమస్కారం." in text, pdf.name
        assert "23 నవంబర్, 2026" in text
        assert "విషయం:" in text


def test_telugu_is_drawn_with_a_telugu_font(telugu_pdfs) -> None:
    """LibreOffice shapes Telugu with a Telugu font (Noto Sans Telugu where Nirmala UI is
    missing), embedded in the PDF."""
    import shutil
    import subprocess

    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    fonts = subprocess.run(["pdffonts", str(telugu_pdfs[0])], capture_output=True, text=True,
                           check=True).stdout
    assert "Telugu" in fonts or "Nirmala" in fonts
