"""Letters per second: a plain per-letter docxtpl loop against letterkit's compile-once
render, on the shipped resolution template, in one process, side by side.

    python benchmarks/render_vs_docxtpl.py [N]

Both paths render the same context with the same sandboxed, autoescaping, strict Jinja
environment; docxtpl reopens and recompiles the template for every letter, letterkit
compiles it once. (Batch rendering over CSV, parallel jobs and memory come with
`letterkit batch`.)
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import time

from docxtpl import DocxTemplate

from letterkit.docx.compiled import compile_template
from letterkit.docx.environment import environment
from letterkit.docx.find import shipped_templates_dir
from letterkit.inputs import load_record
from letterkit.letters import letter_context
from letterkit.resources import data_path


def main(count: int = 200) -> None:
    record = load_record(data_path("samples") / "complaint.yaml")
    template = shipped_templates_dir() / "resolution-block.docx"
    context = letter_context(record, kind="resolution", language="en", layout="block",
                             today=dt.date(2026, 11, 26))
    env = environment("en")

    def docxtpl_loop() -> None:
        for _ in range(count):
            doc = DocxTemplate(template)
            doc.render(context, jinja_env=env)
            doc.save(io.BytesIO())

    def letterkit_loop() -> None:
        compiled = compile_template(template, "en")
        for _ in range(count):
            compiled.render(context)

    results = {}
    for name, run in (("docxtpl loop", docxtpl_loop), ("letterkit", letterkit_loop)):
        start = time.perf_counter()
        run()
        results[name] = count / (time.perf_counter() - start)
        print(f"{name:>13}: {results[name]:8.1f} letters/s ({count} letters)")
    print(f"        ratio: {results['letterkit'] / results['docxtpl loop']:8.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
