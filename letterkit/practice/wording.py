"""The wording a complaint letter must not use (the sins of service), in English and Telugu:
word lists, and scanning text against them sentence by sentence.

Word lists are data: `locales/<lang>/practice.yaml`, plus the config's `practice_words`.
A phrase is written in a small language (see README, "The practice checks"): words, `*` for
any ending, `(a|b)` for either, `[a]` for an optional word, `...` for a few words between;
`re:` starts a regular expression instead.
A phrase may need another in the same sentence (`needs`: a rule word is a sin only with a
refusal), be excused by one (`unless`: "under guarantee" is a warranty, not a promise), or
hold only in some fields (`except_in`: an honest finding may name a rule; `in_templates:
false`: staff's text only, as a template's label may name a reference number).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from letterkit.cache import kept
from letterkit.errors import InputError
from letterkit.i18n.languages import locales_dir
from letterkit.kinds import ALL
from letterkit.sources import load_data_file, load_shipped_file, read_text

SINS = ("jargon", "blame", "rulebook", "runaround", "brushoff", "guarantee", "apathy",
        "coldness", "robotism")
_TELUGU = "\u0c00-\u0c7f"
_LETTER = rf"[\w{_TELUGU}]"
_NOT_A_WORD = re.compile(r"[()\[\]|?{}\\^]|\*(?!$)")  # regular-expression signs in a phrase word
_SANDHI_VOWELS = "\u0c41"  # a final ు, which sandhi drops before an ending (కాదు + అని)
_GAP = r"(?:\s+\S+){0,5}?"  # `...`: up to five words between
_SENTENCE_END = re.compile(r"(?<=[.!?;।])\s+|\n+")
# Words that end in a full stop without ending the sentence: "policy No. 3", "నం. 3".
_SHORT_FORM = re.compile(r"(?<![\w.])(?:(?:dr|mr|mrs|ms|prof|st|rs|vs|e\.g|i\.e|డా|ప్రొ|శ్రీ|రూ)"
                         r"|(?P<number>no|nos|ref|నం))\.$", re.IGNORECASE)
_LONGEST_SHORT_FORM = 8  # characters, with its full stop
_ABBREVIATION = re.compile(r"(?<![\w+&-])([A-Z][A-Z0-9&+]{1,7})(?![\w&+-])")
# Characters that `re`, ignoring case, takes as equal exactly when their lower cases are
# (one character each): ASCII, Telugu, punctuation, currency signs. Text of these alone
# holds a phrase's lowered words wherever its pattern matches, which the quick reading
# relies on; other text (ſ is s to `re`, İ lowers to two characters) is read as before.
_CASELESS = ("\x00-\x7f\u00a0-\u00b4\u00b6-\u00bf\u00d7\u00f7\u0964\u0965"
             f"{_TELUGU}\u2000-\u206f\u20a0-\u20cf")
_CASELESS_TEXT = re.compile(f"[{_CASELESS}]*")
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_]+")  # a word a need may hold whole
_LETTERS = re.compile(f"{_LETTER}+")  # a whole word, as a phrase's pattern reads one
_DIGIT = re.compile(r"\d")
_A_DIGIT = "  \\d"  # the piece a run with a digit holds (two spaces: no other piece has)
_SHORT_RUN = 48  # characters: a longer run between spaces is searched for each piece
_REMEMBERED_RUN = 256  # characters: a longer run is not worth remembering
_REMEMBERED_RUNS = 20_000  # runs remembered at most (some 12 MiB), then forgotten at once

# What any text a phrase matches holds, as pieces of its lowered text: every clause of a
# Need; a clause by one of its pieces, or by meeting one of its inner Needs (a choice of
# several words: "(terms and conditions|T&C)"). A piece is a run of characters without
# spaces; " word" (a space first) that word whole; `_A_DIGIT` a digit.
Need: TypeAlias = tuple["Clause", ...]
Clause: TypeAlias = tuple[frozenset[str], tuple["Need", ...]]

# A fold: what it finds, what it writes instead, and signs one of which all it finds
# holds (a sign is looked for first: most text has none, and trying a pattern at every
# letter costs more).
_Fold = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str], tuple[str, ...]]
_SPELLING_FOLDS: list[_Fold] = [  # Telugu spelt several ways; regular expressions too
    (re.compile("[\u200c\u200d]"), "", ("\u200c", "\u200d")),  # zero-width (non-)joiners
    (re.compile("ళ్ళ"), "ళ్ల", ("ళ్ళ",)),  # మళ్ళీ / మళ్లీ
    (re.compile(rf"(?<=[{_TELUGU}])రు(?![{_TELUGU}])"), "ర్", ("రు",)),  # నంబరు / నంబర్
]
_FOLDS: list[_Fold] = [  # spellings that vary in real text, made one before matching
    # links and addresses are not wording: blanked, keeping their length
    # (An address's name starts where a run of its characters does, and is at most 64
    # long, as the mail rules say: so a long run of letters is read once, not once from
    # each of its letters.)
    (re.compile(r"\b(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+"),
     lambda m: " " * len(m.group(0)), ("http", "www.", "@")),
    # words in quotation marks are someone else's (what the customer was told)
    (re.compile("\u2018[^\u2019\n]{1,200}\u2019|\u201c[^\u201d\n]{1,200}\u201d|"
                "(?<!\\w)\"[^\"\n]{1,200}\"(?!\\w)"), lambda m: " " * len(m.group(0)),
     ("\u2018", "\u201c", '"')),
    (re.compile("[\u2018\u2019\u02bc]"), "'", ("\u2018", "\u2019", "\u02bc")),
    (re.compile("[\u201c\u201d]"), '"', ("\u201c", "\u201d")),
    (re.compile("[\u2010-\u2015]"), "-", tuple(map(chr, range(0x2010, 0x2016)))),
    *_SPELLING_FOLDS,
    (re.compile(r"(?<=\d)\s*శాతం"), "%", ("శాతం",)),  # 100 శాతం / 100%
    (re.compile("[\u0c66-\u0c6f]"), lambda m: str(ord(m.group(0)) - 0x0C66),  # ౧౦౦ / 100
     tuple(map(chr, range(0x0C66, 0x0C70)))),
]
# Text of ASCII alone can hold only these signs: without them, it has nothing to fold.
_ASCII_FOLD_SIGNS = tuple(sign for _, _, signs in _FOLDS for sign in signs if sign.isascii())


def normalise(text: str) -> str:
    """Text as the checks read it: one spelling for what real text writes several ways."""
    return _folded(text)[0]


def _folded(text: str) -> tuple[str, list[int]]:
    """The normalised text, and for each of its characters the index of the character it
    came from in the (NFC) text, so that a quote shows what staff wrote."""
    text = unicodedata.normalize("NFC", text)
    origin = list(range(len(text)))
    if text.isascii() and not any(sign in text for sign in _ASCII_FOLD_SIGNS):
        return text, origin
    for pattern, replacement, signs in _FOLDS:
        if not any(sign in text for sign in signs):
            continue
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


def _quote(original: str, origin: list[int], start: int, end: int) -> str:
    """The original words behind a span of the normalised text."""
    if start >= end or not origin:
        return original[start:end]
    last = origin[end - 1]
    while last + 1 < len(original) and original[last + 1] in "\u200c\u200d":
        last += 1
    return original[origin[start]:last + 1]


def _language_of(sentence: str) -> str:
    """The language a sentence is written in, as far as the lists need to know: Telugu
    if it has Telugu letters (English words are often borrowed), else English."""
    return "te" if re.search(f"[{_TELUGU}]", sentence) else "en"


@functools.lru_cache(maxsize=1024)  # read for every sentence; a record has few fields
def _section(field: str) -> str:
    """The record field a text stands in, without its item number: findings.2 -> findings."""
    return re.sub(r"\.\d+(\.what)?$", "", field)


@dataclass(frozen=True)
class Phrase:
    """A phrase as a pattern, with the cheap tests that rule most sentences out. The
    pattern is written, and compiled, when a sentence first passes them: most never do
    in a run, and making them all would add most of a second to every start."""

    text: str  # the phrase, normalised; or its regular expression (`regex`)
    flags: int
    anchors: tuple[str, ...]  # one of these stands in any text the pattern matches
    any_case: bool
    # What any text the pattern matches holds, more closely (see `Need`); None: nothing sure.
    need: Need | None = dataclasses.field(default=None, compare=False, repr=False)
    regex: bool = False

    @classmethod
    def of(cls, phrase: str) -> Phrase:
        """ValueError says what in the phrase is wrong."""
        if phrase.startswith("re:"):  # a regular expression, for what the phrases cannot say
            compiled = _regex(phrase[3:])
            items = _parsed(compiled.pattern)
            found = _regex_anchors(items)
            anchors = tuple(sorted(a.lower() for a in found)) if found else ("",)
            need = _regex_need(items)
            made = cls(compiled.pattern, re.IGNORECASE, anchors, True, need, regex=True)
            object.__setattr__(made, "_compiled", compiled)
            return made
        plain = normalise(phrase)
        if plain.count("(") != plain.count(")") or plain.count("[") != plain.count("]"):
            raise ValueError("a bracket is not closed")
        tokens = _tokens(plain)
        _check(tokens)
        bare = _bare(plain)
        any_case = not (bare.isupper() and bare.isascii())  # ALL-CAPS ASCII: as written
        words = _anchor_set(tokens)
        anchors = tuple(sorted(a.lower() if any_case else a for a in words)) if words else ("",)
        # (without a surer need, the anchors: better than trying the pattern everywhere)
        bounded = bool(re.match(_LETTER, bare))  # as the pattern's start says
        need = _need(tokens, bounded) or _need_of_any(words or ())
        return cls(plain, re.IGNORECASE if any_case else 0, anchors, any_case, need)

    @property
    def source(self) -> str:
        """The pattern, as a regular expression."""
        return self.text if self.regex else _pattern_source(self.text)

    @property
    def pattern(self) -> re.Pattern[str]:
        compiled: re.Pattern[str] | None = self.__dict__.get("_compiled")
        if compiled is None:  # (functools.cached_property takes a lock on every read)
            compiled = re.compile(self.source, self.flags)
            object.__setattr__(self, "_compiled", compiled)
        return compiled

    def __getstate__(self) -> dict[str, Any]:
        # Kept without its compiled pattern (see letterkit.cache): loading one compiles it
        # again, and the lists' every start would pay for patterns few letters use.
        return {name: value for name, value in self.__dict__.items() if name != "_compiled"}

    def search(self, sentence: str, lowered: str) -> re.Match[str] | None:
        """The first match in the sentence (`lowered`: the sentence in lower case). The
        anchors are looked for even in text the need says may match: where `re` reads
        case as lowering does not (ſ is s to it), they keep what they always found."""
        haystack = lowered if self.any_case else sentence
        if not any(anchor in haystack for anchor in self.anchors):
            return None
        return self.pattern.search(sentence)


_phrase = functools.cache(Phrase.of)  # a phrase several rules share is read once


@dataclass(frozen=True)
class Rule:
    """One phrase (or group of phrases) of one sin, and where it holds."""

    sin: str
    phrase: str
    phrases: tuple[Phrase, ...]
    problem: str
    practice: str
    suggestion: str
    needs: tuple[Phrase, ...] = ()
    unless: tuple[Phrase, ...] = ()
    only_in: tuple[str, ...] = ()
    except_in: tuple[str, ...] = ()
    language: str | None = None  # for phrases of symbols only ("100%"): whose `unless` holds
    in_templates: bool = True  # False: staff's text only (a template's label may say it)

    def holds_in(self, field: str | None) -> bool:
        if field is None:  # a template's own wording
            return self.in_templates and not self.only_in
        section = _section(field)
        return (not self.only_in or section in self.only_in) and section not in self.except_in

    def find(self, sentence: str, lowered: str) -> tuple[int, int] | None:
        """Where in the sentence the words that break this rule stand, if they do."""
        if self.language is not None and self.language != _language_of(sentence):
            return None
        match = next(filter(None, (p.search(sentence, lowered) for p in self.phrases)), None)
        if match is None:
            return None
        if self.needs and not any(p.search(sentence, lowered) for p in self.needs):
            return None
        if any(p.search(sentence, lowered) for p in self.unless):
            return None
        return match.span()


@dataclass(frozen=True)
class Abbreviations:
    """Jargon's commonest form: abbreviations the customer does not use (TAT, FE, ONT)."""

    known: frozenset[str]
    except_in: tuple[str, ...]
    problem: str
    practice: str
    suggestion: str
    sin: str = "jargon"

    def holds_in(self, field: str | None) -> bool:
        return field is None or _section(field) not in self.except_in

    def find(self, sentence: str, known: frozenset[str]) -> Iterator[tuple[int, int]]:
        seen = set()
        for match in _ABBREVIATION.finditer(sentence):
            word = match.group(1)
            if word not in self.known and word not in known and word not in seen:
                seen.add(word)
                yield match.span(1)


