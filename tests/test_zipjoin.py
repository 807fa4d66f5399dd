"""Zips joined from shared, once-compressed entries and new ones are whole, valid zips."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile

from letterkit.docx.zipjoin import SharedEntries, join


def entry(name: str) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, (2026, 11, 23, 10, 30, 0))


def test_joined_zip_holds_every_entry_intact(tmp_path) -> None:
    """Shared and new entries, stored and deflated, read back exactly; testzip is clean."""
    shared_data = {"[Content_Types].xml": b"<Types/>" * 50, "word/styles.xml": os.urandom(9000)}
    shared = SharedEntries.from_entries([(entry(n), d) for n, d in shared_data.items()])
    new = {"word/document.xml": b"<w:document>" + b"text " * 3000 + b"</w:document>",
           "word/header1.xml": b"<w:hdr/>", "word/n\u00e4me.xml": b"unicode name"}
    joined = join(shared, [(entry(n), d) for n, d in new.items()])
    with zipfile.ZipFile(io.BytesIO(joined)) as package:
        assert package.testzip() is None
        assert [*shared_data, *new] == package.namelist()
        for name, data in {**shared_data, **new}.items():
            assert data == package.read(name)
        assert zipfile.ZIP_DEFLATED == package.getinfo("word/document.xml").compress_type
        assert zipfile.ZIP_STORED == package.getinfo("word/header1.xml").compress_type
        assert (2026, 11, 23, 10, 30, 0) == package.getinfo("word/header1.xml").date_time
    if shutil.which("unzip"):
        path = tmp_path / "joined.zip"
        path.write_bytes(joined)
        result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True,
                                check=False)
        assert 0 == result.returncode, result.stdout
