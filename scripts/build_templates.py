"""Build the shipped .docx templates in templates/ from one description per letter.

The templates are ordinary Word documents: admins copy them (`letterkit templates init`)
and edit them in Word. We build ours with python-docx so their content is reviewable as
code and both layouts carry exactly the same wording; a layout only changes the styles:

- block: everything at the left margin, no indents, space between paragraphs;
- semi-block: the date, the complimentary close and the signature start at the centre
  of the text block, and the first line of each body paragraph is indented 1.27 cm.

Run: python scripts/build_templates.py [--out DIR]  (default: templates/; writes
<kind>-<layout>.docx for every kind letterkit defines, byte for byte the same each time)
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from letterkit.kinds import ALL
from letterkit.record import LAYOUTS

OUT = Path(__file__).resolve().parent.parent / "templates"
# Every entry of every template carries this date, so a rebuild is the same file.
ZIP_DATE = (2026, 11, 1, 0, 0, 0)

LATIN_FONT = "Calibri"
# Word's Telugu font on Windows; LibreOffice and others fall back to Noto Sans Telugu.
COMPLEX_SCRIPT_FONT = "Nirmala UI"
BODY_SIZE = Pt(11)
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Cm(21), Cm(29.7), Cm(2.54)
TEXT_CENTRE = Cm((21 - 2 * 2.54) / 2)
INDENT = Cm(1.27)
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
GREY = RGBColor(0x55, 0x55, 0x55)
NO_SPACE = Pt(0)


# --- WordprocessingML in schema order -------------------------------------------------
# The Open XML schema fixes the order of a property element's children; Word may refuse a
# document ("unreadable content") that has them out of order. Children are placed by these.
_ORDER = {
    "rPr": ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike",
            "dstrike", "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid",
            "vanish", "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs",
            "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
            "em", "lang", "eastAsianLayout", "specVanish", "oMath"),
    "pPr": ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
            "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
            "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE",
            "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
            "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
            "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
            "sectPr", "pPrChange"),
    "tblPr": ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
              "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
              "shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription"),
}


def place(parent, child):  # noqa: ANN001, ANN201 - lxml elements
    """Put `child` into the property element `parent` where the schema wants it (replacing
    one of the same name), and return it."""
    order = _ORDER[parent.tag.rpartition("}")[2]]
    name = child.tag.rpartition("}")[2]
    old = parent.find(child.tag)
    if old is not None:
        parent.replace(old, child)
        return child
    later = set(order[order.index(name) + 1:])
    for n, sibling in enumerate(parent):
        if sibling.tag.rpartition("}")[2] in later:
            parent.insert(n, child)
            return child
    parent.append(child)
    return child


# --- styles -----------------------------------------------------------------------------

def set_fonts(rpr: object, size: Pt | None = None, bold: bool | None = None) -> None:
    """Latin and complex-script fonts, sizes and weight together, so Telugu text
    (a complex script to Word) looks like the English around it."""
    el = rpr  # a w:rPr element
    fonts = el.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts is None:
        fonts = place(el, OxmlElement("w:rFonts"))
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), LATIN_FONT)
    fonts.set(qn("w:cs"), COMPLEX_SCRIPT_FONT)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            _set_val(el, tag, str(int(size.pt * 2)))
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            _set_val(el, tag, "1" if bold else "0")


def _set_val(rpr: object, tag: str, value: str) -> None:
    child = rpr.find(qn(tag))  # type: ignore[attr-defined]
    if child is None:
        child = place(rpr, OxmlElement(tag))
    child.set(qn("w:val"), value)


def set_language(rpr: object) -> None:
    lang = rpr.find(qn("w:lang"))  # type: ignore[attr-defined]
    if lang is None:
        lang = place(rpr, OxmlElement("w:lang"))
    # Telugu is a complex script: Word proofs it by the bidi language (no right-to-left).
    lang.set(qn("w:val"), "en-IN")
    lang.set(qn("w:eastAsia"), "en-IN")
    lang.set(qn("w:bidi"), "te-IN")


def paragraph_style(doc, name: str, *, base: str = "Normal", size: Pt | None = None,
                    bold: bool | None = None, color: RGBColor | None = None,
                    before: Pt = NO_SPACE, after: Pt = NO_SPACE, left: Cm | None = None,
                    first_line: Cm | None = None, align=None, keep_next: bool = False,
                    keep_lines: bool = False):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles[base]
    style.quick_style = True
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after = before, after
    if left is not None:
        fmt.left_indent = left
    if first_line is not None:
        fmt.first_line_indent = first_line
    if align is not None:
        fmt.alignment = align
    fmt.keep_with_next = keep_next
    fmt.keep_together = keep_lines
    rpr = style.element.get_or_add_rPr()
    set_fonts(rpr, size, bold)
    if color is not None:
        style.font.color.rgb = color
    return style


def define_styles(doc, layout: str) -> None:
    semi = layout == "semi-block"
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, BODY_SIZE)
    set_language(rpr)
    normal = doc.styles["Normal"]
    set_fonts(normal.element.get_or_add_rPr(), BODY_SIZE)
    normal.paragraph_format.space_after = Pt(0)
    # Single spacing: Telugu lines are already tall in a Telugu font, and a multiple makes
    # every one of them taller still.
    normal.paragraph_format.line_spacing = 1.0
    for builtin in ("List Bullet", "Table Grid"):
        set_fonts(doc.styles[builtin].element.get_or_add_rPr(), BODY_SIZE)
    # A list is set off from the text after it; its items sit close together.
    bullet = doc.styles["List Bullet"]
    bullet.paragraph_format.space_after = Pt(8)
    place(bullet.element.get_or_add_pPr(), OxmlElement("w:contextualSpacing"))

    centre = TEXT_CENTRE if semi else None
    head_align = WD_ALIGN_PARAGRAPH.CENTER if semi else WD_ALIGN_PARAGRAPH.LEFT
    paragraph_style(doc, "Letterhead Name", size=Pt(16), bold=True, color=ACCENT, after=Pt(2),
                    align=head_align)
    paragraph_style(doc, "Letterhead Details", size=Pt(9), color=GREY, after=Pt(0),
                    align=head_align)
    gap = Pt(8)
    paragraph_style(doc, "Letter Date", left=centre, after=gap)
    paragraph_style(doc, "Letter Lines", after=gap, keep_lines=True)
    paragraph_style(doc, "Letter Subject", bold=True, after=gap, keep_next=True)
    paragraph_style(doc, "Letter Salutation", after=gap, keep_next=True)
    paragraph_style(doc, "Letter Text", after=gap, first_line=INDENT if semi else None)
    paragraph_style(doc, "Letter Quote", after=gap, left=INDENT)
    paragraph_style(doc, "Letter Heading", bold=True, before=Pt(6), after=Pt(3), keep_next=True)
    paragraph_style(doc, "Letter Closing", left=centre, after=Pt(22), keep_next=True)
    paragraph_style(doc, "Letter Signature", left=centre, after=Pt(14), keep_next=True,
                    keep_lines=True)
    paragraph_style(doc, "Letter Small", size=Pt(10), after=Pt(4), keep_next=True,
                    keep_lines=True)
    paragraph_style(doc, "Letter Table Text", after=Pt(1))


# --- content helpers ---------------------------------------------------------------------

def para(container, style: str, *pieces: str | None) -> Paragraph:
    """A paragraph whose pieces are runs; None between pieces is a line break."""
    p = container.add_paragraph(style=style)
    for piece in pieces:
        if piece is None:
            p.add_run().add_break(WD_BREAK.LINE)
        else:
            p.add_run(piece)
    return p


def bold_run(p: Paragraph, text: str) -> None:
    """A bold run, bold in Telugu too: Word keeps complex-script bold separately (bCs)."""
    run = p.add_run(text)
    run.bold = True
    _set_val(run._r.get_or_add_rPr(), "w:bCs", "1")


def control(container, tag: str) -> None:
    """A paragraph that holds only a docxtpl paragraph tag ({%p … %}); it disappears."""
    container.add_paragraph(f"{{%p {tag} %}}", style="Letter Text")


def page_number_field(p: Paragraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    p._p.append(field)


def bottom_border(p: Paragraph) -> None:
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "8"), ("space", "6"), ("color", "1F3A5F")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    place(ppr, borders)


def no_borders(table) -> None:
    props = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    place(props, borders)


def cell_margins(table) -> None:
    """Room above and below the text in each cell, so that Telugu vowel signs, which rise
    and fall further than Latin letters, keep clear of the borders."""
    margins = OxmlElement("w:tblCellMar")
    for edge, twips in (("top", 57), ("left", 108), ("bottom", 57), ("right", 108)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    place(table._tbl.tblPr, margins)


def column_widths(table, *widths: Cm) -> None:
    """Widths in the table grid (read by LibreOffice) and in each cell (read by Word)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def cell_text(cell, text: str, *, bold: bool = False) -> None:
    p = cell.paragraphs[0]
    p.style = "Letter Table Text"
    if bold:
        bold_run(p, text)
    else:
        p.add_run(text)