class _Index:
    """Which rules could be broken in a sentence, found without trying their patterns.

    Text of `_CASELESS` characters alone (nearly all text) is read by its runs between
    spaces: which pieces of the rules' needs a run holds is worked out once for each
    different run, and a rule is tried only where its whole need is met, not (as other
    text is, see `_Anchors`) wherever one of its words stands."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.sections: dict[str | None, frozenset[int]] = {}
        self.needs = tuple(_rule_need(rule) for rule in rules)
        self.unkeyed = frozenset(n for n, need in enumerate(self.needs) if need is None)
        # How many rules need each piece: a word many phrases use ("the", "your") is
        # common in text too, and makes a poor key.
        self.uses = Counter(piece for need in self.needs if need is not None
                            for piece in set(_pieces(need)))
        self.keys: dict[Need, frozenset[str]] = {}
        self.keyed: dict[str, set[int]] = {}  # a piece: the rules it is the key of
        # Each need as clauses of pieces alone (a choice of words as its key), the key's
        # own clause left out, for a quick test; the whole need where that is not all.
        self.quick: list[tuple[frozenset[str], ...]] = []
        self.whole: list[Need | None] = []
        for n, need in enumerate(self.needs):
            clauses = [self._clause_key(clause) for clause in need or ()]
            key = self._key(need) if need is not None else frozenset()
            for piece in key:
                self.keyed.setdefault(piece, set()).add(n)
            self.quick.append(tuple(sorted({c for c in clauses if c != key},
                                           key=self._rarity)))
            self.whole.append(need if need and any(inner for _, inner in need) else None)
        self.pieces = frozenset(self.uses)
        self.sizes = sorted({len(piece) for piece in self.pieces if not piece.startswith(" ")})
        self.runs: dict[str, tuple[frozenset[str], frozenset[int]]] = {}

    def holding_in(self, field: str | None) -> frozenset[int]:
        """The rules that hold in a field."""
        section = None if field is None else _section(field)
        if section not in self.sections:
            self.sections[section] = frozenset(
                n for n, rule in enumerate(self.rules) if rule.holds_in(field))
        return self.sections[section]

    def candidates(self, sentence: str, lowered: str) -> set[int]:
        if not _CASELESS_TEXT.fullmatch(sentence):
            return self._anchors.candidates(sentence, lowered)
        found: set[str] = set()
        rules = set(self.unkeyed)
        for run in lowered.split():
            pieces, keyed = self.runs.get(run) or self._read(run)
            found |= pieces
            rules |= keyed
        likely = set()
        for n in rules:
            for pieces in self.quick[n]:
                if pieces.isdisjoint(found):
                    break
            else:
                whole = self.whole[n]
                if whole is None or _met(whole, found):
                    likely.add(n)
        return likely

    def _read(self, run: str) -> tuple[frozenset[str], frozenset[int]]:
        """The pieces a run of text holds, and the rules whose key they are."""
        if len(run) <= _SHORT_RUN:
            pieces = self.pieces.intersection(
                run[start:start + size] for start in range(len(run)) for size in self.sizes
                if start + size <= len(run))
        else:  # each piece looked for: as long as the run, not its square
            pieces = frozenset(piece for piece in self.pieces if piece in run)
        pieces |= self.pieces.intersection(f" {word}" for word in _LETTERS.findall(run))
        if _A_DIGIT in self.pieces and _DIGIT.search(run):
            pieces |= {_A_DIGIT}
        read = pieces, frozenset(n for piece in pieces for n in self.keyed.get(piece, ()))
        if len(run) <= _REMEMBERED_RUN:
            if len(self.runs) >= _REMEMBERED_RUNS:
                self.runs.clear()
            self.runs[run] = read
        return read

    def _key(self, need: Need) -> frozenset[str]:
        """Pieces one of which any text that meets the need holds: those of its rarest
        clause."""
        if need not in self.keys:
            self.keys[need] = min(map(self._clause_key, need), key=self._rarity)
        return self.keys[need]

    def _clause_key(self, clause: Clause) -> frozenset[str]:
        pieces, inner = clause
        return pieces.union(*map(self._key, inner)) if inner else pieces

    def _rarity(self, pieces: frozenset[str]) -> int:
        """How often text is likely to hold one of the pieces, as a rule: the more rules
        use them the commoner they are; a piece of a word shorter than three characters
        stands in almost every sentence."""
        return sum(self.uses[piece] + (100 if len(piece) < 3 else 0) for piece in pieces)

    @functools.cached_property
    def _anchors(self) -> _Anchors:
        return _Anchors(self.rules)


def _rule_need(rule: Rule) -> Need | None:
    """What any sentence that breaks the rule holds: the need of one of its phrases, and
    of one of the phrases it `needs`."""
    clauses = list(_any_of([phrase.need for phrase in rule.phrases]) or ())
    if rule.needs:
        clauses += [clause for clause in _any_of([phrase.need for phrase in rule.needs]) or ()
                    if clause not in clauses]
    return tuple(clauses) or None


class _Anchors:
    """Which rules could match a sentence, found in one pass over it: each phrase's
    anchors in one pattern per case (longest first, so that at each place the anchors
    found there are the longest one and those it begins with)."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.always: set[int] = set()
        self.by_anchor: tuple[dict[str, set[int]], dict[str, set[int]]] = ({}, {})
        for n, rule in enumerate(rules):
            for phrase in rule.phrases:
                if "" in phrase.anchors:
                    self.always.add(n)
                for anchor in phrase.anchors:
                    self.by_anchor[phrase.any_case].setdefault(anchor, set()).add(n)
        self.patterns = tuple(
            re.compile(f"(?=({_trie(anchors)}))") if anchors else None
            for anchors in (set(self.by_anchor[0]) - {""}, set(self.by_anchor[1]) - {""}))
        self.within = tuple({a: [a[:k] for k in range(1, len(a) + 1) if a[:k] in table]
                             for a in table} for table in self.by_anchor)

    def candidates(self, sentence: str, lowered: str) -> set[int]:
        found = set(self.always)
        for any_case, haystack in ((0, sentence), (1, lowered)):
            pattern = self.patterns[any_case]
            if pattern is None:
                continue
            for longest in set(pattern.findall(haystack)):
                for anchor in self.within[any_case][longest]:
                    found |= self.by_anchor[any_case][anchor]
        return found


