"""Telugu and English: catalogs, extraction from .docx, locale formats, titles, plurals."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from letterkit import KINDS, load_record, make_letter, validate_record
from letterkit.docx.find import shipped_templates_dir
from letterkit.docx.messages import extract_messages
from letterkit.i18n.catalogs import check_catalog
from letterkit.i18n.formats import Formats
from letterkit.i18n.languages import available_languages, catalogs_changed
from letterkit.resources import data_path

from readback import docx_text

TODAY = dt.date(2026, 11, 23)
TELUGU_SAMPLE = data_path("samples") / "complaint.te.yaml"
ROOT = Path(__file__).resolve().parent.parent


def letter_text(record, kind: str, language: str, **kwargs) -> str:
    return docx_text(make_letter(record, kind, language=language, layout="block",
                                 today=TODAY, **kwargs).docx)


@pytest.fixture(scope="module")
def english_wording() -> list[str]:
    """Every fixed English sentence and label of the shipped templates."""
    catalog = extract_messages(sorted(shipped_templates_dir().glob("*.docx")))
    wording = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wording += [i for i in ids if i and "%(" not in i and len(i) > 3]
    return wording


def test_telugu_is_available() -> None:
    """Telugu is a language letters can be written in."""
    assert ["en", "te"] == available_languages()


@pytest.mark.parametrize("kind", KINDS)
def test_telugu_letter_is_telugu_throughout(kind, english_wording) -> None:
    """The Telugu record's letters carry no English fixed wording, and Telugu dates."""
    record = load_record(TELUGU_SAMPLE)
    text = letter_text(record, kind, "te")
    leftovers = [w for w in english_wording if w in text]
    assert [] == leftovers
    assert "శ్రీ వెంకట సుబ్బారావు గారికి,\n" in text  # the name line, in the dative
    assert "శ్రీ వెంకట సుబ్బారావు గారికి, నమస్కారం." in text
    assert "23 నవంబర్ 2026" in text
    assert "ఫిర్యాదు సంఖ్య: CMP-2026-0143" in text and "సూచిక" not in text
    assert "విషయం: వాషింగ్ మెషిన్ రిపేర్ ఆలస్యం" in text
    assert "ఇట్లు," in text


def test_telugu_resolution_formats_dates_and_money() -> None:
    """Action dates in Telugu, and the refund's amount beside it, with the rupee sign."""
    text = letter_text(load_record(TELUGU_SAMPLE), "resolution", "te")
    assert "28 నవంబర్ 2026" in text
    assert "1 డిసెంబర్ 2026" in text
    assert "మీరు చెల్లించిన సర్వీస్ ఛార్జీని తిరిగి చెల్లించడం: ₹750" in text


def test_telugu_meeting_formats_weekday_time_and_length() -> None:
    """The meeting's full date has the Telugu weekday; its length is in Telugu."""
    text = letter_text(load_record(TELUGU_SAMPLE), "meeting", "te")
    assert "25 నవంబర్ 2026, బుధవారం" in text
    assert "ఉదయం 11:00\n" in text  # Telugu's day period; no zone for an Indian meeting
    assert "AM" not in text and "సమయం ప్రకారం" not in text
    assert "45 నిమిషాలు" in text
    assert "స్థలం:" in text


def test_a_meeting_in_another_zone_names_its_city_in_telugu() -> None:
    """A meeting held in another time zone than the organisation's says whose time it is,
    with the city in Telugu, after the time."""
    import yaml

    data = yaml.safe_load(TELUGU_SAMPLE.read_text(encoding="utf-8"))
    data["meeting"]["timezone"] = "Asia/Dubai"
    text = letter_text(validate_record(data), "meeting", "te")
    assert "ఉదయం 11:00 (దుబాయి సమయం ప్రకారం)" in text
    assert "Dubai" not in text


def test_english_record_in_telugu_keeps_the_staff_text(sample_data) -> None:
    """Fixed wording follows the chosen language; the staff's free text stays as written."""
    text = letter_text(validate_record(sample_data), "resolution", "te")
    assert "Lakshmi Prasanna గారికి, నమస్కారం." in text  # Ms: no title in Telugu
    assert "We will replace the refrigerator and install it free of charge." in text
    assert "మేము చేయబోయేది" in text


def test_telugu_record_in_english() -> None:
    """A Telugu record rendered in English: English wording around the Telugu text."""
    text = letter_text(load_record(TELUGU_SAMPLE), "acknowledgement", "en")
    assert "Dear Mr వెంకట సుబ్బారావు," in text
    assert "21 November 2026" in text


