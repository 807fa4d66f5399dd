"""How well the practice checks do on the labelled corpus in tests/data/practice/:

    python scripts/measure_practice.py [en|te] [SET ...] [--show]

prints, per language and set (dev, heldout, blind1, ...: the files <language>.<set>.yaml),
the share of bad sentences caught and of innocent ones flagged; --show lists the misses and
false alarms."""

from __future__ import annotations

import sys
from pathlib import Path

from letterkit.practice.corpus import load_corpus, sample_data, score

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "practice"
LANGUAGES = ("en", "te")


def main(argv: list[str]) -> None:
    show = "--show" in argv
    languages = [a for a in argv if a in LANGUAGES] or list(LANGUAGES)
    sets = [a for a in argv if a not in LANGUAGES and not a.startswith("--")]
    for language in languages:
        base = sample_data(language)
        for path in sorted(CORPUS.glob(f"{language}.*.yaml")):
            name = path.name.split(".")[1]
            if sets and name not in sets:
                continue
            result = score(load_corpus(path), base)
            print(f"{language} {name}: caught {result.caught}/{result.bad} "
                  f"({result.recall:.0%}), flagged {result.flagged}/{result.innocent} "
                  f"({result.false_alarm_rate:.0%})")
            if show:
                for entry in result.misses:
                    print(f"  MISS [{entry.sin}] {entry.field}: {entry.text}")
                for entry, found in result.false_alarms:
                    print(f"  FALSE [{entry.field}]: {entry.text}\n        {found[0][:110]}")


if __name__ == "__main__":
    main(sys.argv[1:])
