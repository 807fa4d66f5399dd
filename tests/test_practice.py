"""The practice checks: every sin caught and quoted in English and Telugu, innocent text
left alone, missing commitments named, and render's --strict."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from letterkit import validate_record
from letterkit.resources import data_path

DATE = "2026-11-23"
SAMPLES = data_path("samples")


def telugu_sample() -> dict:
    return yaml.safe_load((SAMPLES / "complaint.te.yaml").read_text(encoding="utf-8"))



def check(cli, write_record, data: dict):
    return cli("check", str(write_record(data)), "--date", DATE)


ENGLISH_SINS = [
    ("jargon", "Your case was escalated to L2 and the TAT is 3 days.", "escalated"),
    ("jargon", "Your case was escalated to L2 and the TAT is 3 days.", "TAT"),
    ("blame", "The door was dented, but it was not our fault.", "not our fault"),
    ("blame", "You failed to check the box on delivery.", "You failed to"),
    ("blame", "Delays are beyond our control.", "beyond our control"),
    ("rulebook", "As per policy we cannot replace it.", "As per policy"),
    ("rulebook", "Returns after 7 days are not allowed.", "not allowed"),
    ("runaround", "Please visit our website to book a visit.", "visit our website"),
    ("runaround", "Kindly fill in the form at the store.", "fill in the form"),
    ("runaround", "For refunds, call another number.", "another number"),
    ("brushoff", "Your complaint has been forwarded to the concerned team.",
     "concerned team"),
    ("brushoff", "We are treating this matter as closed.", "treating this matter as closed"),
    ("coldness", "Kindly note that the refund was processed.", "Kindly note"),
    ("guarantee", "We guarantee this will never happen again.", "guarantee"),
    ("guarantee", "Our service is 100% reliable.", "100%"),
    ("apathy", "We regret any inconvenience caused.", "any inconvenience caused"),
    ("robotism", "Dear customer, your complaint has been registered.", "Dear customer"),
]

TELUGU_SINS = [
    ("jargon", "మీ కేసును ఎస్కలేట్ చేశాము; TAT మూడు రోజులు.", "ఎస్కలేట్"),
    ("blame", "తలుపు దెబ్బతిన్నది, కానీ అది మా తప్పు కాదు.", "మా తప్పు కాదు"),
    ("blame", "ఆలస్యం మా నియంత్రణలో లేదు.", "మా నియంత్రణలో లేదు"),
    ("rulebook", "నియమాల ప్రకారం మార్చడం కుదరదు.", "నియమాల ప్రకారం"),
    ("rulebook", "ఏడు రోజుల తర్వాత తిరిగి ఇవ్వడానికి అనుమతి లేదు.", "అనుమతి లేదు"),
    ("runaround", "దయచేసి మా వెబ్‌సైట్‌ను సందర్శించండి.", "వెబ్‌సైట్‌ను సందర్శించండి"),
    ("runaround", "దుకాణంలో ఫారం నింపండి.", "ఫారం నింపండి"),
    ("runaround", "రీఫండ్ కోసం వేరే నంబర్‌కు కాల్ చేయండి.", "వేరే నంబర్‌కు కాల్ చేయండి"),
    ("guarantee", "ఇది మళ్ళీ ఎప్పుడూ జరగదని హామీ ఇస్తున్నాము.", "మళ్ళీ ఎప్పుడూ జరగదని"),
    ("apathy", "దీని గురించి మేము ఏమీ చేయలేము.", "ఏమీ చేయలేము"),
    ("robotism", "ప్రియమైన వినియోగదారుడా, మీ ఫిర్యాదు నమోదు చేయబడింది.",
     "ప్రియమైన వినియోగదారుడా"),
    ("coldness", "ప్రియమైన వినియోగదారుడా, మీ ఫిర్యాదు నమోదు చేయబడింది.",
     "నమోదు చేయబడింది"),
    ("brushoff", "మీ ఫిర్యాదును సంబంధిత విభాగానికి పంపించాము.", "సంబంధిత విభాగానికి"),
    ("brushoff", "పై నుండి సమాధానం రావాల్సి ఉంది.", "సమాధానం రావాల్సి ఉంది"),
]


@pytest.mark.parametrize(("sin", "text", "quote"), ENGLISH_SINS,
                         ids=[f"{s}-{q}" for s, _, q in ENGLISH_SINS])
def test_each_english_sin_is_caught_and_quoted(cli, write_record, sample_data, sin, text,
                                               quote) -> None:
    """A sin in staff's text is quoted back with the field and the letters it would be in."""
    sample_data["complaint"]["summary"] = text
    result = check(cli, write_record, sample_data)
    assert 1 == result.exit_code
    assert f"complaint.summary: “{quote}”: " in result.stderr
    assert "[acknowledgement, resolution]" in result.stderr


