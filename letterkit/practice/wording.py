"""The wording a complaint letter must not use (the seven sins), in English and Telugu:
word lists, and scanning text against them.

Word lists are data: `locales/<lang>/practice.yaml`, plus the config's `practice_words`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from letterkit.errors import InputError
from letterkit.i18n.languages import locales_dir
from letterkit.sources import load_data_file

SINS = ("jargon", "blame", "rulebook", "runaround", "guarantee", "apathy", "robotism")
_TELUGU = "\u0c00-\u0c7f"
_LETTER = rf"[\w{_TELUGU}]"
_JOINERS = dict.fromkeys(map(ord, "\u200c\u200d"))  # zero-width (non-)joiners


@dataclass(frozen=True)
class _Rule:
    sin: str
    phrase: str
    pattern: re.Pattern[str]
    problem: str
    practice: str
    suggestion: str

    @functools.cached_property
    def case_sensitive(self) -> bool:
        return not self.pattern.flags & re.IGNORECASE

    @functools.cached_property
    def anchor(self) -> str:
        """A piece of text every match contains: the phrase's longest word, without its
        ending (and, for Telugu, without a final vowel sandhi may drop)."""
        words = unicodedata.normalize("NFC", self.phrase).translate(_JOINERS).split()
        word = max((w.rstrip("*") for w in words), key=len)
        if word and "\u0c3e" <= word[-1] <= "\u0c4c":
            word = word[:-1]
        return word if self.case_sensitive else word.lower()


@dataclass(frozen=True)
class WordLists:
    rules: tuple[_Rule, ...]
    apology: tuple[re.Pattern[str], ...]

    def scan(self, text: str) -> Iterator[tuple[_Rule, str]]:
        """Each rule the text breaks, with the words as they stand in the text; words
        quoted for one rule are not quoted again for another."""
        plain = unicodedata.normalize("NFC", text).translate(_JOINERS)
        lowered = plain.lower()
        taken: list[tuple[int, int]] = []
        for rule in self.rules:
            # Every letter of a batch is scanned: a plain substring test first, so a
            # phrase's pattern only runs where its longest word appears at all.
            if rule.anchor not in (plain if rule.case_sensitive else lowered):
                continue
            match = rule.pattern.search(plain)
            if match and not any(a < match.end() and match.start() < b for a, b in taken):
                taken.append(match.span())
                yield rule, match.group(0)

    def apologises(self, text: str) -> bool:
        plain = unicodedata.normalize("NFC", text).translate(_JOINERS)
        return any(p.search(plain) for p in self.apology)


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """A phrase as a pattern: whole words; ALL-CAPS abbreviations as written, the rest in
    any case; `*` ends a word with any ending; a Telugu phrase's last word takes any
    ending (Telugu inflects by suffixes: కాదు, కాదండి), its other words are whole."""
    words = unicodedata.normalize("NFC", phrase).translate(_JOINERS).split()
    parts = []
    for n, word in enumerate(words):
        stem = word.rstrip("*")
        telugu = any("\u0c00" <= c <= "\u0c7f" for c in stem)
        piece = re.escape(stem)
        if telugu and n == len(words) - 1 and "\u0c3e" <= stem[-1] <= "\u0c4c":
            # Sandhi drops a final vowel before an ending (జరగదు + అని = జరగదని).
            piece = re.escape(stem[:-1])
        if word.endswith("*") or (telugu and n == len(words) - 1):
            piece += f"{_LETTER}*"
        parts.append(piece)
    body = r"\s+".join(parts)
    # Symbols (100%) bound themselves; letters need a boundary on each side.
    start = rf"(?<!{_LETTER})" if re.match(_LETTER, phrase) else ""
    end = rf"(?!{_LETTER})" if re.search(rf"{_LETTER}\*?$", phrase) else ""
    flags = 0 if phrase.isupper() and phrase.isascii() else re.IGNORECASE
    return re.compile(start + body + end, flags)


@functools.cache
def word_lists(extra: Path | None = None) -> WordLists:
    """Every language's lists (text in one language often borrows the other's words),
    with the admins' extra phrases."""
    sources = sorted(locales_dir().glob("*/practice.yaml"))
    if extra is not None:
        sources.append(extra)
    rules: list[_Rule] = []
    apology: list[re.Pattern[str]] = []
    for path in sources:
        data = load_data_file(path)
        if not isinstance(data, dict):
            raise InputError.at("expected sections such as jargon: and blame:", file=str(path))
        for sin, section in data.items():
            if sin == "apology":
                apology += [compile_phrase(str(p)) for p in section or []]
                continue
            if sin not in SINS or not isinstance(section, dict):
                raise InputError.at(f"unknown section {sin!r}; expected one of: "
                                    f"{', '.join(SINS)}, apology", file=str(path))
            rules += [_Rule(sin, str(p), compile_phrase(str(p)),
                            str(section.get("problem") or _SIN_PROBLEMS[sin]),
                            str(section.get("practice", "")), str(section.get("suggestion", "")))
                      for p in section.get("phrases") or []]
    return WordLists(tuple(rules), tuple(apology))


_SIN_PROBLEMS = {
    "jargon": "words the customer would not use",
    "blame": "blames someone or makes excuses",
    "rulebook": "answers with the rules",
    "runaround": "sends the customer elsewhere",
    "guarantee": "promises what cannot be guaranteed",
    "apathy": "sounds as if we do not really care",
    "robotism": "reads like a routine form",
}


def check_wording(text: str, lists: WordLists | None = None) -> list[tuple[str, str, str, str]]:
    """(words, problem, practice, suggestion) for wording a template adds."""
    lists = lists or word_lists()
    return [(words, rule.problem, rule.practice, rule.suggestion)
            for rule, words in lists.scan(text)]

