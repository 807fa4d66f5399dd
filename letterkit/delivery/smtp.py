"""Sending .eml files over SMTP: one connection, a rate limit, and a log so that nothing is
sent twice and nothing sent is forgotten."""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import datetime as dt
import email
import email.policy
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from filelock import FileLock, Timeout

from letterkit.config import Security, SmtpConfig
from letterkit.errors import InputError, LetterkitError, Problem
from letterkit.kinds import KINDS
from letterkit.letters import DATED_HEADER, Letter
from letterkit.output import (
    CSV_ENCODING,
    cannot_write,
    check_writable,
    csv_text,
    is_side_file,
    own_file,
    write_atomic,
)
from letterkit.record import mail_address, needs_smtputf8, validate

LOG_NAME = "sent.csv"
TEST_LOG_NAME = "test-sends.csv"  # copies sent to ourselves with --to: not sent to anyone
LOG_COLUMNS = ("sent_at", "message_id", "file", "recipients", "refused")
_LOG_WHAT = "its record of the messages sent from this folder"
# Held by the send that is sending from a folder (a file beside the log; Unix keeps it).
LOCK_NAME = ".letterkit-send.lock"
LOCK_WAIT = 120.0  # seconds: longer than one message takes, with its retries
# A Message-ID the log can hold: a log line without a whole one was cut short.
_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password never comes from a flag or the config file."""

    host: str = "localhost"
    port: int | None = None
    security: Security = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @property
    def effective_port(self) -> int:
        return self.port or _DEFAULT_PORTS[self.security]

    @classmethod
    def from_config(cls, config: SmtpConfig, env: Mapping[str, str] | None = None
                    ) -> SmtpSettings:
        """The config's smtp section, overridden by LETTERKIT_SMTP_* in `env`."""
        settings = cls(config.host, config.port, config.security, config.user)
        return settings if env is None else settings.with_env(env)

    def with_env(self, env: Mapping[str, str]) -> SmtpSettings:
        """Settings overridden by LETTERKIT_SMTP_HOST, _PORT, _SECURITY, _USER, _PASSWORD;
        a value that is not one the config would take is an error naming its variable."""
        given = {name: env[f"LETTERKIT_SMTP_{name.upper()}"]
                 for name in ("host", "port", "security", "user")
                 if env.get(f"LETTERKIT_SMTP_{name.upper()}")}
        mine = {"host": self.host, "port": self.port, "security": self.security,
                "user": self.user}
        try:
            checked = validate(SmtpConfig, {**mine, **given})
        except InputError as error:
            raise InputError([dataclasses.replace(
                p, field=f"LETTERKIT_SMTP_{(p.field or '').upper()}") for p in error.problems]
            ) from None
        return SmtpSettings(checked.host, checked.port, checked.security, checked.user,
                            env.get("LETTERKIT_SMTP_PASSWORD") or self.password,
                            self.timeout)


@dataclass(frozen=True)
class Outgoing:
    """One .eml file read and checked, ready to send. Its bytes are read again when they
    are needed, so that thousands of messages with attachments are not all held at once."""

    path: Path
    message_id: str
    sender: str
    recipients: list[str]
    subject: str
    dated: dt.date | None = None  # the day its letter is dated (None: not said)

    @property
    def raw(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise LetterkitError.at(f"cannot be read: {exc.strerror}", file=str(self.path)
                                    ) from None

    @property
    def kind(self) -> str | None:
        """The kind of letter it carries, from its name (`<kind>.<lang>.eml`); None for an
        email letterkit did not name."""
        parts = Letter.file_parts(self.path.name)
        return parts[0] if parts else None


@dataclass
class SendReport:
    sent: list[Path] = field(default_factory=list)
    already_sent: list[tuple[Path, str]] = field(default_factory=list)
    # Messages whose letters are dated after today, held back until then (see plan_run).
    not_yet: list[Outgoing] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.refused or self.failed)


