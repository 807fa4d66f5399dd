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

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from letterkit.errors import InputError
from letterkit.i18n.languages import locales_dir
from letterkit.kinds import ALL
from letterkit.sources import load_data_file

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

_Fold = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]
_SPELLING_FOLDS: list[_Fold] = [  # Telugu spelt several ways; regular expressions too
    (re.compile("[\u200c\u200d]"), ""),  # zero-width (non-)joiners
    (re.compile("ళ్ళ"), "ళ్ల"),  # మళ్ళీ / మళ్లీ
    (re.compile(rf"(?<=[{_TELUGU}])రు(?![{_TELUGU}])"), "ర్"),  # నంబరు / నంబర్
]
_FOLDS: list[_Fold] = [  # spellings that vary in real text, made one before matching
    # links and addresses are not wording: blanked, keeping their length
    # (An address's name starts where a run of its characters does, and is at most 64
    # long, as the mail rules say: so a long run of letters is read once, not once from
    # each of its letters.)
    (re.compile(r"\b(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+"),
     lambda m: " " * len(m.group(0))),
    # words in quotation marks are someone else's (what the customer was told)
    (re.compile("\u2018[^\u2019\n]{1,200}\u2019|\u201c[^\u201d\n]{1,200}\u201d|"
                "(?<!\\w)\"[^\"\n]{1,200}\"(?!\\w)"), lambda m: " " * len(m.group(0))),
    (re.compile("[\u2018\u2019\u02bc]"), "'"),
    (re.compile("[\u201c\u201d]"), '"'),
    (re.compile("[\u2010-\u2015]"), "-"),
    *_SPELLING_FOLDS,
    (re.compile(r"(?<=\d)\s*శాతం"), "%"),  # 100 శాతం / 100%
    (re.compile("[\u0c66-\u0c6f]"), lambda m: str(ord(m.group(0)) - 0x0C66)),  # ౧౦౦ / 100
]


def normalise(text: str) -> str:
    """Text as the checks read it: one spelling for what real text writes several ways."""
    return _folded(text)[0]


def _folded(text: str) -> tuple[str, list[int]]:
    """The normalised text, and for each of its characters the index of the character it
    came from in the (NFC) text, so that a quote shows what staff wrote."""
    text = unicodedata.normalize("NFC", text)
    origin = list(range(len(text)))
    for pattern, replacement in _FOLDS:
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


def _section(field: str) -> str:
    """The record field a text stands in, without its item number: findings.2 -> findings."""
    return re.sub(r"\.\d+(\.what)?$", "", field)


@dataclass(frozen=True)
class Phrase:
    """A phrase as a pattern, with the cheap test that rules most sentences out. The
    pattern is compiled when a sentence first passes the test: most never do in a run,
    and compiling them all would add most of a second to every start."""

    source: str
    flags: int
    anchors: tuple[str, ...]  # one of these stands in any text the pattern matches
    any_case: bool

    @classmethod
    def of(cls, phrase: str) -> Phrase:
        """ValueError says what in the phrase is wrong."""
        source, flags = _pattern_source(phrase)
        any_case = bool(flags & re.IGNORECASE)
        found = _regex_anchors(source) if phrase.startswith("re:") else \
            _anchor_set(_tokens(normalise(phrase)))
        anchors = tuple(sorted(a.lower() if any_case else a for a in found)) if found else ("",)
        return cls(source, flags, anchors, any_case)

    @property
    def pattern(self) -> re.Pattern[str]:
        compiled: re.Pattern[str] | None = self.__dict__.get("_compiled")
        if compiled is None:  # (functools.cached_property takes a lock on every read)
            compiled = re.compile(self.source, self.flags)
            object.__setattr__(self, "_compiled", compiled)
        return compiled

    def search(self, sentence: str, lowered: str, *, anchored: bool = False
               ) -> re.Match[str] | None:
        """The first match in the sentence; `anchored`: its anchor is known to be there."""
        if not anchored:
            haystack = lowered if self.any_case else sentence
            if not any(anchor in haystack for anchor in self.anchors):
                return None
        return self.pattern.search(sentence)


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
        if len(self.phrases) == 1:  # the scan found its anchor
            match = self.phrases[0].search(sentence, lowered, anchored=True)
        else:
            match = next(filter(None, (p.search(sentence, lowered) for p in self.phrases)),
                         None)
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
        self.rules = rules
        self.sections: dict[str | None, frozenset[int]] = {}

    def holding_in(self, field: str | None) -> frozenset[int]:
        """The rules that hold in a field."""
        section = None if field is None else _section(field)
        if section not in self.sections:
            self.sections[section] = frozenset(
                n for n, rule in enumerate(self.rules) if rule.holds_in(field))
        return self.sections[section]

    def candidates(self, sentence: str, lowered: str) -> set[int]:
        found = set(self.always)
        for any_case, haystack in ((0, sentence), (1, lowered)):
            pattern = self.patterns[any_case]
            if pattern is None:
                continue
            for longest in {m.group(1) for m in pattern.finditer(haystack)}:
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

