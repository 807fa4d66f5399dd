"""What a template may use: every field of the letter context and every filter, with a
description and an example. The admin's reference card (`letterkit fields`) and the
template checks both read it, so they always agree with the renderer."""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from letterkit.record import Record, section_model

DESCRIPTIONS = {
    "reference": "our reference for the complaint; letters are filed under it",
    "received": "the date the complaint arrived",
    "channel": "how the complaint came in",
    "language": "the letter's language (en, te …)",
    "layout": "the letter's layout",
    "customer": "the customer who complained",
    "customer.title": "courtesy title (Mr, Ms, Dr …); use customer|addressee to name them",
    "customer.address": "postal address, one line per line",
    "organisation": "our organisation, for the letterhead",
    "handler": "the person who owns the complaint and signs the letters",
    "complaint": "what the customer complained about",
    "complaint.subject": "a short subject line",
    "complaint.summary": "what happened, in the staff's words",
    "complaint.order": "the customer's own reference (order, invoice …)",
    "meeting": "the call or meeting to talk it through",
    "meeting.at": "date and time, local to meeting.timezone (no zone attached)",
    "meeting.start": "the start as a date and time in the meeting's zone (use this)",
    "meeting.end": "the end, start plus minutes",
    "meeting.mode": "how we will talk",
    "meeting.where": "the number we will call, the address, or the link",
    "meeting.minutes": "how long, in minutes",
    "meeting.attendees": "others attending besides the handler",
    "findings": "what the investigation found, one item each",
    "resolution": "the agreed remedy",
    "resolution.summary": "the remedy in a sentence or two",
    "resolution.amount": "money involved, if any (format with |money)",
    "resolution.actions": "the agreed actions",
    "resolution.actions.N.what": "what will be done",
    "resolution.actions.N.due": "by when",
    "resolution.prevention": "what changes so it does not happen again",
    "cc": "people copied on the letter",
    "enclosures": "what is enclosed with the letter",
    "kind": "which letter this is: acknowledgement, meeting or resolution",
    "today": "the letter's date",
}
# What the renderer adds to the record (see letters.letter_context).
EXTRA_TOP = {"kind": str, "today": dt.date}
EXTRA_MEETING = {"start": dt.datetime, "end": dt.datetime}


@dataclass(frozen=True)
class FieldInfo:
    path: str  # dotted, list items as N: resolution.actions.N.due
    type: str
    required: bool
    description: str
    example: str


def field_tree() -> dict[str, Any]:
    """The context's shape: each name maps to a nested dict (a section), a one-item list
    of its item's shape (a list), or None (a value)."""
    tree = _model_tree(Record)
    tree.update(dict.fromkeys(EXTRA_TOP))
    meeting = tree["meeting"]
    assert isinstance(meeting, dict)
    meeting.update(dict.fromkeys(EXTRA_MEETING))
    return tree


def _model_tree(model: type[BaseModel]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        section = section_model(field.annotation)
        shape: Any = _model_tree(section) if section is not None else None
        tree[name] = [shape] if _is_list(field.annotation) else shape
    return tree


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or any(get_origin(a) is list
                                                 for a in get_args(annotation))


def all_fields(sample: Record | None = None) -> list[FieldInfo]:
    """Every field a template may use, in record order, with an example from `sample`."""
    context = _example_context(sample) if sample is not None else {}
    rows: list[FieldInfo] = []
    _walk(Record, "", context, rows)
    for name, kind in EXTRA_TOP.items():
        rows.append(FieldInfo(name, _type_name(kind), True, DESCRIPTIONS.get(name, ""),
                              _example(context.get(name))))
    return rows


def _walk(model: type[BaseModel], prefix: str, example: Any, rows: list[FieldInfo]) -> None:
    extras = EXTRA_MEETING if model.__name__ == "Meeting" else {}
    for name, field in [*model.model_fields.items(), *((n, None) for n in extras)]:
        path = f"{prefix}{name}"
        annotation = field.annotation if field is not None else extras[name]
        value = example.get(name) if isinstance(example, dict) else None
        section = section_model(annotation)
        listed = _is_list(annotation)
        key = path.replace(".1.", ".N.")
        rows.append(FieldInfo(
            path, "list" if listed else ("section" if section else _type_name(annotation)),
            field is None or field.is_required(), DESCRIPTIONS.get(key, ""),
            "" if section or listed else _example(value)))
        if section is not None:
            item = (value[0] if value else None) if listed else value
            _walk(section, f"{path}.N." if listed else f"{path}.", item, rows)
        elif listed and value:
            rows[-1] = FieldInfo(path, "list of text", rows[-1].required,
                                 rows[-1].description, _example(value[0]))


def _type_name(annotation: Any) -> str:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (typing.Union, types.UnionType) and args:
        return _type_name(args[0])
    if get_origin(annotation) is Literal:
        return "one of: " + ", ".join(map(str, get_args(annotation)))
    if get_origin(annotation) is typing.Annotated:
        return _type_name(get_args(annotation)[0])
    return {str: "text", int: "whole number", Decimal: "amount", dt.date: "date",
            dt.datetime: "date and time"}.get(annotation, getattr(annotation, "__name__", "?"))


def _example(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    text = text.replace("\n", " / ")
    return text if len(text) <= 60 else text[:57] + "…"


def _example_context(sample: Record) -> dict[str, Any]:
    from letterkit.letters import letter_context

    return letter_context(sample, kind="resolution", language="en", layout="block",
                          today=dt.date(2026, 11, 23))


# The filters letterkit adds to Jinja's own: what each does, and an example to render.
FILTERS = {
    "date": ("a date in the letter's language; also date('full'), date('short')",
             "{{ today|date }}"),
    "time": ("a time of day in the letter's language", "{{ meeting.start|time }}"),
    "timezone": ("the name of a date and time's zone", "{{ meeting.start|timezone }}"),
    "money": ("an amount with its currency, grouped the Indian way",
              "{{ resolution.amount|money(resolution.currency) }}"),
    "number": ("a number grouped for the letter's language", "{{ 125000|number }}"),
    "duration": ("minutes as hours and minutes", "{{ meeting.minutes|duration }}"),
    "join_and": ("a list as 'A, B and C' in the letter's language",
                 "{{ ['a refund', 'a repair', 'a visit']|join_and }}"),
    "addressee": ("how the letter names a person: title, name (and గారు in Telugu)",
                  "{{ customer|addressee }}"),
    "courtesy_title": ("a courtesy title in the letter's language",
                       "{{ customer.title|courtesy_title }}"),
    "nobreak": ("text that must not break across lines, such as a phone number",
                "{{ handler.phone|nobreak }}"),
}
