"""The README as a reader uses it: its links lead somewhere, and its Python examples run as
written, the first writing what `letterkit render --pdf` writes."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from letterkit.inputs import write_samples

from readback import libreoffice, pdf_text

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_link_in_the_readme_leads_somewhere() -> None:
    """Each `(#anchor)` is a heading of the README; each relative link is a file in the
    repository; nothing points outside it."""
    anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", README, re.MULTILINE)}
    links = re.findall(r"\]\(([^)]+)\)", README)
    assert links, "the README links its sections"
    broken = [link for link in links if link.startswith("#") and link[1:] not in anchors]
    broken += [link for link in links if not link.startswith(("#", "http://", "https://"))
               and not (ROOT / link).exists()]
    assert [] == broken
    assert "../" not in README


def test_sections_named_in_prose_are_links() -> None:
    """Where the README sends the reader to a section, it is a link, not just a name."""
    assert [] == re.findall(r'[Ss]ee "[^"]+"', README)


def section(name: str) -> str:
    start = README.index(f"## {name}")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def test_the_test_command_is_the_one_ci_runs() -> None:
    """CI runs exactly the README's test command, after installing what it needs."""
    block = re.findall(r"```sh\n(.*?)```", section("Running the tests"), re.DOTALL)[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pytest" in block and block.strip() in ci


def test_install_commands_work_in_cmd_and_powershell() -> None:
    """Install and test commands a Windows user types: no single quotes (cmd.exe keeps
    them), no `&&` (Windows PowerShell 5 refuses it), no `export`."""
    commands = re.findall(r"```(?:sh)?\n(.*?)```",
                          section("Installing") + section("Running the tests"), re.DOTALL)
    commands += re.findall(r"`([^`\n]*(?:pip|pipx|winget|letterkit) [^`\n]*)`",
                           section("Installing"))
    assert len(commands) >= 8
    for command in commands:
        if "sudo " in command:
            continue  # the Linux block
        assert "'" not in command and "&&" not in command and "export " not in command, command


def python_blocks(section: str) -> list[str]:
    start = README.index(f"## {section}")
    end = README.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", README[start:end], re.DOTALL)


@pytest.fixture
def samples(tmp_path) -> Path:
    """A folder with the sample record, the Telugu one and the CSV, as `letterkit sample`
    writes them."""
    folder = tmp_path / "work"
    write_samples(folder)
    return folder


def run_python(code: str, cwd: Path, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={**os.environ, **(env or {})})


@pytest.mark.libreoffice
def test_the_ten_line_script_writes_what_render_writes(samples, tmp_path) -> None:
    """The README's first example, using only names `letterkit` exports, writes the same
    files as `letterkit render complaint.yaml --pdf`: letters byte for byte, emails and the
    invitation but for the moment they were made, PDFs with the same text."""
    libreoffice()
    script = python_blocks("Using letterkit from Python")[0]
    assert len(script.strip().splitlines()) <= 10
    assert re.findall(r"^(?:from|import) (\S+)", script, re.MULTILINE) == [
        "pathlib", "letterkit"]
    by_cli = tmp_path / "cli"
    shutil.copytree(samples, by_cli)
    done = run_python(script, samples)
    assert 0 == done.returncode, done.stderr
    assert "wrote letters/CMP-2026-0142/acknowledgement.en.docx" in done.stdout
    cli = subprocess.run([shutil.which("letterkit") or "letterkit", "render", "complaint.yaml",
                          "--pdf"], cwd=by_cli, capture_output=True, text=True, timeout=600)
    assert 0 == cli.returncode, cli.stderr

    mine, theirs = samples / "letters", by_cli / "letters"
    files = sorted(p.relative_to(mine).as_posix() for p in mine.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(theirs).as_posix() for p in theirs.rglob("*")
                           if p.is_file())
    assert {"docx", "eml", "ics", "pdf"} == {f.rsplit(".", 1)[1] for f in files}
    for name in files:
        a, b = (mine / name).read_bytes(), (theirs / name).read_bytes()
        if name.endswith(".docx"):
            assert a == b, name
        elif name.endswith(".ics"):
            assert _without_stamps(a) == _without_stamps(b), name
        elif name.endswith(".eml"):
            assert _email_facts(a) == _email_facts(b), name
        else:
            assert pdf_text(mine / name) == pdf_text(theirs / name), name


def _without_stamps(ics: bytes) -> bytes:
    return re.sub(rb"DTSTAMP:\S+\r\n", b"", ics)


def _email_facts(raw: bytes) -> tuple[object, ...]:
    """An email's headers and parts, but for its Date and what depends on the moment it
    was made (Message-ID, the invitation's stamp, a PDF's creation date)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    headers = sorted((k, str(v)) for k, v in message.items()
                     if k not in ("Date", "Message-ID", "Content-Type"))
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_content_type() == "text/calendar":
            payload = _without_stamps(payload)
        elif part.get_content_type() == "application/pdf":
            payload = b"%PDF"
        parts.append((part.get_content_type(), part.get_filename(), payload))
    parts.insert(0, (message.get_content_type(), None, b""))  # without its random boundary
    return tuple(headers), tuple(parts)


def test_batch_check_and_send_examples_run(samples, smtp_server) -> None:
    """The README's second example runs a batch, checks the CSV and sends the batch's
    emails to a real SMTP server, with the settings a user would give in the environment;
    its batch workers start afresh, as on Windows and macOS."""
    mailbox, port = smtp_server
    # Saved as a script and run with workers started afresh, as on Windows and macOS.
    (samples / "batch_script.py").write_text(python_blocks("Using letterkit from Python")[1],
                                             encoding="utf-8")
    done = run_python("import multiprocessing, runpy\n"
                      "multiprocessing.set_start_method('spawn')\n"
                      "runpy.run_path('batch_script.py', run_name='__main__')", samples,
                      env={"LETTERKIT_SMTP_HOST": "127.0.0.1", "LETTERKIT_SMTP_PORT": str(port)})
    assert 0 == done.returncode, done.stderr
    assert re.search(r"^\d+ letters from 2 rows, 0 rows failed$", done.stdout, re.MULTILINE)
    sent = int(re.search(r"^(\d+) sent, 0 sent before$", done.stdout, re.MULTILINE)[1])
    assert sent == len(mailbox.messages) and sent > 0


def test_error_example_shows_the_facts(samples) -> None:
    """The README's error example prints the file, the field and what was expected."""
    done = run_python(python_blocks("Using letterkit from Python")[2], samples)
    assert 0 == done.returncode, done.stderr
    assert done.stdout.startswith("complaints.csv ")


@pytest.mark.libreoffice
def test_the_commands_run_as_written(samples) -> None:
    """Every `letterkit` line of the quick start and of the PDF section, run in order in a
    folder where `letterkit sample` wrote its files, succeeds as a reader types it."""
    import shlex

    libreoffice()
    lines = [line.split("  #")[0].strip()
             for name in ("Quick start", "PDFs and previews")
             for block in re.findall(r"```sh\n(.*?)```", section(name), re.DOTALL)
             for line in block.splitlines() if line.startswith("letterkit ")]
    assert len(lines) >= 9
    exe = str(Path(sys.executable).parent / "letterkit")
    for line in lines:
        if line.startswith("letterkit sample"):
            continue  # the fixture wrote the samples
        done = subprocess.run([exe, *shlex.split(line)[1:]], cwd=samples, capture_output=True,
                              text=True, timeout=600, check=False)
        assert 0 == done.returncode, f"{line}\n{done.stderr}"
