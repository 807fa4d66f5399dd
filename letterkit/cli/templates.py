"""For admins: `templates list | init | check` and `fields`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from letterkit.cli.common import State, config_option, report, shown, templates_option
from letterkit.errors import EXISTS, InputError


@click.group(cls=click.Group)
def templates() -> None:
    """The .docx templates: which are in use, copies to edit, and checks.

    A custom folder (--templates, $LETTERKIT_TEMPLATES or the config's `templates`) is
    searched first: DIR/<lang>/<kind>-<layout>.docx, then DIR/<kind>-<layout>.docx, then
    the shipped template.
    """


@templates.command("list")
@templates_option
@config_option
@click.pass_obj
def templates_list(state: State, templates_dir: Path | None) -> None:
    """Show the template used for each kind, layout and language, custom or shipped."""
    from letterkit.docx.find import templates_in_use

    custom = state.templates(templates_dir)
    if custom is not None:
        click.echo(f"custom templates: {custom} (then the shipped ones)")
    for t in templates_in_use(custom):
        origin = "shipped" if t.shipped else "custom"
        click.echo(f"{t.kind:<16} {t.layout:<11} {t.language:<3} {origin:<8} {shown(t.path)}")


@templates.command("init")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def templates_init(folder: Path) -> None:
    """Copy the shipped templates into FOLDER to edit in Word (never over existing files)."""
    from letterkit.docx.find import copy_shipped_templates

    written, problems = copy_shipped_templates(folder)
    for path in written:
        click.echo(f"wrote {shown(path)}")
    for problem in problems:
        if problem.code == EXISTS:  # an admin's copy, maybe edited: kept, not an error
            click.echo(f"kept {shown(Path(problem.file or ''))}: already there", err=True)
    problems = [problem for problem in problems if problem.code != EXISTS]
    report(problems)
    click.echo(f"next: edit them in Word, then: letterkit templates check {shown(folder)}",
               err=True)
    sys.exit(1 if problems else 0)


@templates.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-l", "--lang", "languages", multiple=True, metavar="LANG",
              help="Check the wording against these languages' catalogs. Default: all.")
def templates_check(paths: tuple[Path, ...], languages: tuple[str, ...]) -> None:
    """Check TEMPLATES (.docx files or folders of them): syntax, fields, filters, Python
    internals, tags Word damaged, and wording missing from the catalogs. Exit 1 with one
    line per problem."""
    from letterkit.docx.check import check_template
    from letterkit.docx.find import docx_files
    from letterkit.i18n.languages import check_language

    for language in languages:
        check_language(language, field="--lang")
    files = docx_files(paths)
    if not files:
        raise InputError.at("no .docx templates found", file=" ".join(map(str, paths)))
    status = 0
    for path in files:
        result = check_template(path, languages or None)
        if result.problems:
            report(result.problems)
            status = 1
        else:
            click.echo(f"ok: {shown(path)}: {len(result.fields_used)} fields, "
                       f"{result.messages} messages")
    sys.exit(status)


@click.command()
@click.option("--markdown", is_flag=True, help="As Markdown tables (for the README).")
def fields(markdown: bool) -> None:
    """Every field a template may use, and letterkit's filters, with examples."""
    from letterkit.docx.fields import reference_card
    from letterkit.inputs import sample_record

    rows, filters = reference_card(sample_record())
    if markdown:
        click.echo("| field | type | required | what it is | example |")
        click.echo("|---|---|---|---|---|")
        for f in rows:
            click.echo(f"| `{f.path}` | {f.type} | {'yes' if f.required else ''} | "
                       f"{f.description} | {f.example.replace('|', '/')} |")
        click.echo("\n| filter | what it does | example | gives |")
        click.echo("|---|---|---|---|")
        for t in filters:
            click.echo(f"| `{t.name}` | {t.description} | `{t.example}` | {t.gives} |")
        return
    for f in rows:
        required = "required" if f.required else ""
        click.echo(f"{f.path:<32} {f.type:<22} {required:<9} {f.description}")
        if f.example:
            click.echo(f"{'':<32} e.g. {f.example}")
    click.echo("\nFilters (besides Jinja's own):")
    for t in filters:
        click.echo(f"  {t.name:<15} {t.description}\n  {'':<15} {t.example}  ->  {t.gives}")
