"""The practice checks: what a good complaint letter must commit to, and the wording it must
not use (the seven sins), in English and Telugu, in plain words for staff.

Word lists are data: `locales/<lang>/practice.yaml`, plus the config's `practice_words`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letterkit.errors import InputError, Problem
from letterkit.i18n import locales_dir
from letterkit.letters import KINDS, meeting_place
from letterkit.record import Record
from letterkit.sources import load_data_file

SINS = ("jargon", "blame", "rulebook", "runaround", "guarantee", "apathy", "robotism")
_TELUGU = "\u0c00-\u0c7f"
_LETTER = rf"[\w{_TELUGU}]"
_JOINERS = dict.fromkeys(map(ord, "\u200c\u200d"))  # zero-width (non-)joiners


@dataclass(frozen=True)
class Finding:
    """Something a letter should not say or lacks, where, and what to do about it."""

    kinds: tuple[str, ...]
    field: str
    problem: str
    practice: str
    suggestion: str
    quote: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    @property
    def message(self) -> str:
        quoted = f"“{self.quote}”: " if self.quote else ""
        return (f"{quoted}{self.problem} ({self.practice}). {self.suggestion} "
                f"[{', '.join(self.kinds)}]")

    def as_problem(self, file: str | None = None, row: int | None = None) -> Problem:
        return Problem(self.message, file=file, row=row, field=self.field)


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


# Which free-text fields each letter shows.
_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "complaint.subject": KINDS,
    "complaint.summary": ("acknowledgement", "resolution"),
    "findings": ("resolution",),
    "resolution.summary": ("resolution",),
    "resolution.actions": ("resolution",),
    "resolution.prevention": ("resolution",),
    "meeting.where": ("acknowledgement", "meeting"),
}


def _texts(record: Record) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(field, text, kinds that show it) for each piece of staff-written text."""
    data: dict[str, Any] = record.model_dump()
    for path, kinds in _TEXT_FIELDS.items():
        value: Any = data
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str):
            yield path, value, kinds
        elif isinstance(value, list):
            for n, item in enumerate(value, start=1):
                text = item.get("what") if isinstance(item, dict) else item
                field = f"{path}.{n}.what" if isinstance(item, dict) else f"{path}.{n}"
                if isinstance(text, str):
                    yield field, text, kinds


def check_record(
    record: Record,
    kinds: Iterable[str],
    *,
    today: dt.date,
    lists: WordLists | None = None,
) -> list[Finding]:
    """What in a record breaks the practice, for the letters it will make."""
    kinds = tuple(k for k in KINDS if k in set(kinds) or "all" in set(kinds))
    lists = lists or word_lists()
    findings = _completeness(record, kinds, today)
    for field, text, shown_in in _texts(record):
        affected = tuple(k for k in shown_in if k in kinds)
        if not affected:
            continue
        for rule, words in lists.scan(text):
            findings.append(Finding(affected, field, rule.problem, rule.practice,
                                    rule.suggestion, words))
    if re.match(r"\s*(?:[A-Z]{2,}[-/]?\d|#?\d{4,}|(?:account|order|a/c)\b)",
                record.complaint.subject, re.IGNORECASE):
        findings.append(Finding(kinds, "complaint.subject", "opens with a reference number",
                                "Robotism: a personal word before routine data",
                                "Start with what happened; references go in their own "
                                "lines.", record.complaint.subject[:30]))
    return findings


_SIN_PROBLEMS = {
    "jargon": "words the customer would not use",
    "blame": "blames someone or makes excuses",
    "rulebook": "answers with the rules",
    "runaround": "sends the customer elsewhere",
    "guarantee": "promises what cannot be guaranteed",
    "apathy": "sounds as if we do not really care",
    "robotism": "reads like a routine form",
}


def _completeness(record: Record, kinds: tuple[str, ...], today: dt.date) -> list[Finding]:
    found: list[Finding] = []

    def add(kind: str, field: str, problem: str, practice: str, suggestion: str) -> None:
        if kind in kinds:
            found.append(Finding((kind,), field, problem, practice, suggestion))

    meeting = record.meeting
    if meeting is None:
        add("acknowledgement", "meeting", "no call or meeting is proposed",
            "Set a date for a phone call or a face-to-face meeting",
            "Add meeting.at, meeting.mode and meeting.where.")
    else:
        if meeting_place(record) is None:
            for kind in ("acknowledgement", "meeting"):
                add(kind, "meeting.where", "no number, address or link for the meeting",
                    "Fix the date, time, medium and place beforehand",
                    "Add the number we will call, the address, or the link.")
        if meeting.at.date() < record.received:
            for kind in ("acknowledgement", "meeting"):
                add(kind, "meeting.at", f"the meeting ({meeting.at.date()}) is before the "
                    f"complaint arrived ({record.received})", "Set a real date to talk",
                    "Check the meeting date.")
    resolution = record.resolution
    if "resolution" in kinds and resolution is not None:
        practice = "Agree a specific remedy with a time frame"
        if not resolution.actions:
            add("resolution", "resolution.actions", "no agreed action", practice,
                "List each action we will take, with its date.")
        for n, action in enumerate(resolution.actions, start=1):
            field = f"resolution.actions.{n}.due"
            if action.due is None:
                add("resolution", field, f"the action {action.what!r} has no due date",
                    practice, "Agree a date for it with the customer.")
            elif action.due <= today:
                add("resolution", field, f"the action {action.what!r} is due {action.due}, "
                    f"not after the letter's date ({today})", practice,
                    "Give a date still to come.")
            elif meeting is not None and action.due < meeting.at.date():
                add("resolution", field, f"the action {action.what!r} is due {action.due}, "
                    f"before the meeting ({meeting.at.date()}) where it is to be agreed",
                    practice, "Check the dates.")
        if not resolution.prevention:
            add("resolution", "resolution.prevention", "nothing says how it will not happen "
                "again", "Explain the steps taken so it does not happen again",
                "Add at least one prevention step.")
        if not record.cc:
            add("resolution", "cc", "nobody involved is copied",
                "Copy the letter to the people involved, so the team learns",
                "Add the colleagues involved under cc.")
    return found


def late_note(record: Record, today: dt.date, within_working_days: int) -> str | None:
    """A note when the complaint has waited longer than it should for a first answer."""
    waited = working_days_between(record.received, today)
    if waited > within_working_days:
        return (f"the complaint arrived {record.received}, {waited} working days before the "
                f"letter's date: answer fast, by email or phone first")
    return None


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Monday-to-Friday days after `start` up to and including `end`."""
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def check_wording(text: str, lists: WordLists | None = None) -> list[tuple[str, str, str, str]]:
    """(words, problem, practice, suggestion) for wording a template adds."""
    lists = lists or word_lists()
    return [(words, rule.problem, rule.practice, rule.suggestion)
            for rule, words in lists.scan(text)]

