"""The practice checks measured on labelled sentences as staff really write them
(tests/data/practice/): enough of the bad ones caught, few of the innocent ones flagged,
in each language, on sets the word lists were tuned on and on one they were not."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from letterkit.practice.corpus import load_corpus, sample_data, score
from letterkit.practice.wording import SINS

CORPUS = Path(__file__).parent / "data" / "practice"
LANGUAGES = ("en", "te")
SETS = sorted(CORPUS.glob("*.yaml"))
FIELDS = {"complaint.subject", "complaint.summary", "findings", "resolution.summary",
          "resolution.actions", "resolution.prevention", "meeting.where"}
CAUGHT_AT_LEAST = 0.85
FLAGGED_AT_MOST = 0.05


@pytest.mark.parametrize("path", SETS, ids=[p.stem for p in SETS])
def test_the_checks_catch_the_sins_and_spare_the_innocent(path: Path) -> None:
    language = path.name.split(".")[0]
    result = score(load_corpus(path), sample_data(language))
    misses = "\n".join(f"  [{e.sin}] {e.field}: {e.text}" for e in result.misses)
    false = "\n".join(f"  {e.field}: {e.text}\n    {found[0]}"
                      for e, found in result.false_alarms)
    assert result.recall >= CAUGHT_AT_LEAST, f"caught {result.caught}/{result.bad}:\n{misses}"
    assert result.false_alarm_rate <= FLAGGED_AT_MOST, \
        f"flagged {result.flagged}/{result.innocent}:\n{false}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_has_a_corpus_worth_measuring(language: str) -> None:
    """Enough sentences of every sin, and innocent ones, in every field the checks read."""
    entries = [e for p in SETS if p.name.startswith(f"{language}.") for e in load_corpus(p)]
    sins = Counter(e.sin for e in entries)
    assert sum(n for sin, n in sins.items() if sin != "none") >= 60
    assert sins["none"] >= 40
    assert {sin for sin in sins if sin != "none"} == set(SINS)
    assert {e.field for e in entries if e.sin != "none"} == FIELDS
    assert {e.field for e in entries if e.sin == "none"} == FIELDS
    assert len({e.text for e in entries}) == len(entries), "a sentence is there twice"


def test_a_sentence_of_one_language_is_not_judged_by_the_other_s_exceptions() -> None:
    """"100%" of an amount is a refund in either language, a promise in neither."""
    from letterkit.practice.wording import word_lists

    lists = word_lists()
    assert not list(lists.scan("హోటల్ బుకింగ్ డబ్బు 100% వాపసు ఇస్తాము.", "resolution.summary"))
    assert not list(lists.scan("We will refund 100% of the fee.", "resolution.summary"))
    assert [r.sin for r, _ in lists.scan("మా సేవ 100% నమ్మదగినది.", "resolution.summary")] \
        == ["guarantee"]


def test_the_quick_test_never_skips_a_rule_that_would_match() -> None:
    """Scanning asks only the rules whose words stand in a sentence (their anchors); on
    every corpus sentence, each rule whose patterns match it, tried without anchors, is
    among those asked and is found."""
    from letterkit.practice.wording import _sentences, normalise, word_lists

    lists = word_lists()
    matched = 0
    for path in SETS:
        for entry in load_corpus(path):
            plain = normalise(entry.text)
            for start, end in _sentences(plain):
                sentence = plain[start:end]
                lowered = sentence.lower()
                asked = lists._index.candidates(sentence, lowered)
                for n, rule in enumerate(lists.rules):
                    if not any(p.pattern.search(sentence) for p in rule.phrases):
                        continue
                    if rule.needs and not any(p.pattern.search(sentence) for p in rule.needs):
                        continue
                    if any(p.pattern.search(sentence) for p in rule.unless):
                        continue
                    if rule.language not in (None, "te" if any(
                            "\u0c00" <= c <= "\u0c7f" for c in sentence) else "en"):
                        continue
                    matched += 1
                    assert n in asked, (rule.phrase, sentence)
                    assert rule.find(sentence, lowered) is not None, (rule.phrase, sentence)
    assert matched > 1000