# --- the parts every letter shares ----------------------------------------------------

def page_setup(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)
    section.header_distance = section.footer_distance = Cm(1.25)
    # The letterhead heads the first page only; later pages show the reference and number.
    section.different_first_page_header_footer = True
    first = section.first_page_header
    first.is_linked_to_previous = False
    para(first, "Letterhead Name", "{{ organisation.name }}")
    para(first, "Letterhead Details",
         "{{ (organisation.address or '')|replace('\\n', ', ') }}")
    contacts = para(first, "Letterhead Details",
                    "{{ [organisation.phone, organisation.email, organisation.website]"
                    "|select|join('  ·  ') }}")
    bottom_border(contacts)
    contacts.paragraph_format.space_after = Pt(12)
    section.first_page_footer.is_linked_to_previous = False

    later = section.header
    later.is_linked_to_previous = False
    p = para(later, "Letterhead Details",
             "{{ organisation.name }}  ·  {{ _('Our reference:') }} {{ reference }}")
    bottom_border(p)
    p.paragraph_format.space_after = Pt(14)  # the rule clear of the page's first line
    footer = section.footer
    p = para(footer, "Letterhead Details", "{{ _('Page') }} ")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page_number_field(p)


def opening(doc) -> None:
    para(doc, "Letter Date", "{{ today|date }}")
    refs = para(doc, "Letter Lines",
                "{{ _('Our reference:') }} {{ reference }}{% if complaint.order %}", None,
                "{{ _('Your reference:') }} {{ complaint.order }}{% endif %}")
    refs.paragraph_format.keep_with_next = True
    # The name line and the salutation name the one the letter is written to (Telugu:
    # the dative, "… గారికి,").
    para(doc, "Letter Lines", "{{ pgettext('inside address', '%(name)s', "
         "name=customer|addressee('to')) }}{% if customer.address %}", None,
         "{{ customer.address }}{% endif %}")
    p = doc.add_paragraph(style="Letter Subject")
    p.add_run("{{ _('Subject:') }} {{ complaint.subject }}")
    para(doc, "Letter Salutation",
         "{{ pgettext('letter', 'Dear %(name)s,', name=customer|addressee('to')) }}")