@pytest.mark.parametrize(("sin", "text", "quote"), TELUGU_SINS,
                         ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(TELUGU_SINS)])
def test_each_telugu_sin_is_caught_and_quoted(cli, write_record, sin, text, quote) -> None:
    """The same in Telugu, inflected forms included, with Telugu guidance."""
    data = telugu_sample()
    data["complaint"]["summary"] = text
    result = check(cli, write_record, data)
    assert 1 == result.exit_code
    assert f"“{quote}”" in result.stderr


@pytest.mark.parametrize("text", [
    "The escalator at the store was out of order when the refrigerator arrived.",
    "We have changed our policy so that damage is reported on the day it is found.",
    "Our website now shows each delivery slot, and we call you if it moves.",
    "మీకు తప్పుడు సమాచారం ఇచ్చినందుకు క్షమించండి.",
    "మా సేవా కేంద్రం నియమిత సమయాల్లో తెరిచి ఉంటుంది.",
], ids=["escalator", "policy-changed", "website-shows", "telugu-wrong-info", "telugu-hours"])
def test_innocent_text_is_not_flagged(cli, write_record, sample_data, text) -> None:
    """Words that only look like a sin pass."""
    sample_data["complaint"]["summary"] = text
    result = check(cli, write_record, sample_data)
    assert 0 == result.exit_code, result.stderr


def test_the_samples_pass(cli) -> None:
    """The shipped sample records and CSV are clean at their letter date."""
    result = cli("check", str(SAMPLES / "complaint.yaml"),
                 str(SAMPLES / "complaint.te.yaml"), str(SAMPLES / "complaints.csv"),
                 "--date", DATE)
    assert 0 == result.exit_code, result.stderr
    assert "checked 4 records: clean" in result.stderr


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["resolution"]["actions"][1].pop("due"),
         "resolution.actions.2.due: the action 'Refund the installation charge' has no due "
         "date"),
        (lambda d: d["resolution"]["actions"][0].update(due="2026-11-20"),
         "resolution.actions.1.due: the action 'Deliver and install a replacement "
         "refrigerator' is due 2026-11-20, not after the letter's date"),
        (lambda d: d["resolution"]["actions"][0].update(due="2026-11-24"),
         "is due 2026-11-24, before the meeting (2026-11-25)"),
        (lambda d: d["meeting"].update(at="2026-11-18T10:00"),
         "meeting.at: the meeting (2026-11-18) is before the complaint arrived (2026-11-20)"),
        (lambda d: d.pop("meeting"), "meeting: no call or meeting is proposed"),
        (lambda d: d["resolution"].pop("prevention"),
         "resolution.prevention: nothing says how it will not happen again"),
        (lambda d: d.pop("cc"), "cc: nobody involved is copied"),
        (lambda d: d["complaint"].update(subject="ORD-88213 refrigerator door"),
         "complaint.subject: “ORD-88213 refrigerator door”: opens with a reference number"),
    ],
    ids=["no-due", "due-past", "due-before-meeting", "meeting-before-complaint",
         "no-meeting", "no-prevention", "no-cc", "opens-with-number"],
)
def test_missing_commitments_are_named(cli, write_record, sample_data, change,
                                       expected) -> None:
    """What the practice requires of each letter, named by field."""
    change(sample_data)
    result = check(cli, write_record, sample_data)
    assert 1 == result.exit_code
    assert expected in result.stderr


