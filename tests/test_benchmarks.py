"""The benchmark scripts still run (they are not run in CI otherwise): each at a tiny size,
as a user starts it, ending with its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize(("script", "size"), [("batch_vs_docxtpl.py", "3"),
                                              ("render_vs_docxtpl.py", "2")])
def test_a_benchmark_runs_to_its_ratio(script: str, size: str) -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), size],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "ratio:" in done.stdout