def closing(doc) -> None:
    # The close, signature, copies and enclosures stay together, with the last paragraph
    # of the body: no page opens with "Yours sincerely".
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    para(doc, "Letter Closing", "{{ _('Yours sincerely,') }}")
    p = doc.add_paragraph(style="Letter Signature")
    bold_run(p, "{{ handler.name }}")
    p.add_run("{% if handler.title %}")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("{{ handler.title }}{% endif %}")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("{{ organisation.name }}{% if handler.phone %}")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("{{ _('Phone:') }} {{ handler.phone|nobreak }}{% endif %}{% if handler.email %}")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("{{ _('Email:') }} {{ handler.email }}{% endif %}")

    # Who is copied and what is enclosed depend on the kind of letter (letterkit.kinds).
    control(doc, "if copied")
    para(doc, "Letter Small", "{{ _('Copy to:') }}{% for person in copied %}", None,
         "{{ person.name }}{% if person.title %}, {{ person.title }}{% endif %}{% endfor %}")
    control(doc, "endif")
    control(doc, "if enclosed")
    para(doc, "Letter Small",
         "{{ ngettext('Enclosure:', 'Enclosures:', enclosed|length) }}"
         "{% for item in enclosed %}", None, "{{ item }}{% endfor %}")
    control(doc, "endif")


