"""How fast letterkit is as a user meets it, side by side with a plain docxtpl loop and
docxtemplater, in one run, next to the targets of issue 17.

    python benchmarks/speed.py                    # 1,000 rows, 3 rounds: a few minutes
    python benchmarks/speed.py --docxtpl-full     # the docxtpl loop on every row as well
    python benchmarks/speed.py --pdf              # also batch --pdf against one soffice call
    python benchmarks/speed.py --quick            # tiny sizes: the script runs (the tests)

Every figure but the per-step breakdown times a whole process, as a user starts it (so
start-up is included), ending once what it wrote is on disk (a sync, where the system has
one). The contenders take turns, round after round, in an order that rotates, so that
what the others on a shared machine do falls on all of them; the medians are compared.
The rows are `make_csv`'s: the shipped samples, every fifth row in Telugu, each with its
own reference; every contender makes the resolution letter (block layout, dated
2026-11-26) of every row:

- a plain docxtpl loop, `docxtpl_loop.py` (letters only). At ~30 ms a letter it is run on
  a sample of the rows unless --docxtpl-full, and its time for all the rows estimated as
  its time for one row plus the per-letter time of the others; the output says so;
- `letterkit batch` letters only (--no-email) and with emails, at -j 1 and -j 2;
- docxtemplater (Node), `docxtemplater_loop.js` (letters only), when Node is there: its
  packages are installed once into a cache folder outside the repository.

Each run's output is kept until the benchmark ends, when its folder goes whole: ext4
hands out no inode freed in the last minutes, so a run writing thousands of files just
after the last run's were deleted spent up to a second of system time searching past
them (`recently_deleted`), whichever contender it was.

Then: start-up (`letterkit --version`; `letterkit render` of the sample record, with its
email), peak memory of a batch (process and workers) at two sizes, a per-step breakdown
of a batch's time measured inside one process, and, with --pdf, `letterkit batch --pdf`
against one `soffice --convert-to pdf` call on the same letters. The targets close the
output, each marked pass or FAIL; the exit status is 1 only when a contender failed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import datetime as dt
import functools
import importlib
import inspect
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

from letterkit import Config, WriteOptions, __version__, run_batch
from letterkit.record import Record
from letterkit.resources import data_path
from letterkit.sources import csv_columns, flatten

HERE = Path(__file__).resolve().parent
TODAY = dt.date(2026, 11, 26)  # the day after the samples' meeting: a resolution may be dated
DATE = TODAY.isoformat()
LETTER = ["-k", "resolution", "--layout", "block", "--date", DATE]
OUT = "{out}"  # in a command: the run's own output folder
TIMEOUT = 3600.0
NODE_PACKAGES = ("docxtemplater@3", "pizzip@3")

# Where each step of the breakdown is measured: (step, module, function or Class.method).
# A function is timed wherever letterkit calls it from (every module that imported it by
# name); one called inside another timed function counts for its own step only, never
# twice. Names move as letterkit changes: one no longer there is reported "(not found)"
# and its time falls to "other", so keep this table up to date.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("CSV reading", "letterkit.sources", "open_csv"),
    ("CSV reading", "letterkit.sources", "csv_cells"),
    ("CSV reading", "letterkit.sources", "row_data"),
    ("record validation", "letterkit.inputs", "record_from_row"),
    ("practice checks", "letterkit.kinds", "plan_kinds"),
    ("practice checks", "letterkit.practice.wording", "word_lists"),
    ("practice checks", "letterkit.practice.records", "check_record"),
    ("practice checks", "letterkit.practice.records", "late_note"),
    ("letter rendering", "letterkit.writing", "make_letter"),
    # letter_files makes a letter's companions; its calendar part is timed on its own.
    ("email building", "letterkit.writing", "letter_files"),
    ("calendar", "letterkit.delivery.invitation", "build_invitation"),
    ("file writes", "letterkit.writing", "_write_or_keep"),
    ("file writes", "letterkit.output", "write_atomic"),
    ("file writes", "letterkit.batch", "_Manifest.add"),
    ("file writes", "letterkit.batch", "_Manifest.__exit__"),
    ("file writes", "os", "sync"),
)
STEP_ORDER = tuple(dict.fromkeys(step for step, _, _ in STEPS))

# Columns whose cells are codes (en, block, phone), not text a letter shows: never made
# into docxtemplater tags, though the same word may stand in the letter's own wording.
CODE_COLUMNS = frozenset({"language", "layout", "channel", "meeting.mode", "meeting.timezone",
                          "meeting.minutes", "resolution.remedy", "resolution.currency"})
_W_T = re.compile(r"(<w:t(?:\s[^>]*)?>)([^<]*)(</w:t>)")

_sync: Callable[[], None] = getattr(os, "sync", lambda: None)  # Windows has none


class Failed(Exception):
    """A contender's process failed, or did not write what it should have."""


# --- the rows --------------------------------------------------------------------------------


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


