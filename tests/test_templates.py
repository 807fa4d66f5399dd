"""Template authoring through the command line, on .docx files edited the way Word writes
them: copies, checks, custom folders, and Word's habits inside tags."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from letterkit import KINDS, LAYOUTS
from letterkit.docx.find import shipped_templates_dir

from readback import docx_text


def word_runs(*pieces: str) -> str:
    """A paragraph as Word writes one typed in several goes: runs with revision ids, a
    proofing mark and a bookmark between them."""
    runs = []
    for i, piece in enumerate(pieces):
        if i:
            runs.append('<w:proofErr w:type="spellStart"/>'
                        f'<w:bookmarkStart w:id="{i}" w:name="_GoBack{i}"/>'
                        f'<w:bookmarkEnd w:id="{i}"/>')
        runs.append(f'<w:r w:rsidR="00A{i}B3C4"><w:rPr><w:lang w:val="en-IN"/></w:rPr>'
                    f'<w:t xml:space="preserve">{piece}</w:t></w:r>')
    return f'<w:p {nsdecls("w")} w:rsidR="00112233">{"".join(runs)}</w:p>'


def edited(folder: Path, *paragraphs: str, name: str = "resolution-block.docx",
           header: str | None = None) -> Path:
    """A copy of a shipped template with paragraphs added (XML strings are added as they
    are; plain strings as one run), saved in `folder` as an admin would."""
    doc = Document(str(shipped_templates_dir() / name))
    body = doc.element.body
    for paragraph in paragraphs:
        if paragraph.startswith("<"):
            body.insert(len(body) - 1, parse_xml(paragraph))
        else:
            doc.add_paragraph(paragraph)
    if header is not None:
        doc.sections[0].header.add_paragraph(header)
    folder.mkdir(parents=True, exist_ok=True)
    doc.save(str(folder / name))
    return folder / name


@pytest.fixture
def record(write_record, sample_data) -> Path:
    return write_record(sample_data)


def test_init_then_edit_then_render(cli, tmp_path, record) -> None:
    """An admin copies the templates, adds a paragraph in Word, and letters use it."""
    folder = tmp_path / "ours"
    result = cli("templates", "init", str(folder))
    assert 0 == result.exit_code
    assert len(KINDS) * len(LAYOUTS) == len(list(folder.glob("*.docx")))
    edited(folder, word_runs("We have added a ", "note for {{ cust", "omer.name }}."))
    check = cli("templates", "check", str(folder))
    assert 0 == check.exit_code, check.output
    assert "ok: " in check.stdout
    out = tmp_path / "out"
    result = cli("render", str(record), "-k", "resolution", "--date", "2026-11-25", "--templates",
                 str(folder), "-o", str(out), "--no-email")
    assert 0 == result.exit_code, result.output
    text = docx_text(out / "CMP-2026-0142" / "resolution.en.docx")
    assert "We have added a note for Lakshmi Prasanna." in text


def test_init_never_overwrites(cli, tmp_path) -> None:
    """A second init keeps the admin's edited copies, says so, and suggests no option
    that init does not have."""
    folder = tmp_path / "ours"
    cli("templates", "init", str(folder))
    edited_copy = edited(folder, "Our own words.")
    before = edited_copy.read_bytes()
    result = cli("templates", "init", str(folder))
    assert 0 == result.exit_code
    assert f"kept {edited_copy}: already there" in result.stderr
    assert "--force" not in result.output
    assert before == edited_copy.read_bytes()


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (word_runs("Nickname: {{ customer.nick", "name }}"),
         "'customer.nickname' is not a field of a complaint letter; did you mean "
         "customer.name? (paragraph “Nickname: {{ customer.nickname }}”)"),
        ("{% if customer.title %}Hello",
         "'{% if %}' is never closed: add '{% endif %}' where it should end "
         "(paragraph “{% if customer.title %}Hello”)"),
        ("{{ customer.name|uppercase }}",
         "there is no filter named 'uppercase'; did you mean upper?"),
        ("{{ customer.__class__.__mro__[1].__subclasses__() }}",
         "refused: 'customer.__class__' reaches for Python internals"),
        ("{{ cycler.__init__.__globals__ }}",
         "refused: 'cycler.__init__' reaches for Python internals"),
        ("Dear { { customer.name }}", "a tag looks broken: '{ {' should be '{{'"),
        ("{{ customer.name }} }}", "a stray '}}' with no tag before it would be printed"),
        ("{% frobnicate %}", "Encountered unknown tag 'frobnicate'"),
        ('{{ _("Yours 10% off!") }}',
         "the wording 'Yours 10% off!' has a % sign that starts no placeholder; write %% "
         "for a percent sign"),
    ],
    ids=["typo-split", "unclosed-if", "no-such-filter", "python-internals", "globals",
         "broken-tag", "stray-braces", "unknown-tag", "bare-percent"],
)
def test_check_names_each_problem(cli, tmp_path, record, paragraph, expected) -> None:
    """`templates check` exits 1 with the problem in plain words and its paragraph; a
    render with that template refuses before running anything."""
    template = edited(tmp_path / "ours", paragraph)
    result = cli("templates", "check", str(template))
    assert 1 == result.exit_code
    assert f"error: {template}: " in result.stderr
    assert expected in result.stderr
    render = cli("render", str(record), "-k", "resolution", "--date", "2026-11-25", "--templates",
                 str(template.parent), "-o", str(tmp_path / "out"))
    assert 2 == render.exit_code
    assert expected in render.stderr
    assert not (tmp_path / "out" / "CMP-2026-0142" / "resolution.en.docx").exists()


def test_word_smart_quotes_and_dashes_inside_tags(cli, tmp_path, record) -> None:
    """Word's curly quotes and autocorrected dashes inside tags are read as typed."""
    folder = tmp_path / "ours"
    edited(folder, "{{ _(\u201cSubject:\u201d) }} {{ \u2018x\u2019 if customer.title else "
           "\u2018y\u2019 }} {{ 10 \u2013 3 }}")
    out = tmp_path / "out"
    result = cli("render", str(record), "-k", "resolution", "--date", "2026-11-25", "--templates",
                 str(folder), "-o", str(out), "--no-email")
    assert 0 == result.exit_code, result.output
    assert "Subject: x 7" in docx_text(out / "CMP-2026-0142" / "resolution.en.docx")


