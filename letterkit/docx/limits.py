"""The limits of one letter as it renders: its text, its loops, its time, the numbers it
works out, and autoescaping no template can turn off. A template that goes beyond them is
stopped where it stands, in words naming the limit, rather than hanging or filling the
computer's memory: a batch renders thousands of letters from templates admins edit.

The counting is done by a Jinja code generator of our own, which calls hooks of the
environment for every piece of output; it leans on the methods of Jinja 3.1's generator
that write output (hence the `Jinja2<3.2` pin), and tests/test_hostile_templates.py fails
loudly if they change.
"""

from __future__ import annotations

import functools
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from types import BuiltinMethodType, FunctionType, MethodType
from typing import Any, TypeVar

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import LoopContext, markup_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace
from markupsafe import Markup, escape

# A letter's XML is a few hundred thousand characters, its loops go over the record's short
# lists, and it renders in a millisecond or two. A template that goes far beyond that is
# stopped where it stands, in words naming the limit, rather than hanging or filling the
# computer's memory: a batch renders thousands of letters from templates admins edit.
MAX_TEXT = 16 * 2**20  # characters made for one letter: its XML and text made on the way
MAX_LOOPS = 100_000  # rounds of all of one letter's loops together
MAX_RANGE = 10_000  # numbers one range() may count
MAX_DIGITS = 1_000  # digits of a number the template works out
MAX_SECONDS = 5.0  # a backstop for work the counts above do not see
MAX_BITS = MAX_DIGITS * 10 // 3  # about as many bits


class LimitExceeded(jinja2.TemplateRuntimeError):
    """A template went beyond what one letter may take; the message names the limit."""


def _too_much_text() -> LimitExceeded:
    return LimitExceeded(
        f"stopped: this would make more than {MAX_TEXT // 2**20} MiB of text, where a whole "
        "letter is a few hundred KiB; a loop or a repeated text (*, center, replace …) "
        "runs away")


def _too_many_rounds() -> LimitExceeded:
    return LimitExceeded(
        f"stopped: the loops ran more than {MAX_LOOPS:,} times; a letter's loops go over "
        "the record's lists, which are far shorter")


def _too_slow() -> LimitExceeded:
    return LimitExceeded(
        f"stopped: the letter took more than {MAX_SECONDS:g} seconds to make, where a "
        "letter takes a fraction of a second; a loop or a repeated text runs away")


def _number_too_big() -> LimitExceeded:
    return LimitExceeded(f"stopped: a number with more than {MAX_DIGITS:,} digits has no "
                         "place in a letter")


def unreadable(exc: RecursionError | ValueError) -> str:
    """Why Jinja could not read a template, when its parser gave up without a syntax error."""
    if isinstance(exc, RecursionError):
        return "the template cannot be read: its brackets or tags nest too deeply"
    if "integer string conversion" in str(exc):
        return "the template cannot be read: a number in it is thousands of digits long"
    return f"the template cannot be read: {exc}"


@dataclass
class _Budget:
    """What one letter may still take while it renders."""

    text: int
    loops: int
    deadline: float


# Per thread (and per task): a batch may render letters side by side.
_budget: ContextVar[_Budget | None] = ContextVar("letterkit_letter_budget", default=None)


T = TypeVar("T")


def letter_limits(render: Callable[[], T]) -> T:
    """What `render()` gives, held to one letter's limits: its text, its loops, its time.
    (Outside, each operation is still held to the text one letter may have.)"""
    token = _budget.set(_Budget(MAX_TEXT, MAX_LOOPS, time.monotonic() + MAX_SECONDS))
    try:
        return render()
    finally:
        _budget.reset(token)


def spend_text(chars: int) -> None:
    """Count `chars` characters made against the letter's text."""
    budget = _budget.get()
    if budget is None:
        if chars > MAX_TEXT:
            raise _too_much_text()
        return
    budget.text -= chars
    if budget.text < 0:
        raise _too_much_text()


def _ensure_room(chars: int) -> None:
    """Refuse, before it is made, text the letter has no room left for."""
    budget = _budget.get()
    if chars > (MAX_TEXT if budget is None else budget.text):
        raise _too_much_text()