@pytest.mark.parametrize(
    ("title", "shown"),
    [("Mr", "శ్రీ రవి గారు"), ("Mrs", "శ్రీమతి రవి గారు"), ("Ms", "రవి గారు"),
     ("Miss", "కుమారి రవి గారు"), ("Dr", "డా. రవి గారు"), ("Prof", "ప్రొ. రవి గారు"),
     (None, "రవి గారు"), ("Sri", "Sri రవి గారు")],
)
def test_telugu_names_the_reader_with_garu(title, shown) -> None:
    """Titles the Telugu way (Ms takes none: శ్రీమతి says married), always with the
    respectful గారు; unknown titles kept. The one a letter is written to is in the
    dative, గారికి."""
    formats = Formats.for_language("te")
    person = {"title": title, "name": "రవి"}
    assert shown == formats.addressee(person)
    assert shown.replace("గారు", "గారికి") == formats.addressee(person, "to")


@pytest.mark.parametrize(("count", "label"), [(1, "జతపరచినది:"), (2, "జతపరచినవి:")])
def test_plural_forms(sample_data, count, label) -> None:
    """The enclosure label agrees with the number of enclosures."""
    sample_data["enclosures"] = ["ప్రతి"] * count
    assert label in letter_text(validate_record(sample_data), "resolution", "te")


def test_indian_grouping_and_lists() -> None:
    """Babel's te_IN formats: lakh grouping, Telugu list conjunction, durations."""
    te = Formats.for_language("te")
    assert "₹1,25,000" == te.money(125000)
    assert "A, B మరియు C" == te.join_and(["A", "B", "C"])
    assert "27 నవంబర్ 2026" == te.date(dt.date(2026, 11, 27))


def test_native_digits_option() -> None:
    """With native digits, dates, times and amounts use Telugu digits; free text does not
    change."""
    te = Formats.for_language("te", native_digits=True)
    assert "౨౭ నవంబర్ ౨౦౨౬" == te.date(dt.date(2026, 11, 27))
    assert "₹౧,౨౫,౦౦౦" == te.money(125000)
    assert "₹౭౫౦.౫౦" == te.money(Decimal("750.50"))  # paise only when there are any
    assert "ఉదయం ౧౧:౦౦" == te.time(dt.time(11, 0))
    text = letter_text(load_record(TELUGU_SAMPLE), "acknowledgement", "te", native_digits=True)
    assert "౨౩ నవంబర్ ౨౦౨౬" in text
    assert "౨౫ నవంబర్ ౨౦౨౬, బుధవారం నాడు ఉదయం ౧౧:౦౦ గంటలకు" in text
    assert "CMP-2026-0143" in text


@pytest.mark.parametrize("language", ["en", "te"])
def test_whole_amounts_show_no_paise(language) -> None:
    """A whole amount reads as an amount, not a receipt ("₹750"); paise show when there
    are any, in both languages."""
    formats = Formats.for_language(language)
    assert "₹750" == formats.money(Decimal("750"))
    assert "₹1,25,000" == formats.money(125000)
    assert "₹750.50" == formats.money(Decimal("750.5"))


def test_telugu_catalog_is_complete() -> None:
    """Every message in the shipped templates is translated into Telugu, none fuzzy."""
    report = check_catalog("te", extract_messages(sorted(shipped_templates_dir().glob("*.docx"))))
    assert [] == report.lines()


def test_untranslated_template_message_fails_the_check(custom_template, cli) -> None:
    """A template gaining a sentence the Telugu catalog lacks fails `i18n compile`."""
    folder = custom_template("{{ _('We have sent a technician today.') }}",
                             "acknowledgement-block.docx")
    result = cli("i18n", "compile", "--templates", str(folder))
    assert 1 == result.exit_code
    assert "untranslated: 'We have sent a technician today.'" in result.stderr


def test_extract_finds_every_message_with_its_paragraph(tmp_path, custom_template,
                                                        cli) -> None:
    """`i18n extract` writes a .pot with each message and where it stands."""
    pot = tmp_path / "messages.pot"
    folder = custom_template("{{ _('A new sentence from the admin.') }}",
                             "acknowledgement-block.docx")
    result = cli("i18n", "extract", "--templates", str(folder), "-o", str(pot))
    assert 0 == result.exit_code, result.output
    text = pot.read_text(encoding="utf-8")
    assert 'msgid "A new sentence from the admin."' in text
    assert "#. acknowledgement, body: “A new sentence from the admin.”" in text
    assert 'msgid "Dear %(name)s,"' in text
    assert 'msgctxt "title"' in text
    assert 'msgid_plural "Enclosures:"' in text


