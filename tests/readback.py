"""Reading back what letterkit produces, as a reader or another program would."""

from __future__ import annotations

import io
import os
import shutil
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
