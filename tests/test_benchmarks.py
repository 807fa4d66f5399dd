"""The benchmark still runs (it is not run in CI otherwise), at a tiny size, as a user
starts it, ending with its targets; and the instrument's own parts measure what they say."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def speed() -> Iterator[ModuleType]:
    """benchmarks/speed.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("speed", BENCHMARKS / "speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["speed"] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["speed"]


def test_the_benchmark_runs_to_its_targets() -> None:
    """`speed.py --quick` runs every section and ends with each target marked."""
    done = subprocess.run([sys.executable, str(BENCHMARKS / "speed.py"), "--quick"],
                          capture_output=True, text=True, timeout=300)
    assert 0 == done.returncode, done.stdout + done.stderr
    out = done.stdout
    assert "docxtpl loop yes" in out  # its letters have letterkit's text
    assert "docxtemplater yes" in out or "docxtemplater: skipped" in out
    for section in ("ratios", "start-up", "peak memory", "where a letter's time goes"):
        assert section in out
    targets = out.split("\ntargets\n")[1].splitlines()
    assert 7 == len(targets)
    assert all(line.lstrip().startswith(("[pass]", "[FAIL]")) for line in targets), targets


def test_every_step_of_the_breakdown_is_found(speed: ModuleType) -> None:
    """Each function the per-step breakdown times still exists: a renamed one is reported
    "(not found)" and its time falls to "other", so the table in speed.py needs updating.
    (os.sync is on some systems only, and taken away from most tests: see conftest.)"""
    with speed.timing_steps(speed.StepClock()) as missing:
        pass
    assert [] == [entry for entry in missing if entry[1].startswith("letterkit")]


def test_a_timed_call_inside_another_counts_once(speed: ModuleType,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested timed functions: each step gets its own time only, so the steps add up to
    the time spent, never more; a generator is timed as it is iterated."""
    now = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    clock = speed.StepClock()

    def inner() -> None:
        now[0] += 2.0

    def items() -> Iterator[int]:
        for n in range(3):
            now[0] += 0.5
            yield n

    def outer() -> None:
        now[0] += 1.0
        clock.call("inner", ("m", "inner"), inner)
        assert [0, 1, 2] == list(clock.wrap("items", ("m", "items"), items)())
        now[0] += 1.0

    clock.call("outer", ("m", "outer"), outer)
    assert {"outer": 2.0, "inner": 2.0, "items": 1.5} == clock.seconds
    assert 5.5 == now[0]