def test_late_answer_is_a_note_not_a_finding(cli, write_record, sample_data) -> None:
    """A complaint answered days later gets a note; the exit status stays 0."""
    sample_data["received"] = "2026-11-16"
    sample_data["meeting"]["at"] = "2026-11-25T15:30"
    result = check(cli, write_record, sample_data)
    assert 0 == result.exit_code, result.stderr
    assert "note: " in result.stderr
    assert "5 working days before the letter's date: answer fast" in result.stderr


def test_render_warns_and_strict_refuses(cli, tmp_path, write_record, sample_data) -> None:
    """Plain render writes the letters and warns; --strict writes nothing and says why."""
    sample_data["complaint"]["summary"] = "The door was dented, but it was not our fault."
    record = str(write_record(sample_data))
    plain = cli("render", record, "-o", str(tmp_path / "plain"), "--date", DATE)
    assert 0 == plain.exit_code
    assert "warning: " in plain.stderr and "“not our fault”" in plain.stderr
    assert 2 == len(list((tmp_path / "plain" / "CMP-2026-0142").glob("*.docx")))
    strict = cli("render", record, "-o", str(tmp_path / "strict"), "--date", DATE,
                 "--strict")
    assert 1 == strict.exit_code
    assert "“not our fault”" in strict.stderr and "--strict: no letters written" in strict.stderr
    assert not (tmp_path / "strict").exists()


def test_batch_strict_makes_a_faulty_row_a_bad_row(cli, tmp_path, sample_data) -> None:
    """In a batch, findings go to notes.csv, or with --strict to errors.csv."""
    from sheets import read_csv, write_csv

    faulty = copy.deepcopy(sample_data)
    faulty["reference"] = "CMP-FAULTY"
    faulty["complaint"]["summary"] = "As per policy we cannot replace it."
    source = write_csv(tmp_path / "rows.csv", [sample_data, faulty])
    plain = cli("batch", str(source), "-o", str(tmp_path / "p"), "-j", "1",
                "--no-email", "--date", "2026-11-25")
    assert 0 == plain.exit_code
    assert any("As per policy" in n["message"] for n in read_csv(tmp_path / "p" / "notes.csv"))
    strict = cli("batch", str(source), "-o", str(tmp_path / "s"), "-j", "1",
                 "--no-email", "--date", "2026-11-25", "--strict")
    assert 1 == strict.exit_code
    (error,) = {e["reference"] for e in read_csv(tmp_path / "s" / "errors.csv")}
    assert "CMP-FAULTY" == error
    assert not (tmp_path / "s" / "CMP-FAULTY").exists()
    assert (tmp_path / "s" / "CMP-2026-0142" / "resolution.en.docx").exists()


def test_admins_extend_the_word_lists(cli, tmp_path, write_record, sample_data) -> None:
    """A phrase added in the config's practice_words file is caught."""
    extra = tmp_path / "more.yaml"
    extra.write_text("jargon:\n  phrases: [hub transfer]\n", encoding="utf-8")
    config = tmp_path / "letterkit.yaml"
    config.write_text("practice_words: more.yaml\n", encoding="utf-8")
    sample_data["complaint"]["summary"] = "The parcel was held at the hub transfer."
    result = cli("--config", str(config), "check", str(write_record(sample_data)),
                 "--date", DATE)
    assert 1 == result.exit_code
    assert "“hub transfer”" in result.stderr
    # Its section says no practice or suggestion: none are shown, no empty brackets.
    assert "“hub transfer”: words the customer would not use. [" in result.stderr


