"""The letters as LibreOffice draws them: they open, convert to PDF, and the layouts show."""

from __future__ import annotations

import datetime as dt

import pytest

from letterkit import KINDS, LAYOUTS, make_letter, validate_record

from readback import libreoffice, pdf_lines, pdf_words, to_pdf

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
        assert "వెంకట సుబ్బారావు గారికి, నమస్కారం." in text, pdf.name
        assert "23 నవంబర్ 2026" in text
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


# --- page flow, on both samples' letters as they are dated --------------------------

DAYS = {"acknowledgement": dt.date(2026, 11, 23), "meeting": dt.date(2026, 11, 23),
        "resolution": dt.date(2026, 11, 26), "follow-up": dt.date(2026, 12, 5)}
CLOSES = ("Yours sincerely,", "ఇట్లు,")
COPY_AND_ENCLOSURE = ("Copy to:", "Enclosure", "నకలు:", "జతపరచిన")  # as the letters print them


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """Every kind, layout and language of the two samples, on a day it may carry, as PDF
    lines: {(kind, layout, language): [(page, top, bottom, text), …]}."""
    libreoffice()
    from letterkit import load_record
    from letterkit.resources import data_path

    folder = tmp_path_factory.mktemp("flow")
    docs = {}
    for sample, language in (("complaint.yaml", "en"), ("complaint.te.yaml", "te")):
        record = load_record(data_path("samples") / sample)
        for kind, day in DAYS.items():
            for layout in LAYOUTS:
                path = folder / f"{kind}-{layout}.{language}.docx"
                path.write_bytes(make_letter(record, kind, language=language, layout=layout,
                                             today=day).docx)
                docs[(kind, layout, language)] = path
    pdfs = dict(zip(docs, to_pdf(list(docs.values()), folder), strict=True))
    # pdftotext sets a space before Telugu punctuation ("ఇట్లు ,"): as the reader sees it.
    return {key: [(page, top, bottom, text.replace(" ,", ",").replace(" :", ":"))
                  for page, top, bottom, text in pdf_lines(pdf)]
            for key, pdf in pdfs.items()}


@pytest.mark.parametrize("language", ["en", "te"])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", ["acknowledgement", "meeting"])
def test_first_letters_fit_one_page(flow, kind, layout, language) -> None:
    """The acknowledgement and the meeting letter fit one A4 page, in Telugu as in
    English, in both layouts."""
    assert {1} == {page for page, _, _, _ in flow[(kind, layout, language)]}


def test_no_page_opens_with_the_close(flow) -> None:
    """Whatever runs on to a second page takes its last body paragraph with it: no page
    begins with "Yours sincerely"; the close, signature, copies and enclosures share a
    page."""
    for key, lines in flow.items():
        pages = sorted({page for page, _, _, _ in lines})
        for page in pages[1:]:
            body = [text for p, _, _, text in lines if p == page][1:]  # after the header
            assert body and body[0] not in CLOSES, key
        close = next(p for p, _, _, text in lines if text in CLOSES)
        labelled = [p for p, _, _, text in lines if text.startswith(COPY_AND_ENCLOSURE)]
        assert all(p == close for p in labelled), key
        if key[0] == "resolution":  # copied and with an enclosure, in both samples
            assert 2 == len(labelled), key


def test_room_under_the_page_two_header(flow) -> None:
    """Page 2's header rule stands clear of the first line of text below it."""
    tested = 0
    for key, lines in flow.items():
        second = [line for line in lines if line[0] == 2]
        if len(second) < 2:
            continue
        header, first = second[0], second[1]
        assert first[1] - header[2] >= 14, key  # 14 pt after the header's text and rule
        tested += 1
    assert tested, "no letter ran to a second page to look at"


def test_a_list_is_set_off_from_the_text_after_it(flow) -> None:
    """The line after a bulleted list stands further below it than the items stand from
    one another."""
    lines = flow[("meeting", "block", "en")]
    bullets = [n for n, (_, _, _, text) in enumerate(lines) if text[:1] in ("•", "\uf0b7")]
    assert len(bullets) == 3
    between = lines[bullets[1]][1] - lines[bullets[0]][1]
    after = lines[bullets[-1] + 1][1] - lines[bullets[-1]][1]
    assert after - between >= 6
