"""Sending the emails: `send`."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import click

from letterkit.cli.common import State, config_option, report, shown
from letterkit.delivery.smtp import SmtpSettings, read_messages, send_all, sent_before
from letterkit.errors import InputError


@click.command()
@click.argument("messages", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--host", help="Mail server. Default: the config's smtp.host, else localhost.")
@click.option("--port", type=int, help="Default: 25, 587 with --starttls, 465 with --ssl.")
@click.option("--starttls", "security", flag_value="starttls", help="Upgrade to TLS.")
@click.option("--ssl", "security", flag_value="ssl", help="Connect with TLS from the start.")
@click.option("--user", help="Log in as this user; the password comes from "
              "$LETTERKIT_SMTP_PASSWORD or a prompt.")
@click.option("--rate", "per_minute", type=click.FloatRange(min=0, min_open=True),
              metavar="N", help="Send at most N messages a minute.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@config_option
@click.pass_obj
def send(state: State, messages: tuple[Path, ...], host: str | None, port: int | None,
         security: str | None, user: str | None, per_minute: float | None,
         dry_run: bool) -> None:
    """Send MESSAGES (.eml files, or folders of them) over one SMTP connection.

    Each folder keeps a sent.csv log: a message already in it is not sent again, so
    running the same command twice sends nothing twice. Settings come from the flags,
    then $LETTERKIT_SMTP_HOST/_PORT/_SECURITY/_USER, then the config's smtp section.
    """
    outgoing = read_messages(messages)  # nothing is sent unless every file can be
    settings = SmtpSettings.from_config(state.config.smtp, os.environ)
    settings = dataclasses.replace(
        settings, host=host or settings.host, port=port or settings.port,
        security=security or settings.security,  # type: ignore[arg-type]
        user=user or settings.user)
    if dry_run:
        for item in outgoing:
            when = sent_before(item)
            said = f"already sent {when}" if when else "would send"
            click.echo(f"{said}: {shown(item.path)} to {', '.join(item.recipients)}: "
                       f"{item.subject}")
        return
    if settings.user and not settings.password:
        if not sys.stdin.isatty():
            raise InputError.at("no password: set LETTERKIT_SMTP_PASSWORD", field="--user")
        settings = dataclasses.replace(
            settings, password=click.prompt(f"Password for {settings.user}", hide_input=True))
    result = send_all(outgoing, settings, per_minute=per_minute,
                      on_sent=lambda item, refused: click.echo(
                          f"sent {shown(item.path)} to {', '.join(item.recipients)}"))
    for path, when in result.already_sent:
        click.echo(f"already sent {shown(path)} on {when}; not sent again")
    report(result.refused + result.failed)
    click.echo(f"{len(result.sent)} sent, {len(result.already_sent)} already sent, "
               f"{len(result.failed)} failed, {len(result.refused)} recipients refused",
               err=True)
    sys.exit(0 if result.ok else 1)