def test_pybabel_reads_docx_through_the_entry_point(tmp_path) -> None:
    """Plain `pybabel extract` reads .docx templates through letterkit's extractor."""
    pot = tmp_path / "p.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    result = subprocess.run(
        [str(pybabel), "extract", "-F", str(ROOT / "babel.cfg"), "-k", "pmark:1c,2",
         "-o", str(pot), str(ROOT)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert 0 == result.returncode, result.stderr
    assert 'msgid "What we will do"' in pot.read_text(encoding="utf-8")


def test_update_adds_a_new_language_in_the_users_folder(tmp_path, cli, sample_data,
                                                       write_record) -> None:
    """`i18n update --add hi` starts a Hindi catalog, with every message to translate, in
    the user's catalogs folder, and leaves the shipped catalogs as they were; letters are
    refused in Hindi, with the count of what is missing, until it is translated."""
    shipped = {p: p.read_bytes() for p in data_path("locales").rglob("*") if p.is_file()}
    mine = Path(os.environ["LETTERKIT_LOCALES"])
    result = cli("i18n", "update", "--add", "hi")
    assert 0 == result.exit_code, result.output
    every = sum(1 for m in extract_messages(sorted(shipped_templates_dir().glob("*.docx")))
                if m.id)
    assert f"{mine / 'hi' / 'LC_MESSAGES' / 'messages.po'} ({every} to translate)" \
        in result.stdout
    assert "te/LC_MESSAGES/messages.po (shipped) is up to date with the templates " \
        "(0 to translate)" in result.stdout
    assert not (mine / "te").exists()  # a copy would hide the next release's Telugu
    assert shipped == {p: p.read_bytes() for p in data_path("locales").rglob("*")
                       if p.is_file()}

    listed = cli("languages")
    assert f"hi  ({mine / 'hi' / 'LC_MESSAGES' / 'messages.po'})  not ready: {every} of " \
        f"{every} messages to translate" in listed.stdout
    refused = cli("render", write_record(sample_data), "--lang", "hi", "-o", tmp_path / "out")
    assert 2 == refused.exit_code
    assert f"does not yet translate {every} of the {every} messages" in refused.stderr
    assert not (tmp_path / "out").exists()

    # Translated (here: each message by itself), the language writes letters.
    path = mine / "hi" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="hi")
    for message in catalog:
        if message.id:
            message.string = message.id if isinstance(message.id, str) else message.id
            message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog)
    made = cli("render", write_record(sample_data), "--lang", "hi", "-o", tmp_path / "out",
               "-k", "acknowledgement")
    assert 0 == made.exit_code, made.output
    assert (tmp_path / "out" / "CMP-2026-0142" / "acknowledgement.hi.docx").is_file()


def test_custom_wording_goes_to_the_users_copy(cli, custom_template) -> None:
    """A custom template's new sentence: `i18n update` starts the user's own Telugu from the
    shipped one, `compile` names the gap and writes the user's .mo, and nothing shipped
    changes."""
    shipped = {p: p.stat().st_mtime_ns for p in data_path("locales").rglob("*") if p.is_file()}
    folder = custom_template("{{ _('We have sent a technician today.') }}",
                             "acknowledgement-block.docx")
    mine = Path(os.environ["LETTERKIT_LOCALES"]) / "te" / "LC_MESSAGES"
    updated = cli("i18n", "update", "--templates", folder)
    assert f"updated {mine / 'messages.po'} (1 to translate)" in updated.stdout
    result = cli("i18n", "compile", "--templates", folder)
    assert 1 == result.exit_code
    assert f"{mine / 'messages.po'}: untranslated: 'We have sent a technician today.'" \
        in result.stderr
    assert f"wrote {mine / 'messages.mo'}" in result.stdout
    assert shipped == {p: p.stat().st_mtime_ns for p in data_path("locales").rglob("*")
                       if p.is_file()}


def test_shipped_template_catalog_is_current() -> None:
    """locales/messages.pot (what a catalog is measured against before letters are written
    in its language) holds exactly the messages of the shipped templates and letterkit."""
    with (data_path("locales") / "messages.pot").open("rb") as fh:
        pot = read_po(fh)
    extracted = extract_messages(sorted(shipped_templates_dir().glob("*.docx")))

    def ids(catalog) -> set[tuple[str | None, str]]:
        return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}

    assert ids(extracted) == ids(pot)


