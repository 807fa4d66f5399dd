"""Windows and macOS laptops, tried here: no POSIX-only call, LibreOffice found where each
installer puts it (or where the user says) and stopped with everything it started, previews
without poppler, files under the user's umask, a letter open in Word named, console output
that survives any encoding, settings in each system's own folder.

Every test here (and in the rest of the suite) runs with os.sync, os.killpg and
signal.SIGKILL removed: see the `as_on_windows` fixture in conftest.py."""

from __future__ import annotations

import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from PIL import Image

import letterkit.delivery.pdf as pdf
from letterkit.cli.common import survive_any_encoding
from letterkit.config import config_candidates, load_config
from letterkit.errors import MissingTool
from letterkit.resources import data_path

from readback import docx_text, libreoffice
from sheets import sendable_any_day

SAMPLES = data_path("samples")
LETTERKIT = Path(sys.executable).parent / "letterkit"
DAY = "2026-11-25"  # the samples' three letters may all be dated this day


def run_letterkit(*args: object, env: dict[str, str] | None = None, cwd: Path | None = None,
                  stdout: int | io.IOBase | None = subprocess.PIPE
                  ) -> subprocess.CompletedProcess[str]:
    """The installed command, in a process of its own, as a user starts it."""
    return subprocess.run([str(LETTERKIT), *map(str, args)], env=env, cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, check=False, timeout=600)


# --- without the POSIX-only calls ------------------------------------------------------

@pytest.mark.libreoffice
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_batch_with_pdfs_finishes_without_posix_calls(cli, tmp_path, jobs) -> None:
    """The sample CSV with --pdf: every letter, its PDF, the summary and exit 0, with
    os.sync, os.killpg and signal.SIGKILL gone, as on Windows."""
    libreoffice()
    assert not hasattr(os, "sync") and not hasattr(os, "killpg")
    assert not hasattr(signal, "SIGKILL")
    out = tmp_path / "out"
    result = cli("batch", SAMPLES / "complaints.csv", "--pdf", "-o", out, "--date", DAY,
                 "-j", jobs)
    assert 0 == result.exit_code, result.output
    assert "6 letters written" in result.stderr
    docx, pdfs = sorted(out.glob("*/*.docx")), sorted(out.glob("*/*.pdf"))
    assert 6 == len(docx) and [p.with_suffix(".docx") for p in pdfs] == docx
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)


def test_batch_workers_started_afresh_as_on_windows_and_macos(cli, tmp_path) -> None:
    """Windows and macOS start worker processes fresh (spawn), not as copies of this one
    (fork): a parallel batch must not lean on anything only a copy would have."""
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("spawn", force=True)
    try:
        result = cli("batch", SAMPLES / "complaints.csv", "-o", tmp_path / "out",
                     "--date", DAY, "-j", "2")
    finally:
        multiprocessing.set_start_method(before, force=True)
    assert 0 == result.exit_code, result.output
    assert "6 letters written (14 files)" in result.stderr


# --- a LibreOffice that hangs -------------------------------------------------------------

HANGING_SOFFICE = """#!{python}
import subprocess, sys, time
from pathlib import Path
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
Path({pids!r}).write_text(str(child.pid))
time.sleep(600)
"""


