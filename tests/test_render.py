"""Rendering letters through the library: content, escaping, strictness and the sandbox."""

from __future__ import annotations

import datetime as dt
import io
import re
from xml.sax.saxutils import escape

import pytest
from docx import Document

from letterkit import (
    KINDS,
    LAYOUTS,
    InputError,
    TemplateError,
    make_letter,
    validate_record,
)

from readback import docx_parts, docx_text

TODAY = dt.date(2026, 11, 23)


def render(data, kind="resolution", layout="block", **kwargs) -> bytes:
    record = validate_record(data)
    return make_letter(record, kind, language="en", layout=layout, today=TODAY, **kwargs).docx


# What each of the sample's letters copies and encloses, as the customer should read it:
# the resolution and follow-up go to the people involved; only the resolution encloses.
SAMPLE_COPIES_AND_ENCLOSURES = {
    "acknowledgement": ([], False),
    "meeting": ([], False),
    "resolution": (["Suresh Kumar, Delivery Operations Lead"], True),
    "follow-up": (["Suresh Kumar, Delivery Operations Lead"], False),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_sample_letter_is_complete(sample_data, kind, layout) -> None:
    """Every shipped template renders the sample with no tag left and the essentials in;
    copies and enclosures are the ones the kind's definition names, and no others."""
    docx = render(sample_data, kind, layout)
    for name, xml in docx_parts(docx).items():
        assert not re.search(r"\{\{|\{%|\}\}|%\}", xml), f"template tag left in {name}"
    text = docx_text(docx)
    for expected in ("Deccan Home Appliances Pvt Ltd", "23 November 2026",
                     "Our reference: CMP-2026-0142", "Your reference: ORD-88213",
                     "Dear Ms Lakshmi Prasanna,", "Road No. 12, Banjara Hills",
                     "Subject: Refrigerator delivered with a damaged door",
                     "Yours sincerely,", "Ravi Teja", "Customer Care Manager"):
        assert expected in text, f"{expected!r} missing from {kind}-{layout}"
    copied, encloses = SAMPLE_COPIES_AND_ENCLOSURES[kind]
    assert ("Copy to:" in text) == bool(copied)
    for line in copied:
        assert line in text
    assert ("Enclosure:" in text) == encloses
    assert ("Copy of the replacement order" in text) == encloses


def test_acknowledgement_follows_the_practice(sample_data) -> None:
    """Thanks, apology, investigating, wanting to hear more, and the proposed call."""
    text = docx_text(render(sample_data, "acknowledgement"))
    assert "Thank you for telling us on 20 November 2026" in text
    assert "I apologise sincerely" in text
    assert "started looking into what went wrong" in text
    assert "I would also like to hear more from you" in text
    assert "call you on Wednesday, 25 November 2026 at 3:30\u202fpm" in text
    assert "The refrigerator delivered on 18 November had a dented door" in text


def test_acknowledgement_without_meeting_promises_a_call(sample_data) -> None:
    """With no meeting fixed yet, the acknowledgement says we will call to agree a time."""
    del sample_data["meeting"]
    text = docx_text(render(sample_data, "acknowledgement"))
    assert "I will telephone you shortly to agree a time to talk" in text


def test_meeting_confirmation_gives_the_arrangements(sample_data) -> None:
    """Date, time with its zone, length, medium, number and who will attend."""
    sample_data["meeting"].update(minutes=90, attendees=[{"name": "Suresh Kumar"}])
    text = docx_text(render(sample_data, "meeting"))
    for expected in ("Wednesday, 25 November 2026", "3:30\u202fpm\n",
                     "1 hour, 30 minutes", "By telephone: I will call you",
                     "+91\u00a098480\u00a022338", "Ravi Teja, Customer Care Manager",
                     "Suresh Kumar", "We will talk about:"):
        assert expected in text
    assert "time)" not in text  # an Indian meeting for an Indian organisation: no zone


@pytest.mark.parametrize(("language", "shown"), [("en", "3:30\u202fpm (London time)"),
                                                 ("te", "మధ్యాహ్నం 3:30 (లండన్ సమయం ప్రకారం)")])
def test_a_meeting_in_another_zone_names_it(sample_data, language, shown) -> None:
    """A meeting in another zone than the organisation's own says whose time it is."""
    sample_data["meeting"]["timezone"] = "Europe/London"
    record = validate_record(sample_data)
    letter = make_letter(record, "meeting", language=language, layout="block", today=TODAY)
    assert shown in docx_text(letter.docx)


@pytest.mark.parametrize(("mode", "label"), [("in-person", "Place:"), ("video", "Link:")])
def test_meeting_place_label_follows_the_mode(sample_data, mode, label) -> None:
    """An in-person meeting names its place; a video call its link."""
    sample_data["meeting"].update(mode=mode, where="Film Nagar office")
    assert label in docx_text(render(sample_data, "meeting"))


def test_resolution_records_the_agreement(sample_data) -> None:
    """Remedy, each action with its date, prevention, apology, thanks and hope."""
    text = docx_text(render(sample_data, "resolution"))
    for expected in ("speak with me on 25 November 2026", "What we found",
                     "The installation slot was moved without telling you.",
                     "We will replace the refrigerator and install it free of charge.",
                     "Deliver and install a replacement refrigerator", "28 November 2026",
                     "Refund the installation charge: ₹1,500", "2 December 2026",
                     "So that this does not happen again",
                     "Delivery partners now raise replacement requests",
                     "I am sorry again", "Thank you for telling us",
                     "If this remedy does not put things right for you, please tell me",
                     "You can reach me directly on +91\u00a040\u00a05555\u00a00101.",
                     "even stronger relationship"):
        assert expected in text
    assert "We will also pay you" not in text  # no amount without its reason


def test_indian_money_grouping(sample_data) -> None:
    """Amounts use the Indian grouping of the en_IN locale, and say what they are for."""
    sample_data["resolution"].update(amount="125000", remedy="refund",
                                     amount_for="the two missed installation visits")
    assert "We will refund ₹1,25,000 to you for the two missed installation visits." \
        in docx_text(render(sample_data))


@pytest.mark.parametrize(("remedy", "sentence"), [
    ("refund", "We will refund ₹500 to you for the missed visits."),
    ("credit", "We will add a credit of ₹500 to your account for the missed visits."),
    ("gift", "Please also accept a gift voucher worth ₹500, for the missed visits."),
    ("other", "We will also pay you ₹500 for the missed visits."),
])
def test_an_amount_says_what_it_is_for(sample_data, remedy, sentence) -> None:
    """Every remedy's amount is said with its reason; without one the record is refused."""
    sample_data["resolution"].update(amount="500", remedy=remedy,
                                     amount_for="the missed visits")
    assert sentence in docx_text(render(sample_data))
    del sample_data["resolution"]["amount_for"]
    with pytest.raises(InputError) as caught:
        validate_record(sample_data)
    (problem,) = caught.value.problems
    assert ("resolution.amount_for", "what the amount is for") == (problem.field,
                                                                   problem.expected)


def test_record_values_come_out_literally(sample_data) -> None:
    """XML's special characters in any field are text in the letter, not markup."""
    nasty = "Tom & Jerry's <b>\"shop\"</b> ]]> &amp; {{ 7*7 }} {% if %}"
    sample_data["customer"]["name"] = nasty
    sample_data["complaint"]["summary"] = nasty
    sample_data["findings"] = [nasty]
    sample_data["resolution"]["actions"][0]["what"] = nasty
    sample_data["organisation"]["name"] = nasty
    for kind in KINDS:
        docx = render(sample_data, kind)
        Document(io.BytesIO(docx))  # opens
        text = docx_text(docx)
        assert f"Dear Ms {nasty}," in text
        assert nasty in text.splitlines()  # the letterhead's first line, whole


def test_control_characters_and_long_text_make_a_valid_document(sample_data) -> None:
    """Excel's pasted controls are cleaned and 6,000 characters of text render in full."""
    long_text = ("The door was dented. " * 300)[:6000]
    sample_data["complaint"]["summary"] = "Line one\x0bLine two\x0c\x00\x08" + long_text
    docx = render(sample_data, "acknowledgement")
    text = docx_text(docx)
    assert "Line one\nLine two\n" + long_text.strip() in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", "".join(docx_parts(docx).values()))


def test_multi_line_address_keeps_its_lines(sample_data) -> None:
    """Each address line is its own line in the letter."""
    text = docx_text(render(sample_data))
    assert "Ms Lakshmi Prasanna\nFlat 4B, Sai Residency\nRoad No. 12, Banjara Hills\n" \
           "Hyderabad 500034" in text


def test_optional_parts_disappear_when_absent(sample_data) -> None:
    """No cc, enclosures, findings or order: their labels go too, and nothing says None."""
    for key in ("cc", "enclosures", "findings"):
        del sample_data[key]
    del sample_data["complaint"]["order"]
    text = docx_text(render(sample_data))
    for absent in ("Copy to:", "Enclosure", "What we found", "Your reference", "None"):
        assert absent not in text


def _styles(docx: bytes):
    return Document(io.BytesIO(docx)).styles


def test_layouts_differ_as_designed(sample_data) -> None:
    """Block: no indents. Semi-block: date, close and signature from the centre, and
    body paragraphs indented 1.27 cm."""
    block = _styles(render(sample_data, layout="block"))
    semi = _styles(render(sample_data, layout="semi-block"))
    for name in ("Letter Date", "Letter Closing", "Letter Signature"):
        assert not block[name].paragraph_format.left_indent
        assert 7.96 == pytest.approx(semi[name].paragraph_format.left_indent.cm, abs=0.01)
    assert not block["Letter Text"].paragraph_format.first_line_indent
    assert 1.27 == pytest.approx(semi["Letter Text"].paragraph_format.first_line_indent.cm,
                                 abs=0.01)


def test_styles_carry_a_telugu_capable_font(sample_data) -> None:
    """The document defaults name a complex-script font and the Telugu proofing language."""
    styles_xml = docx_parts(render(sample_data))["word/styles.xml"]
    assert 'w:cs="Nirmala UI"' in styles_xml
    assert 'w:bidi="te-IN"' in styles_xml
    assert "<w:szCs " in styles_xml


def test_unknown_field_is_an_error_naming_it(custom_template, sample_data) -> None:
    """A template naming a field the record lacks fails before rendering, quoting the
    paragraph and suggesting the field meant."""
    folder = custom_template("Nickname: {{ customer.nickname }}")
    with pytest.raises(TemplateError) as caught:
        render(sample_data, templates=folder)
    assert ("'customer.nickname' is not a field of a complaint letter; did you mean "
            "customer.name? (paragraph “Nickname: {{ customer.nickname }}”)") in str(caught.value)


def test_render_time_guards_stand_behind_the_check(custom_template, sample_data) -> None:
    """Rendering itself is strict and sandboxed too: an unknown field or a reach for
    Python internals fails even in a template that was never checked."""
    from letterkit.docx.compiled import compile_template
    from letterkit.letters import letter_context

    context = letter_context(validate_record(sample_data), kind="resolution", language="en",
                             layout="block", today=TODAY)
    for paragraph, expected in (
        ("Nickname: {{ customer.nickname }}", "'nickname' is not a field letterkit gives"),
        ("{{ customer.__class__.__mro__ }}", "refused: the template reaches for Python"),
    ):
        folder = custom_template(paragraph)
        compiled = compile_template(folder / "resolution-block.docx", "en")
        with pytest.raises(TemplateError, match=expected):
            compiled.render(context)
        (folder / "resolution-block.docx").unlink()


def test_template_syntax_error_names_the_paragraph(custom_template, sample_data) -> None:
    """An unclosed `if` is reported with the template's file name."""
    folder = custom_template("{% if customer.title %}Hello")
    with pytest.raises(TemplateError, match=r"resolution-block\.docx: '\{% if %\}' is never "
                       r"closed: add '\{% endif %\}'"):
        render(sample_data, templates=folder)


def test_sandbox_refuses_python_internals(custom_template, sample_data) -> None:
    """A template reaching for Python internals is refused and runs nothing."""
    folder = custom_template("{{ customer.__class__.__mro__ }}")
    with pytest.raises(TemplateError, match="refused: 'customer.__class__' reaches for Python"):
        render(sample_data, templates=folder)


def test_custom_template_folder_is_used_first(custom_template, sample_data) -> None:
    """A template in the custom folder replaces the shipped one."""
    folder = custom_template("Added by our admin for {{ customer.name }}.")
    assert "Added by our admin for Lakshmi Prasanna." in docx_text(
        render(sample_data, templates=folder))


def test_word_smart_quotes_in_tags_still_work(custom_template, sample_data) -> None:
    """Word's autocorrected quotes inside a tag are read as plain quotes."""
    folder = custom_template("{{ _(\u201cSubject:\u201d) }} X")
    assert "Subject: X" in docx_text(render(sample_data, templates=folder))


def test_same_record_gives_the_same_bytes(sample_data) -> None:
    """Rendering is deterministic: the same record and date give identical files."""
    assert render(sample_data) == render(sample_data)


@pytest.mark.parametrize(("kind", "language", "question"), [
    ("acknowledgement", "en", "What would put this right for you?"),
    ("meeting", "en", "What would you most like us to talk about?"),
    ("acknowledgement", "te", "మీ సమస్య ఏ విధంగా పరిష్కారమైతే మీకు సంతృప్తిగా ఉంటుంది?"),
    ("meeting", "te", "మన సంభాషణలో ముఖ్యంగా ఏ విషయాల గురించి మాట్లాడాలని మీరు కోరుకుంటున్నారు?"),
])
def test_the_customer_is_asked_an_open_question(sample_data, kind, language, question) -> None:
    """The acknowledgement and the meeting letter each put an open question to the
    customer, in both languages."""
    record = validate_record(sample_data)
    letter = make_letter(record, kind, language=language, layout="block", today=TODAY)
    assert question in docx_text(letter.docx)


def test_resolution_says_what_to_do_if_the_remedy_does_not_satisfy(sample_data) -> None:
    """The resolution letter tells the customer what to do if the remedy is not enough, and
    how to reach the handler directly (by email when there is no phone)."""
    text = docx_text(render(sample_data, "resolution"))
    assert "If this remedy does not put things right for you, please tell me" in text
    assert "You can reach me directly on +91\u00a040\u00a05555\u00a00101." in text
    del sample_data["handler"]["phone"]
    text = docx_text(render(sample_data, "resolution"))
    assert "You can write to me directly at ravi.teja@deccanhome.example." in text


def test_action_tables_keep_text_off_their_borders(sample_data) -> None:
    """The actions table has room above and below each cell's text (cell margins), so
    Telugu vowel signs do not touch the borders."""
    xml = docx_parts(render(sample_data, "resolution"))["word/document.xml"]
    assert re.search(r'<w:tblCellMar><w:top w:w="57" w:type="dxa"/>', xml)


def test_a_letterhead_made_once_is_each_organisations_own(sample_data) -> None:
    """The letterhead is made once per organisation, not once per letter: letters of two
    organisations, in turns, each carry their own."""
    names = ["Deccan Home Appliances Pvt Ltd", "Godavari Kitchens & Co", "కృష్ణా ఎలక్ట్రానిక్స్"]
    for name in names * 2:
        sample_data["organisation"]["name"] = name
        letter = make_letter(validate_record(sample_data), "resolution", language="en",
                             layout="block", today=dt.date(2026, 11, 26))
        headers = [xml for part, xml in docx_parts(letter.docx).items() if "header" in part]
        assert any(escape(name) in xml for xml in headers)
        assert not any(escape(other) in xml for xml in headers for other in names
                       if other != name)
