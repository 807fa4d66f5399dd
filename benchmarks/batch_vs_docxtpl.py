"""letterkit batch against a plain per-letter docxtpl loop, and batch memory by CSV size.

    python benchmarks/batch_vs_docxtpl.py [ROWS]        # speed, one process, both ways
    python benchmarks/batch_vs_docxtpl.py --memory      # peak memory at 300 and 3,000 rows

Speed: the same CSV rows, rendered with the shipped resolution template and written to
disk, (a) by a plain loop that opens the template with docxtpl for every letter and
(b) by letterkit's batch path in one process (-j 1, letters only). The docxtpl loop gets
its contexts ready-made; letterkit's figure includes reading and validating the CSV. Each
timing ends with a sync of what it wrote, and each path first makes one letter to load
what it imports, so neither pays for the other's disk writes or start-up.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from docxtpl import DocxTemplate

from letterkit.batch import run_batch
from letterkit.config import apply_config
from letterkit.docx.environment import environment
from letterkit.docx.find import shipped_templates_dir
from letterkit.letters import letter_context
from letterkit.record import Record, validate_record
from letterkit.resources import data_path
from letterkit.sources import csv_columns, csv_rows, flatten, open_csv
from letterkit.writing import WriteOptions

TODAY = dt.date(2026, 11, 26)  # the day after the samples' meeting: a resolution may be dated


def make_csv(path: Path, rows: int) -> Path:
    """A CSV of `rows` complaints made from the samples, every fifth one in Telugu."""
    samples = [yaml.safe_load((data_path("samples") / name).read_text(encoding="utf-8"))
               for name in ("complaint.yaml", "complaint.te.yaml")]
    columns = csv_columns(Record, shorthand=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for i in range(rows):
            record = copy.deepcopy(samples[1 if i % 5 == 4 else 0])
            record["reference"] = f"BENCH-{i + 1:06d}"
            cells = flatten(record)
            writer.writerow({c: cells.get(c, "") for c in columns})
    return path


def docxtpl_loop(source: Path, out: Path) -> int:
    template = shipped_templates_dir() / "resolution-block.docx"
    jobs = []
    for number, data in csv_rows(open_csv(source)):
        record = validate_record(apply_config(data, _config()), row=number)
        language = record.language or "en"
        jobs.append((record.reference, language, letter_context(
            record, kind="resolution", language=language, layout="block", today=TODAY)))
    out.mkdir(parents=True)
    _settle()
    start = time.perf_counter()
    for reference, language, context in jobs:
        doc = DocxTemplate(template)
        doc.render(context, jinja_env=environment(language))
        doc.save(out / f"{reference}.docx")
    _sync()
    return _rate(len(jobs), start)


def letterkit_batch(source: Path, out: Path, jobs: int = 1) -> int:
    options = WriteOptions(kinds=("resolution",), out_dir=out, today=TODAY,
                           now=dt.datetime.now(dt.UTC), config=_config(), layout="block",
                           emails=False, durable=False)
    _settle()
    start = time.perf_counter()
    summary = run_batch(open_csv(source), options, jobs=jobs)  # ends with its own sync
    assert summary.failed_rows == 0
    return _rate(summary.letters, start)


def _config():  # noqa: ANN202 - the default settings, as a user without a config has
    from letterkit.config import Config

    return Config()


_sync = getattr(os, "sync", lambda: None)  # Windows has none


def _settle() -> None:
    """Start a timing with nothing of the other path's left to flush or collect."""
    _sync()
    gc.collect()


def _rate(count: int, start: float) -> int:
    seconds = time.perf_counter() - start
    print(f"    {count} letters in {seconds:.2f} s", file=sys.stderr)
    return round(count / seconds)


def speed(rows: int, rounds: int = 2) -> None:
    """Both paths in turn, `rounds` times, each path's best run reported: what runs
    first or after the other's heavy work otherwise sways a shared two-core machine."""
    plain, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        warm = make_csv(Path(tmp) / "warm.csv", 1)
        docxtpl_loop(warm, Path(tmp) / "warm-docxtpl")
        letterkit_batch(warm, Path(tmp) / "warm-letterkit")
        source = make_csv(Path(tmp) / "rows.csv", rows)
        for n in range(rounds):
            plain.append(docxtpl_loop(source, Path(tmp) / f"docxtpl-{n}"))
            ours.append(letterkit_batch(source, Path(tmp) / f"letterkit-{n}"))
    print(f"docxtpl loop:           {max(plain):7d} letters/s  (runs: {plain})")
    print(f"letterkit batch (-j 1): {max(ours):7d} letters/s  (runs: {ours})")
    print(f"ratio:                  {max(ours) / max(plain):7.1f}x")


def peak_memory_kib(rows: int, jobs: int) -> int:
    """Peak resident memory of a batch of `rows` in a fresh process (and its workers)."""
    out = subprocess.run([sys.executable, __file__, "--one-batch", str(rows), str(jobs)],
                         check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1])


def one_batch(rows: int, jobs: int) -> None:
    import resource  # POSIX only: the memory figures are measured on Linux

    with tempfile.TemporaryDirectory() as tmp:
        source = make_csv(Path(tmp) / "rows.csv", rows)
        letterkit_batch(source, Path(tmp) / "out", jobs)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(max(own, workers))


def memory() -> None:
    for jobs in (1, 2):
        small, large = peak_memory_kib(300, jobs), peak_memory_kib(3000, jobs)
        print(f"-j {jobs}: peak memory {small / 1024:.1f} MiB at 300 rows, "
              f"{large / 1024:.1f} MiB at 3,000 rows: ratio {large / small:.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        memory()
    elif sys.argv[1:2] == ["--one-batch"]:
        one_batch(int(sys.argv[2]), int(sys.argv[3]))
    else:
        speed(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
