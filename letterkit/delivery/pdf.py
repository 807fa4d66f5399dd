"""PDFs and page previews through LibreOffice (soffice), the converter free everywhere.

One LibreOffice start converts many letters; each process has a private profile, so
parallel batch workers never share one; every conversion is time-limited and checked,
because soffice exits 0 even when it made nothing.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from letterkit.errors import LetterkitError, MissingTool, Problem

INSTALL_HINT = (
    "PDF output needs LibreOffice: on Debian or Ubuntu, apt-get install "
    "libreoffice-writer-nogui fonts-noto-core poppler-utils; elsewhere, install it from "
    "https://www.libreoffice.org/download/"
)
SECONDS_TO_START = 60.0
SECONDS_PER_LETTER = 30.0


def soffice() -> str:
    """The LibreOffice command, or a one-line error saying how to install it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise MissingTool.at(INSTALL_HINT)
    return found


@dataclass
class PdfConverter:
    """Converts .docx files to PDF, many per LibreOffice start, with its own profile."""

    work: Path
    starts: int = 0
    _soffice: str = field(default_factory=soffice)

    def convert(self, documents: list[Path]) -> dict[Path, bytes | Problem]:
        """Each document's PDF bytes, or the problem that stopped it."""
        if not documents:
            return {}
        stage = Path(tempfile.mkdtemp(dir=self.work, prefix="stage-"))
        try:
            # Letters of different complaints share names (resolution.en.docx): each goes
            # in under a number of its own.
            staged = []
            for n, document in enumerate(documents):
                copy = stage / f"{n:05d}.docx"
                shutil.copyfile(document, copy)
                staged.append(copy)
            self._run(staged, stage)
            results: dict[Path, bytes | Problem] = {}
            for document, copy in zip(documents, staged, strict=True):
                made = copy.with_suffix(".pdf")
                data = made.read_bytes() if made.is_file() else b""
                results[document] = data if data.startswith(b"%PDF") else Problem(
                    "LibreOffice made no PDF of it", file=str(document))
            return results
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _run(self, staged: list[Path], outdir: Path) -> None:
        profile = (self.work / "profile").resolve()
        command = [self._soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                   "--norestore", "--convert-to", "pdf", "--outdir", str(outdir),
                   *map(str, staged)]
        self.starts += 1
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            process.wait(timeout=SECONDS_TO_START + SECONDS_PER_LETTER * len(staged))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # LibreOffice and anything it started
            process.wait()


def converter_for_this_process() -> PdfConverter:
    """One converter (and LibreOffice profile) per process, removed when it exits; without
    LibreOffice, a MissingTool error saying how to install it."""
    soffice()  # said now, before any letter is written, not when the first PDF is due
    return _converter()


@functools.cache
def _converter() -> PdfConverter:
    work = Path(tempfile.mkdtemp(prefix=f"letterkit-pdf-{os.getpid()}-"))
    atexit.register(shutil.rmtree, work, True)
    return PdfConverter(work)


def first_page_png(docx: bytes, converter: PdfConverter, *, dpi: int = 110) -> bytes:
    """The first page of a letter as a PNG image: LibreOffice makes the PDF, pdftoppm
    (from poppler-utils) the picture."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise MissingTool.at("previews need pdftoppm: on Debian or Ubuntu, apt-get "
                             "install poppler-utils")
    folder = Path(tempfile.mkdtemp(dir=converter.work, prefix="preview-"))
    try:
        letter = folder / "letter.docx"
        letter.write_bytes(docx)
        made = converter.convert([letter])[letter]
        if isinstance(made, Problem):
            raise LetterkitError(made)
        pdf = folder / "letter.pdf"
        pdf.write_bytes(made)
        subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(folder / "page")], check=True, capture_output=True,
                       timeout=120)
        return (folder / "page.png").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