def actions_table(doc, what: str, when: str, day: str) -> None:
    """The agreed actions, a row each: what, and the day (`day`, such as action.due)."""
    table = doc.add_table(rows=4, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    cell_text(table.cell(0, 0), what, bold=True)
    cell_text(table.cell(0, 1), when, bold=True)
    cell_text(table.cell(1, 0), "{%tr for action in resolution.actions %}")
    cell_text(table.cell(2, 0), "{{ action.what }}{% if action.amount is not none %}: "
              "{{ action.amount|money(resolution.currency) }}{% endif %}")
    cell_text(table.cell(2, 1), f"{{{{ {day}|date }}}}")
    cell_text(table.cell(3, 0), "{%tr endfor %}")
    column_widths(table, Cm(11.4), Cm(4.5))
    cell_margins(table)
    doc.add_paragraph(style="Letter Small")


def bullets(doc, loop: str, item: str) -> None:
    control(doc, f"for {loop}")
    para(doc, "List Bullet", f"{{{{ {item} }}}}")
    control(doc, "endfor")


# --- the four letters ------------------------------------------------------------------

def acknowledgement(doc) -> None:
    para(doc, "Letter Text",
         "{{ _('Thank you for telling us on %(date)s about the problem you have had. "
         "I am sorry that we let you down, and I apologise sincerely for the trouble "
         "and inconvenience this has caused you.', date=received|date) }}")
    para(doc, "Letter Text", "{{ _('This is what I understand has happened:') }}")
    para(doc, "Letter Quote", "{{ complaint.summary }}")
    para(doc, "Letter Text",
         "{{ _('I take full responsibility for putting this right. I have already started "
         "looking into what went wrong, and I am speaking with the colleagues involved so "
         "that I have the full picture.') }}")
    para(doc, "Letter Text",
         "{{ _('I would also like to hear more from you, in your own words, so that nothing "
         "is missed.') }} "
         "{% if meeting %}{% if meeting.mode == 'phone' %}"
         "{{ _('I would like to call you on %(date)s at %(time)s, on %(number)s.', "
         "date=meeting.start|date('full'), time=meeting.start|time, "
         "number=meeting.where|nobreak) }}"
         "{% elif meeting.mode == 'in-person' %}"
         "{{ _('I would like to meet you in person on %(date)s at %(time)s, at %(place)s.', "
         "date=meeting.start|date('full'), time=meeting.start|time, place=meeting.where) }}"
         "{% else %}"
         "{{ _('I would like to talk with you by video call on %(date)s at %(time)s, "
         "using this link: %(link)s.', date=meeting.start|date('full'), "
         "time=meeting.start|time, link=meeting.where) }}"
         "{% endif %} {{ _('If that time does not suit you, please reply and I will gladly "
         "arrange another.') }}"
         "{% else %}{{ _('I will telephone you shortly to agree a time to talk, by phone or "
         "in person, whichever you prefer.') }}{% endif %}")
    para(doc, "Letter Text",
         "{{ _('What would put this right for you? Please tell me when we speak, or reply "
         "to this letter.') }} {{ _('Thank you for your patience. I will keep you informed "
         "at every step until this is resolved.') }}")


def meeting(doc) -> None:
    para(doc, "Letter Text",
         "{{ _('Thank you for agreeing to talk with me about your complaint. I am writing "
         "to confirm the arrangements.') }}")
    rows = [
        ("{{ _('Date:') }}", "{{ meeting.start|date('full') }}"),
        # The zone only for a meeting in another zone than the organisation's own.
        ("{{ _('Time:') }}", "{{ meeting.start|time }}{% if meeting.timezone != "
         "organisation.timezone %} ({{ meeting.start|timezone }}){% endif %}"),
        ("{{ _('Length:') }}", "{{ meeting.minutes|duration }}"),
        ("{{ _('How:') }}",
         "{% if meeting.mode == 'phone' %}{{ _('By telephone: I will call you') }}"
         "{% elif meeting.mode == 'in-person' %}{{ _('In person') }}"
         "{% else %}{{ _('By video call') }}{% endif %}"),
        ("{% if meeting.mode == 'phone' %}{{ _('Number:') }}"
         "{% elif meeting.mode == 'in-person' %}{{ _('Place:') }}"
         "{% else %}{{ _('Link:') }}{% endif %}",
         "{{ meeting.where|nobreak if meeting.mode == 'phone' else meeting.where }}"),
    ]
    table = doc.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    no_borders(table)
    for label, value in rows:
        cells = table.add_row().cells
        cell_text(cells[0], label, bold=True)
        cell_text(cells[1], value)
    cells = table.add_row().cells
    cell_text(cells[0], "{{ _('With:') }}", bold=True)
    p = cells[1].paragraphs[0]
    p.style = "Letter Table Text"
    p.add_run("{{ _('You') }}")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("{{ handler.name }}{% if handler.title %}, {{ handler.title }}{% endif %}"
              "{% for person in meeting.attendees %}")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("{{ person.name }}{% if person.title %}, {{ person.title }}{% endif %}"
              "{% endfor %}")
    column_widths(table, Cm(4), Cm(11.9))

    topics = para(doc, "Letter Text", "{{ _('We will talk about:') }}")
    topics.paragraph_format.space_before = Pt(8)
    for line in ("what happened, in your own words",
                 "what we have found so far",
                 "how we will put things right, and by when"):
        para(doc, "List Bullet", f"{{{{ _('{line}') }}}}")
    para(doc, "Letter Text",
         "{% if meeting.mode == 'in-person' %}{{ _('You are welcome to bring anyone you "
         "wish, and any papers or photographs that may help.') }} {% endif %}"
         "{{ _('If this time no longer suits you, please reply to this letter and I will "
         "gladly arrange another.') }}")
    para(doc, "Letter Text",
         "{{ _('What would you most like us to talk about? Please reply and tell me, so "
         "that I come prepared.') }} {{ _('I am sorry again for the trouble you have had, "
         "and I look forward to speaking with you.') }}")


def resolution(doc) -> None:
    para(doc, "Letter Text",
         "{% if meeting %}{{ _('Thank you for taking the time to speak with me on %(date)s. "
         "I am writing to confirm what we agreed.', date=meeting.start|date) }}"
         "{% else %}{{ _('Thank you for your patience while we looked into your complaint. "
         "I am writing to confirm how we will put things right.') }}{% endif %}")
    para(doc, "Letter Heading", "{{ _('What happened') }}")
    para(doc, "Letter Text", "{{ complaint.summary }}")
    control(doc, "if findings")
    para(doc, "Letter Heading", "{{ _('What we found') }}")
    bullets(doc, "finding in findings", "finding")
    control(doc, "endif")
    para(doc, "Letter Heading", "{{ _('What we will do') }}")
    para(doc, "Letter Text",
         "{{ resolution.summary }}{% if resolution.amount is not none %} "
         "{% set amount = resolution.amount|money(resolution.currency) %}"
         "{% set reason = resolution.amount_for %}"
         "{% if resolution.remedy == 'refund' %}"
         "{{ _('We will refund %(amount)s to you for %(reason)s.', amount=amount, "
         "reason=reason) }}"
         "{% elif resolution.remedy == 'credit' %}"
         "{{ _('We will add a credit of %(amount)s to your account for %(reason)s.', "
         "amount=amount, reason=reason) }}"
         "{% elif resolution.remedy == 'gift' %}"
         "{{ _('Please also accept a gift voucher worth %(amount)s, for %(reason)s.', "
         "amount=amount, reason=reason) }}"
         "{% else %}{{ _('We will also pay you %(amount)s for %(reason)s.', amount=amount, "
         "reason=reason) }}"
         "{% endif %}{% endif %}")
    control(doc, "if resolution.actions")
    actions_table(doc, "{{ _('Action') }}", "{{ _('By') }}", "action.due")
    control(doc, "endif")
    para(doc, "Letter Text",
         "{{ _('I will personally keep track of each of these steps until every one is "
         "complete, and I will let you know as each is done.') }}")
    control(doc, "if resolution.prevention")
    para(doc, "Letter Heading", "{{ _('So that this does not happen again') }}")
    bullets(doc, "step in resolution.prevention", "step")
    control(doc, "endif")
    para(doc, "Letter Text",
         "{{ _('I am sorry again for the inconvenience you have had. Thank you for telling "
         "us: what you told us helps us improve our service, for you and for all our "
         "customers.') }}")
    para(doc, "Letter Text",
         "{{ _('If this remedy does not put things right for you, please tell me, and we "
         "will look together for another way.') }}"
         "{% if handler.phone %} {{ _('You can reach me directly on %(phone)s.', "
         "phone=handler.phone|nobreak) }}"
         "{% elif handler.email %} {{ _('You can write to me directly at %(email)s.', "
         "email=handler.email) }}{% endif %}")
    para(doc, "Letter Text",
         "{{ _('We value the trust you place in us, and I hope this marks the start of an "
         "even stronger relationship between us.') }}")


def follow_up(doc) -> None:
    para(doc, "Letter Text",
         "{{ _('Thank you, %(name)s, for your patience while we put things right.', "
         "name=customer|addressee) }}")
    para(doc, "Letter Text",
         "{% if meeting %}{{ _('When we spoke on %(date)s, we agreed the steps below to put "
         "things right. Each of them has now been done:', date=meeting.start|date) }}"
         "{% else %}{{ _('We agreed the steps below to put things right. Each of them has now "
         "been done:') }}{% endif %}")
    actions_table(doc, "{{ _('What we agreed') }}", "{{ _('Done on') }}", "action.done")
    para(doc, "Letter Text",
         "{{ _('How have things been since then? I would be glad to hear how everything is "
         "working for you now, and whether anything is still not as it should be.') }}")
    para(doc, "Letter Text",
         "{{ _('If you need anything further, please call me directly on %(phone)s. It is my "
         "own line, and I will gladly help.', phone=handler.phone|nobreak) }}")
    control(doc, "if resolution.prevention")
    para(doc, "Letter Text",
         "{{ _('We have also changed the way we work, so that this does not happen "
         "again:') }}")
    bullets(doc, "step in resolution.prevention", "step")
    control(doc, "endif")
    para(doc, "Letter Text",
         "{{ _('Thank you again for giving us the chance to put this right. We value the "
         "trust you place in us, and I hope our relationship grows stronger from here.') }}")


# Each kind's letter body, by the kind's name in letterkit.kinds (every kind needs one).
LETTERS: dict[str, Callable[[object], None]] = {
    "acknowledgement": acknowledgement,
    "meeting": meeting,
    "resolution": resolution,
    "follow-up": follow_up,
}


# --- keeping the package lean --------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_STYLE_REFS = ("pStyle", "rStyle", "tblStyle", "numStyleId", "styleLink")
_STYLE_LINKS = ("basedOn", "link", "next")
_UNUSED_PARTS = (
    # python-docx's starting document carries Word 2010's duplicate styles and a picture
    # of a blank page that file browsers would show as every letter's preview.
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
)


def prune(doc) -> None:
    """Drop the styles no part uses (python-docx starts with 177) and parts no reader
    needs, so letters are small and quick to open, convert and turn into email."""
    styles = doc.styles.element
    parts = [doc.element, *(rel.target_part.element for rel in doc.part.rels.values()
                            if hasattr(rel.target_part, "element"))]
    by_id = {s.get(f"{_W}styleId"): s for s in styles.iter(f"{_W}style")}
    todo = [e.get(f"{_W}val") for part in parts for tag in _STYLE_REFS
            for e in part.iter(f"{_W}{tag}")]
    todo += [sid for sid, s in by_id.items() if s.get(f"{_W}default") == "1"]
    keep: set[str] = set()
    while todo:  # a used style keeps the styles it is based on, linked to or followed by
        sid = todo.pop()
        if sid in keep or sid not in by_id:
            continue
        keep.add(sid)
        for link in _STYLE_LINKS:
            target = by_id[sid].find(f"{_W}{link}")
            if target is not None:
                todo.append(target.get(f"{_W}val"))
    for sid, style in by_id.items():
        if sid not in keep:
            styles.remove(style)
    latent = styles.find(f"{_W}latentStyles")
    if latent is not None:
        styles.remove(latent)  # Word's built-in defaults serve as well
    for owner in (doc.part, doc.part.package):
        for rid, rel in list(owner.rels.items()):
            if rel.reltype in _UNUSED_PARTS:
                owner.rels.pop(rid)


def build(kind: str, layout: str) -> Document:
    doc = Document()
    # python-docx's starting document has one empty paragraph; a letter starts clean.
    body = doc.element.body
    for p in body.findall(qn("w:p")):
        body.remove(p)
    define_styles(doc, layout)
    page_setup(doc)
    opening(doc)
    LETTERS[kind](doc)
    closing(doc)
    # What the letter is and who sent it: file browsers and Word's Info pane show these.
    props = doc.core_properties
    props.title = "{{ title }}: {{ complaint.subject }}"
    props.subject = "{{ reference }}"
    props.author = "{{ handler.name }}, {{ organisation.name }}"
    props.last_modified_by = "{{ handler.name }}"
    props.comments = ""
    props.revision = 1
    # Fixed dates keep a rebuild byte-for-byte the same when nothing else changed.
    props.created = props.modified = dt.datetime(2026, 11, 1)
    prune(doc)
    return doc


def package_bytes(doc: Document) -> bytes:
    """The document as a .docx whose entries all carry ZIP_DATE (python-docx stamps each
    with the time it was saved), so the same template is always the same bytes."""
    saved = io.BytesIO()
    doc.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0  # the same on every system that builds it
            entry.external_attr = 0
            package.writestr(entry, source.read(info))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT,
                        help="folder to write the templates into (default: templates/)")
    out = parser.parse_args(argv).out
    missing = [kind.name for kind in ALL if kind.name not in LETTERS]
    if missing:
        parser.error(f"no letter body for the kinds {missing}: add one to LETTERS")
    out.mkdir(parents=True, exist_ok=True)
    for kind in ALL:
        for layout in LAYOUTS:
            path = out / f"{kind.name}-{layout}.docx"
            path.write_bytes(package_bytes(build(kind.name, layout)))
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