@pytest.mark.parametrize(("words", "expected"), [
    ("jargon:\n  phrases: ['(the )?hub']\n", "'(the )?hub' is not a word; write [word]"),
    ("jargon:\n  phrases: ['(hub|depot']\n", "a bracket is not closed"),
    ("jargon:\n  phrases: ['re:hub(']\n", "not a regular expression"),
    ("jargon:\n  phrases: [{phrase: hub, unles: [x]}]\n", "unknown key 'unles'"),
    ("jargon:\n  phrases: [{phrase: hub, except_in: [notes]}]\n",
     "no record field 'notes'; expected one of: complaint.subject"),
    ("jargon:\n  phrases: [{phrase: hub, needs: ['@nope']}]\n", "no group named 'nope'"),
    ("jargons:\n  phrases: [hub]\n", "unknown section 'jargons'"),
    ("- hub\n", "expected sections such as jargon:"),
], ids=["regex-sign", "bracket", "bad-regex", "unknown-key", "unknown-field", "no-group",
        "unknown-sin", "a-list"])
def test_a_mistake_in_the_admins_word_list_is_named(cli, tmp_path, write_record, sample_data,
                                                     words, expected) -> None:
    """A word list that would silently never match, or not load, is refused with the file
    and the phrase named, never a traceback."""
    extra = tmp_path / "more.yaml"
    extra.write_text(words, encoding="utf-8")
    config = tmp_path / "letterkit.yaml"
    config.write_text("practice_words: more.yaml\n", encoding="utf-8")
    result = cli("--config", str(config), "check", str(write_record(sample_data)),
                 "--date", DATE)
    assert 2 == result.exit_code, result.stderr
    assert "more.yaml" in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_template_wording_is_checked_too(cli, custom_template) -> None:
    """Wording an admin adds to a template is held to the same practice."""
    folder = custom_template("Please visit our website for the status.")
    result = cli("templates", "check", str(folder))
    assert 1 == result.exit_code
    assert "“visit our website”: sends the customer elsewhere" in result.stderr


def test_acknowledgement_template_must_apologise(cli, tmp_path) -> None:
    """An acknowledgement template without an apology is refused by the check."""
    from docx import Document

    from letterkit.docx.find import shipped_templates_dir

    doc = Document(str(shipped_templates_dir() / "acknowledgement-block.docx"))
    for paragraph in doc.paragraphs:
        if "apologise" in paragraph.text:
            paragraph._p.getparent().remove(paragraph._p)
    folder = tmp_path / "ours"
    folder.mkdir()
    doc.save(str(folder / "acknowledgement-block.docx"))
    result = cli("templates", "check", str(folder))
    assert 1 == result.exit_code
    assert "the acknowledgement never apologises" in result.stderr


# --- the same checks, through their own functions -----------------------------------

def test_check_record_names_the_letters_a_finding_touches(sample_data) -> None:
    """A finding in text several letters show is one finding naming them all; a kind not
    asked for is not checked."""
    from letterkit import check_record

    sample_data["complaint"]["summary"] = "It was not our fault."
    record = validate_record(sample_data)
    (finding,) = check_record(record, today=dt.date(2026, 11, 23))
    assert ("complaint.summary", "not our fault", ("acknowledgement", "resolution")) == (
        finding.field, finding.quote, finding.kinds)
    assert [] == check_record(record, ["meeting"], today=dt.date(2026, 11, 23))


def test_commitments_come_from_each_kind(sample_data) -> None:
    """A missing meeting place is one finding for both letters that need it; prevention
    and copies are asked of the resolution and the follow-up alike."""
    from letterkit import check_record

    sample_data["meeting"].update(mode="in-person", where=None)
    del sample_data["cc"]
    findings = {f.field: f.kinds for f in check_record(validate_record(sample_data),
                                                       today=dt.date(2026, 11, 23))}
    assert ("acknowledgement", "meeting") == findings["meeting.where"]
    assert ("resolution", "follow-up") == findings["cc"]


