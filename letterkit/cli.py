"""The `letterkit` command: options in, the core called, results and problems reported.

Exit status: 0 all done; 1 some letters were not written or a check found problems;
2 bad usage or bad input. Problems go to stderr, one line each, naming file and field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from letterkit import __version__
from letterkit.config import Config, load_config
from letterkit.errors import LetterkitError, Problem
from letterkit.i18n import available_languages, check_language
from letterkit.letters import KIND_NAMES, KINDS, LAYOUTS, load_record, make_letter, plan_kinds
from letterkit.output import write_atomic
from letterkit.resources import data_path

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    """What every command shares: the config, loaded once and only when needed."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path

    @functools.cached_property
    def config(self) -> Config:
        return load_config(self.config_path)[0]


def report(problems: Iterable[Problem], *, label: str = "error", file: str | None = None) -> None:
    for problem in problems:
        if file and not problem.file:
            problem = dataclasses.replace(problem, file=file)
        click.echo(f"{label}: {problem}", err=True)


def fail(error: LetterkitError) -> NoReturn:
    report(error.problems)
    sys.exit(error.exit_code)


def handles_errors(command: F) -> F:
    """Turn letterkit's own errors into stderr lines and the contract's exit status;
    anything else is a bug and keeps its traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LetterkitError as error:
            fail(error)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="letterkit")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (organisation, handler, language, layout, timezone). "
    "Default: $LETTERKIT_CONFIG, ./letterkit.yaml, then ~/.config/letterkit/config.yaml.",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Complaint letters from Word templates: acknowledgement, meeting confirmation and
    resolution letter, in English and Telugu."""
    ctx.obj = _State(config_path)


@main.command()
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-k", "--kind", "kinds", multiple=True, default=["all"], show_default=True,
              type=click.Choice([*KINDS, "all"]),
              help="Which letter to make; repeat for several. `all` makes every kind the "
              "record has the fields for and says which it skipped.")
@click.option("-l", "--lang", "language", metavar="LANG",
              help="Language of the fixed wording (en, te …). Default: the record's "
              "`language`, then the config's, then en.")
@click.option("--layout", type=click.Choice(LAYOUTS),
              help="Letter layout. Default: the record's `layout`, then the config's, "
              "then block.")
@click.option("-o", "--output", "out_dir", default=Path("letters"), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the letters; each record gets a subfolder named by its "
              "reference.")
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of custom templates, used before the shipped ones.")
@click.option("--date", "letter_date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The date the letters carry (YYYY-MM-DD). Default: today.")
@click.option("--force", is_flag=True, help="Replace letters that already exist.")
@click.pass_obj
@handles_errors
def render(
    state: _State,
    records: tuple[Path, ...],
    kinds: tuple[str, ...],
    language: str | None,
    layout: str | None,
    out_dir: Path,
    templates_dir: Path | None,
    letter_date: dt.datetime | None,
    force: bool,
) -> None:
    """Make the letters for one or more RECORDS (YAML or JSON files).

    Letters go to OUTPUT/<reference>/<kind>.<lang>.docx. An existing letter is never
    replaced without --force.
    """
    if language is not None:
        check_language(language.lower(), field="--lang")
    today = letter_date.date() if letter_date else dt.date.today()
    status = 0
    for path in records:
        try:
            status = max(status, _render_one(state.config, path, kinds, language, layout,
                                             out_dir, templates_dir, today, force))
        except LetterkitError as error:
            report(error.problems, file=str(path))
            status = max(status, error.exit_code)
    sys.exit(status)


def _render_one(
    config: Config,
    path: Path,
    kinds: Iterable[str],
    language: str | None,
    layout: str | None,
    out_dir: Path,
    templates_dir: Path | None,
    today: dt.date,
    force: bool,
) -> int:
    record = load_record(path, config)
    lang = (language or record.language or config.language).lower()
    if language is None:
        check_language(lang, field="language")
    todo, skipped = plan_kinds(record, kinds)
    report(skipped, label="note", file=str(path))
    status = 0
    for kind in todo:
        letter = make_letter(record, kind, language=lang,
                             layout=layout or record.layout or config.layout,
                             today=today, templates=templates_dir)
        target = letter.path(out_dir)
        try:
            write_atomic(target, letter.docx, force=force)
        except LetterkitError as error:
            report(error.problems)
            status = max(status, error.exit_code)
            continue
        click.echo(f"wrote {_shown(target)} ({KIND_NAMES[kind]})")
    return status


@main.command()
@click.option("-o", "--output", "out_dir", default=Path("."), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write the sample files into.")
@click.option("--force", is_flag=True, help="Replace sample files that already exist.")
@handles_errors
def sample(out_dir: Path, force: bool) -> None:
    """Write a sample record and a sample CSV to start from.

    The CSV's header shows every column a batch file may have.
    """
    status = 0
    for source in sorted(data_path("samples").iterdir()):
        if not source.is_file():
            continue
        target = out_dir / source.name
        try:
            write_atomic(target, source.read_bytes(), force=force)
        except LetterkitError as error:
            report(error.problems)
            status = max(status, error.exit_code)
            continue
        click.echo(f"wrote {_shown(target)}")
    if status == 0:
        first = next(iter(sorted(data_path("samples").glob("*.yaml"))), None)
        if first is not None:
            click.echo(f"next: letterkit render {_shown(out_dir / first.name)}", err=True)
    sys.exit(status)


@main.command()
def languages() -> None:
    """List the languages letters can be written in."""
    for lang in available_languages():
        click.echo(lang)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