def read_outgoing(path: Path) -> Outgoing:
    """Read an .eml and check it can be sent and logged: From, To and a Message-ID of the
    form `<…@…>`, headers that can be read."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.at(f"cannot be read: {exc.strerror}", file=str(path)) from None
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    try:
        problems = [Problem(f"no {name} header; not an email letterkit can send",
                            file=str(path))
                    for name in ("From", "To", "Message-ID") if not message.get(name)]
        if problems:
            raise InputError(problems)
        senders = [addr for _, addr in getaddresses([str(message["From"])]) if addr]
        recipients = [addr for _, addr in getaddresses(
            [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]) if addr]
        message_id, subject = str(message["Message-ID"]).strip(), str(message.get("Subject", ""))
        dated_values = message.get_all(DATED_HEADER, [])
    except (ValueError, IndexError, AttributeError, TypeError, LookupError) as exc:
        # Python's header parser gives up on some headers mail programs would not write.
        raise InputError.at(f"its headers cannot be read ({exc}); not an email letterkit "
                            "can send", file=str(path)) from None
    if not senders or not recipients:
        raise InputError.at("no usable sender or recipient address", file=str(path))
    if not _MESSAGE_ID.fullmatch(message_id):
        raise InputError.at(f"its Message-ID {message_id!r} is not of the form <…@…>, so "
                            "sent.csv could not tell it apart; not an email letterkit can "
                            "send", file=str(path))
    if len(message.get_all("Resent-Date", [])) > 1:
        raise InputError.at("it has been resent more than once (two Resent- blocks); not "
                            "an email letterkit can send", file=str(path))
    dated = None
    if len(dated_values) > 1:
        raise InputError.at(f"it has {len(dated_values)} {DATED_HEADER} headers, where a "
                            "letter has one date; not an email letterkit can send",
                            file=str(path))
    if dated_values:
        value = str(dated_values[0]).strip()
        try:
            if not _DAY.fullmatch(value):
                raise ValueError(value)
            dated = dt.date.fromisoformat(value)
        except ValueError:
            raise InputError.at(f"its {DATED_HEADER} header {value!r} is not a day "
                                "(YYYY-MM-DD); not an email letterkit can send",
                                file=str(path)) from None
    return Outgoing(path, message_id, senders[0], list(dict.fromkeys(recipients)), subject,
                    dated)


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def local_today() -> dt.date:
    """Today on this computer's calendar, the one its letters are dated by."""
    return dt.date.today()


@dataclass(frozen=True)
class Summary:
    """What a person checks before a message goes: who from and to, what it says."""

    sender: str
    to: str
    cc: str
    bcc: list[str]  # who also gets it, unseen by the others
    subject: str
    attachments: list[tuple[str, int]]  # file name and size in bytes
    first_lines: list[str]