def _trie(words: Iterable[str]) -> str:
    """A pattern for any of the words, as a trie (shared beginnings written once, which
    Python's regular expressions search far faster than a flat list), longest first."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + pattern(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body

    return pattern(tree)


@dataclass(frozen=True)
class WordLists:
    rules: tuple[Rule, ...]
    apology: tuple[Phrase, ...]
    abbreviations: Abbreviations | None = None

    @functools.cached_property
    def _index(self) -> _Index:
        return _Index(self.rules)

    def indexed(self) -> WordLists:
        """The lists with their index built (to be kept with them)."""
        assert self._index is not None
        return self

    def scan(self, text: str, field: str | None = None,
             known: Iterable[str] = ()) -> Iterator[tuple[Rule | Abbreviations, str]]:
        """Each rule the text breaks in `field`, sentence by sentence, with the words as
        they stand; words quoted for one rule are not quoted again. `known` are words of
        the record itself (names, references) that are never jargon."""
        known_words = frozenset(known)
        original = unicodedata.normalize("NFC", text)
        plain, origin = _folded(text)
        holding = self._index.holding_in(field)
        for start, end in _sentences(plain):
            sentence = plain[start:end]
            lowered = sentence.lower()
            taken: list[tuple[int, int]] = []
            found: list[tuple[Rule | Abbreviations, tuple[int, int]]] = []
            for n in sorted(self._index.candidates(sentence, lowered) & holding):
                span = self.rules[n].find(sentence, lowered)  # in list order
                if span is not None:
                    found.append((self.rules[n], span))
            if self.abbreviations is not None and self.abbreviations.holds_in(field):
                found += [(self.abbreviations, span)
                          for span in self.abbreviations.find(sentence, known_words)]
            for broken, (a, b) in found:
                if not any(a < y and x < b for x, y in taken):  # words quoted once
                    taken.append((a, b))
                    yield broken, _quote(original, origin, start + a, start + b)

    def apologises(self, text: str) -> bool:
        plain = normalise(text)
        return any(p.search(plain, plain.lower()) for p in self.apology)


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    """Where the text's sentences start and end."""
    start = 0
    for gap in _SENTENCE_END.finditer(text):
        # Only the last word before the gap can be a short form ("prof.", "e.g."): looking
        # from the sentence's start each time would read a long sentence again and again.
        short = None if "\n" in gap.group(0) else _SHORT_FORM.search(
            text, max(start, gap.start() - _LONGEST_SHORT_FORM), gap.start())
        if short and (not short.group("number") or text[gap.end():gap.end() + 1].isdigit()):
            continue  # "Dr. Rao", "No. 3": the sentence goes on
        yield start, gap.start()
        start = gap.end()
    yield start, len(text)


