"""The languages letters can be written in: one gettext catalog each.

The fixed wording of every template is English in the source (msgids). A language is
available when `<lang>/LC_MESSAGES/messages.po` exists in the shipped `locales/` or in the
user's own catalogs folder (`$LETTERKIT_LOCALES`, else `letterkit/locales` in the user's
data folder), where `i18n update` writes: letterkit never writes inside its installed
package. A user's catalog stands before the shipped one of its language. Adding a language
is a catalog, not code; letters are written in it only once it translates every message.
"""

from __future__ import annotations

import functools
import io
import os
import re
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from letterkit.errors import InputError
from letterkit.resources import data_path, user_folders

SOURCE_LANGUAGE = "en"
DOMAIN = "messages"
SETTING = "LETTERKIT_LOCALES"


def locales_dir() -> Path:
    """The shipped catalogs (read only: inside the installed package)."""
    return data_path("locales")


def user_locales_dir() -> Path:
    """The user's own catalogs: $LETTERKIT_LOCALES, else `locales` in their data folder."""
    named = os.environ.get(SETTING)
    return Path(named) if named else _data_locales(*map(os.environ.get, _DATA_FOLDER_SETTINGS))


# What the user's data folder is found from (see `user_folders`), besides what does not
# change while letterkit runs (the system, its registry): every letter looks it up.
_DATA_FOLDER_SETTINGS = ("XDG_DATA_HOME", "HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH",
                         "APPDATA", "LOCALAPPDATA")


@functools.lru_cache(maxsize=8)
def _data_locales(*_settings: str | None) -> Path:
    return user_folders("data")[0] / "locales"


def catalog_path(lang: str) -> Path:
    """The catalog letters in `lang` are written from: the user's, else the shipped one."""
    own = user_catalog_path(lang)
    return own if own.is_file() else _shipped_catalog_path(lang)


def user_catalog_path(lang: str, folder: Path | None = None) -> Path:
    """Where the user's catalog of `lang` is (or would be) kept (in `folder`, the user's
    catalogs folder, when it has been looked up already)."""
    return (folder or user_locales_dir()) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _shipped_catalog_path(lang: str) -> Path:
    return locales_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _catalog_version(lang: str, folder: Path | None = None) -> tuple[Path, int]:
    """`catalog_path`, and when it last changed."""
    own = user_catalog_path(lang, folder)
    return _version(own if own.is_file() else _shipped_catalog_path(lang))


def is_shipped(path: Path) -> bool:
    return path.resolve().is_relative_to(locales_dir().resolve())


def available_languages(folder: Path | None = None) -> list[str]:
    """Every language with a catalog (shipped or the user's, in `folder` when it has been
    looked up already), and the source language."""
    return list(_languages_in(locales_dir(), folder or user_locales_dir()))


def ready_languages() -> list[str]:
    """The available languages whose catalogs translate every message letters need."""
    ready = []
    for lang in available_languages():
        try:
            if not missing_messages(lang)[0] and not catalog_errors(lang):
                ready.append(lang)
        except InputError:
            continue  # a catalog that cannot be read
    return ready


def catalogs_changed() -> None:
    """Forget what was read of the catalogs (after `i18n update` writes them)."""
    _languages_in.cache_clear()
    _catalog.cache_clear()
    _translations.cache_clear()
    _missing.cache_clear()
    _errors.cache_clear()


