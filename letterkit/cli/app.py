"""The `letterkit` command group: its global options, and every command under it.

A command's module is imported only when that command runs or shows its help, so each
command loads only what it uses and `letterkit --version` or `--help` loads none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import click

from letterkit.cli.common import Group, State, config_option

# Each command: where it is defined, and the first sentence of its help, which is its line
# in `letterkit --help` (tests/test_startup.py holds the two to the same words).
COMMANDS = {
    "render": ("letterkit.cli.letters:render",
               "Make the letters for one or more RECORDS (YAML or JSON files)."),
    "batch": ("letterkit.cli.letters:batch",
              "Make the letters for every row of a CSV (see `letterkit sample` for its "
              "columns)."),
    "preview": ("letterkit.cli.letters:preview",
                "Write a picture of a letter's first page, to look at before it goes: of a "
                "record file, or of row N of a CSV (--row N)."),
    "send": ("letterkit.cli.send:send",
             "Send MESSAGES (.eml files, or folders of them) over one SMTP connection."),
    "check": ("letterkit.cli.checks:check",
              "Check records (YAML, JSON, or every row of a CSV) against the practice: what "
              "each letter must commit to, and wording that blames, stonewalls, sends the "
              "customer elsewhere, promises too much or reads like a form."),
    "templates": ("letterkit.cli.templates:templates",
                  "The .docx templates: which are in use, copies to edit, and checks."),
    "fields": ("letterkit.cli.templates:fields",
               "Every field a template may use, and letterkit's filters, with examples."),
    "sample": ("letterkit.cli.samples:sample",
               "Write sample records and a sample CSV to start from."),
    "languages": ("letterkit.cli.languages:languages",
                  "List the languages letters can be written in, and where your own catalogs "
                  "go."),
    "i18n": ("letterkit.cli.languages:i18n",
             "Catalogs of the letters' fixed wording (thin wrappers over Babel)."),
}


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, each imported from its module when first looked up."""

    def __init__(self, where: dict[str, str]) -> None:
        self.where = where  # name: "module:attribute"
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            module, _, attribute = self.where[name].partition(":")
            self.loaded[name] = getattr(importlib.import_module(module), attribute)
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self.where.pop(name, None)
        self.loaded.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self.where or name in self.loaded  # without importing it

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.where, *self.loaded]))

    def __len__(self) -> int:
        return len(set(self.where) | set(self.loaded))


class LazyGroup(Group):
    """The top group: its commands come from COMMANDS, imported when used."""

    def __init__(self, name: str | None = None, **attrs: Any) -> None:
        where = {command: target for command, (target, _) in COMMANDS.items()}
        super().__init__(name, commands=LazyCommands(where), **attrs)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands, from COMMANDS' sentences rather than the commands' own
        help, which would import every command's module."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        # A stand-in with the same help is shortened to the width as click does any command.
        rows = [(name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit))
                for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from letterkit import __version__  # read from the installed metadata: only when asked

    click.echo(f"letterkit, version {__version__}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=show_version, help="Show the version and exit.")
@config_option
@click.pass_context
def main(ctx: click.Context) -> None:
    """Complaint letters from Word templates: acknowledgement, meeting confirmation,
    resolution and follow-up letters, in English and Telugu."""
    ctx.ensure_object(State)