def hanging_soffice(folder: Path) -> tuple[Path, Path]:
    """A stand-in for LibreOffice that starts a child (as soffice starts soffice.bin) and
    never finishes; and the file where it notes the child's process id."""
    program, pids = folder / "soffice", folder / "child.pid"
    program.write_text(HANGING_SOFFICE.format(python=sys.executable, pids=str(pids)),
                       encoding="utf-8")
    program.chmod(0o755)
    return program, pids


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("system", [
    pytest.param("windows", id="process-tree"),
    pytest.param("posix", id="process-group", marks=pytest.mark.posix),
])
def test_a_hung_libreoffice_is_ended_on_time_with_what_it_started(
        tmp_path, monkeypatch, system) -> None:
    """Past its time, LibreOffice and its child are ended (a process group where there is
    one, the process tree elsewhere), and the letter's problem says so."""
    assert hasattr(os, "killpg") == (system == "posix")
    program, pids = hanging_soffice(tmp_path)
    monkeypatch.setattr(pdf, "SECONDS_TO_START", 2.0)
    monkeypatch.setattr(pdf, "SECONDS_PER_LETTER", 0.0)
    letter = tmp_path / "letter.docx"
    letter.write_bytes(b"PK")
    work = tmp_path / "work"
    work.mkdir()
    started = time.monotonic()
    made = pdf.PdfConverter(work, program=str(program)).convert([letter])
    assert time.monotonic() - started < 20
    assert "had not finished after 2 s and was stopped" in str(made[letter])
    child = int(pids.read_text())
    deadline = time.monotonic() + 10
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(child), "the child LibreOffice started was left running"


def test_render_pdf_with_a_hung_libreoffice_says_so(cli, tmp_path, monkeypatch) -> None:
    """Through the command: the letters are written, each PDF is reported as stopped."""
    program, _ = hanging_soffice(tmp_path)
    monkeypatch.setenv("LETTERKIT_SOFFICE", str(program))
    monkeypatch.setattr(pdf, "SECONDS_TO_START", 1.0)
    monkeypatch.setattr(pdf, "SECONDS_PER_LETTER", 0.0)
    result = cli("render", SAMPLES / "complaint.yaml", "--pdf", "-o", tmp_path / "out",
                 "--date", DAY, "-k", "acknowledgement")
    assert 1 == result.exit_code
    assert "no PDF: LibreOffice had not finished after 1 s and was stopped" in result.stderr
    assert "Traceback" not in result.output
    assert (tmp_path / "out" / "CMP-2026-0142" / "acknowledgement.en.docx").is_file()


# --- finding LibreOffice ---------------------------------------------------------------

