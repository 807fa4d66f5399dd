"""PDFs and page previews through LibreOffice (soffice), the converter free everywhere.

One LibreOffice start converts many letters; each process has a private profile, so
parallel batch workers never share one; every conversion is time-limited and checked,
because soffice exits 0 even when it made nothing. LibreOffice is found where each system
installs it (Windows and macOS installers do not put it on PATH), or where the user says.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path

import psutil

from letterkit.errors import LetterkitError, MissingTool, Problem

SECONDS_TO_START = 60.0
SECONDS_PER_LETTER = 30.0
MOST_PER_START = 500  # files named on one command line (about 11,000 characters)
SETTING = "LETTERKIT_SOFFICE"

_INSTALL = {
    "win32": "install it from https://www.libreoffice.org/download/ (or, in PowerShell: "
             "winget install TheDocumentFoundation.LibreOffice)",
    "darwin": "install it from https://www.libreoffice.org/download/ (or: brew install "
              "--cask libreoffice)",
}
_INSTALL_LINUX = ("install it with your system's packages (Debian or Ubuntu: sudo apt-get "
                  "install libreoffice-writer-nogui fonts-noto-core; Fedora: sudo dnf install "
                  "libreoffice-writer google-noto-sans-telugu-fonts)")


def install_hint(platform: str = sys.platform) -> str:
    """How to get LibreOffice on this system, and how to tell letterkit where it is."""
    how = _INSTALL.get(platform, _INSTALL_LINUX)
    return (f"PDF output and previews need LibreOffice, which was not found: {how}. "
            f"Installed somewhere else? Set {SETTING} (or `soffice:` in the config) to its "
            "soffice program.")


def standard_locations(platform: str = sys.platform, env: Mapping[str, str] | None = None,
                       home: Path | None = None) -> list[Path]:
    """Where LibreOffice's installers put its program, on this kind of system."""
    env = os.environ if env is None else env
    if platform == "win32":
        bases = [env.get(name) for name in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")]
        bases += [r"C:\Program Files", r"C:\Program Files (x86)"]
        local = env.get("LOCALAPPDATA")
        found = [Path(base) / "LibreOffice" / "program" / "soffice.exe"
                 for base in dict.fromkeys(b for b in bases if b)]
        if local:
            found.append(Path(local) / "Programs" / "LibreOffice" / "program" / "soffice.exe")
        return found
    if platform == "darwin":
        app = Path("LibreOffice.app") / "Contents" / "MacOS" / "soffice"
        return [Path("/Applications") / app, (home or Path.home()) / "Applications" / app]
    # libreoffice.org's own Linux packages install under /opt, off PATH.
    return sorted(Path("/opt").glob("libreoffice*/program/soffice"), reverse=True)


def soffice(configured: Path | None = None, *, env: Mapping[str, str] | None = None,
            platform: str = sys.platform) -> str:
    """LibreOffice's program: where $LETTERKIT_SOFFICE or the config's `soffice` says, else
    on PATH, else in its installer's standard folder; or a MissingTool error saying how to
    install it on this system."""
    env = os.environ if env is None else env
    # Absolute: conversions run inside their own folder.
    for named, where in ((env.get(SETTING), f"${SETTING}"), (configured, "the config's soffice")):
        if named:
            return os.path.abspath(_program_at(Path(named), where, platform))
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is not None:
        return os.path.abspath(found)
    for candidate in standard_locations(platform, env):
        if _is_program(candidate):
            return str(candidate)
    raise MissingTool.at(install_hint(platform))


def _program_at(path: Path, where: str, platform: str) -> str:
    """The program a setting names; a folder is searched as LibreOffice lays itself out."""
    candidates = [path]
    if path.is_dir():
        exe = "soffice.exe" if platform == "win32" else "soffice"
        candidates = [path / exe, path / "program" / exe, path / "Contents" / "MacOS" / exe]
    for candidate in candidates:
        if _is_program(candidate):
            return str(candidate)
    raise MissingTool.at(f"{where} names {path}, which is not LibreOffice's soffice program "
                         f"(no such program there). {install_hint(platform)}")


def _is_program(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


@dataclass
class PdfConverter:
    """Converts .docx files to PDF, many per LibreOffice start, with its own profile."""

    work: Path
    starts: int = 0
    program: str = field(default_factory=soffice)

    def convert(self, documents: list[Path]) -> dict[Path, bytes | Problem]:
        """Each document's PDF bytes, or the problem that stopped it."""
        results: dict[Path, bytes | Problem] = {}
        for start in range(0, len(documents), MOST_PER_START):
            results.update(self._convert(documents[start:start + MOST_PER_START]))
        return results

    def _convert(self, documents: list[Path]) -> dict[Path, bytes | Problem]:
        stage = Path(tempfile.mkdtemp(dir=self.work, prefix="stage-"))
        try:
            # Letters of different complaints share names (resolution.en.docx): each goes
            # in under a number of its own.
            staged = []
            for n, document in enumerate(documents):
                copy = stage / f"{n:05d}.docx"
                shutil.copyfile(document, copy)
                staged.append(copy)
            stopped_after = self._run(staged, stage)
            results: dict[Path, bytes | Problem] = {}
            for document, copy in zip(documents, staged, strict=True):
                made = copy.with_suffix(".pdf")
                data = made.read_bytes() if made.is_file() else b""
                if data.startswith(b"%PDF"):
                    results[document] = data
                elif stopped_after is not None:
                    results[document] = Problem(
                        f"no PDF: LibreOffice had not finished after {stopped_after:.0f} s and "
                        "was stopped (is another LibreOffice window asking something?)",
                        file=str(document))
                else:
                    results[document] = Problem("LibreOffice made no PDF of it",
                                                file=str(document))
            return results
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _run(self, staged: list[Path], outdir: Path) -> float | None:
        """Convert; the seconds after which LibreOffice was stopped, if it had to be."""
        profile = (self.work / "profile").resolve()
        # Bare names, run inside the folder: Windows caps a command line at 32,767 characters.
        command = [self.program, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                   "--norestore", "--convert-to", "pdf", "--outdir", ".",
                   *(path.name for path in staged)]
        self.starts += 1
        limit = SECONDS_TO_START + SECONDS_PER_LETTER * len(staged)
        # A session of its own (POSIX), so that stopping it stops what it started too.
        process = subprocess.Popen(command, cwd=outdir, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            end_process_tree(process)
            return limit
        return None


def end_process_tree(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and every process it started (soffice starts soffice.bin, which
    would otherwise live on), on any system."""
    killpg, sigkill = getattr(os, "killpg", None), getattr(signal, "SIGKILL", None)
    if killpg is not None and sigkill is not None:
        # The whole session: children that outlived their parent are in it too.
        with contextlib.suppress(ProcessLookupError):
            killpg(process.pid, sigkill)
    else:
        # Windows: no process groups to signal; walk the tree instead.

        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(process.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child.terminate()
        with contextlib.suppress(OSError):
            process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)


def converter_for_this_process(configured: Path | None = None) -> PdfConverter:
    """One converter (and LibreOffice profile) per process, removed when it exits; without
    LibreOffice, a MissingTool error saying how to install it. `configured` is the config's
    `soffice` setting."""
    return _converter(soffice(configured))  # said now, before any letter is written


_WORK_PREFIX = "letterkit-pdf-"


@functools.cache
def _converter(program: str) -> PdfConverter:
    _remove_orphaned_work()
    work = Path(tempfile.mkdtemp(prefix=f"{_WORK_PREFIX}{os.getpid()}-"))
    # A multiprocessing finaliser, not only atexit: batch workers end without running
    # atexit handlers, and each would leave its LibreOffice profile behind.
    Finalize(None, shutil.rmtree, args=(work, True), exitpriority=0)
    return PdfConverter(work, program=program)


def _remove_orphaned_work() -> None:
    """The working folders (profile, staging) of letterkit processes that were killed
    before they could remove their own: those whose process is gone."""
    with contextlib.suppress(OSError):
        for folder in Path(tempfile.gettempdir()).glob(f"{_WORK_PREFIX}*-*"):
            pid = folder.name[len(_WORK_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and not psutil.pid_exists(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def first_page_png(docx: bytes, converter: PdfConverter, *, dpi: int = 110) -> bytes:
    """The first page of a letter as a PNG image: LibreOffice makes the PDF, PDFium (the
    PDF engine of Chrome, in pypdfium2's wheels for every system) the picture."""
    folder = Path(tempfile.mkdtemp(dir=converter.work, prefix="preview-"))
    try:
        letter = folder / "letter.docx"
        letter.write_bytes(docx)
        made = converter.convert([letter])[letter]
        if isinstance(made, Problem):
            raise LetterkitError(made)
        return page_png(made, dpi=dpi)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def page_png(pdf: bytes, *, page: int = 0, dpi: int = 110) -> bytes:
    """One page of a PDF as a PNG image."""
    import pypdfium2  # imported here: only previews need it

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=dpi / 72).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
    finally:
        document.close()


def joined_pdf(pdfs: list[Path]) -> bytes:
    """One PDF of many files, their pages in order (a postal run's print file); a file
    that is not a PDF PDFium can read is a LetterkitError naming it."""
    import pypdfium2  # imported here: only print files and previews need it

    joined = pypdfium2.PdfDocument.new()
    try:
        for path in pdfs:
            try:
                source = pypdfium2.PdfDocument(path.read_bytes())
            except (OSError, pypdfium2.PdfiumError) as exc:
                raise LetterkitError.at(f"cannot be put in the print file: {exc}; delete "
                                        "it, and make it again", file=str(path)) from None
            try:
                joined.import_pages(source)
            finally:
                source.close()
        buffer = io.BytesIO()
        joined.save(buffer)
        return buffer.getvalue()
    finally:
        joined.close()
