"""Sending the emails: `send`."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import BaseModel

from letterkit.cli.common import State, config_option, report, shown
from letterkit.errors import InputError
from letterkit.kinds import KINDS
from letterkit.record import Email

if TYPE_CHECKING:
    from letterkit.delivery.smtp import Outgoing


@click.command()
@click.argument("messages", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--host", help="Mail server. Default: the config's smtp.host, else localhost.")
@click.option("--port", type=click.IntRange(1, 65535),
              help="Default: 25, 587 with --starttls, 465 with --ssl.")
@click.option("--starttls", "security", flag_value="starttls", help="Upgrade to TLS.")
@click.option("--ssl", "security", flag_value="ssl", help="Connect with TLS from the start.")
@click.option("--user", help="Log in as this user; the password comes from "
              "$LETTERKIT_SMTP_PASSWORD or a prompt.")
@click.option("--rate", "per_minute", type=click.FloatRange(min=0.01, max=100_000),
              metavar="N", help="Send at most N messages a minute (0.01 to 100,000).")
@click.option("-k", "--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Send only the emails of this kind of letter (repeat for several).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="Send at most N messages (those not sent before, in order).")
@click.option("--to", "to", metavar="ADDRESS",
              help="Send every message to ADDRESS instead, to look at them first: logged in "
              "test-sends.csv, and not counted as sent to the customer.")
@click.option("--dry-run", is_flag=True,
              help="Show each message that would go (from, to, subject, attachments, first "
              "lines); send nothing.")
@config_option
@click.pass_obj
def send(state: State, messages: tuple[Path, ...], host: str | None, port: int | None,
         security: str | None, user: str | None, per_minute: float | None,
         kinds: tuple[str, ...], limit: int | None, to: str | None, dry_run: bool) -> None:
    """Send MESSAGES (.eml files, or folders of them) over one SMTP connection.

    Each folder keeps a sent.csv log: a message already in it is not sent again, so
    running the same command twice sends nothing twice. Settings come from the flags,
    then $LETTERKIT_SMTP_HOST/_PORT/_SECURITY/_USER, then the config's smtp section.
    """
    from letterkit.delivery.smtp import (
        SendChoice,
        SmtpSettings,
        plan_run,
        read_messages,
        send_all,
    )
    from letterkit.record import validate

    outgoing = read_messages(messages)  # nothing is sent unless every file can be
    settings = SmtpSettings.from_config(state.config.smtp, os.environ)
    settings = dataclasses.replace(
        settings, host=host or settings.host, port=port or settings.port,
        security=security or settings.security,  # type: ignore[arg-type]
        user=user or settings.user)
    if to is not None:
        try:
            to = validate(SendTo, {"address": to}).address
        except InputError as error:
            raise InputError([dataclasses.replace(p, field="--to") for p in error.problems]
                             ) from None
    choice = SendChoice(kinds, limit, to)
    if dry_run:
        todo, before, not_yet = plan_run(outgoing, choice)
        for path, when in before:
            click.echo(f"already sent {shown(path)} on {when}; not sent again")
        say_not_yet(not_yet)
        for item in todo:
            show_message(item, to)
        click.echo(f"{len(todo)} would be sent" + (f" to {to}" if to else "")
                   + f", {len(before)} sent before" + later_count(not_yet),
                   err=True)
        return
    if settings.user and not settings.password:
        if not sys.stdin.isatty():
            raise InputError.at("no password: set LETTERKIT_SMTP_PASSWORD", field="--user")
        settings = dataclasses.replace(
            settings, password=click.prompt(f"Password for {settings.user}", hide_input=True))
    result = send_all(outgoing, settings, choice=choice, per_minute=per_minute,
                      on_sent=lambda item, refused: click.echo(
                          f"sent {shown(item.path)} to {to or ', '.join(item.recipients)}"))
    for path, when in result.already_sent:
        click.echo(f"already sent {shown(path)} on {when}; not sent again")
    say_not_yet(result.not_yet)
    report(result.refused + result.failed)
    copies = f" (copies to {to}; the customers' messages are still unsent)" if to else ""
    click.echo(f"{len(result.sent)} sent{copies}, {len(result.already_sent)} already sent"
               f"{later_count(result.not_yet)}, {len(result.failed)} failed, "
               f"{len(result.refused)} recipients refused", err=True)
    sys.exit(0 if result.ok else 1)


def say_not_yet(held: list[Outgoing]) -> None:
    """The messages held back because their letters are dated after today."""
    for item in held:
        assert item.dated is not None
        day = f"{item.dated.day} {item.dated:%B %Y}"
        click.echo(f"not sent yet: {shown(item.path)}: its letter is dated {day}, after "
                   f"today; run send again on or after {day}", err=True)


def later_count(held: list[Outgoing]) -> str:
    return f", {len(held)} dated later (not sent yet)" if held else ""


class SendTo(BaseModel):
    address: Email


def show_message(item: Outgoing, to: str | None) -> None:
    """A message as a person checks it before it goes."""
    from letterkit.delivery.smtp import summarise

    summary = summarise(item)
    click.echo(f"would send: {shown(item.path)}")
    if to:
        click.echo(f"  To:      {to} (instead of {', '.join(item.recipients)})")
    else:
        click.echo(f"  To:      {summary.to}")
        if summary.cc:
            click.echo(f"  Cc:      {summary.cc}")
        if summary.bcc:
            more = f" and {len(summary.bcc) - 3} more" if len(summary.bcc) > 3 else ""
            click.echo(f"  Bcc:     {', '.join(summary.bcc[:3])}{more}")
    click.echo(f"  From:    {summary.sender}")
    click.echo(f"  Subject: {summary.subject}")
    for name, size in summary.attachments:
        click.echo(f"  Attached: {name} ({max(1, round(size / 1024))} KB)")
    for line in summary.first_lines:
        click.echo(f"  | {line}")