def fake_program(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_libreoffice_in_the_windows_program_files(tmp_path, monkeypatch) -> None:
    """Windows' installer puts it in Program Files, off PATH: found there."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    program = fake_program(tmp_path / "PF" / "LibreOffice" / "program" / "soffice.exe")
    env = {"ProgramFiles": str(tmp_path / "PF")}
    assert str(program) == pdf.soffice(env=env, platform="win32")


def test_libreoffice_in_the_macos_applications(tmp_path, monkeypatch) -> None:
    """macOS: /Applications, or the user's own Applications folder."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path))
    program = fake_program(tmp_path / "Applications" / "LibreOffice.app" / "Contents"
                           / "MacOS" / "soffice")
    assert str(program) == pdf.soffice(env={}, platform="darwin")


@pytest.mark.parametrize(("platform", "how"), [
    ("win32", "winget install TheDocumentFoundation.LibreOffice"),
    ("darwin", "brew install --cask libreoffice"),
    ("linux", "sudo apt-get install libreoffice-writer-nogui"),
])
def test_each_system_is_told_its_own_way_to_install(tmp_path, monkeypatch, platform,
                                                    how) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(MissingTool) as raised:
        pdf.soffice(env={"ProgramFiles": str(tmp_path)}, platform=platform)
    assert how in str(raised.value)
    assert "LETTERKIT_SOFFICE" in str(raised.value)


def test_a_setting_that_names_no_program_says_which(tmp_path, cli, monkeypatch) -> None:
    monkeypatch.setenv("LETTERKIT_SOFFICE", str(tmp_path / "nowhere" / "soffice.exe"))
    result = cli("render", SAMPLES / "complaint.yaml", "--pdf", "-o", tmp_path / "out")
    assert 2 == result.exit_code
    assert result.stderr.startswith(f"error: $LETTERKIT_SOFFICE names {tmp_path / 'nowhere'}")
    assert not (tmp_path / "out").exists()


def test_the_config_names_libreoffice_relative_to_itself(tmp_path) -> None:
    """`soffice:` in the config; a folder is searched as LibreOffice lays itself out."""
    program = fake_program(tmp_path / "LibreOffice" / "program" / "soffice")
    config = tmp_path / "letterkit.yaml"
    config.write_text("soffice: LibreOffice\n", encoding="utf-8")
    loaded, _ = load_config(config, env={})
    assert str(program) == pdf.soffice(loaded.soffice, env={}, platform="linux")


def path_without(folder: Path, *names: str) -> str:
    """A PATH with every program of the system's except those named."""
    folder.mkdir()
    for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
        for program in Path(directory).glob("*"):
            if program.name not in names and not (folder / program.name).exists():
                (folder / program.name).symlink_to(program)
    return str(folder)


@pytest.mark.libreoffice
def test_preview_with_libreoffice_named_and_neither_tool_on_path(tmp_path) -> None:
    """LETTERKIT_SOFFICE names LibreOffice's program; neither soffice nor pdftoppm is on
    PATH: `letterkit preview` writes the PNG of the letter's first page."""
    program = Path(libreoffice()).resolve()
    env = {**os.environ, "LETTERKIT_SOFFICE": str(program),
           "PATH": path_without(tmp_path / "bin", "soffice", "libreoffice", "pdftoppm")}
    assert shutil.which("soffice", path=env["PATH"]) is None
    assert shutil.which("pdftoppm", path=env["PATH"]) is None
    shutil.copy(SAMPLES / "complaint.yaml", tmp_path)
    result = run_letterkit("preview", "complaint.yaml", "-k", "resolution", "--date", DAY,
                           env=env, cwd=tmp_path)
    assert 0 == result.returncode, result.stderr
    png = tmp_path / "CMP-2026-0142-resolution.en.png"
    with Image.open(png) as image:
        assert "PNG" == image.format
        width, height = image.size
        assert 1.3 < height / width < 1.5  # an A4 page
        assert len(image.convert("L").getcolors(256) or []) > 2  # something printed on it


# --- a letter open in Word ---------------------------------------------------------------

def locked(monkeypatch, suffix: str) -> None:
    """Replacing a file with this suffix fails as Windows fails when Word has it open."""
    replace = os.replace

    def refuse(src, dst, *args, **kwargs):
        if str(dst).endswith(suffix):
            raise PermissionError(13, "The process cannot access the file because it is "
                                  "being used by another process", str(dst))
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse)


