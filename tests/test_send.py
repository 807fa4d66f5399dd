"""`letterkit send` against a real SMTP server on 127.0.0.1, started by the tests."""

from __future__ import annotations

import csv
import email
import email.policy
import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from letterkit.delivery import smtp
from letterkit.delivery.smtp import SmtpSettings, read_messages, read_outgoing, send_all
from letterkit.resources import data_path

from sheets import sendable_any_day


@pytest.fixture
def letters(cli, tmp_path, write_record, sample_data) -> Path:
    """The sample's letters and emails, rendered into tmp_path/letters."""
    out = tmp_path / "letters"
    result = cli("render", str(write_record(sample_data)), "-o", str(out),
                 "--date", "2026-11-25")
    assert 0 == result.exit_code, result.output
    return out


def send(cli, port: int, *args: str, env: dict[str, str] | None = None):
    return cli("send", "--host", "127.0.0.1", "--port", str(port), *args, env=env)


def test_send_delivers_each_email_once(cli, smtp_server, letters) -> None:
    """Three emails reach the server over one run; a second run sends nothing."""
    mailbox, port = smtp_server
    result = send(cli, port, str(letters))
    assert 0 == result.exit_code, result.output
    assert 3 == len(mailbox.messages)
    recipients = sorted(tuple(rcpt) for _, rcpt, _ in mailbox.messages)
    assert [("lakshmi@example.com",), ("lakshmi@example.com",),
            ("lakshmi@example.com", "suresh.kumar@deccanhome.example")] == recipients
    assert {"ravi.teja@deccanhome.example"} == {sender for sender, _, _ in mailbox.messages}
    delivered = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default)
    assert "Ms Lakshmi Prasanna <lakshmi@example.com>" == str(delivered["To"])

    again = send(cli, port, str(letters))
    assert 0 == again.exit_code
    assert 3 == len(mailbox.messages)
    assert 3 == again.stdout.count("not sent again")


def test_an_email_named_twice_goes_once(cli, smtp_server, letters) -> None:
    """The folder and a file in it, named together, send that file once."""
    mailbox, port = smtp_server
    one = letters / "CMP-2026-0142" / "acknowledgement.en.eml"
    result = send(cli, port, str(letters), str(one), str(one))
    assert 0 == result.exit_code, result.output
    assert 3 == len(mailbox.messages)


def test_sent_log_records_each_message(cli, smtp_server, letters) -> None:
    """sent.csv beside the messages lists each one sent, with its Message-ID."""
    _, port = smtp_server
    send(cli, port, str(letters))
    log = letters / "CMP-2026-0142" / "sent.csv"
    assert log.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    with log.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert ["acknowledgement.en.eml", "meeting.en.eml", "resolution.en.eml"] == [
        r["file"] for r in rows]
    assert all(r["message_id"].startswith("<") and r["sent_at"] for r in rows)


def test_dry_run_sends_nothing(cli, smtp_server, letters) -> None:
    """--dry-run lists what would go, to whom, and touches neither server nor log."""
    mailbox, port = smtp_server
    result = send(cli, port, "--dry-run", str(letters))
    assert 0 == result.exit_code
    assert 3 == result.stdout.count("would send")
    assert [] == mailbox.messages
    assert not (letters / "CMP-2026-0142" / "sent.csv").exists()


def test_refused_recipients_are_reported(cli, smtp_server, tmp_path, write_record,
                                         sample_data) -> None:
    """A refused copy is reported and the message logged as sent to the others; a message
    whose only recipient is refused is not logged, so it can be retried."""
    mailbox, port = smtp_server
    sample_data["cc"][0]["email"] = "refused.person@deccanhome.example"
    out = tmp_path / "out"
    cli("render", str(write_record(sample_data)), "-o", str(out), "-k", "resolution",
        "--date", "2026-11-25")
    result = send(cli, port, str(out))
    assert 1 == result.exit_code
    assert "the server refused refused.person@deccanhome.example: 550 5.1.1 no such mailbox" \
        in result.stderr
    assert [["lakshmi@example.com"]] == [rcpt for _, rcpt, _ in mailbox.messages]
    assert (out / "CMP-2026-0142" / "sent.csv").is_file()

    sample_data["customer"]["email"] = "refused.customer@example.com"
    out2 = tmp_path / "out2"
    cli("render", str(write_record(sample_data)), "-o", str(out2), "-k", "acknowledgement",
        "--date", "2026-11-23")
    result = send(cli, port, str(out2))
    assert 1 == result.exit_code
    assert "refused.customer@example.com" in result.stderr
    assert not (out2 / "CMP-2026-0142" / "sent.csv").exists()


def test_unreadable_email_stops_everything_before_sending(cli, smtp_server, letters,
                                                          tmp_path) -> None:
    """One file that is not an email: nothing is sent, and the file is named."""
    mailbox, port = smtp_server
    bad = tmp_path / "bad.eml"
    bad.write_text("hello, this is not an email\n", encoding="utf-8")
    result = send(cli, port, str(letters), str(bad))
    assert 2 == result.exit_code
    assert f"{bad}: no From header" in result.stderr
    assert [] == mailbox.messages


