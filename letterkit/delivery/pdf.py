"""PDFs and page previews through LibreOffice (soffice), the converter free everywhere.

One LibreOffice start converts many letters; each process has a private profile, so
parallel batch workers never share one; every conversion is time-limited and checked,
because soffice exits 0 even when it made nothing. LibreOffice is found where each system
installs it (Windows and macOS installers do not put it on PATH), or where the user says.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path

import psutil

from letterkit.cache import cache_dir
from letterkit.errors import LetterkitError, MissingTool, Problem

SECONDS_TO_START = 60.0
SECONDS_PER_LETTER = 30.0
SECONDS_WITHOUT_A_PDF = 30.0  # once it has made one: a LibreOffice silent this long has hung
_LOOK_EVERY = 0.05  # seconds between looks for new PDFs
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
    """Converts .docx files to PDF, many per LibreOffice start, with its own profile.

    A LibreOffice that crashes or hangs costs only the letters it had not made: the PDFs it
    made are kept, and the rest are tried once more on a fresh start (with a fresh
    profile); what fails then is that letter's problem. A start is stopped when it takes
    longer than SECONDS_TO_START plus SECONDS_PER_LETTER a letter, or makes no PDF for
    SECONDS_WITHOUT_A_PDF (it makes them one by one, so a silent one has hung)."""

    work: Path
    starts: int = 0
    program: str = field(default_factory=soffice)
    profiles: int = 0  # profiles given up on (after a crash or a hang): the next is fresh
    from_template: bool = False  # the profile in use began as a copy of the saved one
    saved: bool = False  # a profile of this converter's is the saved one

    def convert(self, documents: list[Path]) -> dict[Path, bytes | Problem]:
        """Each document's PDF bytes, or the problem that stopped it."""
        return dict(self.pdfs(documents))

    def pdfs(self, documents: Sequence[Path]) -> Iterator[tuple[Path, bytes | Problem]]:
        """Each document with its PDF bytes (or the problem that stopped it), each as soon
        as LibreOffice has made it, so that only one PDF is held at a time; every document
        once. Closing the iterator early stops LibreOffice."""
        for start in range(0, len(documents), MOST_PER_START):
            with self.batch() as batch:
                slots = {batch.add(document): document
                         for document in documents[start:start + MOST_PER_START]}
                for slot, pdf in batch.pdfs():
                    yield slots[slot], (dataclasses.replace(pdf, file=str(slots[slot]))
                                        if isinstance(pdf, Problem) else pdf)

    def batch(self, expected: int = 0) -> PdfBatch:
        """Letters to convert, added one by one, then converted. With `expected`, LibreOffice
        starts as the first is added, told the names the first `expected` letters will
        have: it looks for each only when it comes to it, so its start (a second or so)
        overlaps the making of the others. Use `with`, so that LibreOffice stops and the
        letters' copies go however it ends."""
        return PdfBatch(self, expected)

    def _profile(self) -> Path:
        return (self.work / (f"profile-{self.profiles}" if self.profiles else "profile")
                ).resolve()

    def _start(self, names: list[int], stage: Path, *, ahead: bool = False) -> _Run:
        profile = self._profile()
        if not profile.exists() and not self.profiles:
            self.from_template = _copy_template(self.program, profile)
        # Bare names, run inside the folder: Windows caps a command line at 32,767 characters.
        command = [self.program, f"-env:UserInstallation={profile.as_uri()}",
                   "--headless", "--norestore", "--convert-to", "pdf", "--outdir", ".",
                   *(_name(n, "docx") for n in names)]
        self.starts += 1
        try:
            # A session of its own (POSIX), so that stopping it stops what it started too.
            process: subprocess.Popen[bytes] | OSError = subprocess.Popen(
                command, cwd=stage, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as error:  # not a program this system can run, or no room to
            process = error
        return _Run(process, stage, len(names), ahead=ahead)

    def _fresh_profile(self) -> None:
        """After a crash or a hang: the profile it may have left half written is not used
        again, nor the saved one it was copied from, which may be the cause."""
        shutil.rmtree(self._profile(), ignore_errors=True)
        if self.from_template:
            shutil.rmtree(_template(self.program), ignore_errors=True)
            self.from_template = False
        self.profiles += 1

    def _went_well(self) -> None:
        """A start that finished: a profile it made from nothing is saved for the next."""
        if not (self.from_template or self.saved):
            self.saved = _save_template(self.program, self._profile())


class PdfBatch:
    """Letters staged for LibreOffice under numbers of their own (letters of different
    complaints share names: resolution.en.docx), and their PDFs. See PdfConverter.batch."""

    def __init__(self, converter: PdfConverter, expected: int) -> None:
        self.converter, self.expected = converter, min(expected, MOST_PER_START)
        self.stage = Path(tempfile.mkdtemp(dir=converter.work, prefix="stage-"))
        self.added = 0
        self.staged: list[int] = []
        self.unread: dict[int, Problem] = {}
        self.early: _Run | None = None
        self.runs: list[_Run] = []

    def __enter__(self) -> PdfBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        for run in self.runs:  # however it ends, no LibreOffice is left running
            run.stop()
        shutil.rmtree(self.stage, ignore_errors=True)

    def _start(self, names: list[int], *, ahead: bool = False) -> _Run:
        run = self.converter._start(names, self.stage, ahead=ahead)
        self.runs.append(run)
        return run

    def add(self, letter: bytes | Path) -> int:
        """Stage a letter (its .docx bytes, or its file); its number, for `pdfs`."""
        n = self.added
        self.added += 1
        part = self.stage / _name(n, "part")
        try:
            if isinstance(letter, Path):
                shutil.copyfile(letter, part)
            else:
                part.write_bytes(letter)
            # Whole or not there: LibreOffice may be looking for it already.
            os.replace(part, self.stage / _name(n, "docx"))
        except OSError as error:
            self.unread[n] = Problem(f"no PDF: cannot read it ({error.strerror})")
            return n
        self.staged.append(n)
        if self.early is None and n < self.expected:
            # Not before the first letter is there: a process's first letter may take
            # longer than LibreOffice's start (setting up what every letter needs), and it
            # would pass over a name not there yet. The others come faster than it makes
            # PDFs of them (should one not, it is made on one more start).
            self.early = self._start(list(range(self.expected)), ahead=True)
        return n

    def pdfs(self) -> Iterator[tuple[int, bytes | Problem]]:
        """Each letter's number with its PDF (or the problem that stopped it), as soon as
        LibreOffice has made it; every letter once."""
        yield from self.unread.items()
        named = self.early.count if self.early is not None else 0
        yield from self._finish([n for n in self.staged if n < named], self.early)
        later = [n for n in self.staged if n >= named]  # more than expected
        for start in range(0, len(later), MOST_PER_START):
            yield from self._finish(later[start:start + MOST_PER_START], None)

    def _finish(self, todo: list[int], run: _Run | None) -> Iterator[tuple[int, bytes | Problem]]:
        """The PDFs of the letters `todo` from `run` (started ahead) or a start of their own;
        one more start for those a start ended without: after a crash or a hang, or, for
        a start ahead, letters added after it had come to their names."""
        ending, failed, tries = None, 0, 0
        while todo:
            run = run or self._start(todo)
            with contextlib.closing(run.made(todo)) as made:  # closed early: it stops
                yield from made
            ending, left, tries = run.ending, run.left(), tries + 1
            if ending is None:
                self.converter._went_well()
            else:
                failed += 1
            if not left or tries == 2 or (ending is None and not run.ahead) \
                    or (ending is not None and ending.interrupted):
                todo = left
                break
            if ending is not None:
                # Once more on a fresh start; the letter it was making goes last, so that
                # if it was the cause, it stops no other.
                self.converter._fresh_profile()
                left = run.suspect_last()
            todo, run = left, None
        for n in todo:
            yield n, _no_pdf(ending, twice=failed == 2)


def _name(n: int, ext: str) -> str:
    return f"{n:05d}.{ext}"


# LibreOffice's first start with a new profile sets it up (and tests how it draws), a
# quarter of a second or more; every process has a profile of its own, so the first one
# that works is saved, for this LibreOffice (its program's path, size and time), and each
# later one begins as a copy. Only a cache: anything that goes wrong with it is passed over.
def _template(program: str) -> Path:
    try:
        found = os.stat(program)
        key = f"{program}|{found.st_size}|{found.st_mtime_ns}"
    except OSError:
        key = program
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache_dir() / f"libreoffice-{digest}"


def _copy_template(program: str, profile: Path) -> bool:
    template = _template(program)
    if not template.is_dir():
        return False
    try:
        shutil.copytree(template, profile, ignore=shutil.ignore_patterns(".lock"))
    except (OSError, shutil.Error):
        shutil.rmtree(profile, ignore_errors=True)
        return False
    return True


def _save_template(program: str, profile: Path) -> bool:
    template = _template(program)
    # Only a profile LibreOffice set up (its settings are there), not a stand-in's.
    if template.exists() or not (profile / "user" / "registrymodifications.xcu").is_file():
        return template.exists()
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        # Copied whole under a name of its own, then named: never half a profile.
        part = Path(tempfile.mkdtemp(dir=template.parent, prefix=".part-"))
        try:
            shutil.copytree(profile, part / "profile", ignore=shutil.ignore_patterns(".lock"))
            os.replace(part / "profile", template)
        finally:
            shutil.rmtree(part, ignore_errors=True)
    except (OSError, shutil.Error):
        return False  # another process saved it first, or no room: all the same
    return True


@dataclass(frozen=True)
class _Ending:
    """Why a LibreOffice start ended before it had made every PDF asked of it."""

    what: str  # "had not finished after 60 s and was stopped"
    hung: bool = False
    interrupted: bool = False  # the run was stopped at once: not LibreOffice's fault


class _Run:
    """One LibreOffice start, watched: its PDFs as they appear (it makes them one by one,
    in the order named), and a stop when it takes too long or falls silent."""

    def __init__(self, process: subprocess.Popen[bytes] | OSError, stage: Path, count: int,
                 *, ahead: bool) -> None:
        self.stage, self.count, self.ahead = stage, count, ahead
        self.started = time.monotonic()
        self.waiting: dict[int, None] = {}  # in the order named, which is the order made
        self.last_made: int | None = None
        self.ending: _Ending | None = None
        self.process: subprocess.Popen[bytes] | None = None
        if isinstance(process, OSError):
            self.ending = _Ending(f"could not be started ({process.strerror or process})")
        else:
            self.process = process
            _RUNNING.add(process)

    def made(self, todo: list[int]) -> Generator[tuple[int, bytes], None, None]:
        """The PDFs of the letters `todo` as they are made; `ending` says why, if the start
        ended before making them all. Leaving early (the caller stops) stops it."""
        self.waiting = dict.fromkeys(todo)
        if self.process is None:
            return
        limit = SECONDS_TO_START + SECONDS_PER_LETTER * self.count
        last = self.started
        try:
            while True:
                code = self.process.poll()  # first: a PDF made before it ended is then seen
                for n, pdf in self._new_pdfs():
                    yield n, pdf
                    # From here: the time the caller took over the PDF is not its silence.
                    last = time.monotonic()
                if code is not None:
                    if code != 0 and self.waiting:
                        self.ending = _Ending(f"stopped unexpectedly (exit code {code})")
                    return
                # Until the first PDF, LibreOffice is starting (and making it).
                silent = SECONDS_WITHOUT_A_PDF if self.last_made is not None \
                    else SECONDS_TO_START + SECONDS_PER_LETTER
                now = time.monotonic()
                if _interrupted():
                    self.ending = _Ending("was stopped with the run", interrupted=True)
                elif now - self.started > limit:
                    self.ending = _Ending(f"had not finished after {limit:.0f} s and was "
                                          "stopped", hung=True)
                elif now - last > silent:
                    self.ending = _Ending(f"made no PDF for {silent:.0f} s and was stopped",
                                          hung=True)
                if self.ending is not None:
                    return
                time.sleep(_LOOK_EVERY)
        finally:
            self.stop()

    def stop(self) -> None:
        """End it, with what it started, if it is still going."""
        if self.process is not None:
            if self.process.poll() is None:
                end_process_tree(self.process)
            _RUNNING.discard(self.process)

    def _new_pdfs(self) -> Iterator[tuple[int, bytes]]:
        try:
            names = {entry.name for entry in os.scandir(self.stage)}
        except OSError:
            return
        for n in [n for n in self.waiting if _name(n, "pdf") in names]:
            try:
                data = (self.stage / _name(n, "pdf")).read_bytes()
            except OSError:  # Windows: LibreOffice may have it open still
                continue
            # LibreOffice writes under another name and renames, so a PDF there is whole;
            # should one be cut short (a crash elsewhere), it is left to make again.
            if data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]:
                del self.waiting[n]
                self.last_made = n
                yield n, data

    def left(self) -> list[int]:
        """The letters it did not make, in the order they were named."""
        return list(self.waiting)

    def suspect_last(self) -> list[int]:
        """The letters left, with the one it was making when it stopped (the first after
        the last it made) moved to the end."""
        left = self.left()
        after = [n for n in left if self.last_made is None or n > self.last_made]
        return [n for n in left if n != after[0]] + [after[0]] if after else left


