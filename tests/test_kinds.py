"""The kinds of letter, each one definition: what it needs, when it may be dated, and the
follow-up letter that proves a new kind takes only its definition, templates and wording."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest

from letterkit import (
    KINDS,
    LAYOUTS,
    KindNotPossible,
    WriteOptions,
    kind_named,
    load_record,
    make_letter,
    plan_kinds,
    validate_record,
    write_record,
)
from letterkit.errors import DATE, MISSING, InputError
from letterkit.resources import data_path

from readback import docx_text

FOLLOW_UP_DAY = dt.date(2026, 12, 5)


def test_kinds_in_the_order_a_complaint_meets_them() -> None:
    """Four kinds, the follow-up last; an unknown name is refused with the choices."""
    assert ("acknowledgement", "meeting", "resolution", "follow-up") == KINDS
    with pytest.raises(InputError, match="'thanks' is not a kind of letter; expected one of: "
                       "acknowledgement, meeting, resolution, follow-up"):
        kind_named("thanks")


def test_follow_up_waits_for_the_last_agreed_action(sample_data) -> None:
    """Dated before the last action is due, the follow-up is refused with the reason and
    the field that sets the day; on that day it may go."""
    record = validate_record(sample_data)
    with pytest.raises(KindNotPossible) as caught:
        plan_kinds(record, ["follow-up"], today=dt.date(2026, 12, 1))
    (problem,) = caught.value.problems
    assert (DATE, "resolution.actions.2.due", "2026-12-02 or later") == (
        problem.code, problem.field, problem.expected)
    assert problem.message == ("the letter's date 2026-12-01 is before the last agreed "
                               "action is due (2026-12-02); the follow-up letter may be dated "
                               "from 2026-12-02")
    kinds, _ = plan_kinds(record, ["follow-up"], today=dt.date(2026, 12, 2))
    assert ["follow-up"] == [k.name for k in kinds]


def test_an_action_done_late_moves_the_follow_up(sample_data) -> None:
    """An action done after it was due: the follow-up waits for the day it was done."""
    sample_data["resolution"]["actions"][1]["done"] = "2026-12-09"
    (problem,) = kind_named("follow-up").unmet(validate_record(sample_data), FOLLOW_UP_DAY)
    assert "resolution.actions.2.done" == problem.field
    assert "before the last agreed action was done (2026-12-09)" in problem.message


@pytest.mark.parametrize(("change", "field", "why"), [
    (lambda d: d["resolution"]["actions"][0].pop("done"), "resolution.actions.1.done",
     "the action 'Deliver and install a replacement refrigerator' is not marked done"),
    (lambda d: d["handler"].pop("phone"), "handler.phone", "no direct line for the handler"),
    (lambda d: d.pop("resolution"), "resolution", "the record has no agreed resolution"),
    (lambda d: d["resolution"].update(actions=[]), "resolution.actions",
     "no agreed actions to follow up"),
], ids=["action-not-done", "no-direct-line", "no-resolution", "no-actions"])
def test_what_the_follow_up_needs(sample_data, change, field, why) -> None:
    """Each thing the follow-up letter states must be in the record, or it is not made."""
    change(sample_data)
    unmet = kind_named("follow-up").unmet(validate_record(sample_data), FOLLOW_UP_DAY)
    assert (field, MISSING) == (unmet[0].field, unmet[0].code)
    assert unmet[0].message.startswith(why)
    assert unmet[0].message.endswith("; needed for the follow-up letter")


def test_all_makes_what_the_date_allows_and_says_why_not_the_rest(sample_data) -> None:
    """`all` makes each letter on the days it may carry: the acknowledgement and meeting
    letter up to the meeting, the resolution from it, the follow-up once the last action is
    due; each letter skipped says why."""
    record = validate_record(sample_data)
    for day, made in ((dt.date(2026, 11, 23), ["acknowledgement", "meeting"]),
                      (dt.date(2026, 11, 25), ["acknowledgement", "meeting", "resolution"]),
                      (dt.date(2026, 11, 26), ["resolution"]),
                      (dt.date(2026, 12, 2), ["resolution", "follow-up"])):
        kinds, skipped = plan_kinds(record, ["all"], today=day)
        assert made == [k.name for k in kinds], day
        assert len(KINDS) - len(made) == len(skipped)
    _, skipped = plan_kinds(record, ["all"], today=dt.date(2026, 11, 23))
    assert skipped[0].message == (
        "skipped the resolution letter: the letter's date 2026-11-23 is before the meeting "
        "where the remedy is agreed (2026-11-25); the resolution letter may be dated from "
        "2026-11-25")
    _, skipped = plan_kinds(record, ["all"], today=dt.date(2026, 11, 26))
    assert skipped[0].message == (
        "skipped the acknowledgement: the letter's date 2026-11-26 is after the call or "
        "meeting it proposes (2026-11-25); the acknowledgement may be dated up to 2026-11-25")


def test_a_resolution_named_before_its_meeting_is_an_error(sample_data) -> None:
    """Asked for by name, a resolution dated before the meeting it thanks the customer for
    is refused, with the field that sets the day."""
    with pytest.raises(KindNotPossible) as caught:
        plan_kinds(validate_record(sample_data), ["resolution"], today=dt.date(2026, 11, 23))
    (problem,) = caught.value.problems
    assert ("meeting.at", "2026-11-25 or later") == (problem.field, problem.expected)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_follow_up_letter_says_what_the_practice_asks(sample_data, layout) -> None:
    """Thanks by name, what was agreed and the day each was done, an open question, the
    direct line, what changed, and the hope for the relationship; copied, nothing
    enclosed."""
    letter = make_letter(validate_record(sample_data), "follow-up", language="en",
                         layout=layout, today=FOLLOW_UP_DAY)
    text = docx_text(letter.docx)
    for expected in (
        "Thank you, Ms Lakshmi Prasanna, for your patience while we put things right.",
        "When we spoke on 25 November 2026, we agreed the steps below",
        "Each of them has now been done:",
        "Deliver and install a replacement refrigerator", "28 November 2026",
        "Refund the installation charge", "1 December 2026",
        "How have things been since then?",
        "please call me directly on +91\u00a040\u00a05555\u00a00101",
        "so that this does not happen again",
        "Delivery partners now raise replacement requests on the day damage is found.",
        "I hope our relationship grows stronger from here.",
        "Copy to:", "Suresh Kumar, Delivery Operations Lead",
    ):
        assert expected in text, expected
    assert "Enclosure" not in text
    assert "+91 98480 22338" not in text  # the customer's own number is not our line


def test_telugu_follow_up() -> None:
    """The Telugu sample's follow-up is Telugu throughout its fixed wording."""
    record = load_record(data_path("samples") / "complaint.te.yaml")
    text = docx_text(make_letter(record, "follow-up", language="te", layout="semi-block",
                                 today=FOLLOW_UP_DAY).docx)
    for expected in ("శ్రీ వెంకట సుబ్బారావు గారు, మీ సమస్యను", "మనం అంగీకరించిన చర్యలు",
                     "పూర్తయిన తేదీ", "28 నవంబర్ 2026", "+91\u00a040\u00a05555\u00a00101"):
        assert expected in text, expected
    for english in ("Thank you", "What we agreed", "Done on", "direct"):
        assert english not in text


