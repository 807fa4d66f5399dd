"""The package as users get it: the wheel carries templates, catalogs and samples."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import letterkit
from letterkit import KINDS, LAYOUTS

ROOT = Path(__file__).resolve().parent.parent


def test_version_matches_the_metadata() -> None:
    """`letterkit.__version__` is the installed distribution's version."""
    assert version("letterkit") == letterkit.__version__


def test_public_api_is_exported() -> None:
    """Everything in __all__ exists."""
    assert all(hasattr(letterkit, name) for name in letterkit.__all__)


def test_wheel_carries_the_shipped_data(tmp_path) -> None:
    """Templates, catalogs and samples are inside the wheel, not only in a checkout."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("letterkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in KINDS:
        for layout in LAYOUTS:
            assert f"letterkit/_data/templates/{kind}-{layout}.docx" in names
    assert "letterkit/_data/samples/complaint.yaml" in names
    assert "letterkit/_data/samples/complaints.csv" in names
    catalogs = {p.relative_to(ROOT).as_posix() for p in (ROOT / "locales").rglob("*.po")}
    for catalog in catalogs:
        assert f"letterkit/_data/{catalog}" in names
    assert "letterkit/cli/__init__.py" in names
