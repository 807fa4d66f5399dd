"""Hostile templates: work or text without end, recursion, and ways around escaping.
`templates check` names each with its paragraph; a letter made from one stops with one line
naming the template and the paragraph, and a record's text never becomes the document's XML.
The hostile sizes sit just over the limits, so a limit that stops working fails fast."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from docx import Document
from test_templates import edited

from letterkit import TemplateError, validate_record
from letterkit.docx import limits
from letterkit.docx.compiled import compile_template
from letterkit.letters import letter_context

from readback import docx_text

TODAY = dt.date(2026, 11, 26)
# A name that would close the text run and open one of its own, were it markup.
HOSTILE_NAME = "</w:t></w:r><w:r><w:t>x"
N = limits.MAX_RANGE

# (paragraph, what `templates check` says about it)
CHECKED = [
    (f"{{% for i in range({N + 1}) %}}{{% for j in range({N + 1}) %}}{{% endfor %}}"
     "{% endfor %}",
     f"`range()` here counts {N + 1:,} numbers, where a letter may count {N:,} at most"),
    (f"{{{{ 'A' * {N + 1} }}}}", f"`*` repeats a text or list {N + 1:,} times"),
    ("{{ lipsum(10) }}", "`lipsum` makes filler text"),
    ("{% for i in range(10**9) %}x{% endfor %}", "`range()` here counts 1,000,000,000 numbers"),
    ("{% for i in range(customer.name|length * 1000) %}x{% endfor %}",
     "`range()` here counts to a number worked out as the letter is made, with no bound"),
    ("{% for i in range(1000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}",
     "loops inside loops would run 1,000,000 times, where a letter's loops may run 100,000"),
    ("{{ 2 ** 100000 }}", "this works out a number with more than 1,000 digits"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
     "macros are not supported in letter templates"),
    ("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
     "a `recursive` loop can run itself without end"),
    ("{% block b %}{{ self.b() }}{% endblock %}",
     "a block that runs a block (`self.…()`) can run itself without end"),
    ("{{ customer.name|safe }}",
     "`|safe` would let a record's text change the document's structure"),
    ("{% filter safe %}{{ customer.name }}{% endfilter %}",
     "`|safe` would let a record's text change the document's structure"),
    ("{% autoescape false %}{{ customer.name }}{% endautoescape %}",
     "`{% autoescape false %}` would let a record's text change the document's structure"),
    ("{{ Markup(customer.name) }}",
     "`Markup(…)` would let a record's text change the document's structure"),
    ("{{ customer.email|urlize }}", "`|urlize` makes web-page markup"),
]
CHECKED_IDS = ["nested-range", "repeat", "lipsum", "range-overflow", "range-unbounded",
               "nested-loops", "huge-number", "recursive-macro", "recursive-loop",
               "recursive-block", "safe", "filter-safe", "autoescape-false", "markup",
               "urlize"]


@pytest.fixture
def record(write_record, sample_data) -> Path:
    sample_data["customer"]["name"] = HOSTILE_NAME
    return write_record(sample_data)


def _render_cli(cli, record: Path, folder: Path, out: Path):
    return cli("render", record, "-k", "resolution", "--date", TODAY.isoformat(), "--templates",
               folder, "-o", out, "--no-email")


@pytest.mark.parametrize(("paragraph", "expected"), CHECKED, ids=CHECKED_IDS)
def test_check_names_the_hostile_paragraph_and_render_refuses(cli, tmp_path, record, paragraph,
                                                              expected) -> None:
    """`templates check` names each hostile construct with its paragraph; `render` with
    that template exits 2 with that one line and makes no letter."""
    template = edited(tmp_path / "ours", paragraph)
    check = cli("templates", "check", "-l", "en", template)
    assert 1 == check.exit_code
    assert expected in check.stderr
    assert f"(paragraph “{paragraph}”)" in check.stderr
    render = _render_cli(cli, record, template.parent, tmp_path / "out")
    assert 2 == render.exit_code
    (line,) = render.stderr.strip().splitlines()
    assert line.startswith(f"error: {template}: ")
    assert expected in line
    assert not (tmp_path / "out" / "CMP-2026-0142" / "resolution.en.docx").exists()


def _render(template: Path, sample_data) -> bytes:
    """The letter from a template as it is, unchecked (as a shipped template renders)."""
    record = validate_record(sample_data)
    context = letter_context(record, kind="resolution", language="en", layout="block",
                             today=TODAY)
    return compile_template(template, "en").render(context)


TEXT = limits.MAX_TEXT
STOPPED_TEXT = f"stopped: this would make more than {TEXT // 2**20} MiB of text"
# (paragraph, what rendering it unchecked says)
RENDERED = [
    (f"{{% for i in range(11) %}}{{% for j in range({N}) %}}{{% endfor %}}{{% endfor %}}",
     "stopped: the loops ran more than 100,000 times"),
    (f"{{% for i in range({N + 1}) %}}x{{% endfor %}}",
     f"refused: range() may count at most {N:,} numbers, and this one counts {N + 1:,}"),
    ("{% for i in range(10**9) %}x{% endfor %}", "and this one counts 1,000,000,000"),
    (f"{{{{ 'A' * {TEXT + 1} }}}}", STOPPED_TEXT),
    (f"{{% set s = 'A' * {TEXT // 10} %}}{{% for i in range(11) %}}{{{{ s }}}}{{% endfor %}}",
     STOPPED_TEXT),
    (f"{{% set ns = namespace(s='A' * {TEXT // 16}) %}}{{% for i in range(5) %}}"
     "{% set ns.s = ns.s ~ ns.s %}{% endfor %}", STOPPED_TEXT),
    ("{% set s = 'A' %}" + "{% set s = [s, s] %}" * 21 + "{{ s }}", STOPPED_TEXT),
    (f"{{{{ 'x'.center({TEXT + 1}) }}}}", STOPPED_TEXT),
    (f"{{{{ '%0{TEXT + 1}d' % 1 }}}}", STOPPED_TEXT),
    (f"{{{{ ('a' * {TEXT // 16}).replace('', 'bbbbbbbbbbbbbbbbb') }}}}", STOPPED_TEXT),
    (f"{{{{ '\\t' * {TEXT // 50} }}}}", STOPPED_TEXT),  # each tab becomes a run of its own
    ("{{ 2 ** 100000 }}", "stopped: a number with more than 1,000 digits"),
    ("{{ 10.0 ** 1000 }}", "the template's arithmetic fails: a number too large"),
    ("{{ lipsum(10) }}", "'lipsum' is not a field letterkit gives templates"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
     "stopped: the template runs itself without end"),
    ("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
     "stopped: the template runs itself without end"),
    ("{% block b %}{{ self.b() }}{% endblock %}",
     "stopped: the template runs itself without end"),
    ("{{ customer.email|urlize }}", "No filter named 'urlize'"),
]
RENDERED_IDS = ["loops", "range", "range-overflow", "repeat", "text-in-a-loop", "doubling",
                "nested-lists", "center", "format-width", "replace", "tabs", "huge-number",
                "float-overflow", "lipsum", "recursive-macro", "recursive-loop",
                "recursive-block", "urlize"]


@pytest.mark.parametrize(("paragraph", "expected"), RENDERED, ids=RENDERED_IDS)
def test_render_stops_at_the_limits_naming_the_paragraph(tmp_path, sample_data, paragraph,
                                                         expected) -> None:
    """A hostile template rendered unchecked stops at a limit, in one line naming the
    template and, where it stands in one, the paragraph."""
    template = edited(tmp_path / "ours", paragraph)
    with pytest.raises(TemplateError) as caught:
        _render(template, sample_data)
    (problem,) = caught.value.problems
    assert str(template) == problem.file
    assert expected in problem.message
    assert "\n" not in str(problem)
    if "\\t" not in paragraph:  # tabs become runs after rendering: the template is named
        assert "(paragraph “" in problem.message


def test_the_time_limit_stops_a_letter(tmp_path, sample_data, monkeypatch) -> None:
    """Work the counts do not see is stopped by the clock, at the loop it was in."""
    monkeypatch.setattr(limits, "MAX_SECONDS", -1.0)  # the deadline is already past
    template = edited(tmp_path / "ours", "{% for f in findings %}{{ f }}{% endfor %}")
    with pytest.raises(TemplateError, match="stopped: the letter took more than"):
        _render(template, sample_data)


def test_limits_stand_behind_a_template_that_passes_the_check(cli, tmp_path, record) -> None:
    """A template the check passes, whose loops the record's lists multiply past the
    limit, still makes no letter: `render` exits 2 with one line naming the paragraph."""
    loops = (f"{{% for f in findings %}}{{% for i in range({N}) %}}{{% for j in range(10) %}}"
             "{% endfor %}{% endfor %}{% endfor %}")
    template = edited(tmp_path / "ours", loops)
    assert 0 == cli("templates", "check", "-l", "en", template).exit_code
    render = _render_cli(cli, record, template.parent, tmp_path / "out")
    assert 2 == render.exit_code
    (line,) = render.stderr.strip().splitlines()
    assert line.startswith(f"error: {template}: stopped: the loops ran more than 100,000 times")
    assert f"(paragraph “{loops[:99]}…”)" in line  # a long paragraph's start


@pytest.mark.parametrize(
    "paragraph",
    ["{{ customer.name|safe }}", "{% autoescape false %}{{ customer.name }}{% endautoescape %}",
     "{% filter safe %}{{ customer.name }}{% endfilter %}",
     "{% autoescape customer.name %}{{ customer.name }}{% endautoescape %}"],
    ids=["safe", "autoescape-false", "filter-safe", "autoescape-from-record"],
)
def test_a_record_never_becomes_markup(tmp_path, sample_data, paragraph) -> None:
    """Even unchecked, `|safe` and `{% autoescape false %}` leave a record's text as text:
    the letter opens and its last paragraph is the hostile name, literally."""
    sample_data["customer"]["name"] = HOSTILE_NAME
    docx = _render(edited(tmp_path / "ours", paragraph), sample_data)
    paragraphs = Document(io.BytesIO(docx)).paragraphs
    assert HOSTILE_NAME == paragraphs[-1].text
    assert HOSTILE_NAME in docx_text(docx)


def test_a_long_record_stays_well_inside_the_limits(tmp_path, sample_data) -> None:
    """A record far longer than any real one renders in full: the limits are for runaways."""
    sample_data["findings"] = [f"Finding {n}: " + "the door was dented. " * 100
                               for n in range(100)]
    template = edited(tmp_path / "ours", "{% for f in findings %}{{ f|upper }} {% endfor %}"
                      "{% for f in findings %}{% for word in f.split() %}{{ word }} {% endfor %}"
                      "{% endfor %}")
    text = docx_text(_render(template, sample_data))
    assert "FINDING 99: THE DOOR" in text
    assert "Finding 99: the door" in text
