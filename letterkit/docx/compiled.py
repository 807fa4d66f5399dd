"""Compiling a .docx template once and rendering many contexts into .docx bytes.

docxtpl's `DocxTemplate.render()` reopens the package, re-patches its XML and recompiles
the Jinja source for every letter. Here each XML part is patched by docxtpl's own code and
compiled once; a render is then Jinja plus docxtpl's post-processing, and a new zip.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import marshal
import re
import traceback
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.exceptions import SecurityError
from lxml import etree
from markupsafe import Markup

from letterkit.cache import kept
from letterkit.docx.environment import environment
from letterkit.docx.limits import letter_limits, spend_text, unreadable
from letterkit.docx.parts import PartLocation, PartSource, patcher, template_sources
from letterkit.docx.zipjoin import SharedEntries, join
from letterkit.errors import TemplateError
from letterkit.i18n.languages import catalog_path

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass
class _Part:
    name: str
    location: PartLocation
    template: jinja2.Template
    reshapes_tables: bool
    has_drawings: bool
    # docxtpl's escapes for literal braces ({_{ … }_}) appear in the template itself.
    has_brace_escapes: bool
    # For a part that shows only what every letter of a batch shares (a letterhead: the
    # organisation), the fields it uses; its XML is made once per set of their values.
    shared_fields: tuple[str, ...] | None = None
    made: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class _CompiledPart:
    """A part as compiled, without its environment: what is kept between runs."""

    name: str
    lines: tuple[str, ...]  # its source, a paragraph a line (for messages)
    code: bytes  # Jinja's compiled Python, marshalled
    reshapes_tables: bool
    has_drawings: bool
    has_brace_escapes: bool
    shared_fields: tuple[str, ...] | None


@dataclass(frozen=True)
class _Compiled:
    """A template as compiled for one language, without its environment."""

    parts: tuple[_CompiledPart, ...]
    shared: SharedEntries
    rendered_infos: tuple[zipfile.ZipInfo, ...]


# What is the same for every letter of a run (one organisation, one handler, one day).
_SHARED_FIELDS = frozenset({"organisation", "handler", "today", "title", "kind", "language",
                            "layout"})
_MADE_PER_PART = 16


class CompiledTemplate:
    """A .docx template, parsed and compiled once, that renders contexts into .docx bytes."""

    def __init__(self, source: bytes, *, name: str, env: jinja2.Environment,
                 compiled: _Compiled | None = None) -> None:
        self.name = name
        compiled = compiled or _compile(source, name, env)
        globals_ = env.make_globals(None)
        self._parts = {
            part.name: _Part(
                part.name, PartLocation(name, part.name, list(part.lines)),
                env.template_class.from_code(env, marshal.loads(part.code), globals_),
                part.reshapes_tables, part.has_drawings, part.has_brace_escapes,
                part.shared_fields)
            for part in compiled.parts}
        self._shared = compiled.shared
        self._rendered_infos = list(compiled.rendered_infos)

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The letter for one context, as the bytes of a .docx file: held to one letter's
        limits of text, loops and time (see `letter_limits`)."""

        def parts() -> list[tuple[zipfile.ZipInfo, bytes]]:
            return [(info, self._render_part(self._parts[info.filename], context))
                    for info in self._rendered_infos]

        return join(self._shared, letter_limits(parts))

    def _render_part(self, part: _Part, context: Mapping[str, Any]) -> bytes:
        if part.shared_fields is None:
            return self._make_part(part, context)
        key = repr([context.get(name) for name in part.shared_fields])
        made = part.made.get(key)
        if made is None:
            if len(part.made) >= _MADE_PER_PART:
                part.made.clear()
            made = part.made[key] = self._make_part(part, context)
        return made

    def _make_part(self, part: _Part, context: Mapping[str, Any]) -> bytes:
        try:
            xml = part.template.render(context)
        except SecurityError as exc:
            raise TemplateError(part.location.problem(
                f"refused: the template reaches for Python internals ({exc})",
                _template_line(exc))) from None
        except RecursionError as exc:
            raise TemplateError(part.location.problem(
                "stopped: the template runs itself without end (a macro, a `recursive` loop "
                "or a block that calls itself)", _template_line(exc))) from None
        except MemoryError as exc:
            raise TemplateError(part.location.problem(
                "stopped: the letter needs more memory than this computer has; a loop or a "
                "repeated text runs away", _template_line(exc))) from None
        except ArithmeticError as exc:
            detail = "a number too large" if isinstance(exc, OverflowError) else str(exc)
            raise TemplateError(part.location.problem(
                f"the template's arithmetic fails: {detail}", _template_line(exc))) from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, LookupError) as exc:
            raise TemplateError(part.location.problem(str(exc), _template_line(exc))) from None
        xml = xml.replace("\n<w:p", "<w:p")
        if part.has_brace_escapes:
            for escaped, brace in BRACE_ESCAPES.items():
                xml = xml.replace(escaped, brace)
        try:
            xml = _resolve_listing(xml)
        except jinja2.TemplateError as exc:
            raise TemplateError(part.location.problem(str(exc), None)) from None
        try:
            tree = etree.fromstring(xml.encode("utf-8"))
        except etree.XMLSyntaxError as exc:
            raise TemplateError.at(
                f"{part.name}: the template produced a broken document ({exc}); "
                "a tag may cut across a table or paragraph it does not close",
                file=self.name,
            ) from None
        if part.reshapes_tables:
            tree = patcher().fix_tables(xml)
        if part.has_drawings:
            patcher().docx_ids_index = 1000
            patcher().fix_docpr_ids(tree)
        if part.reshapes_tables or part.has_drawings:
            xml = str(etree.tostring(tree, encoding="unicode"))
        return (_XML_DECLARATION + xml).encode("utf-8")


