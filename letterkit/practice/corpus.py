"""Measuring the practice checks on a labelled corpus: sentences as staff write them, each
in the record field it stands in, tagged with its sin or `none` (tests/data/practice/)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from letterkit.practice.records import check_record
from letterkit.practice.wording import WordLists, word_lists
from letterkit.record import Record, validate_record
from letterkit.resources import data_path
from letterkit.sources import load_data_file

# Where a sentence goes in a record, and the field its findings name.
_PLACES = {
    "complaint.subject": (("complaint", "subject"), "complaint.subject"),
    "complaint.summary": (("complaint", "summary"), "complaint.summary"),
    "findings": (("findings",), "findings.1"),
    "resolution.summary": (("resolution", "summary"), "resolution.summary"),
    "resolution.actions": (("resolution", "actions"), "resolution.actions.1.what"),
    "resolution.prevention": (("resolution", "prevention"), "resolution.prevention.1"),
    "meeting.where": (("meeting", "where"), "meeting.where"),
}


def sample_data(language: str) -> dict[str, Any]:
    """The shipped sample record of a language, as data: the record each sentence is tried
    in (its Telugu sample for Telugu, else the English one)."""
    name = "complaint.te.yaml" if language == "te" else "complaint.yaml"
    data: dict[str, Any] = load_data_file(data_path("samples") / name)
    return data


@dataclass(frozen=True)
class Entry:
    text: str
    field: str
    sin: str  # or "none"


@dataclass
class Score:
    bad: int = 0
    caught: int = 0
    innocent: int = 0
    flagged: int = 0
    misses: list[Entry] = field(default_factory=list)
    false_alarms: list[tuple[Entry, list[str]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.bad if self.bad else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.flagged / self.innocent if self.innocent else 0.0


def load_corpus(path: Path) -> list[Entry]:
    data = load_data_file(path)
    return [Entry(str(item["text"]), str(item["field"]), str(item.get("sin") or "none"))
            for item in data]


def flags(entry: Entry, base: dict[str, Any], lists: WordLists) -> list[str]:
    """What the checks say about the sentence, in its field of the base record."""
    data = copy.deepcopy(base)
    path, finding_field = _PLACES[entry.field]
    node = data
    for key in path[:-1]:
        node = node[key]
    if path[-1] == "actions":
        node["actions"] = [{"what": entry.text, "due": "2026-12-02"}]
    elif path[-1] in ("findings", "prevention"):
        node[path[-1]] = [entry.text]
    else:
        node[path[-1]] = entry.text
    record: Record = validate_record(data)
    return [f.message for f in check_record(record, today=dt.date(2026, 11, 23), lists=lists)
            if f.field == finding_field and f.quote]


def score(entries: Iterable[Entry], base: dict[str, Any],
          lists: WordLists | None = None) -> Score:
    lists = lists or word_lists()
    result = Score()
    for entry in entries:
        found = flags(entry, base, lists)
        if entry.sin == "none":
            result.innocent += 1
            if found:
                result.flagged += 1
                result.false_alarms.append((entry, found))
        else:
            result.bad += 1
            if found:
                result.caught += 1
            else:
                result.misses.append(entry)
    return result