def _tokens(phrase: str) -> list[str]:
    """A phrase's words, (alternatives) and [optional words] each as one token."""
    return [token for token in _split(phrase, str.isspace) if token]


def _alternatives(inside: str) -> list[str]:
    """The choices inside (a|b) or [a|b]."""
    return _split(inside, "|".__eq__)


def _split(text: str, at: Callable[[str], bool]) -> list[str]:
    """The text split at each character `at` accepts outside brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if depth == 0 and at(char):
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


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


def _sequence(tokens: list[str], last: bool = True) -> str:
    out, pending_gap = "", False
    for n, token in enumerate(tokens):
        is_last = last and n == len(tokens) - 1
        if token == "...":
            pending_gap = True
            continue
        if token[:1] + token[-1:] in ("[]", "()"):
            alternatives = [_sequence(_tokens(a), is_last) for a in _alternatives(token[1:-1])]
            if not all(alternatives):
                raise ValueError(f"{token}: an empty choice")
            piece, optional = f"(?:{'|'.join(alternatives)})", token[0] == "["
        elif _NOT_A_WORD.search(token):
            raise ValueError(f"{token!r} is not a word; write [word] for an optional word, "
                             "(a|b) for either, or start the phrase with re: for a regular "
                             "expression")
        else:
            piece, optional = _word(token, is_last), False
        joint = "" if not out else (_GAP + r"\s+" if pending_gap else r"\s+")
        pending_gap = False
        out += f"(?:{joint}{piece})?" if optional else joint + piece
    return out.removeprefix(r"\s+")


def _pattern_source(phrase: str) -> tuple[str, int]:
    """A phrase's pattern, on normalised text, and its flags: whole words; ALL-CAPS
    abbreviations as written, the rest in any case; `*` ends a word with any ending; a
    Telugu phrase's last word takes any ending; `(a|b)` either; `[a]` or `[a|b]` optional;
    `...` a few words between. A pattern built from a phrase is valid by construction; a
    regular expression is compiled once to be sure. ValueError says what is wrong."""
    if phrase.startswith("re:"):  # a regular expression, for what the phrases cannot say
        source = phrase[3:].strip()
        for fold, replacement in _SPELLING_FOLDS:  # Telugu words in it spelt as text is read
            source = fold.sub(replacement, source)
        try:
            re.compile(source, re.IGNORECASE)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return source, re.IGNORECASE
    phrase = normalise(phrase)
    if phrase.count("(") != phrase.count(")") or phrase.count("[") != phrase.count("]"):
        raise ValueError("a bracket is not closed")
    body = _sequence(_tokens(phrase))
    plain = re.sub(r"[()\[\]|*]|\.\.\.", "", phrase).strip()
    start = rf"(?<!{_LETTER})" if re.match(_LETTER, plain) else ""
    end = rf"(?!{_LETTER})" if re.search(rf"{_LETTER}$", plain) else ""
    flags = 0 if plain.isupper() and plain.isascii() else re.IGNORECASE
    return start + body + end, flags


def _regex_anchors(source: str) -> set[str] | None:
    """Literal runs a regular expression cannot match without, for the quick test, read
    from its parse (Python's own parser; anything unexpected means no cheap test)."""
    import importlib

    c: Any = importlib.import_module("re._constants")  # private: no type stubs
    parser: Any = importlib.import_module("re._parser")

    def best(items: Any) -> set[str] | None:
        found: set[str] | None = None
        run = ""

        def keep(choice: set[str] | None) -> None:
            nonlocal found
            if choice and all(choice) and (
                    found is None or min(map(len, choice)) > min(map(len, found))):
                found = choice

        for op, value in items:
            if op is c.LITERAL:
                run += chr(value)
                continue
            keep({run} if run else None)
            run = ""
            if op is c.BRANCH:
                options = [best(option) for option in value[1]]
                keep(set().union(*options) if all(options) else None)  # type: ignore[arg-type]
            elif op is c.SUBPATTERN:
                keep(best(value[-1]))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and value[0] >= 1:
                keep(best(value[2]))
        keep({run} if run else None)
        return found

    try:
        return best(parser.parse(source))
    except Exception:  # noqa: BLE001 - a parser detail changed: fall back to no test
        return None


def _anchor_set(tokens: list[str]) -> set[str] | None:
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
    return best


# --- the lists ----------------------------------------------------------------------

@functools.cache
def word_lists(extra: Path | None = None) -> WordLists:
    """Every language's lists (text in one language often borrows the other's words),
    with the admins' extra phrases."""
    sources = sorted(locales_dir().glob("*/practice.yaml"))
    if extra is not None:
        sources.append(extra)
    rules: list[Rule] = []
    apology: list[Phrase] = []
    known: set[str] = set()
    abbreviation_fields: tuple[str, ...] = ()
    abbreviation_words: tuple[str, str, str] | None = None
    for path in sources:
        data = load_data_file(path)
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
        return Phrase.of(str(phrase))
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