# --- the phrase language ----------------------------------------------------------------
# Phrases share their words and choices ("(our|my)", a group's phrases as `needs`): each
# is read once, and what is made of it kept (`_reading`).

_reading = functools.lru_cache(maxsize=16_384)


@_reading
def _tokens(phrase: str) -> tuple[str, ...]:
    """A phrase's words, (alternatives) and [optional words] each as one token."""
    return tuple(token for token in _split(phrase, _WORD_BREAK) if token)


@_reading
def _alternatives(inside: str) -> tuple[str, ...]:
    """The choices inside (a|b) or [a|b]."""
    return tuple(_split(inside, _CHOICE_BREAK))


_WORD_BREAK = re.compile(r"[()\[\]]|\s")  # (\s is what str.isspace says is a space)
_CHOICE_BREAK = re.compile(r"[()\[\]|]")


def _split(text: str, breaks: re.Pattern[str]) -> list[str]:
    """The text split at each of `breaks` outside brackets (a bracket is never one)."""
    parts, depth, start = [], 0, 0
    for found in breaks.finditer(text):
        char = found.group()
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0:
            parts.append(text[start:found.start()])
            start = found.end()
    return [*parts, text[start:]]


@_reading
def _word(word: str, last: bool) -> str:
    stem = word.rstrip("*")
    telugu = any("\u0c00" <= c <= "\u0c7f" for c in stem)
    piece = re.escape(stem)
    if telugu and stem.endswith("\u0c4d"):
        word += "*"  # a borrowed word ending in a consonant takes endings anywhere: టీమ్‌కు
    if telugu and (last or word.endswith("*")) and (stem[-1] in _SANDHI_VOWELS
                                                    or stem.endswith("ర్")):
        # sandhi drops a final vowel (జరగదు + అని = జరగదని), and an ending follows a
        # final ర్ as రు (వినియోగదార్ = వినియోగదారు, వినియోగదారుడా)
        piece = re.escape(stem[:-1])
    if word.endswith("*") or (telugu and last):
        piece += f"{_LETTER}*"  # Telugu inflects by endings: కాదు, కాదండి, కాదని
    elif re.search(f"{_LETTER}$", stem):
        piece += f"(?!{_LETTER})"  # a whole word: "no" is not the start of "now"
    return piece