def _compile(source: bytes, name: str, env: jinja2.Environment) -> _Compiled:
    # A part with no tag and nothing docxtpl would change renders to itself: keep it as
    # it is in the package instead of rendering it for every letter.
    parts = tuple(_compile_part(part, name, env) for part in template_sources(source, name=name)
                  if "{{" in part.source or "{%" in part.source
                  or _LISTING_CHARS.search(part.source.replace("\n<w:p", "<w:p")))
    rendered = {part.name for part in parts}
    # The parts no tag touches are compressed once, here; every letter shares them as
    # they are and adds only the parts it rendered.
    with zipfile.ZipFile(io.BytesIO(source)) as package:
        infos = package.infolist()
        shared = SharedEntries.from_entries(
            [(i, package.read(i)) for i in infos if i.filename not in rendered])
    return _Compiled(parts, shared, tuple(i for i in infos if i.filename in rendered))


def _compile_part(part: PartSource, name: str, env: jinja2.Environment) -> _CompiledPart:
    lines = part.source.splitlines()
    location = PartLocation(name, part.name, lines)
    try:
        code = env.compile(_fold_constant_messages(part.source, env))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(location.problem(exc.message or str(exc), exc.lineno)) from None
    except (RecursionError, ValueError) as exc:
        raise TemplateError(location.problem(unreadable(exc), None)) from None
    uses = meta.find_undeclared_variables(env.parse(part.source))
    # `random` is the one filter that may give two letters of the same values apart.
    shared = tuple(sorted(uses)) if uses <= _SHARED_FIELDS and "random" not in \
        part.source else None
    return _CompiledPart(part.name, tuple(lines), marshal.dumps(code), part.reshapes_tables,
                         "docPr" in part.source, any(e in part.source for e in BRACE_ESCAPES),
                         shared)


_CONSTANT_MESSAGE = re.compile(
    r"""\{\{\s*_\(\s*(?P<q>['"])(?P<msg>(?:(?!(?P=q)).)*)(?P=q)\s*\)\s*\}\}""")


def _fold_constant_messages(source: str, env: jinja2.Environment) -> str:
    """`{{ _('Yours sincerely,') }}` as its translation, worked out once per language when
    the template is compiled rather than for every letter. Messages with values, and any
    whose literal or translation holds a backslash or template syntax, are left to Jinja."""
    translate: Callable[[str], Markup] = env.letterkit_gettext  # type: ignore[attr-defined]

    def fold(match: re.Match[str]) -> str:
        message = match.group("msg")
        if "\\" in message:
            return match.group(0)
        try:
            # As Jinja's newstyle gettext would: the escaped translation, %-formatted.
            text = str(translate(message) % {})
        except (TypeError, KeyError, ValueError):
            return match.group(0)
        if any(mark in text for mark in ("{{", "{%", "{#", "}}", "%}", "#}", "\n")):
            return match.group(0)
        return text

    return _CONSTANT_MESSAGE.sub(fold, source)


# docxtpl's escapes for literal braces in a template's text.
BRACE_ESCAPES = {"{_{": "{{", "}_}": "}}", "{_%": "{%", "%_}": "%}"}
_LISTING_CHARS = re.compile("[\n\t\a\f]")
_PARAGRAPH_START = re.compile(r"<w:p[ >]")