def test_no_server_is_a_clear_error(cli, letters, unused_port) -> None:
    """A server that is not there is one line, exit 1, and nothing is logged."""
    result = send(cli, unused_port, str(letters))
    assert 1 == result.exit_code
    assert "cannot connect to the mail server 127.0.0.1:" in result.stderr
    assert "Traceback" not in result.output
    assert not (letters / "CMP-2026-0142" / "sent.csv").exists()


def test_login_with_password_from_the_environment(cli, smtp_server, letters) -> None:
    """--user logs in with $LETTERKIT_SMTP_PASSWORD; a wrong one is refused clearly."""
    mailbox, port = smtp_server
    wrong = send(cli, port, "--user", "ravi", str(letters),
                 env={"LETTERKIT_SMTP_PASSWORD": "nope"})
    assert 1 == wrong.exit_code
    assert "refused the login for ravi" in wrong.stderr
    right = send(cli, port, "--user", "ravi", str(letters),
                 env={"LETTERKIT_SMTP_PASSWORD": "s3cret"})
    assert 0 == right.exit_code, right.output
    assert 3 == len(mailbox.messages)


def test_missing_password_without_a_terminal_is_an_error(cli, smtp_server,
                                                         letters) -> None:
    """No password and no terminal to ask on: say how to give it, send nothing."""
    mailbox, port = smtp_server
    result = send(cli, port, "--user", "ravi", str(letters),
                  env={"LETTERKIT_SMTP_PASSWORD": ""})
    assert 2 == result.exit_code
    assert "set LETTERKIT_SMTP_PASSWORD" in result.stderr
    assert [] == mailbox.messages


def test_settings_from_environment(smtp_server, letters) -> None:
    """LETTERKIT_SMTP_HOST and _PORT are used when no flag is given."""
    mailbox, port = smtp_server
    settings = SmtpSettings().with_env({"LETTERKIT_SMTP_HOST": "127.0.0.1",
                                        "LETTERKIT_SMTP_PORT": str(port)})
    outgoing = [read_outgoing(p) for p in sorted(letters.rglob("*.eml"))]
    report = send_all(outgoing, settings)
    assert 3 == len(report.sent) and report.ok
    assert 3 == len(mailbox.messages)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("LETTERKIT_SMTP_PORT", "twenty-five", "error: LETTERKIT_SMTP_PORT: twenty-five is not a "
     "whole number"),
    ("LETTERKIT_SMTP_SECURITY", "tls", "error: LETTERKIT_SMTP_SECURITY: tls is not one of"),
])
def test_a_wrong_setting_in_the_environment_is_named(cli, letters, variable, value,
                                                    message) -> None:
    """A mistyped environment setting is refused naming the variable, not a traceback."""
    result = cli("send", str(letters), env={variable: value})
    assert 2 == result.exit_code
    assert message in result.stderr


def test_rate_limit_spaces_the_messages(smtp_server, letters) -> None:
    """--rate N keeps to N messages a minute by waiting between them."""
    _, port = smtp_server
    waits: list[float] = []
    ticks = iter(range(0, 100))  # each look at the clock: one second later
    outgoing = [read_outgoing(p) for p in sorted(letters.rglob("*.eml"))]
    report = send_all(outgoing, SmtpSettings("127.0.0.1", port), per_minute=12,  # every 5 s
                      clock=lambda: float(next(ticks)), sleep=waits.append)
    assert 3 == len(report.sent)
    assert [4.0, 4.0] == waits  # none before the first; then 5 s apart, less time passed


def test_date_is_the_moment_of_sending(smtp_server, letters) -> None:
    """A letter made on Monday and sent on Thursday shows Thursday in the inbox: `send`
    stamps the Date header as each message goes; the rest of the message is unchanged."""
    import datetime as dt

    mailbox, port = smtp_server
    thursday = dt.datetime(2026, 11, 26, 9, 15, tzinfo=dt.UTC)
    outgoing = read_outgoing(letters / "CMP-2026-0142" / "acknowledgement.en.eml")
    made = email.message_from_bytes(outgoing.raw, policy=email.policy.default)
    report = send_all([outgoing], SmtpSettings(host="127.0.0.1", port=port),
                      now=lambda: thursday)
    assert report.ok and 1 == len(mailbox.messages)
    delivered = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default)
    assert thursday == delivered["Date"].datetime
    assert 1 == len(delivered.get_all("Date"))
    assert made["Date"].datetime != thursday
    assert made["Message-ID"] == delivered["Message-ID"]
    assert made.get_body(("plain",)).get_content() == \
        delivered.get_body(("plain",)).get_content()