# --- running whole processes -----------------------------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    """This environment without letterkit's settings (a config or templates of the user's
    would change what is measured)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETTERKIT_")}
    return {**env, **extra}


def letterkit_program() -> list[str]:
    """`letterkit` as installed beside this Python (a venv's, pipx's), else on PATH, else
    `python -m letterkit`: never a version manager's shim, which adds its own start-up."""
    beside = Path(sys.executable).parent / ("letterkit.exe" if os.name == "nt" else "letterkit")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("letterkit")
    return [found] if found else [sys.executable, "-m", "letterkit"]


@dataclass
class Contender:
    """One command, timed as a whole process; OUT in it is replaced by a fresh folder."""

    name: str
    command: list[str]
    expected: int | None = None  # files matching `pattern` it must leave in its folder
    pattern: str = "*.docx"
    env: dict[str, str] | None = None
    before: Callable[[], None] | None = None  # untimed, before each run
    times: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and not self.error else None

    def run(self, work: Path, label: str) -> None:
        """One timed run (none once it has failed)."""
        if self.error:
            return
        if self.before is not None:
            self.before()
        slug = re.sub(r"\W+", "-", self.name)
        out = work / f"out-{len(self.times)}-{slug}"
        # The output stays until the benchmark ends, with the work folder: deleting
        # thousands of files costs the next run that creates as many (ext4 passes over
        # inodes freed in the last minutes), whichever contender's turn that is.
        try:
            seconds = run_once(self.command, out, work, self.env, self.expected, self.pattern)
        except Failed as error:
            self.error = str(error)
            print(f"  {label}: {self.name}: FAILED: {error}", file=sys.stderr)
            return
        self.times.append(seconds)
        print(f"  {label}: {self.name}: {seconds:.2f} s", file=sys.stderr)


def run_once(command: list[str], out: Path, cwd: Path, env: dict[str, str] | None = None,
             expected: int | None = None, pattern: str = "*.docx") -> float:
    """Seconds from starting the process to its files being on disk."""
    argv = [part.replace(OUT, str(out)) for part in command]
    _sync()  # what the previous run left dirty is not this one's to write
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=cwd, env=env or child_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Failed(f"{shlex.join(argv)}: {error}") from None
    _sync()
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise Failed(f"{shlex.join(argv)} exited {done.returncode}: {' / '.join(said)}")
    if expected is not None:
        made = sum(1 for _ in out.rglob(pattern))
        if made != expected:
            raise Failed(f"{shlex.join(argv)} made {made} {pattern} files, not {expected}")
    return seconds


def take_turns(contenders: Sequence[Contender], rounds: int, work: Path) -> None:
    """Each contender once a round, the order rotating, so none always runs first (cold)
    or after the heaviest."""
    for n in range(rounds):
        shift = n % len(contenders)
        for contender in [*contenders[shift:], *contenders[:shift]]:
            contender.run(work, f"round {n + 1}/{rounds}")


# --- docxtemplater ---------------------------------------------------------------------------


def cache_dir() -> Path:
    """This user's cache folder for the benchmark's Node packages (never the repository)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "letterkit-benchmarks" / "node"


def node_packages(install: bool) -> tuple[Path | None, str]:
    """The node_modules folder holding docxtemplater and pizzip (installed there with npm
    when `install`), and the versions; or None and why not."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        return None, "Node is not installed"
    prefix = cache_dir()
    modules = prefix / "node_modules"
    if not all((modules / name / "package.json").is_file() for name in ("docxtemplater", "pizzip")):
        if not install:
            return None, f"docxtemplater is not installed in {prefix} (--quick installs nothing)"
        if npm is None:
            return None, "npm is not installed"
        prefix.mkdir(parents=True, exist_ok=True)
        print(f"installing {' '.join(NODE_PACKAGES)} into {prefix} ...", file=sys.stderr)
        try:
            done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit",
                                   "--no-fund", "--loglevel=error", *NODE_PACKAGES],
                                  capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as error:
            return None, f"npm install failed: {error}"
        if done.returncode != 0:
            return None, f"npm install failed: {done.stderr.strip()[-300:]}"
    versions = []
    for name in ("docxtemplater", "pizzip"):
        meta = json.loads((modules / name / "package.json").read_text(encoding="utf-8"))
        versions.append(f"{name} {meta['version']}")
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    return modules, f"{', '.join(versions)}, node {node_version.strip()}"