def test_word_lists_scan_telugu_with_sandhi() -> None:
    """A Telugu phrase's last word matches with its endings, sandhi included; a word that
    only begins the same does not."""
    from letterkit.practice.wording import Phrase, normalise

    def compile_phrase(phrase: str):  # noqa: ANN202
        return Phrase.of(phrase).pattern

    pattern = compile_phrase("మళ్ళీ ఎప్పుడూ జరగదు")
    assert pattern.search(normalise("ఇది మళ్లీ ఎప్పుడూ జరగదని హామీ"))  # ళ్ళ and ళ్ల alike
    assert compile_phrase("వినియోగదారు*").search(normalise("ప్రియమైన వినియోగదారుడా"))
    assert not compile_phrase("వల్లే").search(normalise("దాని వల్ల"))  # -ే is not sandhi
    assert not compile_phrase("TAT").search("tat")  # abbreviations as written
    assert compile_phrase("guarantee*").search("We guaranteed it")
    assert not compile_phrase("escalate").search("the escalator")


def test_late_note_counts_working_days() -> None:
    """A Friday complaint answered on Tuesday has waited two working days."""
    from letterkit.practice.records import late_note, working_days_between

    assert 2 == working_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 24))
    record = validate_record(yaml.safe_load((SAMPLES / "complaint.yaml").read_text("utf-8")))
    note = late_note(record, dt.date(2026, 11, 24), within_working_days=1)
    assert note is not None and ("received", "late") == (note.field, note.code)
    assert late_note(record, dt.date(2026, 11, 23), within_working_days=1) is None


def test_check_file_reads_every_row_of_a_csv() -> None:
    """`check_file` gives one result per CSV row, with its spreadsheet row number."""
    from letterkit import check_file

    results = list(check_file(SAMPLES / "complaints.csv", today=dt.date(2026, 11, 23)))
    assert [2, 3] == [r.row for r in results]
    assert all(not r.findings and r.error is None for r in results)


def test_a_phone_meeting_on_our_own_number_is_found(cli, write_record, sample_data) -> None:
    """A phone meeting whose number is the handler's (or the organisation's) would have us
    call ourselves: check says so, for both letters that name the number."""
    for ours in ("+91 40 5555 0101", "040 5555 0100"):
        sample_data["meeting"]["where"] = ours
        result = check(cli, write_record, sample_data)
        assert 1 == result.exit_code
        assert f"meeting.where: the number we will call ({ours}) is our own, not the " \
            "customer's" in result.stderr
        assert "[acknowledgement, meeting]" in result.stderr
    sample_data["meeting"]["where"] = "+91 98480 22338"  # the customer's, as given
    assert 0 == check(cli, write_record, sample_data).exit_code


def test_check_reports_a_letter_its_date_does_not_allow(cli, write_record,
                                                        sample_data) -> None:
    """A resolution dated before the meeting it thanks the customer for: a finding when
    asked for by name, a note (the letter is for a later day) under all."""
    record = str(write_record(sample_data))
    named = cli("check", record, "-k", "resolution", "--date", DATE)
    assert 1 == named.exit_code
    assert ("finding: " + record + ": meeting.at: the letter's date 2026-11-23 is before the "
            "meeting where the remedy is agreed (2026-11-25)") in named.stderr
    every = cli("check", record, "--date", DATE)
    assert 0 == every.exit_code
    assert ("note: " + record + ": meeting.at: the resolution letter: the letter's date "
            "2026-11-23 is before the meeting") in every.stderr