@pytest.fixture
def three_customers(cli, tmp_path) -> Path:
    """Three customers' letters and emails (each an acknowledgement, a meeting
    confirmation and a resolution letter), from a CSV."""
    with (data_path("samples") / "complaints.csv").open(encoding="utf-8-sig",
                                                          newline="") as fh:
        row = next(csv.DictReader(fh))
    source = tmp_path / "three.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        writer.writeheader()
        for n in (1, 2, 3):
            writer.writerow({**row, "reference": f"CMP-2026-{n:04d}",
                             "customer.email": f"customer{n}@example.com"})
    out = tmp_path / "letters"
    result = cli("batch", source, "-o", out, "--date", "2026-11-25", "-j", "1")
    assert 0 == result.exit_code, result.output
    assert 9 == len(list(out.glob("*/*.eml")))
    return out


def delivered(mailbox) -> list[tuple[list[str], str]]:
    """Each delivered message's envelope recipients and subject."""
    return [(rcpt, str(email.message_from_bytes(data, policy=email.policy.default)["Subject"]))
            for _, rcpt, data in mailbox.messages]


def test_send_one_kind_a_few_at_a_time(cli, smtp_server, three_customers) -> None:
    """--kind acknowledgement --limit 2: exactly two acknowledgements; the next run the
    third; a full run the rest; another run nothing."""
    mailbox, port = smtp_server
    result = send(cli, port, "--kind", "acknowledgement", "--limit", "2", three_customers)
    assert 0 == result.exit_code, result.output
    assert [["customer1@example.com"], ["customer2@example.com"]] == [
        rcpt for rcpt, _ in delivered(mailbox)]
    assert ["acknowledgement.en.eml"] * 2 == [
        Path(line.split()[1]).name for line in result.stdout.splitlines()
        if line.startswith("sent ")]
    rest = send(cli, port, "--kind", "acknowledgement", three_customers)
    assert "1 sent, 2 already sent" in rest.stderr
    assert ["customer3@example.com"] == delivered(mailbox)[2][0]
    assert 0 == send(cli, port, three_customers).exit_code
    assert 9 == len(mailbox.messages)
    again = send(cli, port, three_customers)
    assert 0 == again.exit_code
    assert 9 == len(mailbox.messages)
    assert "0 sent, 9 already sent" in again.stderr


def test_send_to_ourselves_first(cli, smtp_server, three_customers) -> None:
    """--to sends every message to one address instead, logged apart; the customers'
    messages are still to send, and go on the next run."""
    mailbox, port = smtp_server
    result = send(cli, port, "--to", "care-review@deccanhome.example", three_customers)
    assert 0 == result.exit_code, result.output
    assert 9 == len(mailbox.messages)
    assert {("care-review@deccanhome.example",)} == {tuple(r) for _, r, _ in mailbox.messages}
    copy = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default)
    assert "care-review@deccanhome.example" == str(copy["To"]) and copy["Cc"] is None
    assert "customer1@example.com" in str(copy["X-Letterkit-Instead-Of"])
    folder = three_customers / "CMP-2026-0001"
    assert not (folder / "sent.csv").exists()
    assert 3 == len((folder / "test-sends.csv").read_text(encoding="utf-8-sig")
                    .strip().splitlines()) - 1
    real = send(cli, port, three_customers)
    assert "9 sent, 0 already sent" in real.stderr
    originals = {str(email.message_from_bytes(d, policy=email.policy.default)["Message-ID"])
                 for _, _, d in mailbox.messages}
    assert 18 == len(originals)  # a copy never shares the real message's Message-ID


def test_a_temporary_refusal_is_tried_again(cli, smtp_server, letters, monkeypatch) -> None:
    """A server that says 451 once still gets the message, after a wait."""
    import letterkit.delivery.smtp as smtp

    monkeypatch.setattr(smtp, "FIRST_WAIT", 0.01)
    mailbox, port = smtp_server
    mailbox.busy = 1
    result = send(cli, port, "--kind", "acknowledgement", letters)
    assert 0 == result.exit_code, result.output
    assert 1 == mailbox.refused_for_now
    assert 1 == len(mailbox.messages)
    assert "1 sent" in result.stderr


def test_a_refusal_that_lasts_is_reported_and_the_rest_go(cli, smtp_server, letters,
                                                          monkeypatch) -> None:
    import letterkit.delivery.smtp as smtp

    monkeypatch.setattr(smtp, "FIRST_WAIT", 0.01)
    mailbox, port = smtp_server
    mailbox.busy = smtp.RETRIES + 1  # the first message, every time it is tried
    result = send(cli, port, letters)
    assert 1 == result.exit_code
    assert "not sent: the server said 451 4.3.0 Too busy, try again later" in result.stderr
    assert 2 == len(mailbox.messages)
    assert "1 sent, 2 already sent" in send(cli, port, letters).stderr  # the next run
    assert 3 == len(mailbox.messages)