def docxtemplater_template(letter: Path, row: dict[str, str], target: Path) -> int:
    """A docxtemplater template for the letter of `row`, made from letterkit's own letter
    for it: in the text of every Word part, each cell of the row that stands there as words
    of its own (not inside a longer word) becomes its column's tag, the longest first, in
    one pass (`customer.name` becomes {customer_name}; a cell of several lines, a tag a
    line: {customer_address__1}). The language's fixed wording, and the dates, amounts and
    phone numbers letterkit formats, stay as they are: docxtemplater has no gettext or
    Babel, and every row of the benchmark's CSV has the same ones. The number of tags."""
    values: dict[str, str] = {}
    for column, cell in row.items():
        if column in CODE_COLUMNS or not cell:
            continue
        tag = re.sub(r"\W", "_", column)
        lines = cell.split("\n")
        for n, line in enumerate(lines, 1):
            if line.strip():
                values.setdefault(escape(line), f"{tag}__{n}" if len(lines) > 1 else tag)
    if not values:
        raise ValueError(f"{letter}: no cell of its row stands in its text")
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)"
                                  for v in sorted(values, key=len, reverse=True)))
    used: set[str] = set()

    def tagged(match: re.Match[str]) -> str:
        used.add(values[match.group(0)])
        return "{" + values[match.group(0)] + "}"

    def text(element: re.Match[str]) -> str:
        if "{" in element.group(2) or "}" in element.group(2):
            raise ValueError(f"{letter}: a brace in the letter's text would read as a tag")
        return element.group(1) + pattern.sub(tagged, element.group(2)) + element.group(3)

    with zipfile.ZipFile(letter) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("word/") and info.filename.endswith(".xml"):
                data = _W_T.sub(text, data.decode("utf-8")).encode("utf-8")
            out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return len(used)


# --- the same letter -------------------------------------------------------------------------


def letter_text(path: Path) -> str:
    """The text of a letter's body, headers and footers, a paragraph a line: what two
    programs that split the same text into runs differently still agree on."""
    parts = []
    with zipfile.ZipFile(path) as docx:
        for name in sorted(docx.namelist()):
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
                xml = docx.read(name).decode("utf-8")
                xml = re.sub(r"</w:p>", "\n", xml)
                xml = re.sub(r"<w:br\s*/>", "\n", xml)
                xml = re.sub(r"<w:tab\s*/>", "\t", xml)
                parts.append(f"{name}:\n{re.sub(r'<[^>]+>', '', xml)}")
    return "\n".join(parts)


def same_letters(ours: Path, theirs: Path) -> str:
    """'yes', or which letters of `theirs` differ in text from letterkit's."""
    mine = sorted(ours.rglob("*.docx"))
    different = [p.relative_to(ours).as_posix() for p in mine
                 if not (theirs / p.relative_to(ours)).is_file()
                 or letter_text(p) != letter_text(theirs / p.relative_to(ours))]
    if not mine:
        return "no letters to compare"
    return "yes" if not different else f"NO: {', '.join(different[:3])} differ"


# --- peak memory -----------------------------------------------------------------------------

# Runs a command and writes its exit status and the peak resident memory of the largest
# process it started, itself or a worker (the system keeps it for the children waited
# for): in a process of its own, so no earlier run's peak is counted.
_RUSAGE = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(f"{code} {peak}")
"""


def _unshared(process: Any) -> int:
    """A process's share of memory: PSS where the system tells it (Linux), so pages that
    forked workers share with their parent count once, not in each; else its RSS."""
    pss = getattr(process.memory_full_info(), "pss", None) if sys.platform == "linux" \
        else None
    return int(pss if pss is not None else process.memory_info().rss)


@dataclass
class Memory:
    rows: int
    jobs: int
    together: int | None = None  # bytes: the process and its workers at once (polled PSS)
    largest: int | None = None  # bytes: the largest single process (getrusage)

    @property
    def headline(self) -> int | None:
        return self.together or self.largest


def peak_memory(command: list[str], rows: int, jobs: int, work: Path) -> Memory:
    """The batch's peak memory: its processes' memory added up (see `_unshared`), polled
    every 10 ms with psutil, and the largest process's own peak from the system, where
    each exists (getrusage: Unix; psutil: wherever it is installed)."""
    try:
        import resource  # noqa: F401 - only whether the system has it
        has_rusage = True
    except ImportError:
        has_rusage = False
    try:
        import psutil
    except ImportError:
        psutil = None  # type: ignore[assignment]
    result = Memory(rows, jobs)
    report = work / "rusage.txt"
    argv = ([sys.executable, "-c", _RUSAGE, str(report), *command] if has_rusage
            else command)
    _sync()
    process = subprocess.Popen(argv, cwd=work, env=child_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    if psutil is not None:
        started = psutil.Process(process.pid)
        together = 0
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):
                # The wrapper's own memory is not the batch's.
                tree = started.children(recursive=True) + ([] if has_rusage else [started])
                total = 0
                for member in tree:
                    with contextlib.suppress(psutil.Error):  # a worker that just ended
                        total += _unshared(member)
                together = max(together, total)
            time.sleep(0.01)
        result.together = together or None
    code = process.wait(timeout=TIMEOUT)
    if has_rusage:
        code_text, peak = report.read_text().split()
        code = int(code_text)
        # Linux counts KiB, macOS bytes.
        result.largest = int(peak) * (1 if sys.platform == "darwin" else 1024)
    if code != 0:
        raise Failed(f"{shlex.join(command)} exited {code}")
    return result


# --- where a letter's time goes --------------------------------------------------------------


class StepClock:
    """Time spent in each step, a call's own time only: what a timed function spends in
    another timed function is that one's."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self._inner: list[float] = []  # for each timed call in progress: its timed callees' time

    def call(self, step: str, name: tuple[str, str], fn: Callable[..., Any], *args: Any,
             counted: bool = True, **kwargs: Any) -> Any:
        self.calls[name] += counted
        self._inner.append(0.0)
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            self.seconds[step] += elapsed - self._inner.pop()
            if self._inner:
                self._inner[-1] += elapsed

    def wrap(self, step: str, name: tuple[str, str], fn: Callable[..., Any]
             ) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(fn):
            # A generator does its work as it is iterated: time each item it makes.
            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
                items = self.call(step, name, fn, *args, **kwargs)
                while True:
                    try:
                        item = self.call(step, name, next, items, counted=False)
                    except StopIteration:
                        return
                    yield item
            return generator

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            return self.call(step, name, fn, *args, **kwargs)
        return timed


