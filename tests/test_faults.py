"""Faults during a batch (SIGKILL, Ctrl-C, SIGTERM, a full disk): afterwards, and after
`--resume`, the manifest lists exactly the letter files on disk with their hashes, every
letter opens, nothing is half written, and sending the folder twice sends each email once."""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import docx
import psutil
import pytest

from letterkit import output

from sheets import MEETING_DAY, rows_like_sample, write_csv

LETTER_SUFFIXES = {".docx", ".eml", ".ics", ".pdf"}


def manifest_lines(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def assert_manifest_is_the_disk(out: Path) -> int:
    """The manifest lists each letter file on disk once, with its sha256, and no other;
    no temporary file is left in a complaint's folder. Returns the number of files."""
    lines = manifest_lines(out)
    listed = {line["path"]: line["sha256"] for line in lines}
    assert len(lines) == len(listed), "a file listed twice"
    on_disk = {f"{folder.name}/{file.name}" for folder in out.iterdir() if folder.is_dir()
               for file in folder.iterdir() if file.suffix in LETTER_SUFFIXES}
    assert on_disk == set(listed)
    for path, digest in listed.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest, path
    assert [] == [f for f in out.glob("*/.*") if f.name.endswith(".tmp")]
    return len(listed)


def assert_letters_open(out: Path) -> None:
    for letter in out.glob("*/*.docx"):
        assert docx.Document(str(letter)).paragraphs, letter


def command(source: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "letterkit", "batch", str(source), "-o", str(out),
            "--date", MEETING_DAY, *extra]


def start(args: list[str]) -> subprocess.Popen[str]:
    # A session of its own, as a terminal's job: a Ctrl-C goes to the whole group.
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for_letters(out: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while len(list(out.glob("*/*.docx"))) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch made no letters"
        time.sleep(0.05)


def send_twice(cli, port: int, out: Path, mailbox) -> None:
    """Every email goes once; the second run sends nothing."""
    emails = len(list(out.glob("*/*.eml")))
    first = cli("send", "--host", "127.0.0.1", "--port", port, out)
    assert 0 == first.exit_code, first.stderr
    assert emails == len(mailbox.messages)
    again = cli("send", "--host", "127.0.0.1", "--port", port, out)
    assert f"0 sent, {emails} already sent" in again.stderr
    assert emails == len(mailbox.messages)


@pytest.mark.posix  # the signals stage the faults
@pytest.mark.parametrize("fault", ["SIGKILL", "SIGINT", "SIGTERM"])
def test_a_batch_stopped_by_a_signal_resumes_with_a_true_manifest(
        cli, smtp_server, tmp_path, fault) -> None:
    """Killed, interrupted (Ctrl-C to the whole job) or terminated part-way through a
    `-j 2` batch: no worker goes on, a graceful stop leaves the manifest true at once, and
    after --resume it lists exactly the files on disk; every letter opens, and sending the
    folder twice sends each email once."""
    mailbox, port = smtp_server
    rows = 90
    source = write_csv(tmp_path / "in.csv", rows_like_sample(rows))
    out = tmp_path / "out"
    process = start(command(source, out, "-j", "2"))
    wait_for_letters(out, 40, process)
    workers = psutil.Process(process.pid).children()
    assert workers, "a -j 2 batch runs its rows in worker processes"
    if fault == "SIGINT":
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, getattr(signal, fault))
    _, stderr = process.communicate(timeout=60)
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert [] == alive, "workers outlived the batch"
    if fault == "SIGKILL":
        assert -signal.SIGKILL == process.returncode
    else:
        assert 130 == process.returncode, stderr
        assert "interrupted after" in stderr and "--resume" in stderr
        assert "Traceback" not in stderr
        assert_manifest_is_the_disk(out)
    assert len(list(out.glob("*/*.docx"))) < 3 * rows, "stopped part-way"

    resumed = subprocess.run(command(source, out, "-j", "2", "--resume"), capture_output=True,
                             text=True, check=False)
    assert 0 == resumed.returncode, resumed.stderr
    assert 3 * rows == len(list(out.glob("*/*.docx")))
    assert 7 * rows == assert_manifest_is_the_disk(out)  # 3 letters, 3 emails, 1 invitation
    assert_letters_open(out)
    send_twice(cli, port, out, mailbox)


@pytest.mark.parametrize("refusal", ["ENOSPC", "EROFS", "EDQUOT"])
def test_a_full_disk_stops_the_batch_with_one_line(cli, tmp_path, monkeypatch,
                                                   refusal) -> None:
    """A disk that takes no more letters (full, read-only, over quota) stops the batch with
    one line naming the file (exit 2), leaves no half file and a manifest listing exactly
    what is there; a resumed run, with room again, makes the rest."""
    source = write_csv(tmp_path / "in.csv", rows_like_sample(30))
    out = tmp_path / "out"
    made = output._new_temporary
    letters_room = [20]

    def until_full(path: Path) -> tuple[int, Path]:
        # A letter takes room (the run's own files fit), once its folder is there.
        if path.parent != out and path.parent.is_dir():
            letters_room[0] -= 1
            if letters_room[0] < 0:
                code = getattr(errno, refusal)
                raise OSError(code, os.strerror(code), str(path))
        return made(path)

    monkeypatch.setattr(output, "_new_temporary", until_full)
    result = cli("batch", source, "-o", out, "-j", "1", "--date", MEETING_DAY)
    assert 2 == result.exit_code
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert 1 == len(errors), result.stderr
    assert f"cannot write it: {os.strerror(getattr(errno, refusal))}" in errors[0]
    assert "stopped after" in result.stderr and "--resume" in result.stderr
    assert 20 == assert_manifest_is_the_disk(out)
    assert not (out / "errors.csv").exists()  # a full disk is no row's fault

    monkeypatch.setattr(output, "_new_temporary", made)
    resumed = cli("batch", source, "-o", out, "-j", "1", "--date", MEETING_DAY, "--resume")
    assert 0 == resumed.exit_code, resumed.stderr
    assert 7 * 30 == assert_manifest_is_the_disk(out)
    assert_letters_open(out)


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB file system of its own (tmpfs; needs root on Linux)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
            capture_output=True, check=False).returncode:
        pytest.skip("no tmpfs can be mounted here: the simulated full disk stands in")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.posix
