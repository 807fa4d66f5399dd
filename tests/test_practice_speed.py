"""The practice checks' quick reading finds exactly what trying every rule on every
sentence finds: the same words of the same rules, in the same order, in every field, over
the shipped word lists and an admin's, on the samples, the hostile values, the labelled
corpus, the phrases themselves and random text that mixes them; and it reads a very long
word once, not once from each of its letters."""

from __future__ import annotations

import functools
import random
import re
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from letterkit.kinds import ALL
from letterkit.practice import wording
from letterkit.practice.corpus import load_corpus
from letterkit.practice.wording import Abbreviations, Phrase, Rule, WordLists, word_lists
from letterkit.resources import data_path

from hostile import HOSTILE_VALUES, TEN_KIB, TEN_KIB_OF_WORDS

FIELDS = (None, *sorted({f for kind in ALL for f in kind.text_fields}))
KNOWN = ("ORD-88213", "KPHB", "Lakshmi")
Found = list[tuple[str, str, str]]  # (sin, phrase, words) for each finding, in order


# --- what the checks do, the plain way -------------------------------------------------

@functools.cache
def _pattern(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


def _search(phrase: Phrase, sentence: str, lowered: str) -> re.Match[str] | None:
    """A phrase tried as the checks have always tried it: its anchors, then its pattern."""
    haystack = lowered if phrase.any_case else sentence
    if not any(anchor in haystack for anchor in phrase.anchors):
        return None
    return _pattern(phrase.source, phrase.flags).search(sentence)


def _span(rule: Rule, sentence: str, lowered: str) -> tuple[int, int] | None:
    if rule.language is not None and rule.language != wording._language_of(sentence):
        return None
    match = next(filter(None, (_search(p, sentence, lowered) for p in rule.phrases)), None)
    if match is None:
        return None
    if rule.needs and not any(_search(p, sentence, lowered) for p in rule.needs):
        return None
    if any(_search(p, sentence, lowered) for p in rule.unless):
        return None
    return match.span()


def _folded(text: str) -> tuple[str, list[int]]:
    """Every fold tried on the text in turn, with where each character came from."""
    text = unicodedata.normalize("NFC", text)
    origin = list(range(len(text)))
    for pattern, replacement, *_ in wording._FOLDS:
        out, where, done = [], [], 0
        for match in pattern.finditer(text):
            out.append(text[done:match.start()])
            where += origin[done:match.start()]
            new = replacement if isinstance(replacement, str) else replacement(match)
            out.append(new)
            where += [origin[match.start()] if match.start() < len(origin) else len(text)] \
                * len(new)
            done = match.end()
        out.append(text[done:])
        where += origin[done:]
        text, origin = "".join(out), where
    return text, origin


def plain_scan(lists: WordLists, text: str) -> dict[str | None, Found]:
    """Each field's findings for the text: every rule tried on every sentence."""
    original = unicodedata.normalize("NFC", text)
    plain, origin = _folded(text)
    found: dict[str | None, Found] = {field: [] for field in FIELDS}
    for start, end in wording._sentences(plain):
        sentence = plain[start:end]
        lowered = sentence.lower()
        spans = [(rule, _span(rule, sentence, lowered)) for rule in lists.rules]
        for field in FIELDS:
            broken: list[tuple[Rule | Abbreviations, tuple[int, int]]] = [
                (rule, span) for rule, span in spans if span and rule.holds_in(field)]
            if lists.abbreviations is not None and lists.abbreviations.holds_in(field):
                broken += [(lists.abbreviations, span) for span in
                           lists.abbreviations.find(sentence, frozenset(KNOWN))]
            taken: list[tuple[int, int]] = []
            for rule, (a, b) in broken:
                if not any(a < y and x < b for x, y in taken):
                    taken.append((a, b))
                    found[field].append(_finding(rule, wording._quote(
                        original, origin, start + a, start + b)))
    return found


def quick_scan(lists: WordLists, text: str) -> dict[str | None, Found]:
    return {field: [_finding(rule, words) for rule, words in lists.scan(text, field, KNOWN)]
            for field in FIELDS}


def _finding(rule: Rule | Abbreviations, words: str) -> tuple[str, str, str]:
    return rule.sin, getattr(rule, "phrase", "(abbreviation)"), words


# --- the texts ---------------------------------------------------------------------------

def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def sample_texts() -> list[str]:
    return [text for path in sorted(data_path("samples").glob("*.yaml"))
            for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8")))]


def hostile_texts() -> list[str]:
    return [TEN_KIB, TEN_KIB_OF_WORDS,
            *(value for _, _, value in HOSTILE_VALUES if isinstance(value, str))]


def corpus_texts() -> list[str]:
    folder = Path(__file__).parent / "data" / "practice"
    return [entry.text for path in sorted(folder.glob("*.yaml")) for entry in load_corpus(path)]


def _phrases(lists: WordLists) -> list[str]:
    rules = [rule.phrase for rule in lists.rules]
    return [phrase for phrase in dict.fromkeys(rules) if not phrase.startswith(("re:", "@"))]


def phrase_texts() -> list[str]:
    return _phrases(word_lists())


def _said(phrase: str, rng: random.Random) -> str:
    """One way of saying a phrase: a choice of each (a|b), [optional] words or not, a few
    words for `...`, an ending for `*`."""
    words = []
    for token in wording._tokens(phrase):
        if token == "...":
            words += rng.choices(FILLER, k=rng.randint(0, 6))
        elif token.startswith(("(", "[")):
            if token.startswith("[") and rng.random() < 0.5:
                continue
            words.append(_said(rng.choice(wording._alternatives(token[1:-1])), rng))
        else:
            words.append(token.rstrip("*") + (rng.choice(ENDINGS) if token.endswith("*")
                                              or rng.random() < 0.2 else ""))
    return " ".join(words)


FILLER = ["the", "a", "our", "we", "you", "will", "refund", "door", "ఈ", "మీ", "మా",
          "రిపేర్", "చేస్తాము", "today", "Ref", "no", "T", "C", "&", "ORD-88213", "KPHB"]
ENDINGS = ["", "s", "ed", "ing", "ని", "లో", "కు", "ు", "ారు", "్"]
SIGNS = [".", ",", ";", "!", "?", "।", ":", "-", "—", "–", "'", "’", "‘", "“", "”", '"', "(",
         ")", "&", "/", "#", "%", "@", "+", "_", "*", "...", " శాతం", "₹"]
ODD = ["ſ", "K", "İ", "ı", "é", "É", "ß", "ﬅ", "Σ", "ς", "µ", "Ω", "\u200c", "\u200d",
       "\u0301", "ǅ", "ﬀ", "ͅ", "\u2028", "😀", "ళ్ళ", "౧౦౦", "100", "https://x.example/a?b",
       "www.example.com", "ravi@example.com", "TAT", "L2", "SLA", "T&C", "a/c", "Dr.", "No."]
LOOKALIKES = [str.maketrans("s", "ſ"), str.maketrans("k", "\u212a"), str.maketrans("i", "ı"),
              str.maketrans("I", "İ")]
SPACES = [" ", " ", " ", "  ", "\t", "\n", "\n\n", "", " \u00a0"]


def random_texts(count: int, seed: int) -> list[str]:
    """Text mixing the phrases (said one way or another, in any case) with Telugu and
    English words, signs, odd characters and spaces."""
    rng = random.Random(seed)
    lists = word_lists()
    phrases = _phrases(lists)
    words = [w for p in phrases for w in re.findall(r"[^\s()\[\]|*.]+", p)]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 14)):
            kind = rng.random()
            if kind < 0.25:
                part = _said(rng.choice(phrases), rng)
            elif kind < 0.3:  # letters `re` takes as others when it ignores case
                part = _said(rng.choice(phrases), rng).translate(rng.choice(LOOKALIKES))
            elif kind < 0.7:
                part = rng.choice(words)
            elif kind < 0.85:
                part = rng.choice(SIGNS)
            else:
                part = rng.choice(ODD)
            case = rng.random()
            if case < 0.1:
                part = part.upper()
            elif case < 0.2:
                part = part.title()
            elif case < 0.25:
                part = "".join(c.upper() if rng.random() < 0.5 else c for c in part)
            parts += [part, rng.choice(SPACES)]
        texts.append("".join(parts))
    return texts