def test_problems_in_headers_tables_and_text_boxes_say_where(cli, tmp_path) -> None:
    """A problem in a header, a table cell or a text box says so."""
    doc = Document(str(shipped_templates_dir() / "resolution-block.docx"))
    doc.sections[0].first_page_header.add_paragraph("{{ organisation.nmae }}")
    table = doc.add_table(rows=1, cols=1)
    table.cell(0, 0).paragraphs[0].add_run("{{ customer.adress }}")
    box = parse_xml(
        f'<w:p {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:pict>'
        '<v:shape style="width:200pt;height:40pt">'
        '<v:textbox><w:txbxContent><w:p><w:r><w:t>{{ complaint.sumary }}</w:t></w:r></w:p>'
        "</w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>")
    doc.element.body.insert(len(doc.element.body) - 1, box)
    folder = tmp_path / "ours"
    folder.mkdir()
    doc.save(str(folder / "resolution-block.docx"))
    result = cli("templates", "check", str(folder))
    assert 1 == result.exit_code
    assert ("'organisation.nmae' is not a field of a complaint letter; did you mean "
            "organisation.name? (header, paragraph") in result.stderr
    assert "did you mean customer.address? (table cell, paragraph" in result.stderr
    assert "did you mean complaint.summary? (text box, paragraph" in result.stderr


def test_untranslated_wording_is_a_problem_for_telugu(cli, tmp_path, record) -> None:
    """New wording the Telugu catalog lacks is named; English letters still render."""
    template = edited(tmp_path / "ours", "{{ _('We have sent a technician.') }}")
    result = cli("templates", "check", str(template))
    assert 1 == result.exit_code
    assert "the wording 'We have sent a technician.' is not in the te catalog" in result.stderr
    assert 0 == cli("templates", "check", "-l", "en", str(template)).exit_code
    english = cli("render", str(record), "-k", "resolution", "--date", "2026-11-25", "--templates",
                  str(template.parent), "-o", str(tmp_path / "en"), "--no-email")
    assert 0 == english.exit_code, english.output
    telugu = cli("render", str(record), "-k", "resolution", "--date", "2026-11-25", "--templates",
                 str(template.parent), "-o", str(tmp_path / "te"), "-l", "te")
    assert 2 == telugu.exit_code
    assert "not in the te catalog" in telugu.stderr


