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
    assert "letterkit/py.typed" in names  # type checkers read letterkit's hints


def test_shipped_templates_are_what_the_generator_writes(tmp_path) -> None:
    """`python scripts/build_templates.py --out DIR` writes, byte for byte, the templates
    letterkit ships: they are reproducible, and nobody edited one by hand."""
    script = ROOT / "scripts" / "build_templates.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=300)
    from letterkit.docx.find import shipped_templates_dir

    shipped = {p.name: p.read_bytes() for p in shipped_templates_dir().glob("*.docx")}
    built = {p.name: p.read_bytes() for p in tmp_path.glob("*.docx")}
    assert sorted(shipped) == sorted(built)
    assert [] == [name for name in shipped if shipped[name] != built[name]]
