"""What the commands share: the config, the options several commands take (each defined
once here), and turning the library's problems into lines on stderr and exit codes.

Every command imports this module, and `letterkit --version` and `--help` too, so it loads
no part of letterkit beyond its errors: what a command needs from the library it imports
when it runs (an option's check, a method of State), and an option whose choices come from
the library is a function, called when the command that takes it is defined.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import functools
import io
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from letterkit.collector import hold_collector, release_collector
from letterkit.errors import (
    EXISTS,
    PRACTICE,
    UNUSED_COLUMNS,
    InputError,
    LetterkitError,
    MissingTool,
    Problem,
    TemplateError,
)

if TYPE_CHECKING:
    from letterkit.config import Config
    from letterkit.writing import RecordOutcome, WriteOptions

F = TypeVar("F", bound=Callable[..., Any])

# The command-line contract: 0 all done; 1 some letters were not written or a check found
# problems; 2 bad usage or bad input (or a tool letterkit needs is missing).
BAD_INPUT = (InputError, TemplateError, MissingTool)


def exit_code(error: LetterkitError) -> int:
    return 2 if isinstance(error, BAD_INPUT) else 1


class State:
    """What every command shares: the config, loaded once and only when needed."""

    def __init__(self) -> None:
        self.config_path: Path | None = None

    @functools.cached_property
    def config(self) -> Config:
        from letterkit.config import load_config

        return load_config(self.config_path)[0]

    def column_map(self, option: Path | None) -> dict[str, str]:
        """The sheet's own column names for letterkit's fields: --columns, else the config's."""
        from letterkit.sources import column_map

        return column_map(option or self.config.columns)

    def templates(self, option: Path | None) -> Path | None:
        """The custom templates folder: --templates, $LETTERKIT_TEMPLATES, the config's."""
        from letterkit.docx.find import custom_templates_dir

        return custom_templates_dir(option, self.config.templates)

    def write_options(self, *, kinds: tuple[str, ...], language: str | None,
                      layout: str | None, out_dir: Path, templates_dir: Path | None,
                      letter_date: dt.date | None, force: bool = False, emails: bool = True,
                      strict: bool = False, pdf: bool = False, resume: bool = False
                      ) -> WriteOptions:
        from letterkit.writing import WriteOptions

        return WriteOptions(kinds=kinds, out_dir=out_dir, today=letter_date,
                            config=self.config, language=language, layout=layout,
                            templates=templates_dir, force=force,
                            emails=emails, strict=strict, pdf=pdf, resume=resume)


class Group(click.Group):
    """A command group that turns letterkit's own errors, raised anywhere below it (in an
    option's check or in a command), into stderr lines and the contract's exit status;
    anything else is a bug and keeps its traceback."""

    # The commands that write letters, which hold the collector off from their start until
    # their first letter is made (see letterkit.collector); any other lets it run at once.
    WRITING = frozenset({"render", "batch"})

    def main(self, *args: Any, **kwargs: Any) -> Any:
        survive_any_encoding()
        hold_collector()
        try:
            return super().main(*args, **kwargs)
        finally:
            release_collector()

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name not in self.WRITING:
            release_collector()
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LetterkitError as error:
            report(error.problems)
            ctx.exit(exit_code(error))


def survive_any_encoding() -> None:
    """Make printing a Telugu name unable to fail. Output going to a file or a pipe is
    written as UTF-8 (Windows would use cp1252, which has no Telugu), unless
    PYTHONIOENCODING chose otherwise; whatever the encoding, a character it lacks is shown
    as `?` instead of stopping the command."""
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue
        try:
            if codecs.lookup(stream.encoding).name == "utf-8":
                continue
            if not stream.isatty() and not os.environ.get("PYTHONIOENCODING"):
                stream.reconfigure(encoding="utf-8")
            else:
                stream.reconfigure(errors="replace")
        except (LookupError, OSError, ValueError):
            continue  # a stream that cannot change: leave it as it is


# --- the options several commands share ----------------------------------------------

def _remember_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        # Said at once, by every command: one that reads no setting (`languages`) would
        # otherwise pass over a mistyped name in silence.
        if not value.exists():
            raise click.BadParameter(f"{value}: config file not found")
        if not value.is_file():
            raise click.BadParameter(f"{value}: is not a file; expected a YAML or JSON "
                                     "config file")
        ctx.ensure_object(State).config_path = value


config_option = click.option(
    "--config", type=click.Path(path_type=Path, dir_okay=False), expose_value=False,
    callback=_remember_config,
    help="Settings file (organisation, handler, language, layout, timezone …). Default: "
    "$LETTERKIT_CONFIG, ./letterkit.yaml, then letterkit/config.yaml in your settings folder "
    "(%APPDATA% on Windows, ~/Library/Application Support on macOS, ~/.config on Linux).")