@contextlib.contextmanager
def timing_steps(clock: StepClock) -> Iterator[list[tuple[str, str, str]]]:
    """Every function of STEPS timed wherever it is looked up (its module, each letterkit
    module that imported it by name, its class), put back afterwards. Yields the entries
    not found."""
    missing: list[tuple[str, str, str]] = []
    undo: list[tuple[Any, str, Any]] = []
    found: list[tuple[str, str, str, Any, str, Any]] = []  # step, module, function, owner...
    for step, module_name, qualified in STEPS:
        try:
            owner: Any = importlib.import_module(module_name)
            *path, attribute = qualified.split(".")
            for part in path:
                owner = getattr(owner, part)
            original = (owner.__dict__ if isinstance(owner, type) else vars(owner))[attribute]
        except (ImportError, AttributeError, KeyError):
            missing.append((step, module_name, qualified))
            continue
        if not callable(original) and not isinstance(original, staticmethod | classmethod):
            missing.append((step, module_name, qualified))
            continue
        found.append((step, module_name, qualified, owner, attribute, original))
    letterkit_modules = [m for name, m in list(sys.modules.items())
                         if name == "letterkit" or name.startswith("letterkit.")]
    for step, module_name, qualified, owner, attribute, original in found:
        if isinstance(original, staticmethod | classmethod):
            timed: Any = type(original)(clock.wrap(step, (module_name, qualified),
                                                   original.__func__))
        else:
            timed = clock.wrap(step, (module_name, qualified), original)
        holders = [owner] if isinstance(owner, type) else [
            owner, *(m for m in letterkit_modules
                     if m is not owner and vars(m).get(attribute) is original)]
        for holder in holders:
            undo.append((holder, attribute, original))
            setattr(holder, attribute, timed)
    try:
        yield missing
    finally:
        for holder, attribute, original in reversed(undo):
            setattr(holder, attribute, original)


@dataclass
class Breakdown:
    letters: int
    total: float
    seconds: dict[str, float]
    calls: dict[tuple[str, str], int]
    missing: list[tuple[str, str, str]]


def breakdown(source: Path, work: Path) -> Breakdown:
    """A batch of the CSV with emails, -j 1, in this process, its steps timed."""
    options = WriteOptions(kinds=("resolution",), out_dir=work / "steps", today=TODAY,
                           config=Config(), layout="block")
    clock = StepClock()
    _sync()
    with timing_steps(clock) as missing:
        start = time.perf_counter()
        summary = run_batch(source, options, jobs=1)
        total = time.perf_counter() - start
    if summary.failed_rows:
        raise Failed(f"the in-process batch failed {summary.failed_rows} rows")
    return Breakdown(summary.letters, total, dict(clock.seconds), dict(clock.calls), missing)


# --- the report ------------------------------------------------------------------------------


def seconds_text(value: float | None) -> str:
    return "failed" if value is None else f"{value:.3f}" if value < 10 else f"{value:.2f}"


def ratio_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator and denominator else None


def runs_text(times: list[float]) -> str:
    return " ".join(f"{t:.2f}" for t in times)


@dataclass
class Target:
    what: str
    value: float | None
    limit: float
    at_least: bool  # else: at most (strictly below, for times)
    unit: str = "x"
    note: str = ""

    def line(self) -> str:
        # Times must stay under their limit; ratios may reach theirs.
        sign = ">=" if self.at_least else "<" if self.unit == "s" else "<="
        if self.value is None:
            mark, shown = "[ n/a]", "not measured"
        else:
            met = {">=": self.value >= self.limit, "<": self.value < self.limit,
                   "<=": self.value <= self.limit}[sign]
            mark = "[pass]" if met else "[FAIL]"
            shown = f"{self.value:.2f}{self.unit}"
        note = f"  ({self.note})" if self.note else ""
        return f"  {mark} {self.what:<46} {shown:>12}   target {sign} {self.limit:g}" \
               f"{self.unit}{note}"


def mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:.1f} MiB"


# --- the benchmark ---------------------------------------------------------------------------


@dataclass
class Settings:
    rows: int
    rounds: int
    docxtpl_rows: int
    startup_runs: int
    memory_rows: tuple[int, int]
    memory_jobs: tuple[int, ...]
    node: bool
    install_node: bool
    pdf: bool
    pdf_letters: int
    work: Path


def settings_from(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        description="letterkit's speed, start-up and memory against a docxtpl loop and "
                    "docxtemplater, as whole processes.")
    parser.add_argument("--rows", type=int, default=1000, help="CSV rows (default 1000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed runs of each contender, taken in turns (default 3)")
    parser.add_argument("--docxtpl-rows", type=int, default=200,
                        help="rows the docxtpl loop renders; its time for all the rows is "
                             "estimated from them (default 200)")
    parser.add_argument("--docxtpl-full", action="store_true",
                        help="run the docxtpl loop on every row (slow: ~30 ms a letter)")
    parser.add_argument("--startup-runs", type=int, default=7,
                        help="runs of each start-up command (default 7)")
    parser.add_argument("--memory-rows", type=int, nargs=2, default=(300, 3000),
                        metavar=("SMALL", "LARGE"), help="default: 300 3000")
    parser.add_argument("--memory-jobs", type=int, nargs="+", default=(2,),
                        help="-j of the memory runs (default 2)")
    parser.add_argument("--no-node", action="store_true", help="leave docxtemplater out")
    parser.add_argument("--pdf", action="store_true",
                        help="also batch --pdf against one soffice call (slow)")
    parser.add_argument("--pdf-letters", type=int, default=48, help="default 48")
    parser.add_argument("--workdir", type=Path,
                        help="folder the runs write in (default: a temporary folder)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, one round, no installs: that the script runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.rounds, args.startup_runs = 6, 1, 1
        args.memory_rows, args.pdf_letters = (3, 6), 2
    docxtpl_rows = args.rows if args.docxtpl_full else min(args.rows, args.docxtpl_rows)
    if min(args.rows, args.rounds, docxtpl_rows, args.startup_runs, *args.memory_rows) < 1:
        parser.error("sizes, rounds and runs must be at least 1")
    return Settings(args.rows, args.rounds, docxtpl_rows, args.startup_runs,
                    tuple(args.memory_rows), tuple(args.memory_jobs), not args.no_node,
                    not args.quick, args.pdf, args.pdf_letters,
                    args.workdir or Path(tempfile.gettempdir()))


def describe_machine() -> str:
    try:
        git = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        git = ""
    load = f", load {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{load}; "
            f"Python {platform.python_version()}; letterkit {__version__}"
            f"{f' ({git})' if git else ''}; docxtpl {version('docxtpl')}")


def main(argv: list[str] | None = None) -> int:
    settings = settings_from(argv)
    settings.work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="letterkit-speed-", dir=settings.work) as tmp:
        return Benchmark(settings, Path(tmp)).run()