@_reading
def _sequence(tokens: tuple[str, ...], last: bool = True) -> str:
    out, pending_gap = "", False
    for n, token in enumerate(tokens):
        is_last = last and n == len(tokens) - 1
        if token == "...":
            pending_gap = True
            continue
        if token[:1] + token[-1:] in ("[]", "()"):  # (what `_check` lets through)
            alternatives = [_sequence(_tokens(a), is_last) for a in _alternatives(token[1:-1])]
            piece, optional = f"(?:{'|'.join(alternatives)})", token[0] == "["
        else:
            piece, optional = _word(token, is_last), False
        joint = "" if not out else (_GAP + r"\s+" if pending_gap else r"\s+")
        pending_gap = False
        out += f"(?:{joint}{piece})?" if optional else joint + piece
    return out.removeprefix(r"\s+")


def _pattern_source(phrase: str) -> str:
    """A phrase's pattern, on normalised text (the phrase normalised, and checked by
    `_check`): whole words; `*` ends a word with any ending; a Telugu phrase's last word
    takes any ending; `(a|b)` either; `[a]` or `[a|b]` optional; `...` a few words
    between. (Its case: see `Phrase.of`.)"""
    body = _sequence(_tokens(phrase))
    plain = _bare(phrase)
    start = rf"(?<!{_LETTER})" if re.match(_LETTER, plain) else ""
    end = rf"(?!{_LETTER})" if re.search(rf"{_LETTER}$", plain) else ""
    return start + body + end