def _language(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from letterkit.i18n.languages import check_language

    return check_language(value.lower(), field="--lang")


def _date(_ctx: click.Context, _param: click.Parameter, value: dt.datetime | None
          ) -> dt.date | None:
    from letterkit.record import FIRST_YEAR, LAST_YEAR

    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise click.BadParameter(f"{value.date().isoformat()} is outside the years letterkit takes "
                                 f"({FIRST_YEAR} to {LAST_YEAR}); a typo?")
    return value.date() if value is not None else None


lang_option = click.option(
    "-l", "--lang", "language", metavar="LANG", callback=_language,
    help="Language of the fixed wording (en, te …). Default: the record's `language`, then "
    "the config's, then en.")
templates_option = click.option(
    "--templates", "templates_dir", type=click.Path(path_type=Path, file_okay=False),
    help="Folder of custom templates, used before the shipped ones. Default: "
    "$LETTERKIT_TEMPLATES, then the config's `templates`.")
columns_option = click.option(
    "--columns", "columns_file", type=click.Path(path_type=Path, dir_okay=False),
    help="A YAML file mapping the sheet's own column names to letterkit's fields "
    "(`Customer name: customer.name`). Default: the config's `columns`.")
date_option = click.option(
    "--date", "letter_date", type=click.DateTime(formats=["%Y-%m-%d"]), callback=_date,
    help="The letters' date (YYYY-MM-DD). Default: today.")


def layout_option() -> Callable[[F], F]:
    from letterkit.record import LAYOUTS

    return click.option(
        "--layout", type=click.Choice(LAYOUTS),
        help="Letter layout. Default: the record's `layout`, then the config's, then block.")


def kinds_option(help: str) -> Callable[[F], F]:
    from letterkit.kinds import KINDS

    return click.option("-k", "--kind", "kinds", multiple=True, default=["all"],
                        show_default=True, type=click.Choice([*KINDS, "all"]), help=help)


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several option decorators as one, in the order given (as they show in --help)."""
    def apply(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command
    return apply


def letter_options(command: F) -> F:
    """The options of the commands that write letters (render, batch)."""
    return options(
        kinds_option("Which letter to make; repeat for several. `all` makes every kind the "
                     "record allows on the letters' date, and says why it skipped the rest."),
        lang_option,
        layout_option(),
        click.option("-o", "--output", "out_dir", default=Path("letters"), show_default=True,
                     type=click.Path(path_type=Path, file_okay=False),
                     help="Folder for the letters; each record gets a subfolder named by its "
                     "reference."),
        templates_option,
        date_option,
        click.option("--force", is_flag=True, help="Replace letters that already exist."),
        click.option("--no-email", "emails", is_flag=True, default=True, flag_value=False,
                     help="Write the .docx letters only: no .eml or .ics."),
        click.option("--strict", is_flag=True,
                     help="Write nothing for a record the practice checks find fault with."),
        click.option("--pdf", is_flag=True,
                     help="Also a PDF beside each letter (LibreOffice); emails that attach "
                     "their letter attach it too."),
        config_option,
    )(command)


# --- saying what happened ------------------------------------------------------------

def advice(problem: Problem, label: str) -> str:
    """A problem as a line, with what to do about it on the command line."""
    line = str(problem)
    if problem.code == EXISTS:
        return f"{line}; use --force to replace it"
    if problem.code == PRACTICE and label == "error":
        return f"{line} (--strict: no letters written)"
    if problem.code == UNUSED_COLUMNS:
        return f"{line} (--columns FILE, or `columns:` in the config)"
    return line


def report(problems: Iterable[Problem], *, label: str = "error", file: str | None = None
           ) -> None:
    for problem in problems:
        if file and not problem.file:
            problem = dataclasses.replace(problem, file=file)
        click.echo(f"{label}: {advice(problem, label)}", err=True)


def report_outcome(outcome: RecordOutcome, *, file: str | None = None) -> int:
    """Print what writing a record did; its exit status."""
    if outcome.error is not None:
        report(outcome.error.problems, file=file)
        return exit_code(outcome.error)
    report([*outcome.not_made, *outcome.notes], label="note", file=file)
    report(outcome.warnings, label="warning", file=file)
    for written in outcome.written:
        click.echo(f"wrote {shown(written.path)} ({written.what})")
    report(outcome.problems, file=file)
    return 1 if outcome.problems else 0


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):  # OSError: the current folder was deleted
        return str(path)