def _no_pdf(ending: _Ending | None, *, twice: bool) -> Problem:
    if ending is None:  # LibreOffice finished, and passed over this one
        return Problem("LibreOffice made no PDF of it")
    if ending.interrupted:
        return Problem("no PDF: the run was stopped before LibreOffice made it")
    again = ", twice" if twice else ""
    hint = " (is another LibreOffice window asking something?)" if ending.hung else ""
    return Problem(f"no PDF: LibreOffice {ending.what}{again}{hint}")


# This process's LibreOffice starts, so that a batch worker whose batch has died stops them
# before it goes: each is in a session of its own, which the worker's end would not reach.
_RUNNING: set[subprocess.Popen[bytes]] = set()
_stop_asked: list[Callable[[], bool]] = []


def stop_when(asked: Callable[[], bool]) -> None:
    """From now on in this process, stop LibreOffice as soon as `asked()` is true (a batch
    stopped at once, by a second Ctrl-C); the letters it had not made are then reported as
    stopped, and not tried again."""
    _stop_asked[:] = [asked]


def _interrupted() -> bool:
    return any(asked() for asked in _stop_asked)


def end_all_conversions() -> None:
    """Stop every LibreOffice start this process is waiting for, with what it started."""
    for process in list(_RUNNING):
        end_process_tree(process)


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
    # Said now, before any letter is written. Keyed by the process too: a worker forked
    # from a process that had converted letters must not share its profile (a second
    # LibreOffice on one profile hands its files to the first and leaves).
    return _converter(soffice(configured), os.getpid())


_WORK_PREFIX = "letterkit-pdf-"


@functools.cache
def _converter(program: str, pid: int) -> PdfConverter:
    _remove_orphaned_work()
    work = Path(tempfile.mkdtemp(prefix=f"{_WORK_PREFIX}{pid}-"))
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