def test_a_letter_open_in_word_is_named_and_the_rest_go_on(cli, tmp_path, monkeypatch,
                                                          write_record, sample_data) -> None:
    out = tmp_path / "out"
    first = cli("render", write_record(sample_data), "-o", out, "--date", DAY)
    assert 0 == first.exit_code
    before = {p.name: p.read_bytes() for p in out.glob("*/*")}
    locked(monkeypatch, "resolution.en.docx")
    sample_data["customer"]["name"] = "Lakshmi Prasanna Rao"
    result = cli("render", write_record(sample_data), "-o", out, "--date", DAY, "--force")
    assert 1 == result.exit_code
    letter = out / "CMP-2026-0142" / "resolution.en.docx"
    assert [f"error: {letter}: cannot write it (The process cannot access the file because "
            "it is being used by another process): if it is open in Word or another program, "
            f"close it there, then run again; otherwise check you may write to {letter.parent}"
            ] == [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert "Traceback" not in result.output
    # The other letters went on; the locked letter's email stays with the letter.
    folder = letter.parent
    for name in ("acknowledgement.en.docx", "meeting.en.docx"):
        assert "Lakshmi Prasanna Rao" in docx_text(folder / name)
    assert before["resolution.en.docx"] == letter.read_bytes()
    assert before["resolution.en.eml"] == (folder / "resolution.en.eml").read_bytes()
    assert [] == list(out.glob("*/.*.tmp"))


def test_a_locked_letter_in_a_batch_is_that_rows_error(cli, tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    assert 0 == cli("batch", SAMPLES / "complaints.csv", "-o", out, "--date", DAY,
                    "-j", "1").exit_code
    locked(monkeypatch, "CMP-2026-0142/resolution.en.docx")
    result = cli("batch", SAMPLES / "complaints.csv", "-o", out, "--date", DAY, "-j", "1",
                 "--force")
    assert 1 == result.exit_code
    errors = (out / "errors.csv").read_text(encoding="utf-8-sig")
    assert "CMP-2026-0142" in errors and "close it there, then run again" in errors
    assert 1 == len(errors.strip().splitlines()) - 1


def held_by_excel(monkeypatch, *names: str) -> None:
    """Files with these names cannot be opened for writing, as when Excel has them open."""
    open_ = Path.open

    def refuse(self, mode="r", *args, **kwargs):
        if self.name in names and any(c in mode for c in "wa+"):
            raise PermissionError(13, "The process cannot access the file because it is "
                                  "being used by another process", str(self))
        return open_(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)


@pytest.mark.parametrize("name", ["manifest.csv", "errors.csv", "notes.csv"])
def test_a_batch_csv_open_in_excel_stops_the_run_before_any_row(cli, tmp_path, monkeypatch,
                                                                name) -> None:
    """A list from the last run, open in Excel: said at once, naming it; no row is made
    (rather than every letter written and then a traceback)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_text("row,reference,field,message\n", encoding="utf-8")
    held_by_excel(monkeypatch, name)
    result = cli("batch", SAMPLES / "complaints.csv", "-o", out, "--date", DAY, "-j", "1")
    assert 1 == result.exit_code
    assert result.stderr.startswith(f"error: {out / name}: cannot write it (The process "
                                    "cannot access the file because it is being used by "
                                    "another process): if it is open in Excel")
    assert "Traceback" not in result.output
    assert [name] == [p.name for p in out.iterdir()]


def test_a_sent_log_open_in_excel_sends_nothing(cli, tmp_path, monkeypatch, smtp_server
                                                ) -> None:
    """sent.csv open in Excel: refused before the first message goes, never a message sent
    and then not noted (which the next run would send again)."""
    mailbox, port = smtp_server
    out = tmp_path / "letters"
    assert 0 == cli("render", SAMPLES / "complaint.yaml", "-o", out, "--date", DAY,
                    "-k", "acknowledgement").exit_code
    assert 0 == cli("send", "--host", "127.0.0.1", "--port", port, out).exit_code
    assert 1 == len(mailbox.messages)
    assert 0 == cli("render", SAMPLES / "complaint.yaml", "-o", out, "--date", DAY,
                    "-k", "meeting").exit_code
    held_by_excel(monkeypatch, "sent.csv")
    result = cli("send", "--host", "127.0.0.1", "--port", port, out)
    assert 1 == result.exit_code
    assert "sent.csv: cannot write it" in result.stderr and "open in Excel" in result.stderr
    assert 1 == len(mailbox.messages)


def test_files_macos_and_word_keep_beside_documents_are_not_documents(cli, tmp_path,
                                                                      custom_template) -> None:
    """`._name` (macOS, on shared drives and USB sticks) and `~$name` (Word, while a
    document is open) are neither emails to send nor templates to check."""
    out = tmp_path / "letters"
    assert 0 == cli("render", SAMPLES / "complaint.yaml", "-o", out, "--date", DAY).exit_code
    for name in ("._acknowledgement.en.eml", "~$meeting.en.eml"):
        (out / "CMP-2026-0142" / name).write_bytes(b"\x00\x05\x16\x07 Mac OS X")
    result = cli("send", "--dry-run", out)
    assert 0 == result.exit_code, result.output
    assert 3 == result.stdout.count("would send")
    folder = custom_template("Thank you.")
    (folder / "._resolution-block.docx").write_bytes(b"\x00\x05\x16\x07 Mac OS X")
    checked = cli("templates", "check", folder)
    assert "._resolution-block.docx" not in checked.output


# --- permissions ---------------------------------------------------------------------------

@pytest.fixture
def umask():
    """Set the process's umask for the test, and put it back after."""
    before = os.umask(0o022)
    os.umask(before)
    yield lambda mask: os.umask(mask)
    os.umask(before)


def modes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): stat.S_IMODE(p.stat().st_mode)
            for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_get_the_mode_the_umask_gives(cli, tmp_path, umask, mask, mode) -> None:
    """Letters, emails, invitations, the batch's CSVs and the sample: what the user's umask
    says, as any program's new file (0644 under 022; tempfile would make them 0600)."""
    umask(mask)
    out = tmp_path / "out"
    assert 0 == cli("batch", SAMPLES / "complaints.csv", "-o", out, "--date", DAY,
                    "-j", "1").exit_code
    assert 0 == cli("render", SAMPLES / "complaint.te.yaml", "-o", tmp_path / "one",
                    "--date", DAY).exit_code
    assert 0 == cli("sample", "-o", tmp_path / "sample").exit_code
    found = {**modes(out), **modes(tmp_path / "one"), **modes(tmp_path / "sample")}
    assert {"manifest.csv", "notes.csv"} <= set(found)
    assert any(name.endswith(".eml") for name in found)
    assert any(name.endswith(".ics") for name in found)
    assert {mode} == set(found.values()), found


# --- console output ------------------------------------------------------------------------

def test_redirected_telugu_output_under_cp1252(tmp_path) -> None:
    """`send --dry-run` of Telugu letters, output redirected to a file under
    PYTHONIOENCODING=cp1252 (Windows' own): no crash; what cp1252 lacks is shown as `?`."""
    out = tmp_path / "letters"
    assert 0 == run_letterkit("render", SAMPLES / "complaint.te.yaml", "-o", out,
                              "--date", DAY).returncode
    sendable_any_day(out)
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    with (tmp_path / "out.txt").open("wb") as fh:
        result = run_letterkit("send", "--dry-run", out, env=env, stdout=fh)
    assert 0 == result.returncode, result.stderr
    text = (tmp_path / "out.txt").read_text(encoding="cp1252")
    assert 3 == text.count("would send")
    assert "?" in text and "Traceback" not in result.stderr


def test_redirected_output_becomes_utf8(monkeypatch) -> None:
    """Output to a file in a legacy encoding, with no PYTHONIOENCODING: written as UTF-8,
    so the Telugu survives."""
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stream)
    survive_any_encoding()
    print("శ్రీ వెంకట సుబ్బారావు")
    stream.flush()
    assert "శ్రీ వెంకట సుబ్బారావు\n" == raw.getvalue().decode("utf-8")