@functools.cache
def _languages_in(*folders: Path) -> tuple[str, ...]:
    # Looked up for every letter; the catalogs in a folder do not change during a run.
    found = {SOURCE_LANGUAGE}
    for folder in folders:
        if folder.is_dir():
            found.update(p.name for p in folder.iterdir()
                         if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
    return tuple(sorted(found))


def check_language(lang: str, *, field: str | None = "language") -> str:
    """The language, if letters can be written in it; otherwise an InputError naming the
    choices, or saying how much of its catalog is still to translate."""
    _checked_catalog(lang, field)
    return lang


def _checked_catalog(lang: str, field: str | None) -> tuple[Path, int] | None:
    """What `check_language` checks; the language's catalog and its version (None for
    the source language). Every letter checks its language, so the disk is looked at as
    little as can be: once for the user's catalogs folder, once for the catalog."""
    if lang == SOURCE_LANGUAGE:  # always there: the templates' own wording
        return None
    folder = user_locales_dir()
    if lang not in _languages_in(locales_dir(), folder):
        choices = ", ".join(available_languages(folder))
        raise InputError.at(
            f"no catalog for language {lang!r} (looked for {user_catalog_path(lang, folder)}); "
            f"available: {choices}",
            field=field, expected=choices,
        )
    path, changed = _catalog_version(lang, folder)
    missing, needed = _missing(path, changed, lang)
    errors = _errors(path, changed, lang)
    if errors:
        raise InputError.at(
            f"the {lang!r} catalog ({path}) has {len(errors)} translations "
            f"letters cannot use, so no letter is written in it; the first: {errors[0]}; "
            "fix them, then check with `letterkit i18n compile`",
            field=field, expected="translations that keep their placeholders")
    if missing:
        raise InputError.at(
            f"the {lang!r} catalog ({path}) does not yet translate {missing} of "
            f"the {needed} messages letters need, so no letter is written in it; translate "
            "them (untranslated and fuzzy entries), then check with `letterkit i18n compile`",
            field=field, expected="a complete catalog")
    return path, changed


def missing_messages(lang: str) -> tuple[int, int]:
    """How many of the messages the shipped templates and letterkit need the language's
    catalog lacks (untranslated or fuzzy), and how many there are."""
    if lang == SOURCE_LANGUAGE:
        return 0, 0
    return _missing(*_catalog_version(lang), lang)


def catalog_errors(lang: str) -> tuple[str, ...]:
    """The translations of a language's catalog that letters cannot use: placeholders
    changed (Babel's checks), or text `%` cannot fill in (a bare `%`)."""
    if lang == SOURCE_LANGUAGE:
        return ()
    return _errors(*_catalog_version(lang), lang)


@functools.cache
def _errors(path: Path, _mtime: int, lang: str) -> tuple[str, ...]:
    return tuple(message_errors(_catalog(path, _mtime, lang)))


def message_errors(catalog: Catalog) -> list[str]:
    """What is wrong with the catalog's translations, a line each."""
    errors = [f"{message.id!r}: {error}" for message, found in catalog.check()
              for error in found]
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        names = set(re.findall(r"%\((\w+)\)", " ".join(i for i in ids if i)))
        if not names or message.fuzzy or not is_translated(message):
            continue
        strings = message.string if isinstance(message.string, tuple | list) \
            else (message.string,)
        for string in strings:
            try:
                str(string) % dict.fromkeys(names, 1)
            except (KeyError, ValueError, TypeError) as exc:
                errors.append(f"{ids[0]!r}: its translation {string!r} cannot be filled in "
                              f"({exc})")
    return errors


def _version(path: Path) -> tuple[Path, int]:
    # A catalog is read again when it changes, even in a long-running process.
    return path, path.stat().st_mtime_ns


@functools.cache
def _missing(path: Path, _mtime: int, lang: str) -> tuple[int, int]:
    with (locales_dir() / "messages.pot").open("rb") as fh:
        needed = [m for m in read_po(fh, domain=DOMAIN) if m.id]
    catalog = _catalog(path, _mtime, lang)
    missing = 0
    for message in needed:
        found = catalog.get(message.id, context=message.context)
        if found is None or found.fuzzy or not is_translated(found):
            missing += 1
    return missing, len(needed)


def is_translated(message: Message) -> bool:
    """A translation for every form (a plural message has several); fuzzy ones count as
    translated here, and are reported apart."""
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


@functools.cache
def _catalog(path: Path, _mtime: int, lang: str) -> Catalog:
    return read_catalog(path, lang)


def read_catalog(path: Path, locale: str) -> Catalog:
    """A .po catalog, or an InputError saying why it cannot be read."""
    try:
        with path.open("rb") as fh:
            return read_po(fh, locale=locale, domain=DOMAIN)
    except UnicodeDecodeError as exc:
        raise InputError.at(f"is not UTF-8 text (byte {exc.object[exc.start]:#04x}); save "
                            "it as UTF-8", file=str(path)) from None
    except (OSError, ValueError) as exc:
        raise InputError.at(f"cannot be read as a catalog: {exc}", file=str(path)) from None


def translations(lang: str) -> NullTranslations:
    """The gettext translations for a language, compiled from its .po in memory.

    Fuzzy entries are left out, as gettext's own compiler does: a guess is not a translation.
    """
    catalog = _checked_catalog(lang, "language")
    if catalog is None:
        return NullTranslations()
    return _translations(*catalog, lang)


@functools.cache
def _translations(path: Path, mtime: int, lang: str) -> NullTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(path, mtime, lang), use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def pmark(context: str, message: str) -> str:
    """Mark wording kept in Python for extraction; it is translated where it is used."""
    return message