class Benchmark:
    def __init__(self, settings: Settings, work: Path) -> None:
        self.s = settings
        self.work = work
        self.letterkit = letterkit_program()
        self.failed = False
        self.targets: list[Target] = []

    def say(self, text: str = "") -> None:
        print(text.rstrip(), flush=True)

    def shown(self, command: list[str]) -> str:
        """A command as a reader would type it: WORK for this run's folder, OUT for a
        run's output folder."""
        if command[:len(self.letterkit)] == self.letterkit:
            command = ["letterkit", *command[len(self.letterkit):]]
        elif command[0] != sys.executable:
            command = [Path(command[0]).name, *command[1:]]  # node, soffice: on PATH
        text = " ".join("python" if w == sys.executable else shlex.quote(w) for w in command)
        return text.replace(shlex.quote(OUT), "OUT").replace(str(HERE), "benchmarks") \
            .replace(str(self.work), "WORK")

    def run(self) -> int:
        s = self.s
        self.say(f"letterkit speed: {s.rows:,} rows (every fifth in Telugu), the resolution "
                 f"letter, {s.rounds} round{'s' if s.rounds > 1 else ''}")
        self.say(f"  {describe_machine()}")
        self.say("  whole processes as a user starts them, each timed to its files on disk "
                 "(sync); medians, contenders in turns")
        self.say(f"  letterkit: {shlex.join(self.letterkit)}; WORK: {self.work}")
        source = make_csv(self.work / "rows.csv", s.rows)
        self.batches(source)
        self.startup()
        self.memory()
        self.steps(source)
        if s.pdf:
            self.pdf()
        self.say()
        if hasattr(os, "getloadavg"):  # how busy the machine was: how far to trust the figures
            self.say(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} "
                     "CPUs (each contender's runs are listed: their spread is the noise)")
        self.say("targets")
        for target in self.targets:
            self.say(target.line())
        return 1 if self.failed else 0

    def contender(self, name: str, command: list[str], expected: int | None,
                  pattern: str = "*.docx", env: dict[str, str] | None = None) -> Contender:
        return Contender(name, command, expected, pattern, env)

    def batch(self, source: Path, *options: str, out: str = OUT) -> list[str]:
        return [*self.letterkit, "batch", str(source), *LETTER, *options, "-o", out]

    def batches(self, source: Path) -> None:
        s = self.s
        sampled = s.docxtpl_rows < s.rows
        loop = [sys.executable, str(HERE / "docxtpl_loop.py"), str(source), OUT, "--date", DATE]
        docxtpl = self.contender(
            f"docxtpl loop, {s.docxtpl_rows:,} rows" if sampled else "docxtpl loop",
            [*loop, "--limit", str(s.docxtpl_rows)] if sampled else loop, s.docxtpl_rows)
        docxtpl_one = self.contender("docxtpl loop, 1 row", [*loop, "--limit", "1"], 1)
        letters_1 = self.contender("letterkit batch --no-email -j 1",
                                   self.batch(source, "--no-email", "-j", "1"), s.rows)
        emails_1 = self.contender("letterkit batch -j 1 (with emails)",
                                   self.batch(source, "-j", "1"), s.rows, "*.eml")
        letters_2 = self.contender("letterkit batch --no-email -j 2",
                                   self.batch(source, "--no-email", "-j", "2"), s.rows)
        emails_2 = self.contender("letterkit batch -j 2 (with emails)",
                                   self.batch(source, "-j", "2"), s.rows, "*.eml")
        contenders = [docxtpl, *([docxtpl_one] if sampled else []), letters_1, emails_1,
                      letters_2, emails_2]
        node = self.warm_up(source)
        if node is not None:
            contenders.append(node)
        take_turns(contenders, s.rounds, self.work)
        self.failed |= any(c.error for c in contenders)

        self.say()
        self.say(f"{f'letters, {s.rows:,} rows':<36} {'median s':>7} {'letters/s':>11} "
                 f"{'ms/letter':>11}   runs (s)")
        for c in contenders:
            count = s.docxtpl_rows if c is docxtpl else 1 if c is docxtpl_one else s.rows
            self.table_line(c.name, c.median, count, c.times if not c.error else None)
        for c in contenders:
            self.say(f"    {self.shown(c.command)}")
        plain = docxtpl.median
        if sampled and plain is not None and docxtpl_one.median is not None:
            # The first row costs start-up and one letter; each further row one letter.
            per_letter = (plain - docxtpl_one.median) / max(s.docxtpl_rows - 1, 1)
            plain = docxtpl_one.median + per_letter * (s.rows - 1)
            self.table_line(f"docxtpl loop, {s.rows:,} rows (est.)", plain, s.rows, None)
            self.say(f"  (estimated: the docxtpl loop ran {s.docxtpl_rows:,} of the {s.rows:,}"
                     " rows; its time for all = its 1-row time + the per-letter time of the"
                     " rest; --docxtpl-full runs them all)")
        elif sampled:
            plain = None

        self.say()
        self.say("ratios (the slower's time / the faster's)")
        ratios = [
            ("letters only -j 1 vs the docxtpl loop", plain, letters_1.median, 30.0),
            ("with emails -j 1 vs the docxtpl loop", plain, emails_1.median, 20.0),
            ("letters only -j 2 vs -j 1", letters_1.median, letters_2.median, 1.8),
            ("with emails -j 2 vs -j 1", emails_1.median, emails_2.median, 1.8),
        ]
        for what, slow, fast, limit in ratios:
            self.say(f"  {what:<46} {ratio_text(ratio(slow, fast)):>8}")
            self.targets.append(Target(what, ratio(slow, fast), limit, at_least=True,
                                       note="docxtpl estimated" if sampled and "docxtpl"
                                       in what else ""))
        self.say(f"  {'emails cost (with emails / letters only, -j 1)':<46} "
                 f"{ratio_text(ratio(emails_1.median, letters_1.median)):>8}")
        if node is not None:
            self.say(f"  {'docxtemplater vs the docxtpl loop':<46} "
                     f"{ratio_text(ratio(plain, node.median)):>8}")
            self.say(f"  {'letters only -j 1 vs docxtemplater':<46} "
                     f"{ratio_text(ratio(node.median, letters_1.median)):>8}")

    def table_line(self, name: str, median: float | None, count: int,
                   times: list[float] | None) -> None:
        if median is None:
            self.say(f"  {name:<34} failed")
            return
        self.say(f"  {name:<34} {seconds_text(median):>7} {count / median:>11.0f} "
                 f"{1000 * median / count:>11.2f}   {runs_text(times) if times else ''}")

    def warm_up(self, source: Path) -> Contender | None:
        """Each program run once, untimed, on the CSV's first rows (what it reads from disk
        is then cached for all alike); whether their letters have letterkit's text; and
        the docxtemplater contender, its templates made from letterkit's letters."""
        warm = make_csv(self.work / "warm.csv", min(self.s.rows, 6))
        rows = list(csv.DictReader(warm.open(encoding="utf-8-sig", newline="")))
        ours = self.work / "warm-letterkit"
        run_once(self.batch(warm, "--no-email", "-j", "1", out=str(ours)), ours, self.work)
        loop = self.work / "warm-docxtpl"
        run_once([sys.executable, str(HERE / "docxtpl_loop.py"), str(warm), str(loop),
                  "--date", DATE], loop, self.work)
        self.say()
        self.say(f"same letter text as letterkit's ({len(rows)} rows): docxtpl loop "
                 f"{same_letters(ours, loop)}")
        if not self.s.node:
            self.say("  docxtemplater: left out (--no-node)")
            return None
        modules, about = node_packages(self.s.install_node)
        if modules is None:
            self.say(f"  docxtemplater: skipped: {about}")
            return None
        templates = self.work / "docxtemplater"
        templates.mkdir()
        tags = []
        for language in ("en", "te"):
            row = next((r for r in rows if (r.get("language") or "en") == language), None)
            if row is None:
                continue
            letter = ours / row["reference"] / f"resolution.{language}.docx"
            try:
                count = docxtemplater_template(letter, row,
                                               templates / f"resolution.{language}.docx")
            except ValueError as error:
                self.say(f"  docxtemplater: skipped: {error}")
                return None
            tags.append(f"{count} ({language})")
        env = child_env(NODE_PATH=str(modules))
        command = [shutil.which("node") or "node", str(HERE / "docxtemplater_loop.js"),
                   str(templates)]
        theirs = self.work / "warm-docxtemplater"
        try:
            run_once([*command, str(warm), str(theirs)], theirs, self.work, env)
        except Failed as error:
            self.say(f"  docxtemplater: skipped: {error}")
            return None
        self.say(f"  docxtemplater {same_letters(ours, theirs)} ({about})")
        self.say(f"  its templates: letterkit's letters with the row's text as tags, "
                 f"{' and '.join(tags)} a letter; the fixed wording, dates and amounts stay "
                 "text")
        return self.contender("docxtemplater (Node)", [*command, str(source), OUT],
                              self.s.rows, env=env)

    # -- start-up

    def startup(self) -> None:
        s = self.s
        subprocess.run([*self.letterkit, "sample", "-o", str(self.work / "sample")],
                       check=True, capture_output=True, env=child_env(), cwd=self.work)
        record = self.work / "sample" / "complaint.yaml"
        python = self.contender("python -c pass (the floor)", [sys.executable, "-c", "pass"],
                                None)
        version_run = self.contender("letterkit --version", [*self.letterkit, "--version"],
                                     None)
        render = self.contender(
            "letterkit render (one record, email)",
            [*self.letterkit, "render", str(record), *LETTER, "-o", OUT], 1, "*.eml")
        contenders = [python, version_run, render]
        self.say()
        self.say(f"start-up, whole processes, {s.startup_runs} run{'s' * (s.startup_runs > 1)}"
                 " each, in turns")
        take_turns(contenders, s.startup_runs, self.work)
        self.failed |= any(c.error for c in contenders)
        for c in contenders:
            runs = f"(min {min(c.times):.3f}, max {max(c.times):.3f})" if c.median else ""
            self.say(f"  {c.name:<38} {seconds_text(c.median):>7} s  {runs}")
        self.say(f"    {self.shown(render.command)}")
        self.targets.append(Target("letterkit --version", version_run.median, 0.15,
                                   at_least=False, unit="s"))
        self.targets.append(Target("letterkit render, one record with its email",
                                   render.median, 0.5, at_least=False, unit="s"))

    # -- memory

    def memory(self) -> None:
        small, large = self.s.memory_rows
        self.say()
        together = "PSS" if sys.platform == "linux" else "RSS"
        self.say(f"peak memory of a batch with emails: the process and its workers together "
                 f"({together} added up, polled), and the largest single process (its peak "
                 "RSS)")
        for jobs in self.s.memory_jobs:
            figures = []
            for rows in (small, large):
                source = make_csv(self.work / f"memory-{rows}.csv", rows)
                command = [*self.letterkit, "batch", str(source), *LETTER, "-j", str(jobs),
                           "-o", str(self.work / f"memory-{rows}-{jobs}")]
                try:
                    figures.append(peak_memory(command, rows, jobs, self.work))
                except Failed as error:
                    self.say(f"  -j {jobs}, {rows:,} rows: FAILED: {error}")
                    self.failed = True
            for m in figures:
                self.say(f"  -j {jobs}, {m.rows:>5,} rows: {mib(m.together):>10} together, "
                         f"{mib(m.largest):>10} largest")
            growth = ratio(figures[1].headline, figures[0].headline) \
                if len(figures) == 2 else None
            self.say(f"  -j {jobs}, {large:,} rows / {small:,} rows: {ratio_text(growth)}")
            self.targets.append(Target(f"peak memory -j {jobs}, {large:,} / {small:,} rows",
                                       growth, 1.5, at_least=False))

    # -- where the time goes

    def steps(self, source: Path) -> None:
        try:
            result = breakdown(source, self.work)
        except Failed as error:
            self.say(f"\nper step: FAILED: {error}")
            self.failed = True
            return
        per = 1000 / max(result.letters, 1)
        self.say()
        self.say(f"where a letter's time goes: letterkit batch -j 1 with emails, in one "
                 f"process, {result.letters:,} letters, {result.total:.2f} s "
                 f"({per * result.total:.2f} ms a letter; start-up not included)")
        functions: dict[str, list[str]] = defaultdict(list)
        for step, module, qualified in STEPS:
            if (step, module, qualified) in result.missing:
                functions[step].append(f"{module}.{qualified} (not found)"
                                       if module.startswith("letterkit") else
                                       f"{module}.{qualified} (not on this system)")
            else:
                calls = result.calls.get((module, qualified), 0)
                functions[step].append(f"{qualified} x{calls:,}")
        accounted = 0.0
        for step in STEP_ORDER:
            seconds = result.seconds.get(step, 0.0)
            accounted += seconds
            self.say(f"  {step:<18} {seconds * per:>7.2f} ms {100 * seconds / result.total:>5.1f}%"
                     f"   {', '.join(functions[step])}")
        other = result.total - accounted
        self.say(f"  {'other':<18} {other * per:>7.2f} ms {100 * other / result.total:>5.1f}%")
        for step, module, qualified in result.missing:
            if module.startswith("letterkit"):
                self.say(f"  (not found: {module}.{qualified}, for {step}: update STEPS in "
                         f"{Path(__file__).name})")

    # -- PDFs

    def pdf(self) -> None:
        s = self.s
        self.say()
        program = shutil.which("soffice") or shutil.which("libreoffice")
        what = f"batch --pdf vs one soffice call, {s.pdf_letters} letters"
        if program is None:
            self.say("PDF: skipped: LibreOffice (soffice) is not installed")
            self.targets.append(Target(what, None, 1.25, at_least=False))
            return
        source = make_csv(self.work / "pdf.csv", s.pdf_letters)
        letters = self.work / "pdf-letters"
        run_once(self.batch(source, "--no-email", out=str(letters)), letters, self.work)
        flat = self.work / "pdf-docx"  # soffice names each PDF after its file: one folder
        flat.mkdir()
        documents = [str(shutil.copy(path, flat / f"{path.parent.name}.docx"))
                     for path in sorted(letters.rglob("*.docx"))]
        ready, new = self.work / "soffice-profile", self.work / "soffice-new-profile"

        def soffice(profile: Path, files: list[str]) -> list[str]:
            return [program, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", OUT, *files]

        # Untimed: a profile made, as a user's LibreOffice has one; letterkit's first start.
        run_once(soffice(ready, documents[:1]), self.work / "pdf-warm", self.work)
        run_once(self.batch(make_csv(self.work / "pdf-warm.csv", 1), "--pdf"),
                 self.work / "pdf-warm-letterkit", self.work)
        contenders = [
            self.contender("letterkit batch --pdf (with emails)", self.batch(source, "--pdf"),
                           s.pdf_letters, "*.pdf"),
            self.contender("one soffice call, its profile ready", soffice(ready, documents),
                           s.pdf_letters, "*.pdf"),
            self.contender("one soffice call, a new profile", soffice(new, documents),
                           s.pdf_letters, "*.pdf"),
        ]
        contenders[2].before = functools.partial(shutil.rmtree, new, ignore_errors=True)
        self.say(f"PDF: {s.pdf_letters} letters, {s.rounds} rounds in turns")
        take_turns(contenders, s.rounds, self.work)
        self.failed |= any(c.error for c in contenders)
        for c in contenders:
            self.say(f"  {c.name:<38} {seconds_text(c.median):>7} s   {runs_text(c.times)}")
        self.say(f"    {self.shown(contenders[0].command)}")
        self.say(f"    {self.shown(contenders[1].command[:7])} WORK/pdf-docx/*.docx (letterkit's "
                 "letters, made beforehand)")
        value = ratio(contenders[0].median, contenders[1].median)
        self.say(f"  {'batch --pdf / one soffice call':<38} {ratio_text(value):>8}")
        self.targets.append(Target(what, value, 1.25, at_least=False))


if __name__ == "__main__":
    sys.exit(main())