def test_dry_run_shows_each_message(cli, letters) -> None:
    result = cli("send", "--dry-run", "--kind", "resolution", letters)
    assert 0 == result.exit_code, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("CMP-2026-0142/resolution.en.eml")
    assert "  To:      Ms Lakshmi Prasanna <lakshmi@example.com>" in lines
    assert "  Cc:      Suresh Kumar <suresh.kumar@deccanhome.example>" in lines
    assert "  From:    Ravi Teja <ravi.teja@deccanhome.example>" in lines
    assert any(line.startswith("  Subject: ") and "CMP-2026-0142" in line for line in lines)
    assert any(line.startswith("  Attached: Resolution of your complaint CMP-2026-0142.docx")
               for line in lines)
    assert "  | Dear Ms Lakshmi Prasanna," in lines
    assert "1 would be sent, 0 sent before" in result.stderr


def _log(letters: Path) -> Path:
    return letters / "CMP-2026-0142" / "sent.csv"


@pytest.mark.parametrize("damage", [
    pytest.param(b"", id="empty"),
    pytest.param(b"\xef\xbb\xbf\r\n", id="only-a-bom"),
    pytest.param(b"when,who\r\n2026-11-20,someone\r\n", id="foreign-header"),
    pytest.param(bytes(range(256)) * 4, id="binary"),
    pytest.param(b"sent_at,message_id,file\r\n2026-11-25T10:00:00+00:00,<17640", id="cut-short"),
])
def test_a_sent_log_letterkit_cannot_read_sends_nothing(cli, smtp_server, letters,
                                                        damage) -> None:
    """An empty, foreign, damaged or cut-short sent.csv is refused in one line naming it,
    and nothing is sent, rather than sending everything in the folder again."""
    mailbox, port = smtp_server
    send(cli, port, str(letters))
    assert 3 == len(mailbox.messages)
    _log(letters).write_bytes(damage)
    for args in (["--dry-run"], []):
        result = send(cli, port, *args, str(letters))
        assert 2 == result.exit_code, result.output
        assert 3 == len(mailbox.messages)
        assert 1 == len(result.stderr.strip().splitlines()), result.stderr
        assert f"{_log(letters)}: " in result.stderr
        assert "cannot tell which messages of this folder were sent" in result.stderr
        assert "Traceback" not in result.output
    assert damage == _log(letters).read_bytes()


@pytest.mark.parametrize(("encoding", "delimiter", "ending"), [
    pytest.param("utf-8", ";", "\r\n", id="semicolons-no-bom"),
    pytest.param("utf-16", "\t", "\r\n", id="excel-unicode-text"),
    pytest.param("cp1252", ",", "", id="ansi-no-last-line-break"),
])
def test_a_sent_log_saved_again_by_excel_still_counts(cli, smtp_server, letters, encoding,
                                                      delimiter, ending) -> None:
    """A sent.csv Excel saved in its own way still stops every message in it going again,
    and is written back as letterkit writes it, with what it held, before a line is
    added."""
    mailbox, port = smtp_server
    send(cli, port, "-k", "acknowledgement", "-k", "meeting", str(letters))
    with _log(letters).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert 3 == len(rows)
    text = "\r\n".join(delimiter.join(row) for row in rows) + ending
    _log(letters).write_bytes(text.encode(encoding))

    result = send(cli, port, str(letters))
    assert 0 == result.exit_code, result.output
    assert "1 sent, 2 already sent" in result.stderr
    assert 3 == len(mailbox.messages)
    data = _log(letters).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    with _log(letters).open(encoding="utf-8-sig", newline="") as fh:
        repaired = list(csv.reader(fh))
    assert rows == repaired[:3]
    assert "resolution.en.eml" == repaired[3][2] and 4 == len(repaired)
    assert "0 sent, 3 already sent" in send(cli, port, str(letters)).stderr