@_reading
def _check(tokens: tuple[str, ...]) -> None:
    """What in a phrase's words `_sequence` cannot write, said as it would say it (the
    first in its order): ValueError."""
    for token in tokens:
        if token == "...":
            continue
        if token[:1] + token[-1:] in ("[]", "()"):
            options = [_tokens(option) for option in _alternatives(token[1:-1])]
            for option in options:
                _check(option)
            if not all(any(word != "..." for word in option) for option in options):
                raise ValueError(f"{token}: an empty choice")
        elif _NOT_A_WORD.search(token):
            raise ValueError(f"{token!r} is not a word; write [word] for an optional word, "
                             "(a|b) for either, or start the phrase with re: for a regular "
                             "expression")


def _bare(phrase: str) -> str:
    """A phrase's words without its signs."""
    return re.sub(r"[()\[\]|*]|\.\.\.", "", phrase).strip()


def _regex(source: str) -> re.Pattern[str]:
    """A `re:` phrase's regular expression, compiled (to be sure it is one), in any case,
    its Telugu words spelt as text is read. ValueError says what is wrong."""
    source = source.strip()
    for fold, replacement, _ in _SPELLING_FOLDS:
        source = fold.sub(replacement, source)
    try:
        return re.compile(source, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"not a regular expression: {error}") from None


def _parsed(source: str) -> Any:
    """A regular expression as Python's own parser reads it (private: no type stubs), or
    None if that changed: then it has no quick tests."""
    try:
        return importlib.import_module("re._parser").parse(source)
    except Exception:  # noqa: BLE001 - a parser detail changed: fall back to no test
        return None


_OP: Any = importlib.import_module("re._constants")  # private: no type stubs


def _regex_anchors(items: Any) -> set[str] | None:
    """Literal runs a regular expression (as parsed) cannot match without, for the quick
    test; anything unexpected means no test."""
    def best(items: Any) -> set[str] | None:
        found: set[str] | None = None
        run = ""

        def keep(choice: set[str] | None) -> None:
            nonlocal found
            if choice and all(choice) and (
                    found is None or min(map(len, choice)) > min(map(len, found))):
                found = choice

        for op, value in items:
            if op is _OP.LITERAL:
                run += chr(value)
                continue
            keep({run} if run else None)
            run = ""
            if op is _OP.BRANCH:
                options = [best(option) for option in value[1]]
                keep(set().union(*options) if all(options) else None)  # type: ignore[arg-type]
            elif op is _OP.SUBPATTERN:
                keep(best(value[-1]))
            elif op in (_OP.MAX_REPEAT, _OP.MIN_REPEAT, _OP.POSSESSIVE_REPEAT) and value[0] >= 1:
                keep(best(value[2]))
        keep({run} if run else None)
        return found

    try:
        return best(items) if items is not None else None
    except Exception:  # noqa: BLE001 - a parser detail changed: fall back to no test
        return None


def _regex_need(items: Any) -> Need | None:
    """What any match of a regular expression (as parsed) holds: read as `_regex_anchors`
    reads it, each literal run's words and every part it cannot match without; anything
    unexpected means no need."""
    def need(items: Any) -> Need | None:
        clauses: list[Clause] = []

        def keep(more: Need | None) -> None:
            clauses.extend(clause for clause in more or () if clause not in clauses)

        run = ""
        for op, value in items:
            if op is _OP.LITERAL:
                run += chr(value)
                continue
            keep(_words_need(run.split()))
            run = ""
            if op is _OP.BRANCH:
                keep(_any_of([need(option) for option in value[1]]))
            elif op is _OP.IN and value == [(_OP.CATEGORY, _OP.CATEGORY_DIGIT)]:  # \d
                keep(((frozenset({_A_DIGIT}), ()),))
            elif op is _OP.SUBPATTERN:
                keep(need(value[-1]))
            elif op in (_OP.MAX_REPEAT, _OP.MIN_REPEAT, _OP.POSSESSIVE_REPEAT) and value[0] >= 1:
                keep(need(value[2]))
        keep(_words_need(run.split()))
        return tuple(clauses) or None

    try:
        return need(items) if items is not None else None
    except Exception:  # noqa: BLE001 - a parser detail changed: fall back to no need
        return None


