"""PDFs and previews through the real LibreOffice."""

from __future__ import annotations

import email
import email.policy

import pytest

from letterkit.delivery.pdf import PdfConverter
from letterkit.resources import data_path

from readback import libreoffice, pdf_text

pytestmark = pytest.mark.libreoffice
DATE = "2026-11-23"
MEETING_DAY = "2026-11-25"  # the samples' acknowledgement, meeting and resolution may all



def test_render_pdf_telugu(cli, tmp_path) -> None:
    """The Telugu record gives three PDFs whose text holds the Telugu name, and the
    resolution email attaches its PDF."""
    libreoffice()
    out = tmp_path / "out"
    result = cli("render", str(data_path("samples") / "complaint.te.yaml"), "--pdf",
                 "-o", str(out), "--date", MEETING_DAY)
    assert 0 == result.exit_code, result.output
    folder = out / "CMP-2026-0143"
    pdfs = sorted(folder.glob("*.pdf"))
    assert ["acknowledgement.te.pdf", "meeting.te.pdf", "resolution.te.pdf"] == [
        p.name for p in pdfs]
    for pdf in pdfs:
        assert pdf.read_bytes().startswith(b"%PDF")
        assert "శ్రీ వెంకట సుబ్బారావు గారికి" in pdf_text(pdf)
    message = email.message_from_bytes((folder / "resolution.te.eml").read_bytes(),
                                       policy=email.policy.default)
    attachments = {a.get_content_type(): a for a in message.iter_attachments()}
    assert "application/pdf" in attachments
    assert attachments["application/pdf"].get_content() == (folder / "resolution.te.pdf") \
        .read_bytes()
    assert "మీ ఫిర్యాదు పరిష్కారం CMP-2026-0143.pdf" == attachments[
        "application/pdf"].get_filename()


def test_batch_pdf_shares_libreoffice_starts(cli, tmp_path) -> None:
    """24 rows' letters (three chunks of rows) are converted in one LibreOffice start."""
    libreoffice()
    from sheets import rows_like_sample, write_csv

    source = write_csv(tmp_path / "rows.csv", rows_like_sample(24))
    out = tmp_path / "out"
    result = cli("batch", str(source), "-o", str(out), "-j", "1", "-k", "resolution",
                 "--pdf", "--no-email", "--date", MEETING_DAY)
    assert 0 == result.exit_code, result.output
    pdfs = list(out.glob("*/resolution.*.pdf"))
    assert 24 == len(pdfs)
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    assert "PDFs from 1 LibreOffice start," in result.stderr
    manifest = (out / "manifest.csv").read_text(encoding="utf-8-sig")
    assert 24 == manifest.count(".pdf,")


def test_preview_writes_a_png(cli, tmp_path) -> None:
    """`preview` writes a picture of the first page, and keeps an existing one."""
    libreoffice()
    png = tmp_path / "look.png"
    record = str(data_path("samples") / "complaint.yaml")
    result = cli("preview", record, "-k", "meeting", "-o", str(png), "--date", DATE)
    assert 0 == result.exit_code, result.output
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.stat().st_size > 10_000
    again = cli("preview", record, "-k", "meeting", "-o", str(png), "--date", DATE)
    assert 1 == again.exit_code
    assert "already exists" in again.stderr


def test_a_letter_libreoffice_cannot_open_is_reported(tmp_path) -> None:
    """soffice exits 0 even when it made nothing: the missing PDF is caught."""
    libreoffice()
    template = (data_path("templates") / "meeting-block.docx").read_bytes()
    broken = tmp_path / "broken.docx"
    broken.write_bytes(template[:3000])  # a file cut short, as by a failed copy
    good = tmp_path / "good.docx"
    good.write_bytes(template)
    work = tmp_path / "work"
    work.mkdir()
    converter = PdfConverter(work)
    made = converter.convert([broken, good])
    assert not isinstance(made[broken], bytes)
    assert "LibreOffice made no PDF" in str(made[broken])
    assert isinstance(made[good], bytes) and made[good].startswith(b"%PDF")
    assert 1 == converter.starts


def test_without_libreoffice_pdf_says_how_to_install(cli, tmp_path, monkeypatch) -> None:
    """No soffice on the PATH: --pdf and preview stop with one line; the rest works."""
    monkeypatch.setenv("PATH", str(tmp_path))
    record = str(data_path("samples") / "complaint.yaml")
    result = cli("render", record, "--pdf", "-o", str(tmp_path / "out"))
    assert 2 == result.exit_code
    assert result.stderr.startswith(
        "error: PDF output and previews need LibreOffice, which was not found: install it "
        "with your system's packages (Debian or Ubuntu: sudo apt-get install "
        "libreoffice-writer-nogui")
    assert "Set LETTERKIT_SOFFICE (or `soffice:` in the config)" in result.stderr
    assert 1 == len(result.stderr.splitlines())
    assert not (tmp_path / "out").exists()
    assert 2 == cli("preview", record, "-k", "meeting").exit_code
    assert 0 == cli("render", record, "-o", str(tmp_path / "out")).exit_code


def test_a_print_file_of_a_pdf_that_is_not_one_names_it(tmp_path) -> None:
    """A kept PDF that is damaged is named in one error, not a PDFium traceback."""
    from letterkit.delivery.pdf import joined_pdf
    from letterkit.errors import LetterkitError

    junk = tmp_path / "resolution.en.pdf"
    junk.write_bytes(b"junk\n")
    with pytest.raises(LetterkitError, match="cannot be put in the print file") as caught:
        joined_pdf([junk])
    assert str(junk) == caught.value.problems[0].file
