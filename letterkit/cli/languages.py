"""Languages and their catalogs: `languages` and `i18n extract | update | compile`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from letterkit.cli.common import State, config_option, shown, templates_option
from letterkit.errors import InputError


@click.command()
def languages() -> None:
    """List the languages letters can be written in, and where your own catalogs go."""
    from letterkit.i18n.languages import (
        SETTING,
        SOURCE_LANGUAGE,
        available_languages,
        catalog_errors,
        catalog_path,
        is_shipped,
        missing_messages,
        user_locales_dir,
    )

    for lang in available_languages():
        path = catalog_path(lang)
        where = "" if lang == SOURCE_LANGUAGE or is_shipped(path) else f"  ({shown(path)})"
        try:
            missing, needed = missing_messages(lang)
            errors = catalog_errors(lang)
        except InputError as error:  # a catalog that cannot be read
            click.echo(f"{lang}{where}  not ready: {error.problems[0].message}")
            continue
        todo = f"  not ready: {missing} of {needed} messages to translate" if missing else ""
        if errors:
            todo += f"  not ready: {len(errors)} translations cannot be used (see "\
                    "`letterkit i18n compile`)"
        click.echo(f"{lang}{where}{todo}")
    click.echo(f"your catalogs: {shown(user_locales_dir())} (${SETTING} to change)", err=True)


@click.group()
def i18n() -> None:
    """Catalogs of the letters' fixed wording (thin wrappers over Babel).

    extract → messages.pot from the templates; update → each language's .po;
    compile → check every catalog is complete and write .mo files. The custom templates
    in force (--templates, $LETTERKIT_TEMPLATES, the config's) take part too. What is
    written goes to your own catalogs folder ($LETTERKIT_LOCALES, else `letterkit/locales`
    in your data folder; `letterkit languages` shows it), never into letterkit itself.
    """


@i18n.command("extract")
@templates_option
@click.option("-o", "--output", "pot", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the template catalog. Default: messages.pot in your catalogs "
              "folder (see `letterkit languages`).")
@config_option
@click.pass_obj
def i18n_extract(state: State, templates_dir: Path | None, pot: Path | None) -> None:
    """Write messages.pot: every message in the templates, with where it stands."""
    from letterkit.i18n.catalogs import write_template_catalog

    target, count = write_template_catalog(state.templates(templates_dir), pot)
    click.echo(f"wrote {shown(target)} ({count} messages)")


@i18n.command("update")
@templates_option
@click.option("--add", "new_language", metavar="LANG",
              help="Start a catalog for a new language (for example hi).")
@config_option
@click.pass_obj
def i18n_update(state: State, templates_dir: Path | None, new_language: str | None) -> None:
    """Bring each language's catalog up to date with the templates' wording, in your
    catalogs folder (a shipped catalog the templates leave as it is stays shipped)."""
    from letterkit.i18n.catalogs import update_catalogs
    from letterkit.i18n.languages import is_shipped

    for path, todo in update_catalogs(state.templates(templates_dir), new_language):
        if is_shipped(path):
            click.echo(f"{shown(path)} (shipped) is up to date with the templates "
                       f"({todo} to translate)")
        else:
            click.echo(f"updated {shown(path)} ({todo} to translate)")


@i18n.command("compile")
@templates_option
@config_option
@click.pass_obj
def i18n_compile(state: State, templates_dir: Path | None) -> None:
    """Check every catalog is complete (nothing untranslated or fuzzy, placeholders
    intact) and write its .mo. Exit 1 when a catalog has gaps."""
    from letterkit.i18n.catalogs import compile_catalogs
    from letterkit.i18n.languages import catalog_path

    status = 0
    for report, mo in compile_catalogs(state.templates(templates_dir)):
        for line in report.lines():
            click.echo(f"error: {line}", err=True)
        status = max(status, 0 if report.ok else 1)
        if mo is None:
            click.echo(f"checked {shown(catalog_path(report.language))} (shipped)")
        else:
            click.echo(f"wrote {shown(mo)}")
    sys.exit(status)