def test_two_sends_of_one_folder_at_once_send_each_message_once(smtp_server,
                                                                three_customers) -> None:
    """Two `letterkit send` processes started together on the same folder (a double
    click, two colleagues): every message reaches the server once."""
    mailbox, port = smtp_server
    sendable_any_day(three_customers)
    command = [sys.executable, "-m", "letterkit", "send", "--host", "127.0.0.1", "--port",
               str(port), str(three_customers)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [0, 0] == [run.returncode for run in runs], outputs
    ids = [email.message_from_bytes(data, policy=email.policy.default)["Message-ID"]
           for _, _, data in mailbox.messages]
    assert 9 == len(ids) == len(set(ids))
    logged = [line for log in three_customers.glob("*/sent.csv")
              for line in log.read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert 9 == len(logged)


def test_a_message_another_run_sent_meanwhile_is_not_sent_again(smtp_server, letters,
                                                                 monkeypatch) -> None:
    """Under the folder's lock the log is read again: a message another run logged after
    this run made its plan is skipped; a folder another run holds too long is reported,
    and its message is not sent."""
    mailbox, port = smtp_server
    settings = SmtpSettings("127.0.0.1", port)
    messages = read_messages([letters])
    first, *others = messages

    def another_run_sends_the_rest(outgoing, refused) -> None:
        if outgoing is first:
            with (letters / "CMP-2026-0142" / "sent.csv").open("a", encoding="utf-8") as fh:
                for other in others:
                    fh.write(f"2026-11-25T10:00:00+00:00,{other.message_id},"
                             f"{other.path.name},x@example.com,\r\n")

    report = send_all(messages, settings, on_sent=another_run_sends_the_rest)
    assert [first.path] == report.sent and 1 == len(mailbox.messages)
    assert {o.path for o in others} == {path for path, _ in report.already_sent}

    monkeypatch.setattr(smtp, "LOCK_WAIT", 0.2)
    (letters / "CMP-2026-0142" / "sent.csv").unlink()
    with FileLock(letters / "CMP-2026-0142" / smtp.LOCK_NAME):
        held = send_all(read_messages([letters]), settings)
    assert [] == held.sent and 1 == len(mailbox.messages)
    assert all("another letterkit send has been sending from this folder" in p.message
               for p in held.failed)


def test_a_meeting_made_again_unchanged_is_not_sent_again(cli, smtp_server, tmp_path,
                                                          write_record, sample_data) -> None:
    """Rendering the same record again with --force (its invitation stamped with a new
    time) gives the same Message-IDs, so send recognises every message as sent."""
    mailbox, port = smtp_server
    record, out = write_record(sample_data), tmp_path / "out"
    cli("render", record, "-o", out, "--date", "2026-11-23")
    assert 0 == send(cli, port, str(out)).exit_code
    sent = len(mailbox.messages)
    time.sleep(1.1)  # a new DTSTAMP
    cli("render", record, "-o", out, "--date", "2026-11-23", "--force")
    again = send(cli, port, str(out))
    assert f"0 sent, {sent} already sent" in again.stderr
    assert sent == len(mailbox.messages)


@pytest.mark.parametrize("headers", [
    pytest.param("From: =?utf-8?q?=0d=0a?= <a@example.com>\nTo: b@example.com\n"
                 "Message-ID: <7@example.com>\n", id="crlf-in-encoded-name"),
    pytest.param("From: a@example.com\nTo: =?utf-8?b?####?=\nMessage-ID: <9@example.com>\n",
                 id="broken-encoded-address"),
    pytest.param("From: a@example.com\nTo: : ; <b@example.com>\nMessage-ID: <10@example.com>\n",
                 id="empty-group"),
    pytest.param("From: a@example.com\nTo: b@example.com\nMessage-ID: <1@example.com>\n"
                 "Resent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
                 "Resent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n", id="two-resent-blocks"),
    pytest.param("From: a@example.com\nTo: b@example.com\nMessage-ID: not-an-id\n",
                 id="message-id-without-brackets"),
    pytest.param("From: a@example.com\nTo: b@example.com\nMessage-ID: <abc>\n",
                 id="message-id-without-at"),
])
def test_an_email_letterkit_cannot_send_or_log_is_refused_before_anything_goes(
        cli, smtp_server, letters, tmp_path, headers) -> None:
    """A hand-made .eml whose headers Python cannot read, or whose Message-ID the sent log
    could not hold, is named in one line (exit 2) and nothing is sent."""
    mailbox, port = smtp_server
    odd = tmp_path / "odd.eml"
    odd.write_text(headers + "Subject: hi\n\nbody\n", encoding="utf-8")
    for args in (["--dry-run"], []):
        result = send(cli, port, *args, str(letters), str(odd))
        assert 2 == result.exit_code, result.output
        assert [f"error: {odd}"] == [line.split(": ")[0] + ": " + line.split(": ")[1]
                                     for line in result.stderr.splitlines()]
        assert [] == mailbox.messages


def test_an_unknown_charset_is_shown_by_a_dry_run(cli, letters, tmp_path, smtp_server) -> None:
    """--dry-run shows a message in a charset Python does not know, saying so."""
    _, port = smtp_server
    odd = tmp_path / "charset.eml"
    odd.write_text("From: a@example.com\nTo: b@example.com\nMessage-ID: <11@example.com>\n"
                   "Content-Type: text/plain; charset=utf-99\n\nx\n", encoding="utf-8")
    result = send(cli, port, "--dry-run", str(odd))
    assert 0 == result.exit_code, result.output
    assert "its text cannot be shown here" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--host", "smtp..example.com"], "cannot connect to the mail server smtp..example.com"),
    (["--host", "a" * 64 + ".example"], "cannot connect to the mail server"),
    (["--rate", "1e-300"], "'--rate'"),
    (["--port", "0"], "'--port'"),
])
def test_send_settings_a_typo_can_give_are_one_line(cli, letters, args, message) -> None:
    """A host name no resolver takes, a rate or port out of range: one line, no
    traceback, nothing sent."""
    result = cli("send", *args, str(letters))
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert not (letters / "CMP-2026-0142" / "sent.csv").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="pipes by name are POSIX")
@pytest.mark.parametrize("what", ["fifo", "device", "folder"])
def test_a_sent_log_that_is_no_file_is_refused_not_read_forever(cli, smtp_server, letters,
                                                                 what) -> None:
    """A pipe, a link to /dev/zero or a folder where sent.csv goes: one line naming it,
    nothing sent; never a hang or all the memory."""
    mailbox, port = smtp_server
    log = letters / "CMP-2026-0142" / "sent.csv"
    {"fifo": lambda: os.mkfifo(log), "device": lambda: log.symlink_to("/dev/zero"),
     "folder": log.mkdir}[what]()
    result = send(cli, port, str(letters))
    assert 2 == result.exit_code
    assert f"{log}: is not a file but a folder, a link, a device or a pipe" in result.stderr
    assert [] == mailbox.messages


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="pipes by name are POSIX")
def test_a_pipe_named_like_an_email_is_not_read(cli, smtp_server, letters) -> None:
    """A pipe named `*.eml` in a folder sent is passed over, not waited on."""
    mailbox, port = smtp_server
    os.mkfifo(letters / "CMP-2026-0142" / "zz.eml")
    result = send(cli, port, "--dry-run", str(letters))
    assert 0 == result.exit_code
    assert 3 == result.stdout.count("would send")


