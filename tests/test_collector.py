"""The cycle collector is held off while a command starts, runs again from its first letter
on, and is left as it was found: by the command line, not by the library (see
letterkit/collector.py; what it saves is measured by benchmarks/speed.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from letterkit import writing
from letterkit.collector import hold_collector, release_collector, settle_collector
from letterkit.inputs import load_record
from letterkit.resources import data_path
from letterkit.writing import WriteOptions, write_records

SAMPLE = data_path("samples") / "complaint.yaml"


@pytest.fixture(autouse=True)
def collector_as_found() -> Iterator[None]:
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    yield
    release_collector()
    gc.enable()
    assert frozen == gc.get_freeze_count()


def collector_seen_by(monkeypatch: pytest.MonkeyPatch, module: object, name: str
                      ) -> list[bool]:
    """Whether the collector runs, at each call of `module.name` from now on."""
    seen: list[bool] = []
    function = getattr(module, name)

    def spying(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return function(*args, **kwargs)

    monkeypatch.setattr(module, name, spying)
    return seen


@pytest.fixture
def collector_seen_by_each_record(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    return collector_seen_by(monkeypatch, writing, "_write_letters")


def test_a_command_holds_it_until_the_first_letter(
        cli, tmp_path, write_record, sample_data, collector_seen_by_each_record) -> None:
    other = dict(sample_data, reference="CMP-2026-0143")
    result = cli("render", write_record(sample_data), write_record(other, "other.yaml"),
                 "-k", "acknowledgement", "-o", tmp_path / "out")
    assert 0 == result.exit_code, result.output
    assert [False, True] == collector_seen_by_each_record
    assert gc.isenabled()


@pytest.mark.parametrize("args", [["languages"], ["render", "missing.yaml"], ["--version"]])
def test_a_command_that_makes_no_letter_leaves_it_on(cli, args) -> None:
    cli(*args)
    assert gc.isenabled()


def test_a_command_that_writes_no_letter_runs_with_it(cli, monkeypatch, write_record,
                                                       sample_data) -> None:
    """`check` of a sheet of any length makes garbage the collector must take."""
    from letterkit.practice import records

    seen = collector_seen_by(monkeypatch, records, "check_record")
    cli("check", write_record(sample_data), "--date", "2026-11-26")
    assert [True] == seen


def test_a_batch_whose_rows_make_no_record_lets_it_run(tmp_path) -> None:
    """Rows that all fail (each error holds a cycle of its traceback) make no letter to
    wait for: the collector runs again after the first of them."""
    from letterkit.batch import process_rows

    hold_collector()
    rows = [(n, {"reference": f"CMP-{n}", "customer.name": ""}) for n in range(2, 5)]
    results = process_rows(rows, WriteOptions(out_dir=tmp_path / "out"), "bad.csv")
    assert all(result.outcome.error is not None for result in results)
    assert gc.isenabled()


def test_a_command_leaves_it_off_when_it_was_off(cli, tmp_path, write_record,
                                                 sample_data) -> None:
    gc.disable()
    result = cli("render", write_record(sample_data), "-k", "acknowledgement",
                 "-o", tmp_path / "out")
    assert 0 == result.exit_code, result.output
    assert not gc.isenabled()


def test_the_library_leaves_it_alone(tmp_path, collector_seen_by_each_record) -> None:
    frozen = gc.get_freeze_count()
    record = load_record(SAMPLE)
    other = record.model_copy(update={"reference": "CMP-2026-0143"})
    write_records([record, other], WriteOptions(kinds=("acknowledgement",),
                                                out_dir=tmp_path / "out"))
    assert [True, True] == collector_seen_by_each_record
    assert frozen == gc.get_freeze_count()


def test_settle_keeps_what_is_loaded_and_release_lets_it_go() -> None:
    hold_collector()
    assert not gc.isenabled()
    settle_collector()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    release_collector()
    assert 0 == gc.get_freeze_count()
