"""Where letters go, and writing them whole, never over one already there."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from letterkit import InputError, OutputExists, output, run_batch, write_atomic
from letterkit.errors import CannotWrite
from letterkit.inputs import load_record
from letterkit.output import letter_path, safe_folder_name
from letterkit.resources import data_path
from letterkit.writing import WriteOptions, write_records


@pytest.mark.parametrize(
    ("reference", "folder"),
    [
        ("CMP-2026-0142", "CMP-2026-0142"),
        ("../../etc/passwd", "etc_passwd-"),
        ("/absolute/path", "absolute_path-"),
        ("a\\b:c*d?e", "a_b_c_d_e-"),
        ("..hidden", "hidden-"),
        ("CON", "_CON-"),
        ("nul.txt", "_nul.txt-"),
        ("ఫిర్యాదు-12", "ఫిర్యాదు-12"),
        ("x" * 300, "x" * 111 + "-"),
        ("ఫ" * 100, "ఫ" * 37 + "-"),
        ("manifest.csv", "manifest.csv-"),
        ("Errors.CSV", "Errors.CSV-"),
    ],
    ids=["plain", "parent-dirs", "absolute", "windows-chars", "leading-dots", "device",
         "device-ext", "telugu", "too-long", "too-long-telugu", "manifest", "errors"],
)
def test_reference_becomes_one_safe_folder(reference, folder) -> None:
    """A safe reference is its own folder; any other gets its safe name (within 120 bytes,
    never a batch's own file) and a short hash of the reference."""
    name = safe_folder_name(reference)
    if folder.endswith("-"):
        assert name.startswith(folder) and re.fullmatch(r"[0-9a-f]{8}", name[len(folder):])
    else:
        assert folder == name
    assert len(name.encode()) <= 120
    assert name == safe_folder_name(reference)  # the same folder on every run


def test_references_that_look_alike_get_folders_of_their_own() -> None:
    """References that the same safe name stands for still get a folder each."""
    alike = ["ACME/1", "ACME:1", "acme 1", "ACME_1", "ACME 1", "ACME\\1", "ACME?1"]
    assert len(alike) == len({safe_folder_name(r).casefold() for r in alike})
    assert "ACME_1" == safe_folder_name("ACME_1")


@pytest.mark.parametrize("reference", ["..", "/", "...", " "])
def test_reference_with_nothing_usable_is_refused(reference) -> None:
    """A reference that leaves no usable name is an error naming the field."""
    with pytest.raises(InputError, match="reference: .* cannot be used as a folder name"):
        safe_folder_name(reference)


def test_letter_path_stays_inside_the_output_folder(tmp_path) -> None:
    """Even a hostile reference files the letter under the output folder."""
    path = letter_path(tmp_path, "../../../tmp/evil", "resolution.en.docx")
    assert path.resolve().is_relative_to(tmp_path.resolve())
    assert path.parent.name.startswith("tmp_evil-")


def test_write_atomic_refuses_to_overwrite(tmp_path) -> None:
    """An existing letter stays as it was unless forced; no temporary file is left."""
    target = tmp_path / "ref" / "a.docx"
    write_atomic(target, b"first")
    with pytest.raises(OutputExists, match="already exists$"):
        write_atomic(target, b"second")
    assert b"first" == target.read_bytes()
    write_atomic(target, b"third", force=True)
    assert b"third" == target.read_bytes()
    assert ["a.docx"] == [p.name for p in target.parent.iterdir()]


def render(cli, record: Path, out: Path, *args: str):
    return cli("render", record, "-o", out, "--date", "2026-11-25", *args)


def test_a_reference_folder_linked_outside_is_not_written_through(
        cli, tmp_path, write_record, sample_data) -> None:
    """A complaint's folder that is a link leading outside the output folder is refused in
    one line, and nothing is written where it leads."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "CMP-2026-0142").symlink_to(elsewhere, target_is_directory=True)
    for force in ([], ["--force"]):
        result = render(cli, write_record(sample_data), out, *force)
        assert 1 == result.exit_code
        assert f"{out / 'CMP-2026-0142'}: is a link to {elsewhere.resolve()}" in result.stderr
        assert [] == list(elsewhere.iterdir())


@pytest.mark.parametrize("target", [".", "archive/0142", "CMP-2026-0143"])
def test_a_reference_folder_linked_inside_is_not_written_through_either(
        cli, tmp_path, write_record, sample_data, target) -> None:
    """A complaint's folder linked to the output folder itself, to another complaint's
    folder or to any folder inside: refused, so no complaint's letters land loose or in
    another's folder."""
    out = tmp_path / "out"
    (out / "archive" / "0142").mkdir(parents=True)
    (out / "CMP-2026-0143").mkdir()
    (out / "CMP-2026-0142").symlink_to((out / target).resolve(), target_is_directory=True)
    result = render(cli, write_record(sample_data), out, "-k", "acknowledgement")
    assert 1 == result.exit_code
    assert f"{out / 'CMP-2026-0142'}: is a link to" in result.stderr
    assert [] == list(out.rglob("*.docx"))


def test_references_differing_in_case_on_a_disk_that_ignores_case(
        cli, tmp_path, write_record, sample_data, monkeypatch) -> None:
    """On a disk that does not tell capitals from small letters (Windows, macOS), a
    reference whose folder is another reference's, but for case, is refused, --force or
    not, and the first complaint's letters stay as they were."""
    out = tmp_path / "out"
    assert 0 == render(cli, write_record(sample_data), out, "-k", "acknowledgement").exit_code
    letter = out / "CMP-2026-0142" / "acknowledgement.en.docx"
    before = letter.read_bytes()

    def ignoring_case(path: str | os.PathLike[str]) -> bool:
        wanted = os.path.basename(path).casefold()
        parent = os.path.dirname(path)
        return os.path.isdir(parent) and any(
            wanted == name.casefold() for name in os.listdir(parent))

    monkeypatch.setattr(output.os.path, "lexists", ignoring_case)
    sample_data["reference"] = "cmp-2026-0142"
    result = render(cli, write_record(sample_data, "other.yaml"), out, "-k",
                    "acknowledgement", "--force")
    assert 2 == result.exit_code
    assert ("'cmp-2026-0142' would write to the folder CMP-2026-0142, which holds the "
            "letters of another reference" in result.stderr)
    assert before == letter.read_bytes()


def test_one_reference_twice_in_one_render(cli, tmp_path, write_record,
                                           sample_data) -> None:
    """Two records with one reference in one run: the second is refused, --force or not,
    and the first's letters are made; the same file named twice is made once."""
    out = tmp_path / "out"
    first = write_record(sample_data)
    sample_data["customer"]["name"] = "Someone Else"
    second = write_record(sample_data, "second.yaml")
    result = cli("render", first, second, first, "-o", out, "--date", "2026-11-25", "--force")
    assert 2 == result.exit_code
    assert 1 == result.stderr.count("is the reference of an earlier record of this run")
    assert f"{second}: reference:" in result.stderr
    assert 3 == len(list((out / "CMP-2026-0142").glob("*.docx")))


def test_an_output_folder_that_is_a_file_is_one_line(cli, tmp_path, write_record,
                                                      sample_data) -> None:
    """`-o` naming a file (a letter, or /dev/null) is one line for render and batch."""
    taken = tmp_path / "letters.docx"
    taken.write_bytes(b"mine")
    result = render(cli, write_record(sample_data), taken)
    assert 2 == result.exit_code
    assert "letters.docx' is a file" in result.stderr
    with pytest.raises(CannotWrite, match="is a file, not a folder"):
        write_records([load_record(data_path("samples") / "complaint.yaml")],
                      WriteOptions(out_dir=taken))
    result = cli("batch", data_path("samples") / "complaints.csv", "-o", taken)
    assert 2 == result.exit_code
    assert "letters.docx' is a file" in result.stderr
    with pytest.raises(CannotWrite, match="is a file, not a folder"):
        run_batch(data_path("samples") / "complaints.csv", WriteOptions(out_dir=taken))
    assert b"mine" == taken.read_bytes()
