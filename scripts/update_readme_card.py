"""Put the current `letterkit fields --markdown` reference card into the README (a test
holds the two together). Run after changing the record's fields or letterkit's filters:

    python scripts/update_readme_card.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START = "| field | type | required | what it is | example |"
END = "\n## "


def main() -> None:
    card = subprocess.run([sys.executable, "-m", "letterkit", "fields", "--markdown"],
                          capture_output=True, encoding="utf-8", check=True).stdout.strip()
    text = README.read_text(encoding="utf-8")
    start = text.index(START)
    end = text.index(END, start)
    README.write_text(text[:start] + card + "\n" + text[end:], encoding="utf-8", newline="\n")
    print(f"updated the reference card in {README}")


if __name__ == "__main__":
    main()