def test_follow_up_email_is_the_letter(tmp_path, sample_data) -> None:
    """The follow-up's email carries the letter as its body, to the customer, copied to
    the people involved, with nothing attached."""
    outcome = write_record(validate_record(sample_data), WriteOptions(
        kinds=("follow-up",), out_dir=tmp_path, today=FOLLOW_UP_DAY,
        now=dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)))
    assert outcome.error is None and not outcome.problems
    eml = tmp_path / "CMP-2026-0142" / "follow-up.en.eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert "Refrigerator delivered with a damaged door: is everything now as it should be? " \
        "(reference CMP-2026-0142)" == message["Subject"]
    assert "suresh.kumar@deccanhome.example" in message["Cc"]
    assert [] == list(message.iter_attachments())
    body = message.get_body(("plain",)).get_content()
    assert "How have things been since then?" in body


def test_a_record_names_the_kinds_there_are() -> None:
    """A record's `enclose_with` accepts exactly the kinds letterkit defines."""
    from typing import get_args

    from letterkit.record import KindName

    assert KINDS == get_args(KindName)


@pytest.mark.parametrize("kind", ["render", "check"])
def test_a_misspelt_enclose_with_is_refused_everywhere(cli, write_record, sample_data,
                                                       kind) -> None:
    """Enclosures sent with a letter that does not exist would vanish from every letter:
    the record is refused, naming the field and the kinds there are."""
    sample_data["enclose_with"] = "resolutoin"
    result = cli(kind, str(write_record(sample_data)), "--date", "2026-11-23")
    assert 2 == result.exit_code, result.stderr
    assert "enclose_with: resolutoin is not one of: 'acknowledgement'" in result.stderr
