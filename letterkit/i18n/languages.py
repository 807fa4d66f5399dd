"""The languages letters can be written in: one gettext catalog each in `locales/`.

The fixed wording of every template is English in the source (msgids); a language is
available when `locales/<lang>/LC_MESSAGES/messages.po` exists. Adding a language is a
catalog, not code.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from letterkit.errors import InputError
from letterkit.resources import data_path

SOURCE_LANGUAGE = "en"
DOMAIN = "messages"


def locales_dir() -> Path:
    return data_path("locales")


def catalog_path(lang: str) -> Path:
    return locales_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages() -> list[str]:
    """Every language a letter can be written in: the source language and each catalog."""
    return list(_languages_in(locales_dir()))


def catalogs_changed() -> None:
    """Forget what was read of the catalogs (after `i18n update` writes them)."""
    _languages_in.cache_clear()
    translations.cache_clear()


@functools.cache
def _languages_in(folder: Path) -> tuple[str, ...]:
    # Looked up for every letter; the catalogs in a folder do not change during a run.
    found = {SOURCE_LANGUAGE}
    if folder.is_dir():
        found.update(p.name for p in folder.iterdir()
                     if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
    return tuple(sorted(found))


def check_language(lang: str, *, field: str | None = "language") -> str:
    """The language, if letterkit can write in it; otherwise an InputError naming the choices."""
    if lang not in available_languages():
        choices = ", ".join(available_languages())
        raise InputError.at(
            f"no catalog for language {lang!r} (looked for {catalog_path(lang)}); "
            f"available: {choices}",
            field=field, expected=choices,
        )
    return lang


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The gettext translations for a language, compiled from its .po in memory.

    Fuzzy entries are left out, as gettext's own compiler does: a guess is not a translation.
    """
    check_language(lang)
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    path = catalog_path(lang)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def pmark(context: str, message: str) -> str:
    """Mark wording kept in Python for extraction; it is translated where it is used."""
    return message