# The sentences issue 13 found passing or flagged wrongly, each in the field it was tried in.
REPORTED_BAD = [
    ("complaint.summary", "Your complaint has been forwarded to the concerned team."),
    ("complaint.summary", "Your ticket has been closed."),
    ("resolution.summary", "As per terms and conditions we cannot refund the fee."),
    ("resolution.summary", "Please contact your nearest service centre."),
    ("resolution.summary", "Please call our toll-free number."),
    ("resolution.summary", "Rest assured this will be fixed."),
    ("resolution.summary", "We will fix it at the earliest."),
    ("resolution.summary", "There is no provision for compensation."),
    ("complaint.summary", "మీ ఫిర్యాదును సంబంధిత టీమ్‌కు ఫార్వర్డ్ చేశాము."),
    ("complaint.summary", "మీ అభ్యర్థన ప్రాసెస్‌లో ఉంది."),
    ("resolution.summary", "ఈ రిపేర్‌కు వారంటీ వర్తించదు."),
    ("resolution.summary", "ఇది మా పరిధిలో లేదు."),
    ("resolution.summary", "దీనికి మేము బాధ్యత వహించము."),
    ("resolution.summary", "సమీప సర్వీస్ సెంటర్‌ను సంప్రదించండి."),
    ("complaint.summary", "కలిగిన అసౌకర్యానికి చింతిస్తున్నాము."),
    ("complaint.summary", "ప్రియమైన వినియోగదారులకు, మీ ఫిర్యాదు అందింది."),
]
REPORTED_INNOCENT = [
    ("resolution.summary", "The refrigerator is still under guarantee, so the repair is free."),
    ("resolution.summary", "We will refund 100% of the charge to your card by Friday."),
    ("resolution.summary", "If you face any inconvenience with the new unit, call me."),
    ("findings", "According to our records the visit was wrongly marked as done."),
    ("resolution.prevention",
     "We have changed our company policy so that refunds are approved on the day."),
    ("resolution.summary", "RBI నిబంధనల ప్రకారం మీకు పరిహారం చెల్లిస్తాము."),
    ("findings", "కొరియర్ తప్పు చిరునామాకు పంపింది."),
]


def _field_findings(field: str, text: str) -> list[str]:
    """What the checks say of the sentence in its field of its language's sample."""
    from letterkit.practice.corpus import Entry, flags, sample_data
    from letterkit.practice.wording import word_lists

    language = "te" if any("\u0c00" <= c <= "\u0c7f" for c in text) else "en"
    return flags(Entry(text, field, "?"), sample_data(language), word_lists())


@pytest.mark.parametrize(("field", "text"), REPORTED_BAD, ids=[t for _, t in REPORTED_BAD])
def test_what_the_issue_found_passing_is_caught(field: str, text: str) -> None:
    assert _field_findings(field, text)


@pytest.mark.parametrize(("field", "text"), REPORTED_INNOCENT,
                         ids=[t for _, t in REPORTED_INNOCENT])
def test_what_the_issue_found_flagged_passes(field: str, text: str) -> None:
    assert [] == _field_findings(field, text)


@pytest.mark.parametrize("text", [
    pytest.param("x" * 400_000, id="one-long-word"),
    pytest.param("Dr. " * 50_000, id="a-sentence-that-never-ends"),
    pytest.param("_" * 200_000, id="a-line-of-underscores"),
])
def test_the_checks_read_long_text_once(write_record, sample_data, text) -> None:
    """A summary of hundreds of thousands of characters (a pasted image, a line of
    underscores, a sentence of short forms) is checked in one reading, not once from each
    of its characters: `check` ends within a minute where it once took most of an hour."""
    import subprocess
    import sys

    sample_data["complaint"]["summary"] = text
    result = subprocess.run([sys.executable, "-m", "letterkit", "check",
                             str(write_record(sample_data))],
                            capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr


def test_the_shipped_word_lists_read_alike_by_either_reader() -> None:
    """The shipped lists are read by libyaml's parser for speed: it must see in them what
    the checked reader of users' files sees."""
    from letterkit.i18n.languages import locales_dir
    from letterkit.sources import load_data_file, load_shipped_file

    shipped = sorted(locales_dir().glob("*/practice.yaml"))
    assert len(shipped) >= 2
    for path in shipped:
        assert load_data_file(path) == load_shipped_file(path)