def test_a_sent_log_with_a_cell_too_long_to_read_is_one_line(cli, smtp_server,
                                                              letters) -> None:
    """A sent.csv holding a cell longer than Python's csv module reads (128 KiB) is
    refused in one line, not a traceback."""
    mailbox, port = smtp_server
    log = letters / "CMP-2026-0142" / "sent.csv"
    log.write_text("sent_at,message_id,file,recipients,refused\n2026-01-01,<a@b>,\""
                   + "x" * 200_000 + "\",r,\n", encoding="utf-8")
    result = send(cli, port, "--dry-run", str(letters))
    assert 2 == result.exit_code
    assert f"{log}: is damaged" in result.stderr and "Traceback" not in result.output


def test_a_folder_that_cannot_be_written_sends_nothing(cli, smtp_server, letters,
                                                       monkeypatch) -> None:
    """A folder where nothing can be written (a read-only share): its messages are not
    sent, since their sending could not be logged, and the folder is named."""
    mailbox, port = smtp_server

    class ReadOnly(FileLock):
        def acquire(self, *args, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self.lock_file))

    monkeypatch.setattr(smtp, "FileLock", ReadOnly)
    result = send(cli, port, str(letters))
    assert 1 == result.exit_code
    assert "Read-only file system" in result.stderr
    assert [] == mailbox.messages


def test_a_recipient_refused_for_now_is_tried_again_alone(smtp_server, tmp_path, cli,
                                                          write_record, sample_data) -> None:
    """The customer's server busy (451) while the colleague in Cc is accepted: the
    customer is tried again after a wait, and gets the message; refused for longer than
    the retries, the customer is reported, not counted as sent to."""
    mailbox, port = smtp_server
    sample_data["customer"]["email"] = "later.customer@example.com"
    out = tmp_path / "out"
    cli("render", write_record(sample_data), "-o", out, "-k", "resolution", "--date",
        "2026-11-26")
    waits: list[float] = []
    mailbox.later = 2
    report = send_all(read_messages([out]), SmtpSettings("127.0.0.1", port),
                      sleep=waits.append)
    assert [] == report.refused and 1 == len(report.sent)
    assert [["later.customer@example.com", "suresh.kumar@deccanhome.example"]] == [
        sorted(rcpt) for rcpt in [[r for _, rs, _ in mailbox.messages for r in rs]]]
    assert [5.0, 10.0] == waits

    (out / "CMP-2026-0142" / "sent.csv").unlink()
    mailbox.later = 10
    report = send_all(read_messages([out]), SmtpSettings("127.0.0.1", port),
                      sleep=lambda seconds: None)
    assert ["later.customer@example.com"] == [p.message.split("refused ")[1].split(":")[0]
                                               for p in report.refused]


def test_a_dry_run_shows_who_gets_a_copy_unseen(cli, tmp_path, smtp_server) -> None:
    """--dry-run names the Bcc recipients a message also goes to (a few, and how many
    more), so the person checking sees everyone who will get it."""
    _, port = smtp_server
    bcc = ", ".join(f"u{n}@example.com" for n in range(10))
    odd = tmp_path / "bcc.eml"
    odd.write_text(f"From: a@example.com\nTo: b@example.com\nBcc: {bcc}\n"
                   "Message-ID: <bcc1@example.com>\nSubject: hi\n\nbody\n", encoding="utf-8")
    result = send(cli, port, "--dry-run", str(odd))
    assert 0 == result.exit_code
    assert "Bcc:     u0@example.com, u1@example.com, u2@example.com and 7 more" in result.stdout


def test_one_letter_made_into_two_folders_goes_once(cli, smtp_server, tmp_path,
                                                    write_record, sample_data) -> None:
    """The same record rendered into two folders, both named to one send: each message
    goes once."""
    mailbox, port = smtp_server
    record = write_record(sample_data)
    for name in ("a", "b"):
        cli("render", record, "-o", tmp_path / name, "--date", "2026-11-25")
    result = send(cli, port, str(tmp_path / "a"), str(tmp_path / "b"))
    assert 0 == result.exit_code, result.output
    assert 3 == len(mailbox.messages)


