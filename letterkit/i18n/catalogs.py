"""Keeping the languages' catalogs in step with the templates: update each catalog with
the templates' wording, check it is complete, and compile it. What is written goes to the
user's catalogs folder (see `letterkit.i18n.languages`), never into the installed package."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from letterkit.docx.find import template_files
from letterkit.docx.messages import extract_messages
from letterkit.errors import InputError
from letterkit.i18n.formats import locale_for
from letterkit.i18n.languages import (
    DOMAIN,
    SOURCE_LANGUAGE,
    available_languages,
    catalog_path,
    catalogs_changed,
    is_shipped,
    is_translated,
    message_errors,
    read_catalog,
    user_catalog_path,
    user_locales_dir,
)
from letterkit.output import write_atomic


def template_catalog(custom: Path | None = None) -> Catalog:
    """The wording of the shipped templates (and of those in the custom folder), with
    letterkit's own: what every catalog must translate."""
    return extract_messages(template_files(custom))


def write_template_catalog(custom: Path | None = None, target: Path | None = None
                           ) -> tuple[Path, int]:
    """Write the template catalog (default messages.pot in the user's catalogs folder);
    where, and how many messages it holds."""
    catalog = template_catalog(custom)
    target = target or user_locales_dir() / "messages.pot"
    write_catalog(catalog, target)
    return target, sum(1 for m in catalog if m.id)


def update_catalogs(custom: Path | None = None, add: str | None = None
                    ) -> list[tuple[Path, int]]:
    """Bring every language's catalog (and a new one for `add`) up to date with the
    templates, in the user's catalogs folder. A shipped catalog the templates leave as it
    is stays shipped (a copy would hide the next release's wording); one they change is
    the start of the user's copy. Each catalog's path and how many of its messages await a
    translation."""
    template = template_catalog(custom)
    languages = [lang for lang in available_languages() if lang != SOURCE_LANGUAGE]
    if add:
        add = add.lower()  # as --lang and a record's language are taken
        try:
            locale_for(add)
        except (UnknownLocaleError, ValueError):
            raise InputError.at(f"{add!r} is not a language code letterkit knows; give an "
                                "ISO 639 code, such as hi or ta", field="language") from None
        languages.append(add)
    updated = []
    for lang in dict.fromkeys(languages):
        source = catalog_path(lang)
        catalog = (read_catalog(source, lang) if source.is_file()
                   else Catalog(locale=str(locale_for(lang)), domain=DOMAIN))
        before = _messages(catalog)
        catalog.update(template)  # new messages untranslated (or fuzzy guesses), old obsolete
        path = source
        if not (is_shipped(source) and before == _messages(catalog)):
            path = user_catalog_path(lang)
            write_catalog(catalog, path)
        updated.append((path, sum(1 for m in catalog if m.id and (not is_translated(m)
                                                                  or m.fuzzy))))
    catalogs_changed()
    return updated


def _messages(catalog: Catalog) -> tuple[set[tuple[object, ...]], int]:
    """A catalog's messages, translations and flags, and how many are obsolete (whatever
    the headers say)."""
    return ({(m.context, m.id, m.string, m.fuzzy) for m in catalog if m.id},
            len(catalog.obsolete))


def compile_catalogs(custom: Path | None = None) -> list[tuple[CatalogReport, Path | None]]:
    """Check every language's catalog against the templates, and write the .mo of each of
    the user's (None for a shipped catalog, which is only checked)."""
    template = template_catalog(custom)
    return [(check_catalog(lang, template), compile_catalog(lang))
            for lang in available_languages() if lang != SOURCE_LANGUAGE]


def write_catalog(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=88, sort_output=False)
    write_atomic(path, buffer.getvalue(), force=True)


@dataclass
class CatalogReport:
    """What is wrong with a language's catalog against the templates' wording."""

    language: str
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.untranslated or self.fuzzy or self.errors)

    def lines(self) -> list[str]:
        path = catalog_path(self.language)
        return ([f"{path}: untranslated: {m!r}" for m in self.untranslated]
                + [f"{path}: fuzzy (a guess, not used): {m!r}" for m in self.fuzzy]
                + [f"{path}: {e}" for e in self.errors])


def check_catalog(language: str, template: Catalog) -> CatalogReport:
    """Every message of the template must be translated, not fuzzy, and keep its
    placeholders (`%(name)s`) intact."""
    report = CatalogReport(language)
    if language == SOURCE_LANGUAGE:
        return report
    path = catalog_path(language)
    if not path.is_file():
        report.errors.append("no catalog")
        return report
    catalog = read_catalog(path, language)
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        shown = message.id if isinstance(message.id, str) else message.id[0]
        if found is None or not is_translated(found):
            report.untranslated.append(shown)
        elif found.fuzzy:
            report.fuzzy.append(shown)
    report.errors += message_errors(catalog)
    return report


def compile_catalog(language: str) -> Path | None:
    """Write the language's .mo beside the user's .po, for gettext tools outside letterkit
    (letterkit itself reads the .po); None for a shipped catalog, which ships its .mo."""
    path = catalog_path(language)
    if is_shipped(path):
        return None
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(path, language), use_fuzzy=False)
    mo = path.with_suffix(".mo")
    write_atomic(mo, buffer.getvalue(), force=True)
    return mo
