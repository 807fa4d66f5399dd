"""Checking a template an admin edited in Word, before any letter is made from it.

Each problem is one line in words an admin understands, with the paragraph (and whether it
sits in a table cell, a text box, a header or a footer) where it stands.
"""

from __future__ import annotations

import difflib
import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes

from letterkit.docx.environment import environment
from letterkit.docx.fields import FILTERS, field_tree
from letterkit.docx.find import kind_of_template
from letterkit.docx.limits import (
    HTML_FILTERS,
    MAX_BITS,
    MAX_DIGITS,
    MAX_LOOPS,
    MAX_RANGE,
    range_count,
    unreadable,
)
from letterkit.docx.messages import extract_docx
from letterkit.docx.parts import PartLocation, PartSource, paragraph_text, template_sources
from letterkit.errors import Problem, TemplateError
from letterkit.i18n.languages import SOURCE_LANGUAGE, ready_languages, translations
from letterkit.practice.wording import check_wording, word_lists

_GETTEXT = ("_", "gettext", "ngettext", "pgettext", "npgettext")
_TAGS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
_Message = tuple[int, str, Any, list[str]]  # as extract_docx yields it
_ALWAYS = {"loop", "caller", "varargs", "kwargs", "self", "super"}
_ANY: Any = object()  # a value whose shape the check does not follow
_OPENERS = {"if", "for", "macro", "call", "filter", "set", "with", "block", "trans", "raw",
            "autoescape"}


@dataclass
class CheckResult:
    template: Path
    problems: list[Problem] = field(default_factory=list)
    fields_used: set[str] = field(default_factory=set)
    messages: int = 0


def check_template(path: Path, languages: Iterable[str] | None = None) -> CheckResult:
    """Every problem letterkit can find in a template without a record: syntax, fields and
    filters that do not exist, Python internals, tags Word damaged, wording missing from
    the catalogs of `languages` (default: every language)."""
    result = CheckResult(path)
    try:
        data = path.read_bytes()
        parts = template_sources(data, name=str(path))
    except TemplateError as error:
        result.problems += error.problems
        return result
    except OSError as exc:
        result.problems.append(Problem(f"cannot be read: {exc.strerror}", file=str(path)))
        return result
    env = environment(SOURCE_LANGUAGE)
    for part in parts:
        _check_part(part, env, result)
    if not result.problems:
        messages = list(extract_docx(io.BytesIO(data), _GETTEXT, (), {"filename": str(path)}))
        result.messages = len(messages)
        _check_percent_signs(path, messages, result)
        _check_wording(path, messages, languages, result)
        _check_practice(path, parts, messages, languages, result)
    result.problems = list(dict.fromkeys(result.problems))  # one line per problem and place
    return result


@functools.lru_cache(maxsize=128)
def _cached_problems(path: str, mtime_ns: int, size: int, language: str) -> tuple[Problem, ...]:
    return tuple(check_template(Path(path), [language]).problems)


def ensure_usable(path: Path, language: str) -> None:
    """Refuse a custom template with problems before a letter is made from it (checked
    once per file version and language)."""
    stat = path.stat()
    problems = _cached_problems(str(path), stat.st_mtime_ns, stat.st_size, language)
    if problems:
        raise TemplateError(problems)


# --- one part --------------------------------------------------------------------------

def _check_part(part: PartSource, env: jinja2.Environment, result: CheckResult) -> None:
    where = PartLocation(str(result.template), part.name, part.source.splitlines())
    try:
        tree = env.parse(part.source)
    except jinja2.TemplateSyntaxError as exc:
        result.problems.append(_syntax_problem(exc, part, env, where))
        return
    except (RecursionError, ValueError) as exc:
        result.problems.append(where.problem(unreadable(exc), None))
        return
    try:
        _Walker(where, env, result).visit(tree, {})
    except RecursionError as exc:
        result.problems.append(where.problem(unreadable(exc), None))
    for lineno, line in enumerate(where.lines, start=1):
        text = _TAGS.sub("", paragraph_text(line))
        for broken, fixed in (("{ {", "{{"), ("} }", "}}"), ("{ %", "{%"), ("% }", "%}")):
            if broken in text:
                result.problems.append(where.problem(
                    f"a tag looks broken: '{broken}' should be '{fixed}' (Word may have "
                    "added a space)", lineno))
        for stray in ("}}", "%}"):
            if stray in text:
                result.problems.append(where.problem(
                    f"a stray '{stray}' with no tag before it would be printed as it is",
                    lineno))