def _resolve_listing(xml: str) -> str:
    """docxtpl's line breaks, tabs, new paragraphs and page breaks for text holding a
    newline, tab, BEL or form feed, applied only to the paragraphs that hold one (docxtpl
    runs it over every paragraph; the result is the same, and most parts have none)."""
    found = _LISTING_CHARS.search(xml)
    if found is None:
        return xml
    pieces, done = [], 0
    while found is not None:
        start = max(xml.rfind("<w:p ", done, found.start()), xml.rfind("<w:p>", done,
                                                                        found.start()))
        end = xml.find("</w:p>", found.start())
        if start < 0 or end < 0 or not _PARAGRAPH_START.match(xml, start):
            found = _LISTING_CHARS.search(xml, found.end())  # outside a paragraph: as is
            continue
        end += len("</w:p>")
        spend_text(_listing_room(xml[start:end]))
        pieces += [xml[done:start], patcher().resolve_listing(xml[start:end])]
        done = end
        found = _LISTING_CHARS.search(xml, done)
    pieces.append(xml[done:])
    return "".join(pieces)


_PARAGRAPH_PROPERTIES = re.compile(r"<w:pPr>.*?</w:pPr>", re.DOTALL)
_RUN_PROPERTIES = re.compile(r"<w:rPr>.*?</w:rPr>", re.DOTALL)


def _listing_room(paragraph: str) -> int:
    """About how much docxtpl's listing adds to a paragraph: a line break's XML for each
    newline; each tab, BEL or form feed repeats the run's (and paragraph's) properties."""
    room = paragraph.count("\n") * 40
    tabs, breaks = paragraph.count("\t"), paragraph.count("\a") + paragraph.count("\f")
    if tabs or breaks:
        found = _PARAGRAPH_PROPERTIES.search(paragraph)
        paragraph_properties = len(found.group(0)) if found else 0
        run_properties = max(map(len, _RUN_PROPERTIES.findall(paragraph)), default=0)
        room += (tabs * (60 + 2 * run_properties)
                 + breaks * (120 + paragraph_properties + run_properties))
    return room


def _template_line(exc: BaseException) -> int | None:
    # Jinja rewrites tracebacks so template frames carry the template's own line numbers.
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f.lineno for f in frames if f.filename == "<template>"]
    return lines[-1] if lines else getattr(exc, "lineno", None)


@functools.lru_cache(maxsize=64)
def _compiled(
    path: str, mtime_ns: int, size: int, language: str, native_digits: bool
) -> CompiledTemplate:
    try:
        source = Path(path).read_bytes()
    except OSError as exc:
        raise TemplateError.at(f"cannot be read: {exc.strerror}", file=path) from None
    env = environment(language, native_digits)
    # Kept between runs (a tenth of a second a start, with docxtpl's loading), for as long
    # as the template, its language's catalog and the code that compiles it are the same.
    # Kept under a name of its own for each file and language, so that the copies of one
    # template's earlier versions are pruned, never those of the others.
    name = hashlib.sha256(f"{path}|{language}|{native_digits}".encode(
        "utf-8", "surrogateescape")).hexdigest()[:16]
    compiled = kept(f"template-{name}", _compile_inputs(source, language, native_digits),
                    lambda: _compile(source, path, env), _Compiled)
    return CompiledTemplate(source, name=path, env=env, compiled=compiled)


def _compile_inputs(source: bytes, language: str, native_digits: bool) -> list[bytes]:
    catalog = catalog_path(language)
    inputs = [source, f"{language}|{native_digits}|{jinja2.__version__}".encode(),
              catalog.read_bytes() if catalog.is_file() else b""]
    # The code that compiles it: ours (patching, folding, the limits' code generator)
    # and docxtpl's patching, read without loading docxtpl.
    ours = sorted(Path(__file__).parent.glob("*.py"))
    spec = importlib.util.find_spec("docxtpl")
    theirs = sorted(Path(spec.origin).parent.glob("*.py")) if spec and spec.origin else []
    return inputs + [path.read_bytes() for path in (*ours, *theirs)]


def compile_template(path: Path, language: str, *, native_digits: bool = False
                     ) -> CompiledTemplate:
    """The compiled template for a file and language, compiled once per process
    (and again if the file changes)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise TemplateError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None
    return _compiled(str(path), stat.st_mtime_ns, stat.st_size, language, native_digits)