@_reading
def _anchor_set(tokens: tuple[str, ...]) -> frozenset[str] | None:
    """Literal pieces one of which any match of a phrase contains, for a cheap test before
    the pattern: of its required words, the one whose spellings are longest."""
    best: set[str] | None = None
    for token in tokens:
        if token == "..." or token.startswith("["):
            continue  # a match need not contain it
        choice: set[str] | None
        if token.startswith("("):
            choice = set()
            for option in _alternatives(token[1:-1]):
                inner = _anchor_set(_tokens(option))
                if inner is None:
                    choice = None
                    break
                choice |= inner
        else:
            word = token.rstrip("*")
            if word and (word[-1] in _SANDHI_VOWELS or word.endswith("\u0c4d")):
                word = word[:-1]  # sandhi may drop it; ర్ is read as రు before an ending
            choice = {word} if word else None
        if choice and (best is None or min(map(len, choice)) > min(map(len, best))):
            best = choice
    return frozenset(best) if best is not None else None


@_reading
def _need(tokens: tuple[str, ...], bounded: bool) -> Need | None:
    """What any match of a phrase's words holds (see `Need`): each required word, one of
    the choices of each (a|b); [optional] words and `...` hold nothing sure. A word is
    read as `_anchor_set` reads it, lowered; a plain word (ASCII letters and digits) as
    a whole word when a non-letter comes before it (a space does, but before the first:
    there, only when the phrase is `bounded`, as its pattern says)."""
    clauses: list[Clause] = []
    first = True
    for token in tokens:
        if token == "...":
            continue
        whole, first = bounded or not first, False
        if token.startswith("["):
            continue
        if token.startswith("("):
            need = _any_of([_need(_tokens(option), whole)
                            for option in _alternatives(token[1:-1])])
        elif whole and _PLAIN_WORD.fullmatch(token):
            need = ((frozenset({f" {token.lower()}"}), ()),)
        else:
            need = _need_of_any(_anchor_set((token,)) or ())
        clauses += [clause for clause in need or () if clause not in clauses]
    return tuple(clauses) or None


def _words_need(words: list[str]) -> Need | None:
    """The need for each of these words."""
    return tuple(clause for word in words for clause in _need_of_any([word]) or ()) or None


def _need_of_any(pieces: Iterable[str]) -> Need | None:
    """The need for one of these pieces of text (lowered), if none is empty or has a
    space, and each is made only of `_CASELESS` characters."""
    found = frozenset(pieces)
    if not found or not all(piece and " " not in piece
                            and _CASELESS_TEXT.fullmatch(piece) for piece in found):
        return None
    return ((frozenset(piece.lower() for piece in found), ()),)


def _any_of(needs: list[Need | None]) -> Need | None:
    """The need met by meeting any of these; None if one of them holds nothing sure."""
    sure = [need for need in needs if need is not None]
    if not sure or len(sure) < len(needs):
        return None
    if len(sure) == 1:
        return sure[0]
    pieces: set[str] = set()
    inner: list[Need] = []
    for need in sure:
        if len(need) == 1:  # one clause: its choices are choices here
            pieces |= need[0][0]
            inner += need[0][1]
        else:
            inner.append(need)
    return ((frozenset(pieces), tuple(inner)),)


def _met(need: Need, found: Set[str]) -> bool:
    """Whether text whose pieces are `found` meets the need."""
    for pieces, inner in need:
        if pieces.isdisjoint(found) and not any(_met(choice, found) for choice in inner):
            return False
    return True


def _pieces(need: Need) -> Iterator[str]:
    """Every piece a need names."""
    for pieces, inner in need:
        yield from pieces
        for choice in inner:
            yield from _pieces(choice)


# --- the lists ----------------------------------------------------------------------

@functools.cache
def word_lists(extra: Path | None = None) -> WordLists:
    """Every language's lists (text in one language often borrows the other's words),
    with the admins' extra phrases. Built once and kept in the user's cache (a fifth of a
    second a start otherwise), for as long as the lists and this code are the same."""
    shipped = sorted(locales_dir().glob("*/practice.yaml"))
    sources = [*shipped, *([extra] if extra is not None else [])]
    try:
        # The code: this module's, and the fields of the kinds' text (`except_in:`).
        here = Path(__file__)
        code = [here.read_bytes(), (here.parent.parent / "kinds.py").read_bytes()]
        names = [str(path).encode("utf-8", "surrogateescape") for path in sources]
        contents = [path.read_bytes() for path in shipped]
        if extra is not None:
            contents.append(read_text(extra).encode("utf-8"))
        inputs = [*code, *names, *contents]
    except (OSError, InputError):
        return _built_word_lists(shipped, sources)  # says what is wrong with a list
    return kept("word-lists", inputs, lambda: _built_word_lists(shipped, sources).indexed(),
                WordLists)