def summarise(outgoing: Outgoing, lines: int = 3) -> Summary:
    """The headers, attachments and first lines of a message's plain text."""
    message = email.message_from_bytes(outgoing.raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    try:
        text = body.get_content() if body is not None else ""
    except (LookupError, ValueError) as exc:  # a charset Python does not know, say
        text = f"(its text cannot be shown here: {exc})"
    attachments = [(part.get_filename() or "(unnamed)",
                    len(part.get_payload(decode=True) or b""))
                   for part in message.iter_attachments()]
    shown_to = set(getaddresses([str(message.get("To", "")), str(message.get("Cc", ""))]))
    bcc = [address for address in outgoing.recipients
           if address not in {a for _, a in shown_to}]
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(outgoing.raw)
    return Summary(_as_mail_programs_show(headers, "From", message),
                   _as_mail_programs_show(headers, "To", message),
                   _as_mail_programs_show(headers, "Cc", message), bcc, outgoing.subject,
                   attachments,
                   [line.strip() for line in text.splitlines() if line.strip()][:lines])


def _as_mail_programs_show(headers: Message, name: str, parsed: EmailMessage) -> str:
    """An address header as mail programs show it. Python's own reading keeps the space
    between two encoded words of a name (RFC 2047 drops it), so a Telugu name split
    between words would show two spaces where there is one."""
    raw = headers.get(name)
    if raw is None:
        return ""
    try:
        return str(make_header(decode_header(str(raw))))
    except (LookupError, ValueError, UnicodeError):  # a charset Python does not know
        return str(parsed.get(name, ""))


def read_messages(paths: Iterable[Path]) -> list[Outgoing]:
    """The .eml files named, or under the folders named, each read and checked. Nothing is
    sent unless every one can be: all their problems are raised together."""
    outgoing: list[Outgoing] = []
    problems: list[Problem] = []
    for path in eml_files(paths):
        try:
            outgoing.append(read_outgoing(path))
        except LetterkitError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    return outgoing


def eml_files(paths: Iterable[Path]) -> list[Path]:
    """The .eml files named, and those anywhere under the folders named."""
    paths = list(paths)
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted((f for f in path.rglob("*.eml")
                             if f.is_file() and not is_side_file(f)),  # never a pipe
                            key=_in_letter_order)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError.at("no such file or folder", file=str(path))
    if not files:
        raise InputError.at("no .eml files found", file=" ".join(map(str, paths)))
    return list({path.resolve(): path for path in files}.values())  # each file once


def _in_letter_order(path: Path) -> tuple[Path, int, str]:
    """A complaint's emails in the order its letters go (the acknowledgement before the
    meeting confirmation, the resolution before the follow-up), then others by name."""
    parts = Letter.file_parts(path.name)
    return path.parent, KINDS.index(parts[0]) if parts else len(KINDS), path.name


def send_messages(
    paths: Iterable[Path],
    settings: SmtpSettings,
    *,
    choice: SendChoice | None = None,
    per_minute: float | None = None,
    on_sent: Callable[[Outgoing, list[str]], None] = lambda outgoing, refused: None,
) -> SendReport:
    """Send the .eml files named, or under the folders named (a folder of letters, say),
    over one connection; each goes once, whatever the number of runs (see `send_all`)."""
    return send_all(read_messages(paths), settings, choice=choice or SendChoice(),
                    per_minute=per_minute, on_sent=on_sent)


def sent_log(path: Path) -> Path:
    """The log of what was sent from a folder: `sent.csv` beside the messages."""
    return path.parent / LOG_NAME


def already_sent(log: Path) -> dict[str, str]:
    """Message-IDs in a sent log, with when they were sent. A log that cannot be read with
    certainty (empty, damaged, not a sent log) is an InputError saying so: sending as if it
    were not there would send those messages again."""
    return {row["message_id"]: row["sent_at"] or "an unknown date"
            for row in _read_log(log).rows}


_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class _Log:
    """A sent log's lines, by LOG_COLUMNS, and whether the file is written as letterkit
    writes it (if not, it is written so again before a line is added)."""

    rows: list[dict[str, str]]
    as_written: bool


def _read_log(log: Path) -> _Log:
    """A sent log, read as Excel may have saved it again: with `;` or tabs, as UTF-16 or
    its Windows code page, without the byte-order mark or the last line break. A log that
    cannot be read with certainty is refused, with the line and what to do."""
    try:
        if not own_file(log, _LOG_WHAT):
            return _Log([], True)
        data = log.read_bytes()
    except OSError as error:
        raise InputError.at(f"cannot be read: {error.strerror or error}", file=str(log)
                            ) from None
    unknown = ("so letterkit cannot tell which messages of this folder were sent, and sends "
               "none of them")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if not text.strip():
        raise InputError.at(
            f"is empty, {unknown}; if none was, delete the file, then run again", file=str(log))
    if "\x00" in text or "\ufffd" in text:
        raise InputError.at(
            f"is damaged (it holds bytes that are not text), {unknown}; put back a good "
            "copy, or delete it if none of them was sent", file=str(log))
    delimiter = max(",;\t", key=text.splitlines()[0].count)
    try:  # a line at a time: no cell of a log holds a line break
        lines = [next(csv.reader([line], delimiter=delimiter), [])
                 for line in text.splitlines()]
    except csv.Error as exc:
        raise InputError.at(f"is damaged ({exc}), {unknown}; put back a good copy, or "
                            "delete it if none of them was sent", file=str(log)) from None
    header = [name.strip().lower() for name in lines[0]]
    if "message_id" not in header:
        raise InputError.at(
            f"is not a letterkit sent log (its first line has no message_id column), "
            f"{unknown}; put back the log letterkit wrote, or move this file away if none "
            "of them was sent", file=str(log))
    rows = []
    for number, cells in enumerate(lines[1:], 2):
        if not any(cell.strip() for cell in cells):
            continue
        row = {name: cells[header.index(name)].strip()
               if name in header and header.index(name) < len(cells) else ""
               for name in LOG_COLUMNS}
        if not _MESSAGE_ID.fullmatch(row["message_id"]):
            raise InputError.at(
                f"line {number} has no whole Message-ID ({row['message_id'] or 'none'}): "
                f"it was cut short or changed, {unknown}; look in the mail server's sent "
                "messages, then complete the line or delete it", file=str(log))
        rows.append(row)
    as_written = (data.startswith(_UTF8_BOM) and delimiter == "," and text.endswith("\n")
                  and tuple(header) == LOG_COLUMNS)
    return _Log(rows, as_written)


def _ready_logs(logs: Iterable[Path]) -> None:
    """Make ready the logs a run writes to, before anything is sent: those already there
    are read (and written again as letterkit writes them, if Excel saved them its own
    way) and tried for writing, so one that cannot be read or written stops the run
    before a message goes, never after one went unlogged."""
    for log in logs:
        existing = _read_log(log)
        if not existing.as_written:
            write_atomic(log, _UTF8_BOM + csv_text(
                [LOG_COLUMNS, *(row.values() for row in existing.rows)]).encode(),
                force=True, program="Excel")
        check_writable(log, _LOG_WHAT)


@contextlib.contextmanager
def _sending(outgoing: Outgoing, check: bool) -> Iterator[str | None]:
    """Hold the message's folder while it goes, so that two sends of one folder at once
    (two people, a double click, a scheduled run) never send a message twice: yields when
    it was sent, if another run sent it meanwhile (its log is read again under the lock,
    with `check`), else None."""
    folder = outgoing.path.parent
    lock = FileLock(folder / LOCK_NAME, timeout=LOCK_WAIT)
    try:
        lock.acquire()
    except Timeout:
        raise LetterkitError.at(
            f"another letterkit send has been sending from this folder for "
            f"{LOCK_WAIT:.0f} s; not sent, so as never to send it twice: run again once "
            "that one has finished", file=str(outgoing.path)) from None
    except OSError as error:
        raise cannot_write(folder / LOCK_NAME, error) from None
    try:
        yield already_sent(sent_log(outgoing.path)).get(outgoing.message_id) \
            if check else None
    finally:
        lock.release()


def _log_sent(log: Path, outgoing: Outgoing, refused: Iterable[str], when: dt.datetime,
              recipients: list[str]) -> None:
    """Note a message the server accepted: a new log gets its header and this first
    line in one write, so no log is ever left without the message it was made for."""
    new = not own_file(log, _LOG_WHAT)
    try:
        with log.open("a", encoding=CSV_ENCODING, newline="") as fh:
            fh.write(csv_text([*([LOG_COLUMNS] if new else []), [
                when.isoformat(timespec="seconds"), outgoing.message_id,
                outgoing.path.name, " ".join(recipients), " ".join(refused)]]))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as error:
        raise cannot_write(log, error, "Excel") from None


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, authenticated SMTP connection, or a LetterkitError saying what failed."""
    where = f"{settings.host}:{settings.effective_port}"
    try:
        smtp: smtplib.SMTP
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.effective_port,
                                    timeout=settings.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.host, settings.effective_port, timeout=settings.timeout)
    except (OSError, smtplib.SMTPException, UnicodeError) as exc:  # UnicodeError: a bad name
        raise LetterkitError.at(f"cannot connect to the mail server {where}: {exc}") from None
    try:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
    except smtplib.SMTPAuthenticationError as exc:
        smtp.close()
        raise LetterkitError.at(f"{where} refused the login for {settings.user}: "
                                f"{_reply(exc.smtp_code, exc.smtp_error)}") from None
    except (OSError, smtplib.SMTPException, UnicodeError) as exc:  # a name beyond ASCII
        smtp.close()
        raise LetterkitError.at(f"the mail server {where} failed: {exc}") from None
    return smtp


@dataclass(frozen=True)
class SendChoice:
    """Which messages a run sends, and to whom: only these kinds (none named: every kind),
    at most `limit` of them, and with `to`, every one to that address instead of the
    customer's (to look at them first: logged apart, in test-sends.csv, and not counted
    as sent)."""

    kinds: tuple[str, ...] = ()
    limit: int | None = None
    to: str | None = None


RETRIES = 3  # after a temporary refusal (4xx): waits of 5, 10 and 20 seconds
FIRST_WAIT = 5.0


def _not_sent_before(messages: list[Outgoing], kinds: tuple[str, ...]
                     ) -> tuple[list[Outgoing], list[tuple[Path, str]]]:
    """The messages of the `kinds` chosen (all, if none) not sent before, in order, and
    those sent before (with when): each message once however often named (or made, in two
    folders)."""
    logs: dict[Path, dict[str, str]] = {}  # each folder's log, read once
    todo: dict[str, Outgoing] = {}
    before: list[tuple[Path, str]] = []
    for outgoing in messages:
        if kinds and outgoing.kind not in kinds:
            continue
        log = sent_log(outgoing.path)
        if log not in logs:
            logs[log] = already_sent(log)
        sent_at = logs[log].get(outgoing.message_id)
        if sent_at:
            before.append((outgoing.path, sent_at))
        else:
            todo.setdefault(outgoing.message_id, outgoing)
    return list(todo.values()), before


def plan_run(messages: list[Outgoing], choice: SendChoice = SendChoice(),
             today: dt.date | None = None
             ) -> tuple[list[Outgoing], list[tuple[Path, str]], list[Outgoing]]:
    """What a run sends (in order, up to the limit), what it skips as sent before, and
    what it holds back: a letter dated after `today` (this computer's, unless given; made
    ahead with --date, for a meeting still to come) would reach the customer dated in the
    future, speaking of what has not happened. A message sent before is "sent before"
    whatever its date, each is counted once however often named, and test copies
    (`choice.to`) go whenever asked: they are for looking at the messages first."""
    todo, before = _not_sent_before(messages, choice.kinds)
    not_yet: list[Outgoing] = []
    if choice.to is None:
        today = today or local_today()
        not_yet = [m for m in todo if m.dated is not None and m.dated > today]
        todo = [m for m in todo if m.dated is None or m.dated <= today]
    return (todo if choice.limit is None else todo[:choice.limit]), before, not_yet


def send_all(
    messages: list[Outgoing],
    settings: SmtpSettings,
    *,
    choice: SendChoice = SendChoice(),
    per_minute: float | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    on_sent: Callable[[Outgoing, list[str]], None] = lambda outgoing, refused: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
    today: dt.date | None = None,
) -> SendReport:
    """Send every message `plan_run` chooses, over one connection: not those sent before,
    nor those whose letters are dated after `today` (this computer's, unless given).

    Each message is logged the moment the server accepts it, so an interruption leaves a
    log that tells exactly what went out; what did not can be sent by running again. A
    temporary refusal (4xx) is tried again after a wait, up to RETRIES times; a permanent
    one is reported and the rest go on.
    """
    report = SendReport()
    todo, report.already_sent, report.not_yet = plan_run(messages, choice, today)
    if not todo:
        return report
    _ready_logs(dict.fromkeys(_log_for(outgoing, choice) for outgoing in todo))
    return _send(todo, settings, choice, report, per_minute, now, on_sent, clock, sleep)


def _log_for(outgoing: Outgoing, choice: SendChoice) -> Path:
    return outgoing.path.parent / TEST_LOG_NAME if choice.to else sent_log(outgoing.path)


def _send(todo: list[Outgoing], settings: SmtpSettings, choice: SendChoice,
          report: SendReport, per_minute: float | None, now: Callable[[], dt.datetime],
          on_sent: Callable[[Outgoing, list[str]], None], clock: Callable[[], float],
          sleep: Callable[[float], object]) -> SendReport:
    smtp = connect(settings)
    interval = 60.0 / per_minute if per_minute else 0.0
    last: float | None = None
    try:
        for outgoing in todo:
            if last is not None and interval:
                wait = last + interval - clock()
                if wait > 0:
                    sleep(wait)
            try:
                with _sending(outgoing, check=not choice.to) as sent_at:
                    if sent_at:  # by another run, since this one began
                        report.already_sent.append((outgoing.path, sent_at))
                        continue
                    last = clock()
                    if not _send_one(smtp, outgoing, choice, report, now(), on_sent,
                                     sleep):
                        break
            except LetterkitError as error:
                report.failed += error.problems
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return report


def _send_one(smtp: smtplib.SMTP, outgoing: Outgoing, choice: SendChoice,
              report: SendReport, when: dt.datetime,
              on_sent: Callable[[Outgoing, list[str]], None],
              sleep: Callable[[float], object]) -> bool:
    """Send one message and log it; False when the run cannot go on (the connection
    failed, or a message went that could not be logged)."""
    message = as_sent(outgoing, when, choice.to)
    recipients = [choice.to] if choice.to else outgoing.recipients
    try:
        refused = _deliver(smtp, message, outgoing.sender, recipients, sleep)
    except smtplib.SMTPRecipientsRefused as exc:
        report.refused += _refusals(outgoing, exc.recipients)
        return True
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        report.failed.append(Problem(
            f"not sent: the server said {_reply(exc.smtp_code, exc.smtp_error)}",
            file=str(outgoing.path)))
        return True
    except (OSError, smtplib.SMTPException) as exc:
        report.failed.append(Problem(
            f"not sent: the connection failed ({exc}); run again to send the rest",
            file=str(outgoing.path)))
        return False
    except (ValueError, UnicodeError) as exc:  # a message smtplib will not put out
        report.failed.append(Problem(f"not sent: {exc}", file=str(outgoing.path)))
        return True
    log = _log_for(outgoing, choice)
    try:
        _log_sent(log, outgoing, refused, when, recipients)
    except LetterkitError as exc:  # stop before sending more unlogged
        report.failed.append(Problem(
            f"sent, but {log} could not note it ({exc.problems[0].message}); add it to the "
            f"log before sending this folder again: {outgoing.message_id}",
            file=str(outgoing.path)))
        return False
    report.sent.append(outgoing.path)
    report.refused += _refusals(outgoing, refused)
    on_sent(outgoing, list(refused))
    return True


def _deliver(smtp: smtplib.SMTP, message: EmailMessage, sender: str, recipients: list[str],
             sleep: Callable[[float], object]) -> dict[str, tuple[int, bytes]]:
    """Hand one message to the server, trying again after a temporary refusal. A domain
    goes in its xn-- form; a message to or from an address with letters beyond ASCII
    before the @ goes as written, in UTF-8, with SMTPUTF8 (RFC 6531), to a server that
    offers it; one that does not refuses it here, as RFC 6531 has such a server answer
    (553 5.6.7), and the other messages go on."""
    sender, recipients = mail_address(sender), [mail_address(r) for r in recipients]
    message = _with_mail_domains(message)
    international = [a for a in (sender, *recipients) if needs_smtputf8(a)]
    if international:
        _check_smtputf8(smtp, sender, international)
        data = _as_written(message)
    # Recipients refused for now (4xx) are tried again, on their own, after each wait:
    # a customer whose server was busy while a colleague in Cc got it is not left out.
    wait, pending, delivered = FIRST_WAIT, recipients, False
    refused: dict[str, tuple[int, bytes]] = {}
    for attempt in range(RETRIES + 1):
        last = attempt == RETRIES
        try:
            if international:
                now = smtp.sendmail(sender, pending, data,
                                    mail_options=["SMTPUTF8", "BODY=8BITMIME"])
            else:
                now = smtp.send_message(message, sender, pending)
            delivered = True
        except smtplib.SMTPRecipientsRefused as exc:  # every one of `pending`
            now = exc.recipients
            if not delivered and (last or all(code >= 500 for code, _ in now.values())):
                raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if 400 <= exc.smtp_code < 500 and not last:
                sleep(wait)
                wait *= 2
                continue
            if not delivered:
                raise
            error = exc.smtp_error if isinstance(exc.smtp_error, bytes) \
                else str(exc.smtp_error).encode()
            now = dict.fromkeys(pending, (exc.smtp_code, error))
        later = {address: reply for address, reply in now.items() if 400 <= reply[0] < 500}
        refused.update({a: reply for a, reply in now.items() if a not in later})
        if not later or last:
            return refused | later
        pending = list(later)
        sleep(wait)
        wait *= 2
    raise AssertionError("unreachable")


_NO_SMTPUTF8 = ("5.6.7 the mail server does not offer SMTPUTF8, which an address with letters "
                "beyond ASCII before the @ needs; the message was not sent (send it through "
                "a server that offers SMTPUTF8, or ask for another address)")


def _check_smtputf8(smtp: smtplib.SMTP, sender: str, international: list[str]) -> None:
    """Refuse a message whose addresses need SMTPUTF8 when the server does not offer it:
    the sender's as the server would refuse a sender, each recipient's as a recipient."""
    smtp.ehlo_or_helo_if_needed()
    if smtp.has_extn("smtputf8"):
        return
    if sender in international:
        raise smtplib.SMTPSenderRefused(553, f"{_NO_SMTPUTF8} (from {sender})".encode(),
                                        sender)
    raise smtplib.SMTPRecipientsRefused({address: (553, _NO_SMTPUTF8.encode())
                                         for address in international})


def _with_mail_domains(message: EmailMessage) -> EmailMessage:
    """The message with the domains of its To and Cc in their xn-- form: an address set as
    typed (`--to user@bücher.example`) would otherwise carry its domain as an encoded
    word, which RFC 2047 forbids inside an address. Letterkit's own files have them so."""
    for name in ("To", "Cc"):
        pairs = getaddresses([str(v) for v in message.get_all(name, [])])
        if all(address.rpartition("@")[2].isascii() for _, address in pairs):
            continue
        message = copy.copy(message)  # the caller's message stays as it was
        del message[name]
        message[name] = [Address(display_name=display, username=local, domain=domain)
                         for display, address in pairs
                         for local, _, domain in [mail_address(address).rpartition("@")]]
    return message


def _as_written(message: EmailMessage) -> bytes:
    """A message with UTF-8 in its headers, as its file holds it (never refolded, which
    would count a Telugu letter as three characters), Bcc left out as `send_message`
    leaves it out."""
    shown = copy.copy(message)  # as send_message does: deleting builds a new header list
    for name in ("Bcc", "Resent-Bcc"):
        del shown[name]
    return shown.as_bytes(policy=email.policy.SMTPUTF8.clone(refold_source="none"))


def as_sent(outgoing: Outgoing, when: dt.datetime, to: str | None = None) -> EmailMessage:
    """The message as it goes: dated now; with `to`, addressed there alone, the customer's
    addresses kept in X-Letterkit-Instead-Of, under a Message-ID of its own (so the real
    one, sent later, is not taken for a copy of this)."""
    message = email.message_from_bytes(dated(outgoing.raw, when), policy=email.policy.SMTP)
    assert isinstance(message, EmailMessage)
    if to is not None:
        for name in ("To", "Cc", "Bcc"):
            del message[name]
        message["To"] = to
        message["X-Letterkit-Instead-Of"] = ", ".join(outgoing.recipients)
        del message["Message-ID"]
        message["Message-ID"] = make_msgid("look", domain=outgoing.sender.rpartition("@")[2])
    return message


_DATE = re.compile(rb"^Date:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n", re.IGNORECASE | re.MULTILINE)


def dated(raw: bytes, when: dt.datetime) -> bytes:
    """A message as it goes: its Date header the moment it is sent, not the moment it was
    made (a letter made on Monday and sent on Thursday shows Thursday in the inbox)."""
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    head, body = (raw[:end], raw[end:]) if end >= 0 else (raw, b"")
    newline = b"\r\n" if b"\r\n" in head else b"\n"
    stamp = b"Date: " + format_datetime(when).encode("ascii") + newline
    head += newline
    head = _DATE.sub(lambda m: stamp, head, count=1) if _DATE.search(head) else head + stamp
    return head[:-len(newline)] + body


def _refusals(outgoing: Outgoing, refused: Mapping[str, tuple[int, bytes]]) -> list[Problem]:
    return [Problem(f"the server refused {address}: {_reply(code, text)}",
                    file=str(outgoing.path))
            for address, (code, text) in refused.items()]


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {message}".strip()
