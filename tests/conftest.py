"""Shared fixtures: the sample record, record files written inline, and reading .docx text."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from letterkit.resources import data_path

SAMPLE = data_path("samples") / "complaint.yaml"


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run `letterkit` with these arguments, as a user would type them, in this process;
    letterkit's own exceptions become output, anything else fails the test."""
    from letterkit.cli import main

    runner = CliRunner()

    def run(*args: object, env: dict[str, str] | None = None, input: str | None = None
            ) -> Result:
        return runner.invoke(main, [str(a) for a in args], env=env, input=input,
                             catch_exceptions=False)

    return run


@pytest.fixture
def sample_data() -> dict[str, Any]:
    """The shipped sample record as plain data, a fresh copy for each test to change."""
    return copy.deepcopy(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))


@pytest.fixture
def write_record(tmp_path: Path) -> Callable[..., Path]:
    """Write record data as a YAML file in tmp_path and return its path."""

    def write(data: Any, name: str = "record.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        return path

    return write


@pytest.fixture
def custom_template(tmp_path: Path) -> Callable[..., Path]:
    """A custom templates folder holding a copy of one shipped template with one paragraph
    added, as an admin would add it in Word; returns the folder."""
    from docx import Document

    from letterkit.docx.find import shipped_templates_dir

    def make(paragraph: str, name: str = "resolution-block.docx") -> Path:
        doc = Document(str(shipped_templates_dir() / name))
        doc.add_paragraph(paragraph)
        folder = tmp_path / "custom"
        folder.mkdir(exist_ok=True)
        doc.save(str(folder / name))
        return folder

    return make
