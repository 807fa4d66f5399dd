"""The complaint record: loading, validation messages, and cleaning of pasted text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from letterkit import InputError, load_record, validate_record
from letterkit.record import clean_text


def problems(data: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        validate_record(data, file="r.yaml")
    return [str(p) for p in caught.value.problems]


def test_sample_loads_with_typed_fields(write_record, sample_data) -> None:
    """The README's sample record loads as is, dates and money typed."""
    record = load_record(write_record(sample_data))
    assert dt.date(2026, 11, 20) == record.received
    assert dt.datetime(2026, 11, 25, 15, 30) == record.meeting.at
    assert Decimal("1500") == record.resolution.actions[1].amount
    assert dt.date(2026, 12, 2) == record.resolution.actions[1].due
    assert "Flat 4B, Sai Residency\nRoad No. 12, Banjara Hills\nHyderabad 500034" == (
        record.customer.address
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["customer"].pop("name"), "r.yaml: customer.name: required"),
        (lambda d: d["customer"].update(name="   "), "r.yaml: customer.name: required"),
        (lambda d: d.update(received="2026-13-45"),
         "r.yaml: received: 2026-13-45 is not a date (YYYY-MM-DD)"),
        (lambda d: d["meeting"].update(at="next Tuesday"),
         "r.yaml: meeting.at: next Tuesday is not a date and time (YYYY-MM-DDTHH:MM)"),
        (lambda d: d["resolution"]["actions"][1].update(due="2026-02-30"),
         "r.yaml: resolution.actions.2.due: 2026-02-30 is not a date (YYYY-MM-DD)"),
        (lambda d: d["meeting"].update(mode="carrier pigeon"),
         "r.yaml: meeting.mode: carrier pigeon is not one of: 'phone', 'in-person' or 'video'"),
        (lambda d: d["meeting"].update(timezone="Mars/Olympus"),
         "r.yaml: meeting.timezone: Mars/Olympus is not a time zone "
         "(an IANA name such as Asia/Kolkata)"),
        (lambda d: d["customer"].update(email="lakshmi at example"),
         "r.yaml: customer.email: lakshmi at example is not an email address "
         "(name@example.com)"),
        (lambda d: d.update(custmer={"name": "X"}),
         "r.yaml: custmer: unknown field; did you mean customer?"),
        (lambda d: d["resolution"].update(currency="RUPEES"),
         "r.yaml: resolution.currency: RUPEES is not a currency code (ISO 4217, such as INR)"),
        (lambda d: d.update(customer="Lakshmi"),
         "r.yaml: customer: expected a section with its own fields, found the text 'Lakshmi'"),
    ],
    ids=["missing-name", "blank-name", "bad-date", "bad-datetime", "bad-due", "bad-mode",
         "bad-timezone", "bad-email", "typo-field", "bad-currency", "section-as-text"],
)
def test_bad_field_is_named_with_what_was_expected(sample_data, change, expected) -> None:
    """Each wrong field gives one line naming the file and the field, and what was expected."""
    change(sample_data)
    assert [expected] == problems(sample_data)


def test_every_wrong_field_is_reported_at_once(sample_data) -> None:
    """A record with several mistakes lists them all, so staff fix them in one go."""
    sample_data["received"] = "yesterday"
    del sample_data["complaint"]["subject"]
    assert {"r.yaml: received: yesterday is not a date (YYYY-MM-DD)",
            "r.yaml: complaint.subject: required"} == set(problems(sample_data))


def test_not_a_mapping_is_a_clear_error() -> None:
    """A file holding a list or text instead of fields says so."""
    assert ["r.yaml: expected the record's fields (reference, received, customer, …), "
            "found a list"] == problems(["a"])


def test_control_characters_from_excel_are_cleaned(sample_data) -> None:
    """Vertical tabs and form feeds become line breaks; NUL and other controls go."""
    sample_data["complaint"]["summary"] = "First\x0bSecond\x0cThird\x00 end\x07\x1b\r\nlast"
    record = validate_record(sample_data)
    assert "First\nSecond\nThird end\nlast" == record.complaint.summary


def test_blank_list_items_are_dropped(sample_data) -> None:
    """An empty CSV cell or stray YAML dash in a list is nothing, not an error."""
    sample_data["findings"] = ["One", "", None, "  ", "Two"]
    assert ["One", "Two"] == validate_record(sample_data).findings


def test_numbers_typed_without_quotes_become_text(sample_data) -> None:
    """A phone number YAML reads as a number is still the number as typed."""
    sample_data["customer"]["phone"] = 9848022338
    assert "9848022338" == validate_record(sample_data).customer.phone


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("  a  ", "a"), ("", None), ("\n\n", None), ("a \nb\t ", "a\nb"), (5, 5)],
)
def test_clean_text(raw, clean) -> None:
    """Free text is trimmed line by line; blank text counts as absent."""
    assert clean == clean_text(raw)


def test_json_records_load_like_yaml(tmp_path, sample_data) -> None:
    """A JSON record file gives the same record as its YAML twin."""
    import json

    path = tmp_path / "r.json"
    path.write_text(json.dumps(sample_data, default=str), encoding="utf-8")
    assert "Lakshmi Prasanna" == load_record(path).customer.name


def test_enclosure_files_are_found_beside_the_record(tmp_path, write_record,
                                                     sample_data) -> None:
    """An enclosure's file is found relative to the record's folder; one that is not
    there is an error naming the item and what was expected."""
    (tmp_path / "order.pdf").write_bytes(b"%PDF-1.4")
    sample_data["enclosures"] = [{"what": "Copy of the order", "file": "order.pdf"},
                                 "A leaflet"]
    record = load_record(write_record(sample_data))
    assert str(tmp_path / "order.pdf") == record.enclosures[0].file
    assert ("A leaflet", None) == (record.enclosures[1].what, record.enclosures[1].file)
    sample_data["enclosures"][0]["file"] = "missing.pdf"
    with pytest.raises(InputError) as caught:
        load_record(write_record(sample_data))
    (problem,) = caught.value.problems
    assert ("enclosures.1.file", "a file to attach, relative to the record's folder") == (
        problem.field, problem.expected)
    assert problem.message == f"no such file: {tmp_path / 'missing.pdf'}"


@pytest.mark.parametrize("order", [("enclosures.1", "enclosures.1.file"),
                                   ("enclosures.1.file", "enclosures.1")])
def test_a_csv_gives_an_enclosure_its_text_and_file_in_either_order(tmp_path, order) -> None:
    """`enclosures.1` is the item's text and `enclosures.1.file` its file, whichever
    column comes first (this once stopped a batch with a traceback)."""
    from letterkit.sources import csv_rows, open_csv

    (tmp_path / "order.pdf").write_bytes(b"%PDF-1.4")
    path = tmp_path / "rows.csv"
    values = {"enclosures.1": "Copy of the order", "enclosures.1.file": "order.pdf"}
    path.write_text(f"reference,{order[0]},{order[1]}\nR-1,{values[order[0]]},"
                    f"{values[order[1]]}\n", encoding="utf-8")
    ((row, data),) = list(csv_rows(open_csv(path)))
    assert 2 == row
    assert [{"what": "Copy of the order", "file": "order.pdf"}] == data["enclosures"]