def _check_time() -> None:
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise _too_slow()


def _rounds(iterable: Iterable[Any], budget: _Budget) -> Iterator[Any]:
    for item in iterable:
        budget.loops -= 1
        if budget.loops < 0:
            raise _too_many_rounds()
        if time.monotonic() > budget.deadline:
            raise _too_slow()
        yield item


# --- how much text a value makes, without making it ------------------------------------

_CONTAINERS = (list, tuple, dict, set, frozenset, Namespace)
_MEASURED = (str, *_CONTAINERS)


def _size(value: Any) -> int:
    """About how many characters `value` makes as text (a list as Python writes it).
    A list holding another many times counts it each time, as its text would."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return _leaf_size(value)
    return _measure(value)[0]


def _sizes(args: Iterable[Any]) -> int:
    total = 0
    for arg in args:
        total += len(arg) if isinstance(arg, str) else _size(arg)
    return total


def _leaf_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    if isinstance(value, range):
        return 8 * len(value)  # our range() counts at most MAX_RANGE numbers
    return 32  # a float, a date, None, a loop …: short as text


def _children(value: Any) -> list[Any]:
    if isinstance(value, Namespace):
        value = object.__getattribute__(value, "_Namespace__attrs")
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    return list(value)


def _measure(value: Any) -> tuple[int, int]:
    """(characters as text, depth of nesting), worked out without recursion: a value
    nested deeper than Python's stack is still measured."""
    if not isinstance(value, _CONTAINERS):
        return _leaf_size(value), 0
    if isinstance(value, list | tuple) and all(type(item) is str for item in value):
        return 2 + sum(map(len, value)) + 4 * len(value), 1  # the usual: a list of texts
    sizes: dict[int, tuple[int, int]] = {}
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, ready = stack.pop()
        if ready:
            size, depth = 2, 0
            for child in _children(item):
                inner = sizes[id(child)] if isinstance(child, _CONTAINERS) else (
                    _leaf_size(child), 0)
                size, depth = size + inner[0] + 4, max(depth, inner[1])
            sizes[id(item)] = (size, depth + 1)
        elif id(item) not in sizes:
            sizes[id(item)] = (0, 0)  # while it is measured: a list holding itself adds nothing
            stack.append((item, True))
            stack.extend((child, False) for child in _children(item)
                         if isinstance(child, _CONTAINERS))
    return sizes[id(value)]


def _made(value: Any) -> Any:
    """Count what an operation made against the letter's limits, and pass it on."""
    if isinstance(value, int):
        if value.bit_length() > MAX_BITS:
            raise _number_too_big()
    elif isinstance(value, _MEASURED):
        spend_text(_size(value))
    return value