def test_a_user_name_beyond_ascii_is_one_line(cli, smtp_server, letters) -> None:
    """A login name the server's AUTH cannot carry is one line, not a traceback."""
    mailbox, port = smtp_server
    result = send(cli, port, "--user", "రవి", str(letters),
                  env={"LETTERKIT_SMTP_PASSWORD": "s3cret"})
    assert 1 == result.exit_code
    assert "failed" in result.stderr and "Traceback" not in result.output
    assert [] == mailbox.messages


def test_a_complaints_emails_go_in_the_order_of_its_letters(cli, smtp_server, letters,
                                                            write_record, sample_data) -> None:
    """The follow-up goes after the resolution letter, not between the acknowledgement
    and the meeting confirmation as the alphabet would have it."""
    _, port = smtp_server
    cli("render", write_record(sample_data), "-o", letters, "-k", "follow-up", "--date",
        "2026-12-05")
    result = send(cli, port, "--dry-run", str(letters))
    order = [line.rsplit("/", 1)[1] for line in result.stdout.splitlines()
             if line.startswith("would send")]
    assert ["acknowledgement.en.eml", "meeting.en.eml", "resolution.en.eml",
            "follow-up.en.eml"] == order


# --- letters dated after today are not sent before their day ------------------------------

def _on(monkeypatch, day: str) -> None:
    import datetime as dt

    monkeypatch.setattr(smtp, "local_today", lambda: dt.date.fromisoformat(day))


@pytest.fixture
def resolution_of_the_26th(cli, tmp_path, write_record, sample_data) -> Path:
    """The sample's resolution letter and its email, dated 26 November 2026."""
    out = tmp_path / "ahead"
    result = cli("render", write_record(sample_data), "-o", out, "-k", "resolution",
                 "--date", "2026-11-26")
    assert 0 == result.exit_code, result.output
    return out


def test_an_email_carries_its_letters_date(resolution_of_the_26th) -> None:
    [eml] = resolution_of_the_26th.rglob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert "2026-11-26" == message["X-Letterkit-Dated"]
    assert read_outgoing(eml).dated is not None


def test_a_letter_dated_later_is_held_back_until_its_day(cli, smtp_server, monkeypatch,
                                                         resolution_of_the_26th) -> None:
    """Made ahead for a meeting still to come, the resolution is not sent on the 24th: it
    would reach the customer dated two days ahead, recording an agreement not yet made.
    The dry run and the run say so, name the day, and log nothing; on the day it goes."""
    mailbox, port = smtp_server
    out = resolution_of_the_26th
    _on(monkeypatch, "2026-11-24")
    dry = send(cli, port, str(out), "--dry-run")
    assert 0 == dry.exit_code, dry.output
    assert "not sent yet: " in dry.stderr and "resolution.en.eml" in dry.stderr
    assert "dated 26 November 2026, after today; run send again on or after 26 November " \
        "2026" in dry.stderr
    assert "0 would be sent, 0 sent before, 1 dated later (not sent yet)" in dry.stderr
    assert "would send:" not in dry.stdout

    held = send(cli, port, str(out))
    assert 0 == held.exit_code, held.output
    assert [] == mailbox.messages
    assert "1 dated later (not sent yet)" in held.stderr
    assert not (out / "CMP-2026-0142" / "sent.csv").exists()

    _on(monkeypatch, "2026-11-26")
    on_the_day = send(cli, port, str(out))
    assert 0 == on_the_day.exit_code, on_the_day.output
    assert 1 == len(mailbox.messages)
    assert "dated later" not in on_the_day.stderr


def test_a_test_copy_of_a_letter_dated_later_goes(cli, smtp_server, monkeypatch,
                                                  resolution_of_the_26th) -> None:
    """--to sends a copy to look at whenever asked; the customer's message still waits."""
    mailbox, port = smtp_server
    _on(monkeypatch, "2026-11-24")
    result = send(cli, port, str(resolution_of_the_26th), "--to", "care@deccanhome.example")
    assert 0 == result.exit_code, result.output
    assert [["care@deccanhome.example"]] == [list(rcpt) for _, rcpt, _ in mailbox.messages]


def test_only_the_kinds_chosen_are_said_to_wait(cli, smtp_server, monkeypatch,
                                                resolution_of_the_26th) -> None:
    _, port = smtp_server
    _on(monkeypatch, "2026-11-24")
    result = send(cli, port, str(resolution_of_the_26th), "--kind", "acknowledgement")
    assert 0 == result.exit_code, result.output
    assert "not sent yet" not in result.stderr and "dated later" not in result.stderr


