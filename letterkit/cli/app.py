"""The `letterkit` command group: its global options, and every command under it."""

from __future__ import annotations

import click

from letterkit import __version__
from letterkit.cli.checks import check
from letterkit.cli.common import Group, State, config_option
from letterkit.cli.languages import i18n, languages
from letterkit.cli.letters import batch, preview, render
from letterkit.cli.samples import sample
from letterkit.cli.send import send
from letterkit.cli.templates import fields, templates


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="letterkit")
@config_option
@click.pass_context
def main(ctx: click.Context) -> None:
    """Complaint letters from Word templates: acknowledgement, meeting confirmation,
    resolution and follow-up letters, in English and Telugu."""
    ctx.ensure_object(State)


for command in (render, batch, preview, send, check, templates, fields, sample, languages,
                i18n):
    main.add_command(command)
