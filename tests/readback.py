"""Reading back what letterkit produces, as a reader or another program would."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document


def docx_text(docx: bytes | Path) -> str:
    """All the text a reader sees in a .docx: body paragraphs, tables, headers and footers,
    one paragraph per line, line breaks kept."""
    data = docx.read_bytes() if isinstance(docx, Path) else docx
    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines += [cell.text for cell in row.cells]
    for section in doc.sections:
        for part in (section.first_page_header, section.header, section.footer):
            lines += [p.text for p in part.paragraphs]
    return "\n".join(lines)


def docx_parts(docx: bytes | Path) -> dict[str, str]:
    """Every XML part of a .docx as text, by its name in the package."""
    data = docx.read_bytes() if isinstance(docx, Path) else docx
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {
            name: package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith((".xml", ".rels"))
        }


def libreoffice() -> str:
    """The soffice command, or skip the test; CI sets LETTERKIT_REQUIRE_LIBREOFFICE=1 so
    that a missing LibreOffice fails there instead of passing unseen."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("LETTERKIT_REQUIRE_LIBREOFFICE"):
            pytest.fail("LibreOffice (soffice) is required here but not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def to_pdf(docs: list[Path], out_dir: Path) -> list[Path]:
    """Convert .docx files to PDF with LibreOffice in one start, as a person would."""
    import subprocess

    soffice = libreoffice()
    profile = out_dir / "lo-profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, docs)],
        check=True, capture_output=True, timeout=180,
    )
    pdfs = [out_dir / f"{doc.stem}.pdf" for doc in docs]
    missing = [p.name for p in pdfs if not p.is_file()]
    assert not missing, f"LibreOffice made no PDF for {missing}"
    return pdfs


def pdf_words(pdf: Path) -> list[tuple[str, float, int]]:
    """Each word of a PDF with its left edge in points and its page number (from 1)."""
    import re
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    words = []
    for page, chunk in enumerate(html.split("<page ")[1:], start=1):
        for x, word in re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', chunk):
            words.append((word, float(x), page))
    return words


def pdf_text(pdf: Path) -> str:
    """A PDF's text, as pdftotext reads it."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def ooxml_errors(docs: list[Path]) -> dict[str, list[dict]]:
    """What the Open XML SDK's validator (npm @ooxml-tools/validate) finds in each .docx,
    as Word would judge it; skips the test without it, unless CI requires it
    (LETTERKIT_REQUIRE_VALIDATOR=1). The package is looked for in $LETTERKIT_OOXML_VALIDATE,
    then in node_modules/ at the top of the checkout."""
    import json
    import subprocess

    root = Path(__file__).resolve().parent.parent
    package = Path(os.environ.get("LETTERKIT_OOXML_VALIDATE")
                   or root / "node_modules" / "@ooxml-tools" / "validate")
    node = shutil.which("node")
    if node is None or not (package / "package.json").is_file():
        if os.environ.get("LETTERKIT_REQUIRE_VALIDATOR"):
            pytest.fail(f"the Open XML validator is required here but not found ({package})")
        pytest.skip("the Open XML validator (npm @ooxml-tools/validate) is not installed")
    done = subprocess.run([node, str(root / "scripts" / "ooxml_validate.mjs"), str(package),
                           *map(str, docs)], capture_output=True, text=True, check=True,
                          timeout=600)
    return json.loads(done.stdout)


def pdf_lines(pdf: Path) -> list[tuple[int, float, float, str]]:
    """Each line of text on a PDF's pages, top to bottom: (page, top, bottom, text), in
    points from the top of the page (words whose tops are within 2 pt share a line)."""
    import re
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    lines: list[tuple[int, float, float, str]] = []
    for page, chunk in enumerate(html.split("<page ")[1:], start=1):
        words = sorted((float(top), float(bottom), float(x), word) for x, top, bottom, word in
                       re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" '
                                  r'yMax="([\d.]+)">([^<]*)</word>', chunk))
        rows: list[list[tuple[float, float, float, str]]] = []
        for word in words:
            if rows and abs(rows[-1][0][0] - word[0]) <= 2:
                rows[-1].append(word)
            else:
                rows.append([word])
        for row in rows:
            row.sort(key=lambda w: w[2])
            lines.append((page, min(w[0] for w in row), max(w[1] for w in row),
                          " ".join(w[3] for w in row)))
    return lines
