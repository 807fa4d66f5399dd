"""PDFs at the speed of one LibreOffice: a batch starts LibreOffice once per worker (not once
per chunk of rows), and a LibreOffice that crashes or hangs costs only the letters it had
not made, which are tried once more on a fresh start.

Most tests here use a stand-in for LibreOffice (a small Python script named by
LETTERKIT_SOFFICE) that converts as LibreOffice does, a file at a time in the order named,
and crashes or hangs when told to; it notes each start (its profile and its files)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

import letterkit.delivery.pdf as pdf
from letterkit.batch import run_batch
from letterkit.writing import WriteOptions

from readback import libreoffice
from sheets import MEETING_DAY, read_csv, rows_like_sample, write_csv

# A stand-in for soffice: `plan` says, start by start (the last for any after it), how many
# files to make before it stops ("make": null for all) and how it stops then ("exit": a
# crash's exit code; "hang": never finishing; "kill": killing itself, as a crash would).
# Any start that reaches `poison` crashes there. It waits up to `wait` seconds for a file
# named before it was made.
FAKE = """\
import json, os, signal, sys, time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname
here = Path({here!r})
settings = json.loads((here / "settings.json").read_text())
count = here / "starts"
start = int(count.read_text()) if count.exists() else 0
count.write_text(str(start + 1))
files = [a for a in sys.argv[1:] if a.endswith(".docx")]
profile = next(a for a in sys.argv[1:] if a.startswith("-env:UserInstallation="))
folder = Path(url2pathname(urlparse(profile.split("=", 1)[1]).path))
made_before = (folder / "user").is_dir()
(folder / "user").mkdir(parents=True, exist_ok=True)  # as LibreOffice sets up a profile
(folder / "user" / "registrymodifications.xcu").touch()
with open(here / "log.jsonl", "a") as log:
    log.write(json.dumps({{"pid": os.getpid(), "profile": profile, "files": files,
                          "profile_there": made_before}}) + "\\n")
step = settings["plan"][min(start, len(settings["plan"]) - 1)]
pdf = (here / "tiny.pdf").read_bytes()
for number, name in enumerate(files):
    if name == settings.get("poison") or number == step.get("make"):
        how = "exit" if name == settings.get("poison") else step["then"]
        if how == "hang":
            time.sleep(600)
        if how == "kill" and hasattr(signal, "SIGKILL"):  # Windows: the exit below
            os.kill(os.getpid(), signal.SIGKILL)
        sys.exit(3)
    # LibreOffice looks for each file when it comes to it and passes over one not there;
    # it starts slowly enough for the letters named ahead to be there by then.
    deadline = time.monotonic() + settings["wait"]
    while not Path(name).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not Path(name).exists():
        continue
    time.sleep(settings["delay"])
    Path(name).with_suffix(".pdf").write_bytes(pdf)