@pytest.mark.parametrize(("language", "name"), [
    ("en", "Resolution of your complaint CMP-2026-0142.docx"),
    ("te", "మీ ఫిర్యాదు పరిష్కారం CMP-2026-0142.docx"),
])
def test_letter_file_name_the_customer_sees(sample_data, language, name) -> None:
    """The name a customer sees for a letter (an attachment) is in the letter's language."""
    letter = make_letter(validate_record(sample_data), "resolution", language=language,
                         layout="block", today=TODAY)
    assert name == letter.display_name()


def test_telugu_catalog_keeps_to_its_glossary() -> None:
    """Every Telugu message uses the glossary's terms (locales/te/glossary.yaml): none of
    the words it says to avoid, and the term wherever the English names the thing."""
    import re

    import yaml
    from babel.messages.pofile import read_po

    glossary = yaml.safe_load((data_path("locales") / "te" / "glossary.yaml")
                              .read_text(encoding="utf-8"))
    with (data_path("locales") / "te" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="te")
    pairs = [(m.id if isinstance(m.id, str) else m.id[0],
              m.string if isinstance(m.string, str) else " ".join(m.string))
             for m in catalog if m.id]
    wrong = [(term["te"], avoid, english) for term in glossary
             for avoid in term.get("avoid", []) for english, telugu in pairs
             if avoid in telugu]
    assert [] == wrong
    missing = [(term["te"], english) for term in glossary if term.get("use_when")
               for english, telugu in pairs
               if re.search(rf"\b{term['use_when']}\b", english, re.IGNORECASE)
               and term["te"] not in telugu]
    assert [] == missing


@pytest.mark.parametrize(("code", "message"), [
    ("xx", "'xx' is not a language code letterkit knows"),
    ("a b", "'a b' is not a language code letterkit knows"),
])
def test_adding_a_language_babel_does_not_know_is_one_line(cli, code, message) -> None:
    """`i18n update --add` with a code no locale has: one line, nothing written."""
    result = cli("i18n", "update", "--add", code)
    assert 2 == result.exit_code
    assert message in result.stderr and "Traceback" not in result.output
    assert [] == list(Path(os.environ["LETTERKIT_LOCALES"]).rglob("*.po"))


def test_a_language_added_in_capitals_is_the_language(cli) -> None:
    """`--add HI` starts the `hi` catalog, the one --lang hi asks for."""
    assert 0 == cli("i18n", "update", "--add", "HI").exit_code
    assert (Path(os.environ["LETTERKIT_LOCALES"]) / "hi" / "LC_MESSAGES" / "messages.po"
            ).is_file()


def _users_telugu(change) -> Path:
    """The user's copy of the shipped Telugu catalog, changed by `change(text)`."""
    mine = Path(os.environ["LETTERKIT_LOCALES"]) / "te" / "LC_MESSAGES"
    mine.mkdir(parents=True)
    shipped = data_path("locales") / "te" / "LC_MESSAGES" / "messages.po"
    (mine / "messages.po").write_bytes(change(shipped.read_bytes()))
    catalogs_changed()
    return mine / "messages.po"


def _in_first_translation(old: bytes, new: bytes):
    """A change to the first msgstr line that holds `old` (never a msgid)."""
    def change(po: bytes) -> bytes:
        lines = po.split(b"\n")
        at = next(n for n, line in enumerate(lines)
                  if line.startswith(b"msgstr") and old in line)
        lines[at] = lines[at].replace(old, new, 1)
        return b"\n".join(lines)
    return change


@pytest.mark.parametrize("change", [
    pytest.param(_in_first_translation(b"%(reference)s", b"%(nope)s"), id="placeholder"),
    pytest.param(_in_first_translation(b"%(reference)s", b"100% %(reference)s"),
                 id="bare-percent"),
    pytest.param(lambda po: po + b"\xff", id="not-utf8"),
])
def test_a_users_catalog_letters_cannot_use_is_refused_in_one_line(
        cli, tmp_path, write_record, sample_data, change) -> None:
    """A user's Telugu catalog with a translation that cannot be filled in, or not in
    UTF-8: `render` in Telugu is one line naming the catalog (exit 2), `languages` says
    the language is not ready, never a traceback or "please report this"."""
    catalog = _users_telugu(change)
    try:
        result = cli("render", write_record(sample_data), "--lang", "te", "-o",
                     tmp_path / "out", "--date", "2026-11-25")
        assert 2 == result.exit_code, result.output
        assert str(catalog) in result.stderr
        assert "Please report" not in result.stderr and "Traceback" not in result.output
        listed = cli("languages")
        assert 0 == listed.exit_code
        assert any(line.startswith("te") and "not ready" in line
                   for line in listed.stdout.splitlines())
    finally:
        catalog.unlink()
        catalogs_changed()
