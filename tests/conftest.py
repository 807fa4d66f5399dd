"""Shared fixtures: the command line, the sample record, record files written inline, custom
templates, and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import copy
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner, Result

from letterkit.resources import data_path

SAMPLE = data_path("samples") / "complaint.yaml"

# What Linux (and macOS) have and Windows lacks: letterkit must run without them.
POSIX_ONLY = [(os, "sync"), (os, "killpg"), (signal, "SIGKILL")]


@pytest.fixture(autouse=True)
def as_on_windows(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                  tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test runs without the calls Windows lacks (unless marked `posix`, for the few
    that use them to stage a crash or test the POSIX path itself), and with a catalogs
    folder of its own, and a cache folder of the run's own (where a LibreOffice profile is
    kept), so no test reads or writes the user's real ones."""
    if request.node.get_closest_marker("posix") is None:
        for module, name in POSIX_ONLY:
            monkeypatch.delattr(module, name, raising=False)
    monkeypatch.setenv("LETTERKIT_LOCALES", str(tmp_path_factory.mktemp("user-locales")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def sent_after_the_letters_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    """`send` holds back a letter dated after today; the tests' letters carry fixed days
    (November 2026), so their sending is judged from a day after them all, unless a test
    says otherwise (tests/test_send.py, letters dated later)."""
    import datetime as dt

    from letterkit.delivery import smtp

    monkeypatch.setattr(smtp, "local_today", lambda: dt.date(9999, 12, 31))


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run `letterkit` with these arguments, as a user would type them, in this process;
    letterkit's own exceptions become output, anything else fails the test."""
    from letterkit.cli import main

    runner = CliRunner()

    def run(*args: object, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return run


@pytest.fixture
def sample_data() -> dict[str, Any]:
    """The shipped sample record as plain data, a fresh copy for each test to change."""
    return copy.deepcopy(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))


@pytest.fixture
def write_record(tmp_path: Path) -> Callable[..., Path]:
    """Write record data as a YAML file in tmp_path and return its path."""

    def write(data: Any, name: str = "record.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        return path

    return write


@pytest.fixture
def custom_template(tmp_path: Path) -> Callable[..., Path]:
    """A custom templates folder holding a copy of one shipped template with one paragraph
    added, as an admin would add it in Word; returns the folder."""
    from docx import Document

    from letterkit.docx.find import shipped_templates_dir

    def make(paragraph: str, name: str = "resolution-block.docx") -> Path:
        doc = Document(str(shipped_templates_dir() / name))
        doc.add_paragraph(paragraph)
        folder = tmp_path / "custom"
        folder.mkdir(exist_ok=True)
        doc.save(str(folder / name))
        return folder

    return make


class Mailbox:
    """An SMTP handler keeping what it accepts; it refuses any address starting `refused`,
    the next `busy` messages with a temporary 451, and an address starting `later` the
    next `later` times it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.busy = 0
        self.refused_for_now = 0
        self.later = 0  # RCPT answers of 451 still to give an address starting `later`

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("refused"):
            return "550 5.1.1 no such mailbox here"
        if address.startswith("later") and self.later:
            self.later -= 1
            return "451 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.busy:
            self.busy -= 1
            self.refused_for_now += 1
            return "451 4.3.0 Too busy, try again later"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    return free_port()


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"ravi" \
        and auth_data.password == b"s3cret"
    # handled=False: aiosmtpd then answers a failed login with 535 itself.
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest):
    """A real SMTP server on 127.0.0.1 that accepts logins as ravi / s3cret, and offers
    SMTPUTF8 (addresses in UTF-8); parametrized indirectly with `{"enable_SMTPUTF8":
    False}`, it does not."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port,
                            authenticator=_authenticate, auth_require_tls=False,
                            **getattr(request, "param", {}))
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