def test_a_really_full_disk_during_a_parallel_batch(cli, tmp_path, small_disk) -> None:
    """On a real file system that fills up during a `-j 2` batch: one line, exit 2, the
    manifest lists exactly the letters that fit; moved to a bigger disk, --resume finishes
    the job."""
    source = write_csv(tmp_path / "in.csv", rows_like_sample(150))
    result = subprocess.run(command(source, small_disk / "out", "-j", "2"),
                            capture_output=True, text=True, check=False)
    assert 2 == result.returncode, result.stderr
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    made = assert_manifest_is_the_disk(small_disk / "out")
    assert 0 < made < 7 * 150
    bigger = tmp_path / "out"
    shutil.copytree(small_disk / "out", bigger)
    resumed = subprocess.run(command(source, bigger, "-j", "2", "--resume"),
                             capture_output=True, text=True, check=False)
    assert 0 == resumed.returncode, resumed.stderr
    assert 7 * 150 == assert_manifest_is_the_disk(bigger)


def test_a_full_disk_stops_render_with_one_line(cli, tmp_path, write_record, sample_data,
                                                monkeypatch) -> None:
    """`render` of several records on a disk that fills: one line for the disk, not one a
    record, and exit 2."""
    made = output._new_temporary
    room = [4]

    def until_full(path: Path) -> tuple[int, Path]:
        room[0] -= 1
        if room[0] < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return made(path)

    monkeypatch.setattr(output, "_new_temporary", until_full)
    records = []
    for number in range(3):
        sample_data["reference"] = f"CMP-{number}"
        records.append(write_record(sample_data, f"r{number}.yaml"))
    result = cli("render", *records, "-o", tmp_path / "out", "--date", MEETING_DAY)
    assert 2 == result.exit_code
    assert 1 == result.stderr.count("No space left on device"), result.stderr
    assert "still need their letters, once there is room" in result.stderr