def _built_word_lists(shipped: list[Path], sources: list[Path]) -> WordLists:
    rules: list[Rule] = []
    apology: list[Phrase] = []
    known: set[str] = set()
    abbreviation_fields: tuple[str, ...] = ()
    abbreviation_words: tuple[str, str, str] | None = None
    for path in sources:
        data = load_shipped_file(path) if path in shipped else load_data_file(path)
        if not isinstance(data, dict):
            raise InputError.at("expected sections such as jargon: and blame:", file=str(path))
        groups = {str(name): [_compiled(p, path, f"groups: {name}") for p in _listed(phrases)]
                  for name, phrases in _section_items(data.get("groups"), path, "groups")}
        for sin, section in data.items():
            if sin == "groups":
                continue
            if sin == "apology":
                apology += [_compiled(p, path, "apology") for p in _listed(section)]
                continue
            if sin not in SINS or not isinstance(section, dict):
                raise InputError.at(f"unknown section {sin!r}; expected one of: "
                                    f"{', '.join(SINS)}, apology, groups", file=str(path))
            words = (str(section.get("problem") or _SIN_PROBLEMS[sin]),
                     str(section.get("practice", "")), str(section.get("suggestion", "")))
            if "abbreviations" in section:
                spec = dict(_section_items(section["abbreviations"], path, f"{sin}: abbreviations"))
                known |= {str(w) for w in _listed(spec.get("known"))}
                abbreviation_fields += _fields(spec, "except_in", path, sin)
                abbreviation_words = abbreviation_words or words
            rules += [_rule(sin, item, words, section, groups, path)
                      for item in _listed(section.get("phrases"))]
    abbreviations = Abbreviations(frozenset(known), abbreviation_fields,
                                  *abbreviation_words) if abbreviation_words else None
    return WordLists(tuple(rules), tuple(apology), abbreviations)


def _rule(sin: str, item: Any, words: tuple[str, str, str], section: dict[str, Any],
          groups: dict[str, list[Phrase]], path: Path) -> Rule:
    spec = item if isinstance(item, dict) else {"phrase": item}
    if "phrase" not in spec:
        raise InputError.at(f"{sin}: a phrase entry needs `phrase:`", file=str(path))
    unknown = sorted(set(map(str, spec)) - set(_PHRASE_KEYS))
    if unknown:
        raise InputError.at(f"{sin}: {spec['phrase']}: unknown key {unknown[0]!r}; expected "
                            f"one of: {', '.join(_PHRASE_KEYS)}", file=str(path))
    phrase = str(spec["phrase"])

    def phrases(entries: list[Any], where: str) -> tuple[Phrase, ...]:
        """Phrases, with `@name` for each phrase of a group."""
        found: list[Phrase] = []
        for entry in map(str, entries):
            if entry.startswith("@"):
                if entry[1:] not in groups:
                    raise InputError.at(f"{where}: no group named {entry[1:]!r}; "
                                        f"the groups are: {', '.join(groups) or 'none'}",
                                        file=str(path))
                found += groups[entry[1:]]
            else:
                found.append(_compiled(entry, path, where))
        return tuple(found)

    def patterns(key: str) -> tuple[Phrase, ...]:
        """The phrase's own `needs` or `unless`, else its section's."""
        return phrases(_listed(spec[key] if key in spec else section.get(key)),
                       f"{sin}: {phrase}: {key}")

    def fields(key: str) -> tuple[str, ...]:
        return _fields(spec, key, path, sin) + _fields(section, key, path, sin)

    wordless = not re.search(r"[^\W\d_]", re.sub(r"^re:", "", phrase))
    return Rule(sin, phrase, phrases([phrase], sin), *words, needs=patterns("needs"),
                unless=patterns("unless"),
                only_in=fields("only_in"), except_in=fields("except_in"),
                in_templates=spec.get("in_templates", True) is not False,
                language=path.parent.name if wordless and path.parent.parent == locales_dir()
                else None)


_PHRASE_KEYS = ("phrase", "needs", "unless", "only_in", "except_in", "in_templates")


def _compiled(phrase: Any, path: Path, where: str) -> Phrase:
    try:
        return _phrase(str(phrase))
    except ValueError as error:
        raise InputError.at(f"{where}: {phrase}: {error}", file=str(path)) from None


def _listed(value: Any) -> list[Any]:
    """A YAML list, a single entry standing for a list of one, or nothing."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _section_items(value: Any, path: Path, where: str) -> list[tuple[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise InputError.at(f"{where}: expected named entries (name: ...)", file=str(path))
    return [(str(k), v) for k, v in value.items()]


def _fields(spec: Any, key: str, path: Path, sin: str) -> tuple[str, ...]:
    """The record fields named under `key`, each one the checks read."""
    if not isinstance(spec, dict):
        return ()
    names = tuple(str(f) for f in _listed(spec.get(key)))
    readable = sorted({f for kind in ALL for f in kind.text_fields})
    for name in names:
        if name not in readable:
            raise InputError.at(f"{sin}: {key}: no record field {name!r}; expected one of: "
                                f"{', '.join(readable)}", file=str(path))
    return names


_SIN_PROBLEMS = {
    "jargon": "words the customer would not use",
    "blame": "blames someone or makes excuses",
    "rulebook": "answers with the rules",
    "runaround": "sends the customer elsewhere",
    "brushoff": "passes the customer on, or closes them off",
    "guarantee": "promises what cannot be guaranteed",
    "apathy": "sounds as if we do not really care",
    "coldness": "treats the problem as a formality",
    "robotism": "reads like a routine form",
}


def check_wording(text: str, lists: WordLists | None = None) -> list[tuple[str, str, str, str]]:
    """(words, problem, practice, suggestion) for wording a template adds."""
    lists = lists or word_lists()
    return [(words, rule.problem, rule.practice, rule.suggestion)
            for rule, words in lists.scan(text)]