def _whole(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _number(digits: str) -> int:
    return int(digits) if len(digits) < 16 else 10**16


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _percent_room(template: str, values: Any) -> int:
    """About how many characters `template % values` makes: every field may hold the
    largest value, and widths and precisions count."""
    items = list(values.values()) if isinstance(values, dict) else (
        list(values) if isinstance(values, tuple) else [values])
    largest = max(map(_size, items), default=0)
    star = max(map(_whole, items), default=0)
    extra = 0
    for width, precision in _PERCENT_SPEC.findall(template):
        extra += largest + sum(star if n == "*" else _number(n or "0")
                               for n in (width, precision))
    return len(template) + extra


def _brace_room(template: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """The same for `template.format(*args, **kwargs)`."""
    items = [*args, *kwargs.values()]
    largest = max(map(_size, items), default=0)
    star = max(map(_whole, items), default=0)
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return len(template)  # the call itself says what is wrong
    extra = 0
    for _text, name, spec, _conversion in fields:
        if name is not None:
            extra += largest + sum(map(_number, re.findall(r"\d+", spec or "")))
            extra += star if "{" in (spec or "") else 0
    return len(template) + extra


def _replace_room(text: Any, old: Any, new: Any, count: Any = None) -> int:
    if not all(isinstance(v, str) for v in (text, old, new)):
        return _size(text) * (1 + _size(new))
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(0, len(new) - len(old))


def _items_room(items: Any) -> int:
    return len(items) if isinstance(items, str) else sum(map(_size, items))


def _nested_room(value: Any, indent: Any) -> int:
    size, depth = _measure(value)
    step = len(indent) if isinstance(indent, str) else _whole(indent)
    return size * (2 + depth * max(step, 1))


def _longest(table: Any) -> int:
    values = table.values() if isinstance(table, dict) else table
    return max((len(v) for v in values if isinstance(v, str)), default=1)


# How much text a filter or a method of text may make from its arguments, where that is
# more than their own size (a width, a repeat): worked out before it runs.
_FILTER_ROOM: dict[str, Callable[..., int]] = {
    "center": lambda value, width=80: max(_size(value), _whole(width)),
    "indent": lambda s, width=4, first=False, blank=False: _size(s) + (
        (s.count("\n") if isinstance(s, str) else _size(s)) + 2) * (
        len(width) if isinstance(width, str) else _whole(width)),
    "format": lambda value, *args, **kwargs: _size(value) + _percent_room(
        value if isinstance(value, str) else "", kwargs or args),
    "join": lambda value, d="", attribute=None: _items_room(value) + len(value) * _size(d),
    "replace": lambda s, old, new, count=None: _replace_room(s, old, new, count),
    "wordwrap": lambda s, width=79, break_long_words=True, wrapstring=None,
    break_on_hyphens=True: _size(s) + (
        2 * _size(s) // max(_whole(width), 1) + 1) * _size(wrapstring or "\n"),
    "batch": lambda value, linecount, fill_with=None: 0 if fill_with is None else (
        _whole(linecount) * (_size(fill_with) + 4)),
    "slice": lambda value, slices, fill_with=None: _whole(slices) * (_size(fill_with) + 4),
    # Adding up lists copies each sum so far: the work grows with the square.
    "sum": lambda iterable, attribute=None, start=0: len(iterable) * (
        _items_room(iterable) + _size(start)) if isinstance(start, list | tuple) else 0,
    "tojson": lambda value, indent=None: _nested_room(value, indent),
    "pprint": lambda value: _nested_room(value, 1),
}
_WHOLE_LIST_FILTERS = frozenset({"join", "sum"})  # their estimate needs the list itself

_TEXT_METHOD_ROOM: dict[str, Callable[..., int]] = {
    "center": lambda s, width, fillchar=" ": max(len(s), _whole(width)),
    "ljust": lambda s, width, fillchar=" ": max(len(s), _whole(width)),
    "rjust": lambda s, width, fillchar=" ": max(len(s), _whole(width)),
    "zfill": lambda s, width: max(len(s), _whole(width)),
    "expandtabs": lambda s, tabsize=8: len(s) + s.count("\t") * _whole(tabsize),
    "replace": lambda s, old, new, count=-1: _replace_room(s, old, new, count),
    "join": lambda s, items: _items_room(items) + len(s) * len(items),
    "translate": lambda s, table: len(s) * _longest(table),
    "format": lambda s, *args, **kwargs: _brace_room(s, args, kwargs),
    "format_map": lambda s, mapping: _brace_room(s, (), dict(mapping)),
}


def _room_needed(room: Callable[..., int] | None, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
    """Refuse an operation whose arguments, or what `room` says it makes of them, would
    not fit in the letter."""
    if room is None:
        _ensure_room(_sizes(args) + _sizes(kwargs.values()))
        return
    try:
        needed = room(*args, **kwargs)
    except TypeError:  # arguments the operation itself refuses, in its own words
        return
    _ensure_room(needed)


# Filters that pick, sort or count items rather than write them out as text: what they
# make is counted after, and no larger than what they were given.
_PICKING_FILTERS = frozenset({
    "abs", "attr", "count", "d", "default", "dictsort", "first", "float", "groupby", "int",
    "items", "last", "length", "list", "map", "max", "min", "random", "reject",
    "rejectattr", "reverse", "round", "select", "selectattr", "sort", "unique"})


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Jinja's filter, held to the letter's limits: what it would make must fit before it
    runs, and what it made is counted."""
    room = _FILTER_ROOM.get(name)
    whole_list = name in _WHOLE_LIST_FILTERS
    skip = 0 if getattr(fn, "jinja_pass_arg", None) is None else 1  # a context goes first
    if name in _PICKING_FILTERS:
        @functools.wraps(fn)
        def counted(*args: Any, **kwargs: Any) -> Any:
            return _made(fn(*args, **kwargs))

        return counted

    @functools.wraps(fn)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if whole_list and len(args) > skip and not isinstance(
                args[skip], list | tuple | str | dict):  # a generator, from select say
            args = (*args[:skip], list(args[skip]), *args[skip + 1:])
        _room_needed(room, args[skip:], kwargs)
        return _made(fn(*args, **kwargs))

    return bounded


def range_count(start: int, stop: int, step: int) -> int:
    """How many numbers range(start, stop, step) counts, however large (`len()` of a
    range beyond the machine's integers fails)."""
    return max(0, -((start - stop) // step))


def _range(*args: int) -> range:
    """range() as templates have it, counting at most MAX_RANGE numbers."""
    numbers = range(*args)
    count = range_count(numbers.start, numbers.stop, numbers.step)
    if count > MAX_RANGE:
        raise LimitExceeded(
            f"refused: range() may count at most {MAX_RANGE:,} numbers, and this one "
            f"counts {count:,}; loop over the record's lists instead")
    return numbers


def _text_stays_text(value: Any) -> Any:
    """`|safe` in a letter: the value is escaped all the same, so a record's text never
    becomes the document's markup (`templates check` asks for it to go)."""
    return value


# Filters that make HTML: a Word document cannot hold it (`templates check` says so).
HTML_FILTERS = ("urlize", "xmlattr")


# The filter each loop's list goes through, counting its rounds (by a name no template
# can write: Jinja allows no node types of our own to mark it with).
_ROUNDS_FILTER = "letterkit rounds"


@jinja2.pass_context  # never worked out ahead, when the template is compiled
def _counted_rounds(context: jinja2.runtime.Context, iterable: Iterable[Any]) -> Iterable[Any]:
    budget = _budget.get()
    return iterable if budget is None else _rounds(iterable, budget)


class _LetterCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every loop round, piece of output and text joined or
    listed counted against the letter's limits, and autoescaping that stays on."""

    _count_text = True

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _ROUNDS_FILTER, [], [], None, None,
                                     lineno=loop.iter.lineno, environment=self.environment)
        for modifier in node.find_all(nodes.EvalContextModifier):
            # `{% autoescape false %}` would let a record's text into the XML as markup.
            modifier.options = [o for o in modifier.options if o.key != "autoescape"]
        super().visit_Template(node, frame)

    # Each `{{ … }}` goes out escaped and counted (None as nothing, as the environment's
    # finalize says); so does the template's own text inside loops.
    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write("environment.letterkit_write(")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write(")")

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:  # noqa: N802
        # The template's own text outside loops, macros and blocks goes out once: the
        # package's limits bound it. Inside them it may go out any number of times.
        self._count_text = not frame.toplevel
        super().visit_Output(node, frame)

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        text = super()._output_const_repr(group)
        return f"environment.letterkit_text({text})" if self._count_text else text

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802
        self.write("environment.letterkit_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:  # noqa: N802
        self.write("environment.letterkit_made(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:  # noqa: N802
        self.write("environment.letterkit_made(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:  # noqa: N802
        if node.ctx != "load":  # the names a for or set binds
            super().visit_Tuple(node, frame)
            return
        self.write("environment.letterkit_made(")
        super().visit_Tuple(node, frame)
        self.write(")")


_NOTHING = Markup()


def _write(value: Any) -> Markup:
    """A `{{ … }}`'s value as it goes out: escaped whatever the template says, and counted."""
    if not isinstance(value, str):
        if value is None:
            return _NOTHING
        if isinstance(value, _CONTAINERS):
            _ensure_room(_size(value))
    text = escape(value)
    if _budget.get() is not None:
        spend_text(len(text))
    return text


def _text(text: str) -> str:
    """The template's own text, as it goes out inside a loop, macro or block."""
    if _budget.get() is not None:
        spend_text(len(text))
    return text


def _concat(parts: tuple[Any, ...]) -> Markup:
    """`a ~ b`: what it would make must fit before it is made."""
    _ensure_room(_sizes(parts))
    return _made(markup_join(parts))  # type: ignore[no-any-return]


class LetterEnvironment(SandboxedEnvironment):
    """Jinja's sandbox with autoescaping that cannot be turned off, and one letter's
    limits (see `letter_limits`) held as it renders: the code generator counts output,
    loop rounds and joined text; calls and the operators that repeat text are checked
    before they run."""

    code_generator_class = _LetterCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters[_ROUNDS_FILTER] = _counted_rounds
        # The generated code's hooks (see _LetterCodeGenerator): plain functions, called
        # for every piece of output.
        self.letterkit_write = _write
        self.letterkit_text = _text
        self.letterkit_concat = _concat
        self.letterkit_made = _made
        hold_to_limits(self)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                   right: Any) -> Any:
        if operator == "*":
            _ensure_room(_product_room(left, right))
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%" and isinstance(left, str):
            _ensure_room(_percent_room(left, right))
        return _made(self.binop_table[operator](left, right))

    def call(__self, __context: jinja2.runtime.Context, __obj: Any,  # noqa: N805
             *args: Any, **kwargs: Any) -> Any:
        _check_time()
        method, kind = __obj, type(__obj)
        if kind is FunctionType:  # the sandbox hands out str.format wrapped: look beneath
            method = __obj.__dict__.get("__wrapped__", __obj)
            kind = type(method)
        elif kind is LoopContext and args:  # a recursive loop going round again
            args = (_counted_rounds(__context, args[0]), *args[1:])
        owner = method.__self__ if kind is BuiltinMethodType or kind is MethodType else None
        if owner is None:
            _ensure_room(_sizes(args) + _sizes(kwargs.values()))
        elif isinstance(owner, str):
            name = method.__name__
            if name == "join" and args and not isinstance(args[0], list | tuple | str | dict):
                args = (list(args[0]), *args[1:])
            _room_needed(_TEXT_METHOD_ROOM.get(name), (owner, *args), kwargs)
        elif isinstance(owner, list | dict | set):  # append, extend, update …: it grows
            spend_text(_sizes(args) + _sizes(kwargs.values()))
        elif isinstance(owner, int) and method.__name__ == "to_bytes":
            _ensure_room(_whole(args[0] if args else kwargs.get("length", 1)))
        else:
            _ensure_room(_sizes(args) + _sizes(kwargs.values()))
        return _made(super().call(__context, __obj, *args, **kwargs))


def _product_room(left: Any, right: Any) -> int:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_BITS:
            raise _number_too_big()
        return 0
    if isinstance(right, int) and not isinstance(left, float):
        return _size(left) * max(right, 0)
    if isinstance(left, int) and not isinstance(right, float):
        return _size(right) * max(left, 0)
    return 0


def _check_power(base: Any, exponent: Any) -> None:
    if (isinstance(base, int) and isinstance(exponent, int) and exponent > 0
            and (abs(base).bit_length() - 1) * exponent > MAX_BITS):
        raise _number_too_big()


def hold_to_limits(env: SandboxedEnvironment) -> None:
    """Jinja's own filters and globals, held to one letter's limits: those that make HTML
    or filler text gone, `|safe` escaping all the same, `range()` counting at most
    MAX_RANGE numbers."""
    for name in HTML_FILTERS:
        del env.filters[name]
    env.filters.update({name: _bounded_filter(name, fn) for name, fn in env.filters.items()
                        if name in JINJA_FILTERS})
    env.filters["safe"] = _text_stays_text
    del env.globals["lipsum"]  # filler text, as much as asked for: no use in a letter
    env.globals["range"] = _range