# --- the tests ---------------------------------------------------------------------------

def _differences(lists: WordLists, texts: list[str]) -> list[str]:
    differences = []
    for text in texts:
        plain, quick = plain_scan(lists, text), quick_scan(lists, text)
        if plain != quick:
            field = next(f for f in FIELDS if plain[f] != quick[f])
            differences.append(f"{text[:120]!r} in {field}:\n  every rule: {plain[field]}\n"
                               f"  quick:      {quick[field]}")
        plain_text = _folded(text)[0]
        if lists.apologises(text) != any(_search(phrase, plain_text, plain_text.lower())
                                         for phrase in lists.apology):
            differences.append(f"{text[:120]!r}: apologises")
    return differences


@pytest.mark.parametrize("texts", [
    pytest.param(sample_texts, id="samples"),
    pytest.param(hostile_texts, id="hostile"),
    pytest.param(corpus_texts, id="corpus"),
    pytest.param(phrase_texts, id="phrases"),
    pytest.param(lambda: random_texts(1000, seed=17), id="random"),
])
def test_the_quick_reading_finds_what_every_rule_finds(texts) -> None:
    """Every finding, its words and their order, in every field, are those of trying every
    rule on every sentence of the text."""
    differences = _differences(word_lists(), texts())
    assert [] == differences[:5], f"{len(differences)} texts differ"


