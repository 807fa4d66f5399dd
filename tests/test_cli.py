"""The command line, as staff use it: letterkit render, sample and languages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from letterkit import __version__
from letterkit.output import safe_folder_name
from letterkit.resources import data_path

from readback import docx_text

# The sample's meeting: the one day its acknowledgement, meeting confirmation and
# resolution letter may all carry.
MEETING_DAY = "2026-11-25"


def test_render_writes_the_three_letters(cli, tmp_path, write_record, sample_data) -> None:
    """On the day of its meeting the sample record gives three .docx letters under its
    reference, each letter's email, and the meeting invitation; the follow-up is not due
    yet, and a note says why (and another that the first answer is late)."""
    out = tmp_path / "letters"
    record = write_record(sample_data)
    result = cli("render", str(record), "-o", str(out), "--date", MEETING_DAY)
    assert 0 == result.exit_code, result.output
    folder = out / "CMP-2026-0142"
    assert ["acknowledgement.en.docx", "acknowledgement.en.eml", "meeting.en.docx",
            "meeting.en.eml", "meeting.en.ics", "resolution.en.docx",
            "resolution.en.eml"] == sorted(p.name for p in folder.iterdir())
    assert "25 November 2026" in docx_text(folder / "resolution.en.docx")
    assert "wrote " in result.stdout
    assert [f"note: {record}: resolution.actions.2.due: skipped the follow-up letter: the "
            "letter's date 2026-11-25 is before the last agreed action is due (2026-12-02); "
            "the follow-up letter may be dated from 2026-12-02",
            f"note: {record}: received: the complaint arrived 2026-11-20, 3 working days "
            "before the letter's date: answer fast, by email or phone first"
            ] == result.stderr.splitlines()


def test_existing_letters_are_kept_without_force(cli, tmp_path, write_record,
                                                 sample_data) -> None:
    """A second run changes nothing, says why (once a letter: its email and invitation
    stay with it) and exits 1; --force replaces the letters."""
    record, out = str(write_record(sample_data)), str(tmp_path / "out")
    cli("render", record, "-o", out, "--date", "2026-11-23")
    folder = tmp_path / "out" / "CMP-2026-0142"
    letter = folder / "acknowledgement.en.docx"
    before = {p: p.read_bytes() for p in folder.iterdir()}
    result = cli("render", record, "-o", out, "--date", "2026-11-24")
    assert 1 == result.exit_code
    assert before == {p: p.read_bytes() for p in folder.iterdir()}
    assert 2 == result.stderr.count("already exists; use --force to replace it")
    result = cli("render", record, "-o", out, "--date", "2026-11-24", "--force")
    assert 0 == result.exit_code
    assert "24 November 2026" in docx_text(letter)


def test_kind_all_skips_what_the_record_cannot_have(cli, tmp_path, write_record,
                                                    sample_data) -> None:
    """Without a meeting, `all` makes the other two and says which it skipped and why."""
    del sample_data["meeting"]
    result = cli("render", str(write_record(sample_data)), "-o", str(tmp_path),
                 "--date", "2026-11-23")
    assert 0 == result.exit_code
    assert ["acknowledgement.en.docx", "resolution.en.docx"] == sorted(
        p.name for p in (tmp_path / "CMP-2026-0142").glob("*.docx"))
    assert "note: " in result.stderr
    assert "meeting: skipped the meeting confirmation: the record has no meeting" \
        in result.stderr


def test_kind_asked_by_name_must_be_possible(cli, tmp_path, write_record,
                                             sample_data) -> None:
    """Asking for a meeting confirmation of a record without a meeting is bad input."""
    del sample_data["meeting"]
    path = write_record(sample_data)
    result = cli("render", str(path), "-k", "meeting", "-o", str(tmp_path / "o"))
    assert 2 == result.exit_code
    assert (f"error: {path}: meeting: the record has no meeting (date, time, mode, place); "
            "needed for the meeting confirmation\n") == result.stderr
    assert not (tmp_path / "o").exists()


def test_action_without_due_date_blocks_the_resolution(cli, tmp_path, write_record,
                                                       sample_data) -> None:
    """An agreed action needs a date: the resolution letter names the action."""
    del sample_data["resolution"]["actions"][1]["due"]
    result = cli("render", str(write_record(sample_data)), "-k", "resolution",
                 "-o", str(tmp_path))
    assert 2 == result.exit_code
    assert ("resolution.actions.2.due: the action 'Refund the installation charge' has no "
            "due date") in result.stderr


def test_bad_record_is_one_line_per_field(cli, tmp_path, write_record, sample_data) -> None:
    """Bad dates and a missing name: exit 2, a line each naming file and field, no traceback."""
    sample_data["received"] = "2026-13-45"
    del sample_data["customer"]["name"]
    path = write_record(sample_data)
    result = cli("render", str(path), "-o", str(tmp_path / "o"))
    assert 2 == result.exit_code
    assert [f"error: {path}: received: 2026-13-45 is not a date (YYYY-MM-DD)",
            f"error: {path}: customer.name: required"] == result.stderr.splitlines()
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_one_bad_record_does_not_stop_the_others(cli, tmp_path, write_record,
                                                 sample_data) -> None:
    """Good records are written even when another on the command line is bad."""
    good = write_record(sample_data, "good.yaml")
    result = cli("render", str(tmp_path / "missing.yaml"), str(good),
                 "-o", str(tmp_path / "o"), "--date", MEETING_DAY)
    assert 2 == result.exit_code
    assert f"error: {tmp_path / 'missing.yaml'}: no such file" in result.stderr
    assert 3 == len(list((tmp_path / "o" / "CMP-2026-0142").glob("*.docx")))


def test_hostile_reference_stays_inside_the_output_folder(cli, tmp_path, write_record,
                                                          sample_data) -> None:
    """A reference full of ../ files its letters in one folder under the output folder."""
    sample_data["reference"] = "../../../../tmp/../etc/evil"
    out = tmp_path / "out"
    result = cli("render", str(write_record(sample_data)), "-o", str(out))
    assert 0 == result.exit_code, result.stderr
    assert [safe_folder_name(sample_data["reference"])] == [p.name for p in out.iterdir()]
    assert safe_folder_name(sample_data["reference"]).startswith("tmp_etc_evil-")
    assert not (tmp_path.parent / "etc").exists()


def test_unknown_language_is_bad_usage(cli, tmp_path, write_record, sample_data) -> None:
    """A language without a catalog is refused, never silently English."""
    result = cli("render", str(write_record(sample_data)), "-l", "fr",
                 "-o", str(tmp_path))
    assert 2 == result.exit_code
    assert "--lang: no catalog for language 'fr'" in result.stderr
    assert [] == list(tmp_path.glob("CMP*"))


def test_layout_option_overrides_the_record(cli, tmp_path, write_record,
                                            sample_data) -> None:
    """--layout picks the semi-block templates even when the record says block."""
    cli("render", str(write_record(sample_data)), "--layout", "semi-block",
        "-o", str(tmp_path), "-k", "resolution", "--date", MEETING_DAY)
    from docx import Document

    doc = Document(str(tmp_path / "CMP-2026-0142" / "resolution.en.docx"))
    assert doc.styles["Letter Closing"].paragraph_format.left_indent


def test_sample_writes_a_record_that_renders(cli, tmp_path) -> None:
    """`letterkit sample` writes files that `render` accepts as they are."""
    result = cli("sample", "-o", str(tmp_path))
    assert 0 == result.exit_code
    assert ["complaint.te.yaml", "complaint.yaml", "complaints.csv"] == sorted(
        p.name for p in tmp_path.iterdir())
    result = cli("render", str(tmp_path / "complaint.yaml"), "-o", str(tmp_path / "l"))
    assert 0 == result.exit_code
    again = cli("sample", "-o", str(tmp_path))
    assert 1 == again.exit_code
    assert "already exists" in again.stderr


def test_languages_lists_english(cli) -> None:
    """English, the source language, is always available."""
    assert "en" in cli("languages").stdout.split()


def test_python_dash_m_runs_the_cli(tmp_path) -> None:
    """`python -m letterkit` is the same command."""
    result = subprocess.run([sys.executable, "-m", "letterkit", "--version"],
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert 0 == result.returncode, result.stderr
    assert f"letterkit, version {__version__}" == result.stdout.strip()


def test_console_script_runs_from_another_folder(tmp_path) -> None:
    """The installed `letterkit` command finds its templates from any folder."""
    exe = Path(sys.executable).parent / "letterkit"
    result = subprocess.run([str(exe), "sample", "-o", "."], capture_output=True, text=True,
                            cwd=tmp_path, check=False)
    assert 0 == result.returncode, result.stderr
    result = subprocess.run([str(exe), "render", "complaint.yaml", "--date", MEETING_DAY],
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert 0 == result.returncode, result.stderr
    assert 3 == len(list((tmp_path / "letters" / "CMP-2026-0142").glob("*.docx")))


def test_language_order_option_record_config(cli, tmp_path, write_record,
                                             sample_data) -> None:
    """--lang beats the record's language, which beats the config's default."""
    config = tmp_path / "config.yaml"
    config.write_text("language: te\n", encoding="utf-8")
    del sample_data["language"]
    record = str(write_record(sample_data))
    base = ["--config", str(config), "render", record, "-k", "acknowledgement"]
    cli(*base, "-o", str(tmp_path / "a"))
    assert ["acknowledgement.te.docx"] == [
        p.name for p in (tmp_path / "a" / "CMP-2026-0142").glob("*.docx")]
    sample_data["language"] = "en"
    record = str(write_record(sample_data))
    cli("--config", str(config), "render", record, "-k", "acknowledgement",
        "-o", str(tmp_path / "b"))
    assert (tmp_path / "b" / "CMP-2026-0142" / "acknowledgement.en.docx").is_file()
    cli("--config", str(config), "render", record, "-k", "acknowledgement",
        "-l", "te", "-o", str(tmp_path / "c"))
    letter = tmp_path / "c" / "CMP-2026-0142" / "acknowledgement.te.docx"
    assert "Lakshmi Prasanna గారికి, నమస్కారం." in docx_text(letter)


def test_rescheduled_meeting_raises_the_invitation_sequence(cli, tmp_path, write_record,
                                                            sample_data) -> None:
    """Rendering again with --force after the meeting moved updates the same event."""
    from icalendar import Calendar

    out = tmp_path / "o"
    ics = out / "CMP-2026-0142" / "meeting.en.ics"
    cli("render", str(write_record(sample_data)), "-k", "meeting", "-o", str(out),
        "--date", "2026-11-23")
    sample_data["meeting"]["at"] = "2026-11-27T11:00"
    cli("render", str(write_record(sample_data)), "-k", "meeting", "-o", str(out),
        "--force", "--date", "2026-11-23")
    event = next(iter(Calendar.from_ical(ics.read_bytes()).walk("VEVENT")))
    assert 1 == event["sequence"]
    assert "20261127T110000" == event["dtstart"].to_ical().decode()


def test_record_without_customer_email_still_gets_letters(cli, tmp_path, write_record,
                                                          sample_data) -> None:
    """No customer email: the letters are written, the emails are not, and a note says why."""
    del sample_data["customer"]["email"]
    result = cli("render", str(write_record(sample_data)), "-o", str(tmp_path),
                 "--date", MEETING_DAY)
    assert 0 == result.exit_code
    folder = tmp_path / "CMP-2026-0142"
    assert [] == list(folder.glob("*.eml"))
    assert 3 == len(list(folder.glob("*.docx")))
    assert "customer.email: no email address for the customer" in result.stderr


def test_follow_up_from_the_samples(cli, tmp_path) -> None:
    """`render SAMPLE -k follow-up --date 2026-12-05` writes the follow-up letter and its
    email for both samples; dated before the last action is due it is refused with the
    reason, and `-k all` then makes what the date allows and says why not the rest."""
    samples = data_path("samples")
    for sample, lang, reference in (("complaint.yaml", "en", "CMP-2026-0142"),
                                    ("complaint.te.yaml", "te", "CMP-2026-0143")):
        result = cli("render", samples / sample, "-k", "follow-up", "--date", "2026-12-05",
                     "-o", tmp_path / "out")
        assert 0 == result.exit_code, result.output
        folder = tmp_path / "out" / reference
        assert [f"follow-up.{lang}.docx", f"follow-up.{lang}.eml"] == sorted(
            p.name for p in folder.iterdir())
    early = cli("render", samples / "complaint.yaml", "-k", "follow-up", "--date",
                "2026-11-30", "-o", tmp_path / "early")
    assert 2 == early.exit_code
    assert (f"error: {samples / 'complaint.yaml'}: resolution.actions.2.due: the letter's date "
            "2026-11-30 is before the last agreed action is due (2026-12-02); the follow-up "
            "letter may be dated from 2026-12-02\n") == early.stderr
    assert not (tmp_path / "early").exists()
    every = cli("render", samples / "complaint.yaml", "--date", "2026-11-30", "--no-email",
                "-o", tmp_path / "all")
    assert 0 == every.exit_code
    assert ["resolution.en.docx"] == sorted(
        p.name for p in (tmp_path / "all" / "CMP-2026-0142").iterdir())
    for skipped in ("skipped the acknowledgement: the letter's date 2026-11-30 is after the "
                    "call or meeting it proposes (2026-11-25)",
                    "skipped the meeting confirmation: the letter's date 2026-11-30 is after "
                    "the meeting it confirms (2026-11-25)",
                    "skipped the follow-up letter: the letter's date 2026-11-30 is before the "
                    "last agreed action is due (2026-12-02)"):
        assert skipped in every.stderr


def test_templates_list_shows_every_kind(cli) -> None:
    """`templates list` has a line for each kind, layout and language, the follow-up too."""
    lines = cli("templates", "list").stdout.splitlines()
    assert 4 * 2 * 2 == len(lines)
    assert any(line.startswith("follow-up") and "follow-up-semi-block.docx" in line
               for line in lines)


def test_a_date_far_off_is_a_typo_caught(cli, tmp_path, write_record, sample_data) -> None:
    """--date outside 1900 to 2200 (0001-01-01, 9999-12-31) is refused in one line."""
    for day in ("0001-01-01", "9999-12-31"):
        result = cli("render", write_record(sample_data), "-o", tmp_path / "out",
                     "--date", day)
        assert 2 == result.exit_code
        assert f"{day} is outside the years letterkit takes (1900 to 2200)" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="Windows keeps a folder in use")
def test_run_from_a_folder_that_was_deleted(tmp_path, write_record, sample_data) -> None:
    """A terminal left in a folder since deleted: letters are made and reported, with no
    traceback."""
    import letterkit

    record, out = write_record(sample_data), tmp_path / "out"
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (f'cd "{gone}" && rmdir "{gone}" && "{sys.executable}" -m letterkit render '
              f'"{record}" -o "{out}" --date 2026-11-25 -k acknowledgement')
    env = dict(os.environ, PYTHONPATH=str(Path(letterkit.__file__).parents[1]))
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env,
                            check=False)
    assert 0 == result.returncode, result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "CMP-2026-0142" / "acknowledgement.en.docx").is_file()