def _syntax_problem(exc: jinja2.TemplateSyntaxError, part: PartSource,
                    env: jinja2.Environment, where: PartLocation) -> Problem:
    unclosed = _unclosed_block(part.source, env)
    if unclosed is not None and "Unexpected end of template" in (exc.message or ""):
        name, lineno = unclosed
        return where.problem(f"'{{% {name} %}}' is never closed: add '{{% end{name} %}}' "
                             "where it should end", lineno)
    message = exc.message or str(exc)
    if message.startswith("Encountered unknown tag"):
        message = f"{message} (letterkit's tags are Jinja's: if, for, set, trans …)"
    return where.problem(f"the template cannot be read: {message}", exc.lineno)


def _unclosed_block(source: str, env: jinja2.Environment) -> tuple[str, int] | None:
    """The innermost block tag opened and never closed, with its line."""
    stack: list[tuple[str, int]] = []
    try:
        tokens = list(env.lex(source))
    except jinja2.TemplateSyntaxError:
        return None
    for i, (lineno, kind, _value) in enumerate(tokens):
        if kind != "block_begin" or i + 2 >= len(tokens):
            continue
        _, name_kind, name = tokens[i + 2] if tokens[i + 1][1] == "whitespace" else tokens[i + 1]
        if name_kind != "name":
            continue
        if name in _OPENERS and not (name == "set" and _is_inline_set(tokens, i)):
            stack.append((name, lineno))
        elif name.startswith("end") and stack and stack[-1][0] == name[3:]:
            stack.pop()
    return stack[-1] if stack else None


def _is_inline_set(tokens: list[tuple[int, str, str]], start: int) -> bool:
    for _, kind, value in tokens[start + 1:]:
        if kind == "block_end":
            return False
        if kind == "operator" and value == "=":
            return True
    return False