def test_the_library_holds_back_the_same(smtp_server, resolution_of_the_26th) -> None:
    import datetime as dt

    mailbox, port = smtp_server
    messages = read_messages([resolution_of_the_26th])
    report = send_all(messages, SmtpSettings("127.0.0.1", port), today=dt.date(2026, 11, 25))
    assert [] == report.sent == mailbox.messages
    assert [m.path for m in messages] == [m.path for m in report.not_yet]
    assert report.ok


@pytest.mark.parametrize("value", ["26/11/2026", "tomorrow", "2026-02-30", "20261126",
                                   "2026-W48-4"])
def test_a_date_header_that_is_not_a_day_is_refused(tmp_path, resolution_of_the_26th,
                                                    value) -> None:
    [eml] = resolution_of_the_26th.rglob("*.eml")
    eml.write_bytes(eml.read_bytes().replace(b"X-Letterkit-Dated: 2026-11-26",
                                             b"X-Letterkit-Dated: " + value.encode()))
    with pytest.raises(smtp.InputError) as raised:
        read_outgoing(eml)
    message = raised.value.problems[0].message
    assert f"X-Letterkit-Dated header {value!r} is not a day (YYYY-MM-DD)" in message
    assert str(eml) == raised.value.problems[0].file


def test_an_email_made_before_letters_carried_their_date_goes(smtp_server, monkeypatch,
                                                               resolution_of_the_26th) -> None:
    """An .eml from an earlier letterkit (no date header) is sent as it always was."""
    mailbox, port = smtp_server
    [eml] = resolution_of_the_26th.rglob("*.eml")
    eml.write_bytes(eml.read_bytes().replace(b"X-Letterkit-Dated: 2026-11-26\r\n", b""))
    _on(monkeypatch, "2026-11-24")
    report = send_all(read_messages([resolution_of_the_26th]), SmtpSettings("127.0.0.1", port))
    assert 1 == len(report.sent) == len(mailbox.messages)


def test_a_dry_run_shows_a_telugu_name_as_mail_programs_do(cli, tmp_path) -> None:
    """The name is split between words into encoded words (RFC 2047), whose space between
    them a mail program drops; the dry run shows it as they do, with one space."""
    out = tmp_path / "te"
    cli("render", data_path("samples") / "complaint.te.yaml", "-o", out, "-k",
        "acknowledgement", "--date", "2026-11-23")
    result = cli("send", str(out), "--dry-run")
    assert 0 == result.exit_code, result.output
    assert "  To:      శ్రీ వెంకట సుబ్బారావు గారు <subbarao@example.com>\n" in result.stdout
    assert "  From:    రవి తేజ <ravi.teja@deccanhome.example>\n" in result.stdout


def test_two_date_headers_are_refused(tmp_path, resolution_of_the_26th) -> None:
    """Two dates for one letter: which is meant cannot be told, so it is not sent."""
    [eml] = resolution_of_the_26th.rglob("*.eml")
    eml.write_bytes(eml.read_bytes().replace(
        b"X-Letterkit-Dated: 2026-11-26", b"X-Letterkit-Dated: 2026-11-23\r\n"
        b"X-Letterkit-Dated: 2026-11-26"))
    with pytest.raises(smtp.InputError, match="it has 2 X-Letterkit-Dated headers"):
        read_outgoing(eml)


def test_a_message_sent_before_is_said_sent_whatever_its_date(
        cli, smtp_server, monkeypatch, resolution_of_the_26th) -> None:
    """Sent on the 26th from one computer, the message is \"already sent\" on another still
    on the 25th, not \"not sent yet\"; and a message named twice is held back once."""
    mailbox, port = smtp_server
    out = resolution_of_the_26th
    _on(monkeypatch, "2026-11-26")
    assert 0 == send(cli, port, str(out)).exit_code
    _on(monkeypatch, "2026-11-25")
    again = send(cli, port, str(out), "--dry-run")
    assert "already sent" in again.stdout and "not sent yet" not in again.stderr
    assert "0 would be sent, 1 sent before\n" in again.stderr

    (out / "CMP-2026-0142" / "sent.csv").unlink()
    [eml] = out.rglob("*.eml")
    twice = send(cli, port, str(out), str(eml), "--dry-run")
    assert 1 == twice.stderr.count("not sent yet:")
    assert "1 dated later (not sent yet)" in twice.stderr


def test_the_limit_counts_the_messages_that_go(cli, smtp_server, monkeypatch, tmp_path,
                                                write_record, sample_data) -> None:
    """--limit 1 with a letter dated later first in line sends one that may go."""
    mailbox, port = smtp_server
    out = tmp_path / "mixed"
    assert 0 == cli("render", write_record(sample_data), "-o", out, "-k", "acknowledgement",
                    "--date", "2026-11-23").exit_code
    assert 0 == cli("render", write_record(sample_data), "-o", out, "-k", "resolution",
                    "--date", "2026-11-26").exit_code
    _on(monkeypatch, "2026-11-24")
    result = send(cli, port, str(out), "--limit", "1")
    assert 0 == result.exit_code, result.output
    assert 1 == len(mailbox.messages)
    assert "1 dated later (not sent yet)" in result.stderr
