"""The Jinja environment letters are rendered in: sandboxed, autoescaping with no way
around it, strict, bounded in time, size and loops, with the language's gettext and Babel
formats as filters."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jinja2
from markupsafe import Markup, escape

from letterkit.docx.limits import LetterEnvironment
from letterkit.i18n.formats import Formats


class _Undefined(jinja2.StrictUndefined):
    """Strict: a field the record lacks is an error naming the field, never a blank."""

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        return f"{self._undefined_name!r} is not a field letterkit gives templates"


def _escaped(fn: Callable[..., Any]) -> Callable[..., Markup]:
    # Translations are text, not markup: a translator's "&" must come out as "&amp;"
    # or the document is no longer valid XML. A message's translation never changes in
    # one environment, and every letter asks for the same ones: look each up once.
    @functools.lru_cache(maxsize=4096)
    def translated(*args: Any) -> Markup:
        return escape(str(fn(*args)))

    return translated


@functools.cache
def environment(language: str, native_digits: bool = False) -> LetterEnvironment:
    """The Jinja environment for one language: sandboxed, autoescaping, strict, held to
    one letter's limits, with the language's gettext and Babel formats as filters."""
    formats = Formats.for_language(language, native_digits=native_digits)
    env = LetterEnvironment(
        autoescape=True,
        undefined=_Undefined,
        extensions=["jinja2.ext.i18n"],
        finalize=lambda value: "" if value is None else value,
    )
    t = formats.translations
    gettext = _escaped(t.gettext)
    env.extend(letterkit_gettext=gettext)  # for folding constant messages at compile time
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext,
        ngettext=_escaped(t.ngettext),
        pgettext=_escaped(t.pgettext),
        npgettext=_escaped(t.npgettext),
        newstyle=True,
    )
    env.filters.update(template_filters(formats))
    return env


def template_filters(formats: Formats) -> dict[str, Callable[..., str]]:
    """The filters letterkit adds to Jinja's own, by the name templates use."""
    return {
        "date": formats.date,
        "time": formats.time,
        "timezone": formats.timezone,
        "money": formats.money,
        "number": formats.number,
        "duration": formats.duration,
        "join_and": formats.join_and,
        "courtesy_title": formats.courtesy_title,
        "addressee": formats.addressee,
        "nobreak": formats.nobreak,
    }