class _Walker:
    """Follows names through the Jinja syntax tree against the fields a letter has."""

    def __init__(self, where: PartLocation, env: jinja2.Environment, result: CheckResult) -> None:
        self.where, self.env, self.result = where, env, result
        self.tree = field_tree()
        self.known = set(self.tree) | set(_GETTEXT) | _ALWAYS | set(env.globals)
        self.rounds = 1  # how many times the loops around this point run, where known
        self.in_block = False

    def problem(self, message: str, node: nodes.Node) -> None:
        self.result.problems.append(self.where.problem(message, getattr(node, "lineno", None)))

    def visit(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.For):
            self._visit_for(node, scope)
            return
        if isinstance(node, nodes.Block):
            outside, self.in_block = self.in_block, True
            for child in node.body:
                self.visit(child, scope)
            self.in_block = outside
            return
        self._check_bounds(node)
        if isinstance(node, nodes.Assign | nodes.AssignBlock):
            for target in _names(node.target):
                scope[target] = _ANY
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            self.problem("macros are not supported in letter templates", node)
            if isinstance(node, nodes.Macro):
                scope[node.name] = _ANY  # named once is enough
            return
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            self.shape(node, scope)
            if isinstance(node, nodes.Getitem):
                self.visit(node.arg, scope)
            return
        if isinstance(node, nodes.Filter | nodes.Test):
            self._check_name(node)
        for child in node.iter_child_nodes():
            self.visit(child, scope)

    def _visit_for(self, node: nodes.For, scope: dict[str, Any]) -> None:
        self.visit(node.iter, scope)
        shape = self.shape(node.iter, scope)[0]
        inner = dict(scope)
        item = shape[0] if isinstance(shape, list) and shape else _ANY
        for target in _names(node.target):
            inner[target] = item if isinstance(node.target, nodes.Name) else _ANY
        if node.recursive:
            self.problem("a `recursive` loop can run itself without end, and a letter's lists "
                         "hold no lists of their own: remove `recursive`", node)
        outside = self.rounds
        count = _range_count(node.iter)
        if isinstance(count, int) and 0 < count <= MAX_RANGE:  # a larger one is flagged itself
            self.rounds *= count
        if self.rounds > MAX_LOOPS >= outside:
            self.problem(f"loops inside loops would run {self.rounds:,} times, where a letter's "
                         f"loops may run {MAX_LOOPS:,} times in all", node)
        for child in (*node.body, *node.else_, *([node.test] if node.test else [])):
            self.visit(child, inner)
        self.rounds = outside

    def _check_bounds(self, node: nodes.Node) -> None:
        """Work without a bound, and ways around escaping: flagged where they stand."""
        if isinstance(node, nodes.Call) and _is_name(node.node, "range"):
            count = _range_count(node)
            if count is None:
                self.problem("`range()` here counts to a number worked out as the letter is "
                             "made, with no bound: loop over the record's lists instead "
                             "(`{% for finding in findings %}`)", node)
            elif not isinstance(count, int) or count > MAX_RANGE:
                shown = f"{count:,}" if isinstance(count, int) else "countless"
                self.problem(f"`range()` here counts {shown} numbers, where a letter may "
                             f"count {MAX_RANGE:,} at most: loop over the record's lists "
                             "instead", node)
        elif isinstance(node, nodes.Call) and self.in_block and isinstance(
                node.node, nodes.Getattr) and _is_name(node.node.node, "self"):
            self.problem("a block that runs a block (`self.…()`) can run itself without end: "
                         "write the wording out instead", node)
        elif isinstance(node, nodes.Mul):
            for times, other in ((node.left, node.right), (node.right, node.left)):
                count = _integer(times)
                if _is_text_or_list(other) and (
                        count is _HUGE or (isinstance(count, int) and count > MAX_RANGE)):
                    shown = f" {count:,} times" if isinstance(count, int) else ""
                    self.problem(f"`*` repeats a text or list{shown}, more than a letter ever "
                                 f"needs (at most {MAX_RANGE:,}): remove it or repeat less",
                                 node)
                    break
        if isinstance(node, nodes.BinExpr) and _integer(node) is _HUGE:
            self.problem(f"this works out a number with more than {MAX_DIGITS:,} digits, "
                         "which no letter needs", node)
        if isinstance(node, nodes.EvalContextModifier) and any(
                option.key == "autoescape" and not (
                    isinstance(option.value, nodes.Const) and option.value.value is True)
                for option in node.options):
            self.problem("`{% autoescape false %}` would let a record's text change the "
                         "document's structure (letterkit escapes it all the same): remove it "
                         "and its `{% endautoescape %}`", node)

    def _check_name(self, node: nodes.Filter | nodes.Test) -> None:
        if isinstance(node, nodes.Filter) and node.name in _REFUSED_FILTERS:
            self.problem(_REFUSED_FILTERS[node.name], node)
            return
        kind, known = ("filter", self.env.filters) if isinstance(node, nodes.Filter) \
            else ("test", self.env.tests)
        if node.name not in known:
            ours = sorted(FILTERS) if kind == "filter" else sorted(known)
            close = difflib.get_close_matches(node.name, list(known), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            self.problem(f"there is no {kind} named '{node.name}'; {hint}"
                         f"letterkit's {kind}s include {', '.join(ours[:12])}", node)

    def shape(self, node: nodes.Node, scope: dict[str, Any]) -> tuple[Any, str]:
        """What a name or dotted path refers to, reporting fields that do not exist."""
        if isinstance(node, nodes.Name):
            if node.name.startswith("__") or (node.name.startswith("_") and node.name != "_"):
                self._refuse(node.name, node)
                return _ANY, node.name
            if node.name in _REFUSED_NAMES and node.name not in scope:
                self.problem(_REFUSED_NAMES[node.name], node)
                return _ANY, node.name
            if node.name in scope:
                return scope[node.name], node.name
            if node.name in self.tree:
                self.result.fields_used.add(node.name)
                return self.tree[node.name], node.name
            if node.name not in self.known:
                self._unknown(node.name, list(self.known - _ALWAYS - set(self.env.globals)),
                              node)
            return _ANY, node.name
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            base, path = self.shape(node.node, scope)
            key = node.attr if isinstance(node, nodes.Getattr) else (
                node.arg.value if isinstance(node.arg, nodes.Const) else None)
            if isinstance(key, str) and key.startswith("_"):
                self._refuse(f"{path}.{key}", node)
                return _ANY, path
            if isinstance(key, int) and isinstance(base, list):
                return (base[0] if base else _ANY), f"{path}.N"
            if isinstance(key, str) and isinstance(base, dict):
                full = f"{path}.{key}"
                if key in base:
                    self.result.fields_used.add(full)
                    return base[key], full
                self._unknown(full, [f"{path}.{k}" for k in base], node)
                return _ANY, full
            return _ANY, path
        self.visit(node, scope)
        return _ANY, ""

    def _unknown(self, name: str, choices: list[str], node: nodes.Node) -> None:
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else "; see `letterkit fields`"
        self.problem(f"'{name}' is not a field of a complaint letter{hint}", node)

    def _refuse(self, name: str, node: nodes.Node) -> None:
        self.problem(f"refused: '{name}' reaches for Python internals; a template may use "
                     "the letter's fields only", node)


def _check_practice(path: Path, parts: list[PartSource], messages: list[_Message],
                    languages: Iterable[str] | None, result: CheckResult) -> None:
    """The template's own wording, in every language, against the practice's word lists;
    a kind that must apologise (the acknowledgement) must, in its template's own words."""
    lists = word_lists()
    wanted = list(languages or ready_languages())
    texts: list[tuple[str, str]] = []  # (how to say where, text)
    for part in parts:
        for line in part.source.splitlines():
            text = _TAGS.sub(" ", paragraph_text(line))
            if text.strip():
                texts.append((f"paragraph “{paragraph_text(line)[:80]}”", text))
    catalogs = {language: translations(language) for language in wanted}
    for _, funcname, message, _ in messages:
        for language in wanted:
            found_message = _translation(catalogs[language], funcname, message)
            if found_message is not None:
                msgid, shown = found_message
                texts.append((f"wording {msgid[:60]!r} in {language}", shown))
    for where, text in texts:
        for words, problem, practice, suggestion in check_wording(text, lists):
            result.problems.append(Problem(f"“{words}”: {problem} ({practice}). {suggestion} "
                                           f"({where})", file=str(path)))
    found = kind_of_template(path)
    if found is not None and found[0].must_apologise and not any(
            lists.apologises(text) for _, text in texts):
        result.problems.append(Problem(
            f"{found[0].called} never apologises (Acknowledge and apologise sincerely, "
            "taking full responsibility). Add a sentence of apology.", file=str(path)))


_TEXT_ARGUMENTS = {"pgettext": 2, "npgettext": 3, "ngettext": 2}  # others: 1


def _translation(catalog: Any, funcname: str, message: Any) -> tuple[str, str] | None:
    """(message, its translation) of a message as the extractor gives it: the arguments
    of `_`, `gettext`, `ngettext`, `pgettext` or `npgettext` (the context first); None for
    wording built at run time (a variable, not text)."""
    args = (message if isinstance(message, tuple) else (message,))[
        :_TEXT_ARGUMENTS.get(funcname, 1)]
    if not all(isinstance(arg, str) and arg for arg in args):
        return None
    if funcname == "pgettext":
        return args[1], str(catalog.pgettext(*args))
    if funcname == "npgettext":
        return args[1], str(catalog.npgettext(*args, 1))
    if funcname == "ngettext":
        return args[0], str(catalog.ngettext(*args, 1))
    return args[0], str(catalog.gettext(args[0]))


_REFUSED_FILTERS = {
    "safe": "`|safe` would let a record's text change the document's structure (letterkit "
            "escapes it all the same): remove it",
    **{name: f"`|{name}` makes web-page markup, which a Word document cannot hold: remove it"
       for name in HTML_FILTERS},
}
_REFUSED_NAMES = {
    "lipsum": "`lipsum` makes filler text, as much as it is asked for, and a letter has no use "
              "for it: remove it",
    **{name: "`Markup(…)` would let a record's text change the document's structure: remove it"
       for name in ("Markup", "markup")},
}
_HUGE = object()  # a number too large to work out while checking


def _is_name(node: nodes.Node, name: str) -> bool:
    return isinstance(node, nodes.Name) and node.name == name


def _is_text_or_list(node: nodes.Node) -> bool:
    return (isinstance(node, nodes.List | nodes.Tuple | nodes.Concat)
            or isinstance(node, nodes.Const) and isinstance(node.value, str))


def _integer(node: nodes.Node) -> int | object | None:
    """The whole number a constant expression works out to, or _HUGE for one too large to
    work out; None for anything else."""
    if isinstance(node, nodes.Const):
        value = node.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(node, nodes.Neg | nodes.Pos):
        inner = _integer(node.node)
        return -inner if isinstance(inner, int) and isinstance(node, nodes.Neg) else inner
    if not isinstance(node, nodes.Add | nodes.Sub | nodes.Mul | nodes.Pow):
        return None
    left, right = _integer(node.left), _integer(node.right)
    if left is None or right is None:
        return None
    if not isinstance(left, int) or not isinstance(right, int):
        return _HUGE
    if isinstance(node, nodes.Pow):
        if right < 0:
            return None  # a fraction
        return _HUGE if (abs(left).bit_length() - 1) * right > MAX_BITS else left**right
    if isinstance(node, nodes.Mul):
        return _HUGE if left.bit_length() + right.bit_length() > MAX_BITS else left * right
    return left + right if isinstance(node, nodes.Add) else left - right


def _range_count(node: nodes.Node) -> int | object | None:
    """How many numbers a `range(…)` of constant numbers counts (_HUGE for too many to work
    out); None for anything else."""
    if not (isinstance(node, nodes.Call) and _is_name(node.node, "range")) or (
            node.kwargs or node.dyn_args or node.dyn_kwargs or not 1 <= len(node.args) <= 3):
        return None
    found = [_integer(arg) for arg in node.args]
    if any(n is None for n in found):
        return None
    numbers = [n for n in found if isinstance(n, int)]
    if len(numbers) < len(found):
        return _HUGE
    start, stop, step = ([0, *numbers, 1] if len(numbers) == 1 else [*numbers, 1])[:3]
    if not step:
        return None  # range() says so itself
    return range_count(start, stop, step)


def _names(target: nodes.Node) -> list[str]:
    """The names a for or set target binds: itself, or those inside a tuple."""
    if isinstance(target, nodes.Name):
        return [target.name]
    return [name.name for name in target.find_all(nodes.Name)]


# A % in a message that starts no placeholder (%(name)s) and is not %%: gettext fills the
# message in with %, which reads "10% off" as the conversion "% o" and fails.
_PERCENTS = re.compile(r"%%|%\([A-Za-z_]\w*\)[-#0 +]*[0-9.]*[diouxXeEfFgGcrsa]|%")


def _check_percent_signs(path: Path, messages: list[_Message], result: CheckResult) -> None:
    for _, _, message, comments in messages:
        for text in message if isinstance(message, tuple | list) else (message,):
            if isinstance(text, str) and "%" in (m.group() for m in _PERCENTS.finditer(text)):
                where = comments[-1].split(": ", 1)[-1] if comments else ""
                result.problems.append(Problem(
                    f"the wording {text!r} has a % sign that starts no placeholder; write %% "
                    f"for a percent sign in wording inside _( ) (in the paragraph {where})",
                    file=str(path)))


def _check_wording(path: Path, messages: list[_Message], languages: Iterable[str] | None,
                   result: CheckResult) -> None:
    wanted = [lang for lang in (languages or ready_languages()) if lang != SOURCE_LANGUAGE]
    for language in wanted:
        catalog = translations(language)
        for _, funcname, message, comments in messages:
            found_message = _translation(catalog, funcname, message)
            if found_message is None:
                continue
            msgid, shown = found_message
            if shown == msgid:
                where = comments[-1].split(": ", 1)[-1] if comments else ""
                result.problems.append(Problem(
                    f"the wording {msgid!r} is not in the {language} catalog, so a "
                    f"{language} letter would show it in English (in the paragraph {where}); "
                    "run `letterkit i18n update` and translate it", file=str(path)))