def test_lookup_order_and_list(cli, tmp_path, sample_data, write_record) -> None:
    """DIR/<lang>/ before DIR/ before the shipped templates, as `templates list` shows; the
    folder may come from $LETTERKIT_TEMPLATES or the config."""
    folder = tmp_path / "ours"
    edited(folder, "Language-neutral copy.")
    edited(folder / "te", "{{ _('Subject:') }} తెలుగు ప్రతి.")
    listing = cli("templates", "list", "--templates", str(folder))
    lines = listing.stdout.splitlines()
    assert any("resolution       block       en  custom" in line and "ours/resolution-block"
               in line for line in lines)
    assert any("resolution       block       te  custom" in line and "ours/te/resolution"
               in line for line in lines)
    assert any("resolution       semi-block  en  shipped" in line for line in lines)

    record = write_record(sample_data)
    out = tmp_path / "out"
    env = {"LETTERKIT_TEMPLATES": str(folder)}
    cli("render", str(record), "-k", "resolution", "--date", "2026-11-25", "-o", str(out),
        "--no-email", env=env)
    cli("render", str(record), "-k", "resolution", "--date", "2026-11-25", "-o", str(out),
        "--no-email", "-l", "te", env=env)
    assert "Language-neutral copy." in docx_text(out / "CMP-2026-0142" / "resolution.en.docx")
    assert "విషయం: తెలుగు ప్రతి." in docx_text(out / "CMP-2026-0142" / "resolution.te.docx")

    config = tmp_path / "conf" / "letterkit.yaml"
    config.parent.mkdir()
    config.write_text("templates: ../ours\n", encoding="utf-8")
    listed = cli("--config", str(config), "templates", "list")
    assert "custom" in listed.stdout


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(b"not a zip at all"), "is not a Word document (.docx)"),
        (lambda p: _zip(p, {"[Content_Types].xml": b"<Types/>"}),
         "is not a Word document: word/document.xml is missing"),
        (lambda p: _zip(p, {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"x",
                            "bomb.bin": b"\0" * (101 * 2**20)}),
         "refused: it would unpack to 101 MiB"),
    ],
    ids=["not-zip", "missing-parts", "zip-bomb"],
)
def test_malformed_or_oversize_packages_are_refused(cli, tmp_path, make, expected) -> None:
    """Files that are not plausible Word documents are refused before being unpacked."""
    path = tmp_path / "bad.docx"
    make(path)
    result = cli("templates", "check", str(path))
    assert 1 == result.exit_code
    assert expected in result.stderr


def _zip(path: Path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            package.writestr(name, data)


def test_shipped_templates_pass_the_check(cli) -> None:
    """Every shipped template is clean."""
    result = cli("templates", "check", str(shipped_templates_dir()))
    assert 0 == result.exit_code, result.output
    assert len(KINDS) * len(LAYOUTS) == result.stdout.count("ok: ")


def test_fields_reference_card(cli) -> None:
    """`letterkit fields` lists fields with types, requirement and sample examples, and
    each filter with its example worked out."""
    text = cli("fields").stdout
    assert "customer.name" in text and "required" in text
    assert "e.g. Lakshmi Prasanna" in text
    assert "resolution.actions.N.due" in text
    assert "{{ 125000|money(resolution.currency) }}  ->  ₹1,25,000" in text
    assert "{{ customer|addressee }}  ->  Ms Lakshmi Prasanna" in text


def test_readme_carries_the_current_reference_card(cli) -> None:
    """The README's field and filter tables are what `letterkit fields --markdown` prints."""
    card = cli("fields", "--markdown").stdout.strip()
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert card in readme


def test_docx_read_from_memory_is_unchanged_by_checks() -> None:
    """Checking reads a template; it never writes to it."""
    path = shipped_templates_dir() / "meeting-block.docx"
    before = path.read_bytes()
    from letterkit.docx.check import check_template

    check_template(path)
    assert before == path.read_bytes()
    assert zipfile.ZipFile(io.BytesIO(before)).testzip() is None


def test_a_percent_sign_written_twice_in_wording_is_one_in_the_letter(cli, tmp_path,
                                                                       record) -> None:
    """`%%` inside _( ) is how a percent sign is written there; the letter shows one."""
    template = edited(tmp_path / "ours", '{{ _("Yours 10%% off, %(name)s!", name="all") }}')
    check = cli("templates", "check", str(template), "--lang", "en")
    assert "% sign" not in check.stderr, check.stderr
    out = tmp_path / "out"
    render = cli("render", str(record), "-k", "resolution", "--date", "2026-11-25",
                 "--templates", str(template.parent), "-o", str(out))
    assert 0 == render.exit_code, render.output
    assert "Yours 10% off, all!" in docx_text(out / "CMP-2026-0142" / "resolution.en.docx")