(here / f"done-{{start}}").touch()
"""


def tiny_pdf() -> bytes:
    """A one-page PDF, as PDFium writes it (it ends with %%EOF, as LibreOffice's do)."""
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    document.new_page(595, 842)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class FakeSoffice:
    """The stand-in, set up in a folder of its own; `starts` reads its log."""

    def __init__(self, folder: Path, plan: list[dict], *, poison: str | None = None,
                 delay: float = 0.005, wait: float = 10.0) -> None:
        folder.mkdir()
        self.folder = folder
        (folder / "tiny.pdf").write_bytes(tiny_pdf())
        (folder / "settings.json").write_text(json.dumps(
            {"plan": plan, "poison": poison, "delay": delay, "wait": wait}))
        script = folder / "soffice.py"
        script.write_text(FAKE.format(here=str(folder)), encoding="utf-8")
        if sys.platform == "win32":
            self.program = folder / "soffice.cmd"
            self.program.write_text(f'@"{sys.executable}" "{script}" %*\r\n')
        else:
            self.program = folder / "soffice"
            self.program.write_text(f"#!{sys.executable}\n" + script.read_text("utf-8"),
                                    encoding="utf-8")
            self.program.chmod(0o755)

    @property
    def starts(self) -> list[dict]:
        log = self.folder / "log.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture(autouse=True)
def saved_profiles(tmp_path, monkeypatch):
    """The LibreOffice profile a converter saves for the next goes in this test's folder."""
    folder = tmp_path / "cache"
    monkeypatch.setattr(pdf, "_template", lambda program: folder / "libreoffice-profile")
    return folder / "libreoffice-profile"


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Make a stand-in for LibreOffice and name it in LETTERKIT_SOFFICE; the limits short."""
    monkeypatch.setattr(pdf, "SECONDS_TO_START", 5.0)
    monkeypatch.setattr(pdf, "SECONDS_PER_LETTER", 5.0)

    def make(plan: list[dict], name: str = "fake", **settings) -> FakeSoffice:
        if any(step.get("then") == "hang" for step in plan):
            # Short, for the tests of a hang only: on a busy machine a worker can take a
            # second between two letters, and a working start would be taken for a hung one.
            monkeypatch.setattr(pdf, "SECONDS_WITHOUT_A_PDF", 1.0)
        made = FakeSoffice(tmp_path / name, plan, **settings)
        monkeypatch.setenv("LETTERKIT_SOFFICE", str(made.program))
        return made

    return make


def batch(tmp_path: Path, rows: int, *, jobs: int = 1, **options):
    source = write_csv(tmp_path / "rows.csv", rows_like_sample(rows))
    out = tmp_path / "out"
    options = WriteOptions(out_dir=out, kinds=("resolution",), pdf=True,
                           today=dt.date.fromisoformat(MEETING_DAY), **options)
    return run_batch(source, options, jobs=jobs), out


def pdfs_made(out: Path) -> int:
    return len([p for p in out.glob("*/resolution.*.pdf")
                if p.read_bytes().startswith(b"%PDF")])


# --- one start per worker ------------------------------------------------------------------

@pytest.mark.parametrize(("rows", "jobs", "starts"), [(24, 1, 1), (48, 2, 2), (30, 2, 2),
                                                     (20, 2, 1)])
def test_a_batch_starts_libreoffice_once_per_worker(fake, tmp_path, rows, jobs,
                                                    starts) -> None:
    """More rows than a chunk of 8: one LibreOffice start for all a worker's letters,
    whatever the number of chunks, the letters shared evenly between the workers; too few
    to be worth two starts, one."""
    soffice = fake([{"make": None}])
    summary, out = batch(tmp_path, rows, jobs=jobs)
    assert 0 == summary.failed_rows
    assert rows == pdfs_made(out) == summary.letters
    assert starts == summary.pdf_starts == len(soffice.starts)
    sizes = sorted(len(start["files"]) for start in soffice.starts)
    assert sizes[-1] - sizes[0] <= 1, sizes
    manifest = read_csv(out / "manifest.csv")
    assert rows == sum(1 for line in manifest if line["path"].endswith(".pdf"))


def test_workers_of_a_process_that_made_pdfs_have_profiles_of_their_own(fake,
                                                                      tmp_path) -> None:
    """A program that made PDFs itself, then runs a batch on two workers (forked, they
    start as copies of it): each worker's LibreOffice has a profile of its own, not the
    program's, which a second LibreOffice would hand its letters to."""
    soffice = fake([{"make": None}])
    mine = pdf.converter_for_this_process()
    summary, out = batch(tmp_path, 24, jobs=2)
    assert 24 == pdfs_made(out)
    profiles = [start["profile"] for start in soffice.starts]
    assert 2 == summary.pdf_starts == len(set(profiles)), profiles
    assert not any(mine.work.as_uri() in profile for profile in profiles)


@pytest.mark.parametrize("jobs", [1, 2])
def test_rows_are_reported_as_their_pdfs_come(fake, tmp_path, jobs) -> None:
    """A worker's rows share one LibreOffice start, but each row is reported (progress,
    the manifest) as soon as its PDF is made, not when the last is."""
    fake([{"make": None}], delay=0.15)
    out = tmp_path / "out"
    pdfs_at_each_row = []
    source = write_csv(tmp_path / "rows.csv", rows_like_sample(24))
    options = WriteOptions(out_dir=out, kinds=("resolution",), pdf=True,
                           today=dt.date.fromisoformat(MEETING_DAY))
    summary = run_batch(source, options, jobs=jobs,
                        on_row=lambda result: pdfs_at_each_row.append(pdfs_made(out)))
    assert 24 == len(pdfs_at_each_row) == pdfs_made(out)
    assert pdfs_at_each_row[0] < 8, pdfs_at_each_row
    assert jobs == summary.pdf_starts


def test_more_letters_than_a_start_takes(fake, tmp_path, monkeypatch) -> None:
    """A command line names at most MOST_PER_START files: a worker with more letters
    starts LibreOffice again for the rest, and no more often than that."""
    monkeypatch.setattr(pdf, "MOST_PER_START", 10)
    soffice = fake([{"make": None}])
    summary, out = batch(tmp_path, 25)
    assert 25 == pdfs_made(out)
    assert [10, 10, 5] == [len(start["files"]) for start in soffice.starts]
    assert 3 == summary.pdf_starts


@pytest.mark.parametrize(("rows", "kinds", "size"), [
    (48, ("resolution",), 24),  # a share each
    (20, ("resolution",), 20),  # not worth two starts
    (1200, ("resolution",), 300),  # two even rounds
    (3000, ("resolution",), 500),  # as many letters as a start takes
    (3000, ("all",), 125),  # up to four letters a row
    (None, ("resolution",), 500),  # a sheet that could not be counted
])
def test_how_many_rows_a_worker_takes_with_pdfs(rows, kinds, size) -> None:
    """With PDFs, two workers take the sheet in even shares of at most MOST_PER_START
    letters, each converted in one LibreOffice start."""
    from letterkit.batch import _rows_a_task_with_pdfs

    assert size == _rows_a_task_with_pdfs(rows, 2, kinds)


@pytest.mark.libreoffice
def test_a_parallel_batch_with_the_real_libreoffice(cli, tmp_path) -> None:
    """24 rows on two workers: a LibreOffice start each, every PDF, the print file in row
    order, and the resolution emails attach their PDFs."""
    libreoffice()
    source = write_csv(tmp_path / "rows.csv", rows_like_sample(24))
    out = tmp_path / "out"
    printed = tmp_path / "postal.pdf"
    result = cli("batch", source, "-o", out, "-j", "2", "-k", "resolution", "--pdf",
                 "--date", MEETING_DAY, "--print", printed)
    assert 0 == result.exit_code, result.output
    starts = re.search(r"PDFs from (\d+) LibreOffice starts", result.stderr)
    # One more, should a letter be made after LibreOffice came to its name (a slow
    # moment on a busy machine): see test_letters_libreoffice_came_to_before_they_were_there.
    assert starts is not None and int(starts[1]) in (2, 3), result.stderr
    assert 24 == pdfs_made(out)
    import pypdfium2

    joined = pypdfium2.PdfDocument(printed.read_bytes())
    try:
        first = joined[0].get_textpage().get_text_range()
    finally:
        joined.close()
    assert "CMP-2026-0001" in first
    emails = sorted(out.glob("*/resolution.*.eml"))
    assert 24 == len(emails)
    assert all(b"application/pdf" in email.read_bytes() for email in emails)


# --- a LibreOffice that crashes or hangs ------------------------------------------------------

@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_crash_costs_only_the_letters_not_made(fake, tmp_path, how) -> None:
    """LibreOffice crashes after 5 of 12 letters: those 5 are kept, the 7 others are tried
    again on a fresh start (a new profile), which makes them; every row has its PDF and
    its email, and the row reports nothing wrong."""
    soffice = fake([{"make": 5, "then": how}, {"make": None}])
    summary, out = batch(tmp_path, 12)
    assert 0 == summary.failed_rows, read_csv(out / "errors.csv")
    assert 12 == pdfs_made(out)
    first, second = soffice.starts
    assert 12 == len(first["files"])
    assert sorted(second["files"]) == sorted(first["files"][5:])
    assert first["files"][5] == second["files"][-1]  # the one in hand when it crashed: last
    assert first["profile"] != second["profile"]
    assert 2 == summary.pdf_starts
    assert 12 == len(list(out.glob("*/resolution.*.eml")))


def test_a_letter_that_crashes_libreoffice_stops_no_other(fake, tmp_path) -> None:
    """A letter LibreOffice crashes on, every time: it is tried last on the second start,
    so every other letter gets its PDF; it alone is a bad row, once, naming the crash, and
    its email (which attaches the PDF) waits for it; its letter is there."""
    soffice = fake([{"make": None}], poison="00003.docx")
    summary, out = batch(tmp_path, 10)
    assert 2 == len(soffice.starts) == summary.pdf_starts
    assert 9 == pdfs_made(out)
    assert 1 == summary.failed_rows
    errors = read_csv(out / "errors.csv")
    assert ["5"] == [line["row"] for line in errors]  # the 4th row is the sheet's row 5
    assert "LibreOffice stopped unexpectedly (exit code 3), twice" in errors[0]["message"]
    assert "its email, which attaches it, was not made either" in errors[0]["message"]
    folder = out / "CMP-2026-0004"
    assert ["resolution.en.docx"] == sorted(p.name for p in folder.iterdir())


def test_a_hang_is_stopped_and_the_rest_made_on_a_fresh_start(fake, tmp_path) -> None:
    """LibreOffice falls silent after 4 letters: stopped once no PDF comes for
    SECONDS_WITHOUT_A_PDF (long before its overall limit), the rest made on a second
    start; nothing is reported."""
    soffice = fake([{"make": 4, "then": "hang"}, {"make": None}])
    started = time.monotonic()
    summary, out = batch(tmp_path, 10)
    assert time.monotonic() - started < 30  # the overall limit is 5 + 5 * 10 s
    assert 0 == summary.failed_rows
    assert 10 == pdfs_made(out)
    assert [10, 6] == [len(start["files"]) for start in soffice.starts]
    assert all(gone(start["pid"]) for start in soffice.starts)


def test_a_slow_reader_of_the_pdfs_is_not_a_hung_libreoffice(fake, tmp_path,
                                                            monkeypatch) -> None:
    """The time the run spends on a PDF it was given (writing it and its email, telling
    the caller: a slow share, a busy machine) is not LibreOffice's silence: it is not
    stopped as hung while it goes on making PDFs."""
    soffice = fake([{"make": None}], delay=0.15)
    monkeypatch.setattr(pdf, "SECONDS_WITHOUT_A_PDF", 1.0)
    rows = []

    def slow_on_the_third(result) -> None:
        rows.append(result.row)
        if len(rows) == 3:
            time.sleep(1.5)

    source = write_csv(tmp_path / "rows.csv", rows_like_sample(12))
    options = WriteOptions(out_dir=tmp_path / "out", kinds=("resolution",), pdf=True,
                           today=dt.date.fromisoformat(MEETING_DAY))
    summary = run_batch(source, options, on_row=slow_on_the_third)
    assert 12 == pdfs_made(tmp_path / "out") == len(rows)
    assert 1 == summary.pdf_starts == len(soffice.starts)


def test_a_libreoffice_that_hangs_twice_makes_per_letter_problems(fake, tmp_path) -> None:
    """Hung on its first start and again on the fresh one: two starts, no third; the
    letters made are kept, and each letter not made is its row's problem, saying so."""
    soffice = fake([{"make": 3, "then": "hang"}, {"make": 2, "then": "hang"}])
    summary, out = batch(tmp_path, 8)
    assert 2 == len(soffice.starts)
    assert 5 == pdfs_made(out)
    assert 3 == summary.failed_rows
    errors = read_csv(out / "errors.csv")
    assert 3 == len(errors)
    assert all("LibreOffice made no PDF for 1 s and was stopped, twice (is another "
               "LibreOffice window asking something?)" in line["message"] for line in errors)
    assert 8 == len(list(out.glob("*/resolution.*.docx")))
    assert all(gone(start["pid"]) for start in soffice.starts)


def test_a_resumed_run_makes_only_the_pdfs_missing(fake, tmp_path) -> None:
    """After a run whose LibreOffice hung for good, --resume converts only the letters
    without a PDF (one start), and writes their emails with the PDF attached."""
    fake([{"make": 3, "then": "hang"}, {"make": 0, "then": "exit"}])
    summary, out = batch(tmp_path, 6)
    assert 3 == summary.failed_rows
    soffice = fake([{"make": None}], name="fake-2")
    resumed, _ = batch(tmp_path, 6, resume=True)
    assert 0 == resumed.failed_rows
    assert 6 == pdfs_made(out)
    assert [3] == [len(start["files"]) for start in soffice.starts]
    emails = sorted(out.glob("*/resolution.*.eml"))
    assert 6 == len(emails)
    assert all(b"application/pdf" in email.read_bytes() for email in emails)


def test_a_converter_that_cannot_read_a_letter_goes_on(tmp_path, fake) -> None:
    """A letter gone before its turn is that letter's problem; the others are made."""
    soffice = fake([{"make": None}])
    work = tmp_path / "work"
    work.mkdir()
    letters = [tmp_path / f"{n}.docx" for n in range(3)]
    for letter in letters[:2]:
        letter.write_bytes(b"PK")
    made = pdf.PdfConverter(work, program=str(soffice.program)).convert(letters)
    assert [bytes, bytes] == [type(made[letter]) for letter in letters[:2]]
    assert "no PDF: cannot read it" in str(made[letters[2]])


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# --- stopping a batch while LibreOffice works -------------------------------------------------

def batch_env(soffice: FakeSoffice) -> dict[str, str]:
    """The stand-in named, and the profile it saves kept in the test's folder (Linux)."""
    return {**os.environ, "LETTERKIT_SOFFICE": str(soffice.program),
            "XDG_CACHE_HOME": str(soffice.folder / "cache")}


def start_batch(source: Path, out: Path, soffice: FakeSoffice) -> subprocess.Popen[str]:
    env = batch_env(soffice)
    return subprocess.Popen(
        [sys.executable, "-m", "letterkit", "batch", str(source), "-o", str(out), "-j", "2",
         "-k", "resolution", "--pdf", "--date", MEETING_DAY],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)


def wait_for(condition, process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.posix  # the signals stage the faults
def test_ctrl_c_twice_stops_the_workers_libreoffice_at_once(tmp_path) -> None:
    """A second Ctrl-C while the workers' LibreOffice converts (slowly: 40 letters of
    0.5 s each) stops them at once, with everything they started; the manifest lists
    exactly the files on disk, and --resume makes the rest."""
    from test_faults import assert_manifest_is_the_disk

    soffice = FakeSoffice(tmp_path / "fake", [{"make": None}], delay=0.5)
    source = write_csv(tmp_path / "rows.csv", rows_like_sample(80))
    out = tmp_path / "out"
    process = start_batch(source, out, soffice)
    wait_for(lambda: len(soffice.starts) == 2 and pdfs_made(out) >= 2, process,
             "LibreOffice made no PDF")
    os.killpg(process.pid, signal.SIGINT)
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)
    started = time.monotonic()
    process.communicate(timeout=30)
    assert time.monotonic() - started < 10  # not the 20 s left to convert
    assert process.returncode != 0
    deadline = time.monotonic() + 10
    while not all(gone(start["pid"]) for start in soffice.starts):
        assert time.monotonic() < deadline, "LibreOffice outlived the batch"
        time.sleep(0.1)
    assert pdfs_made(out) < 80
    assert_manifest_is_the_disk(out)

    quick = FakeSoffice(tmp_path / "quick", [{"make": None}])
    env = batch_env(quick)
    resumed = subprocess.run(
        [sys.executable, "-m", "letterkit", "batch", str(source), "-o", str(out), "-j", "2",
         "-k", "resolution", "--pdf", "--date", MEETING_DAY, "--resume"],
        capture_output=True, text=True, env=env, check=False)
    assert 0 == resumed.returncode, resumed.stderr
    assert 80 == pdfs_made(out)
    assert_manifest_is_the_disk(out)


@pytest.mark.posix
def test_ctrl_c_once_finishes_the_rows_in_hand_with_their_pdfs(tmp_path) -> None:
    """One Ctrl-C: the rows the workers have in hand are finished, PDFs and emails too;
    exit 130, and every letter written has its PDF."""
    from test_faults import assert_manifest_is_the_disk

    soffice = FakeSoffice(tmp_path / "fake", [{"make": None}], delay=0.05)
    source = write_csv(tmp_path / "rows.csv", rows_like_sample(40))
    out = tmp_path / "out"
    process = start_batch(source, out, soffice)
    wait_for(lambda: len(soffice.starts) >= 1, process, "LibreOffice never started")
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert 130 == process.returncode, stderr
    assert "Traceback" not in stderr
    letters = len(list(out.glob("*/resolution.*.docx")))
    assert letters == pdfs_made(out) == len(list(out.glob("*/resolution.*.eml")))
    assert_manifest_is_the_disk(out)


@pytest.mark.posix
def test_libreoffice_stops_when_the_batch_is_killed(tmp_path) -> None:
    """SIGKILL to the batch: its workers stop, and so does the LibreOffice each started
    (in a session of its own, which the kill would not otherwise reach)."""
    soffice = FakeSoffice(tmp_path / "fake", [{"make": None}], delay=0.5)
    source = write_csv(tmp_path / "rows.csv", rows_like_sample(40))
    process = start_batch(source, tmp_path / "out", soffice)
    wait_for(lambda: len(soffice.starts) == 2, process, "LibreOffice never started")
    process.kill()
    process.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while not all(gone(start["pid"]) for start in soffice.starts):
        assert time.monotonic() < deadline, "LibreOffice outlived the batch"
        time.sleep(0.1)


# --- LibreOffice started before the letters are made -------------------------------------------

def test_libreoffice_starts_with_the_first_letter(fake, tmp_path, monkeypatch) -> None:
    """A batch starts LibreOffice as its first letter is made, on the names all its letters
    will have, so that LibreOffice's start overlaps the making of the others."""
    soffice = fake([{"make": None}])
    starts_at_each_letter = []
    add = pdf.PdfBatch.add

    def noting(self, letter):
        starts_at_each_letter.append(self.converter.starts)
        return add(self, letter)

    monkeypatch.setattr(pdf.PdfBatch, "add", noting)
    summary, out = batch(tmp_path, 12)
    assert [0] + [1] * 11 == starts_at_each_letter
    assert 12 == pdfs_made(out)
    assert [[f"{n:05d}.docx" for n in range(12)]] == [s["files"] for s in soffice.starts]


def converter(tmp_path: Path, soffice: FakeSoffice, name: str = "work") -> pdf.PdfConverter:
    work = tmp_path / name
    work.mkdir()
    return pdf.PdfConverter(work, program=str(soffice.program))


def test_letters_libreoffice_came_to_before_they_were_there(fake, tmp_path) -> None:
    """A LibreOffice that came to a letter's name before the letter was there passes it
    over (as it does a file it cannot find): such letters are made on one more start."""
    soffice = fake([{"make": None}], wait=0.0)
    with converter(tmp_path, soffice).batch(3) as batch:
        numbers = [batch.add(b"PK")]
        deadline = time.monotonic() + 30
        while not (soffice.folder / "done-0").exists():  # it has come to all three names
            assert time.monotonic() < deadline
            time.sleep(0.01)
        numbers += [batch.add(b"PK") for _ in range(2)]
        made = dict(batch.pdfs())
    assert numbers == sorted(made)
    assert all(isinstance(pdf_, bytes) for pdf_ in made.values())
    assert [3, 2] == [len(start["files"]) for start in soffice.starts]


def test_more_letters_than_were_expected(fake, tmp_path) -> None:
    """Letters beyond those named ahead are made on a start of their own, after it."""
    soffice = fake([{"make": None}])
    with converter(tmp_path, soffice).batch(2) as batch:
        numbers = [batch.add(b"PK") for _ in range(5)]
        made = dict(batch.pdfs())
    assert numbers == sorted(made)
    assert [["00000.docx", "00001.docx"], ["00002.docx", "00003.docx", "00004.docx"]] == [
        start["files"] for start in soffice.starts]


def test_a_program_that_cannot_be_run_is_each_letters_problem(tmp_path) -> None:
    """A LibreOffice setting naming a file that is not a program this system runs: no
    traceback; each letter says LibreOffice could not be started."""
    program = tmp_path / "soffice"
    program.write_bytes(b"\x7fELF not really")
    program.chmod(0o755)
    letter = tmp_path / "letter.docx"
    letter.write_bytes(b"PK")
    work = tmp_path / "work"
    work.mkdir()
    made = pdf.PdfConverter(work, program=str(program)).convert([letter])
    assert str(made[letter]).startswith(f"{letter}: no PDF: LibreOffice could not be started (")
    assert str(made[letter]).endswith("), twice")


def test_a_profile_that_worked_is_copied_for_the_next(fake, tmp_path, saved_profiles) -> None:
    """The first converter's profile, once a start has gone well, is saved; the next
    converter (another process, another run) begins with a copy of it rather than setting
    one up. A crash on a copied profile throws the saved one away."""
    soffice = fake([{"make": None}])
    letter = tmp_path / "letter.docx"
    letter.write_bytes(b"PK")
    assert isinstance(converter(tmp_path, soffice, "one").convert([letter])[letter], bytes)
    assert (saved_profiles / "user").is_dir()
    assert isinstance(converter(tmp_path, soffice, "two").convert([letter])[letter], bytes)
    assert [False, True] == [start["profile_there"] for start in soffice.starts]

    (saved_profiles / "user" / "mark").touch()
    crashing = fake([{"make": 0, "then": "exit"}, {"make": None}], name="crashing")
    work = converter(tmp_path, crashing, "three")
    assert isinstance(work.convert([letter])[letter], bytes)
    assert [True, False] == [start["profile_there"] for start in crashing.starts]
    assert not (saved_profiles / "user" / "mark").exists()  # the fresh one's in its place
    assert (saved_profiles / "user").is_dir() and work.saved