# --- settings in each system's place --------------------------------------------------------

def test_settings_where_each_system_keeps_them(tmp_path, monkeypatch) -> None:
    """Windows: %APPDATA%\\letterkit; macOS: ~/Library/Application Support/letterkit; the
    Linux place (XDG) still heard on each."""
    import platformdirs.windows

    folders = {"CSIDL_APPDATA": str(tmp_path / "Roaming"),
               "CSIDL_LOCAL_APPDATA": str(tmp_path / "Local")}
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", folders.__getitem__)
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    xdg = tmp_path / "xdg" / "letterkit" / "config.yaml"
    assert [tmp_path / "letterkit.yaml", tmp_path / "Roaming" / "letterkit" / "config.yaml",
            xdg] == config_candidates(env, tmp_path, platform="win32")
    assert [tmp_path / "letterkit.yaml",
            tmp_path / "Library" / "Application Support" / "letterkit" / "config.yaml",
            xdg] == config_candidates(env, tmp_path, platform="darwin")
    assert [tmp_path / "letterkit.yaml", xdg] == config_candidates(env, tmp_path,
                                                                   platform="linux")


def test_a_time_zone_in_any_case_is_written_as_iana_spells_it(tmp_path, sample_data,
                                                              write_record) -> None:
    """"asia/dubai" works on a Mac (its disk ignores case) and nowhere else, unless letterkit
    spells it right itself: on every system it is Asia/Dubai, in the record and the
    invitation."""
    from letterkit import load_record

    sample_data["meeting"]["timezone"] = "asia/dubai"
    record = load_record(write_record(sample_data))
    assert "Asia/Dubai" == record.meeting.timezone