ADMINS_LIST = """\
jargon:
  phrases:
    - "#refund"
    - (#|no) refund
    - (T&C|t & c|terms) [apply]
    - CASE SENSITIVE
    - _under_scored
    - "... after gap"
    - phrase: (issue|problem) resolved
      needs: ["re:(?-i:OK)\\\\d+", "@group"]
      unless: [not really]
    - "re:(?i)fast\\\\s+track"
    - "re:(?:zz|yy)?q{2,}[0-9]"
    - "re:(?=lookahead)look"
    - "re:ſ+ ab"
    - ſtrange
    - "100%"
    - ü*
groups:
  group:
    - "[very] urgent"
    - re:\\bx{2}
"""


def test_an_admins_odd_phrases_are_read_alike(tmp_path) -> None:
    """An admin's phrases of every form (signs first, case kept, choices of several
    words, regular expressions with flags and lookarounds, letters outside ASCII) find
    the same as trying every rule."""
    extra = tmp_path / "words.yaml"
    extra.write_text(ADMINS_LIST, encoding="utf-8")
    lists = word_lists(extra)
    rng = random.Random(7)
    said = ["#refund now", "xno refund", "no refund", "the T & C apply", "CASE SENSITIVE",
            "case sensitive", "x_under_scored", "a b c after gap", "issue resolved OK12 urgent",
            "problem resolved ok12",
            "Problem resolved, OK7 but not really", "FAST  track", "qq1", "zzqqq9",
            "lookahead", "ſſ ab", "ſtrange Strange STRANGE", "100% sure", "Über über ü",
            "xx marks", "urgent issue resolved OK3"]
    texts = said + [" ".join(rng.choices(said + ODD + SIGNS, k=rng.randint(1, 8)))
                    for _ in range(400)]
    differences = _differences(lists, texts)
    assert [] == differences[:5], f"{len(differences)} texts differ"


def test_caseless_characters_read_alike() -> None:
    """Where the quick reading relies on lowered text, `re` ignoring case takes two of its
    characters as one exactly when their lower cases are one character and the same."""
    caseless = [chr(c) for c in range(0x3000)
                if re.fullmatch(f"[{wording._CASELESS}]", chr(c))]
    wrong = [(a, b) for a in caseless for b in caseless
             if bool(re.fullmatch(re.escape(a), b, re.IGNORECASE)) != (a.lower() == b.lower())
             or len(b.lower()) != 1]
    assert [] == wrong


@pytest.mark.parametrize("text", [
    pytest.param("x" * 131_072, id="a-long-word"),
    pytest.param("క" * 131_072, id="a-long-telugu-word"),
    pytest.param("a@" * 65_536, id="signs-of-an-address"),
    pytest.param(".,;:!?" * 21_846, id="signs"),
    pytest.param(" ".join("fghijklmno"[i % 10:] + "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq"
                          + str(i) for i in range(2_600)), id="long-words-each-new"),
])
def test_a_long_word_is_read_once(text: str) -> None:
    """131,072 characters without a space, or thousands of different long words, are
    read in a moment: as long as the text, not its square."""
    lists = word_lists()
    started = time.perf_counter()
    list(lists.scan(text, "complaint.summary"))
    assert time.perf_counter() - started < 10
