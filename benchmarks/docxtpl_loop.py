"""The plain docxtpl loop `speed.py` measures letterkit against: what a script written
without letterkit would do, run as its own process.

    python benchmarks/docxtpl_loop.py ROWS.csv OUT [--date 2026-11-26] [--limit N]

For each row of the CSV (the first N with --limit): the record read and validated as
`letterkit batch` reads it, its context made by letterkit's `letter_context`, and the
shipped `resolution-block.docx` opened, rendered and saved with docxtpl, in letterkit's
Jinja environment for the row's language, to OUT/<reference>/resolution.<lang>.docx. So
the letter is the same as letterkit's; only the rendering and writing differ. Letters
only: no emails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from docxtpl import DocxTemplate

from letterkit import Config, LetterkitError, records_in
from letterkit.docx.environment import environment
from letterkit.docx.find import shipped_templates_dir
from letterkit.letters import letter_context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 11, 26))
    parser.add_argument("--limit", type=int, help="only the first N rows")
    args = parser.parse_args(argv)
    template = shipped_templates_dir() / "resolution-block.docx"
    made = 0
    for row, record in records_in(args.csv, Config()):
        if args.limit is not None and made >= args.limit:
            break
        if isinstance(record, LetterkitError):
            print(f"row {row}: {record}", file=sys.stderr)
            return 1
        language = record.language or "en"
        context = letter_context(record, kind="resolution", language=language, layout="block",
                                 today=args.date)
        # A fresh DocxTemplate per letter, as docxtpl's documentation writes the loop: it
        # is rendered in place, so one object cannot make two letters.
        doc = DocxTemplate(template)
        doc.render(context, jinja_env=environment(language))
        folder = args.out / record.reference
        folder.mkdir(parents=True, exist_ok=True)
        doc.save(folder / f"resolution.{language}.docx")
        made += 1
    print(f"{made} letters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
