"""Where letters go, and writing them whole, never over one already there."""

from __future__ import annotations

import re

import pytest

from letterkit import InputError, OutputExists, write_atomic
from letterkit.output import letter_path, safe_folder_name


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
