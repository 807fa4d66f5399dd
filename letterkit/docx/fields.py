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

from letterkit.docx.environment import environment
from letterkit.i18n.languages import SOURCE_LANGUAGE
from letterkit.kinds import KINDS, RESOLUTION
from letterkit.letters import letter_context
from letterkit.record import LAYOUTS, Meeting, Person, Record, is_list, section_model

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
    "resolution.amount": "money beyond the actions' own, if any (format with |money)",
    "resolution.amount_for": "what resolution.amount is for (required with it)",
    "resolution.actions.N.amount": "money this action pays or refunds, if any",
    "resolution.actions": "the agreed actions",
    "resolution.actions.N.what": "what will be done",
    "resolution.actions.N.due": "by when",
    "resolution.prevention": "what changes so it does not happen again",
    "cc": "people copied on the letter",
    "enclosures": "what is enclosed with the letter",
    "resolution.actions.N.done": "when it was done (the follow-up letter says so)",
    "kind": f"which letter this is: {', '.join(KINDS)}",
    "title": "what the customer sees the letter called, in its language",
    "today": "the letter's date",
    "copied": "who this letter is copied to (the resolution and follow-up: cc; the meeting: "
              "the other attendees)",
    "enclosed": "what goes with this letter (the resolution letter: enclosures)",
}
# What the renderer adds to the record (see letters.letter_context); a test holds the two
# together.
EXTRA_TOP: dict[str, Any] = {"kind": str, "title": str, "today": dt.date,
                             "copied": list[Person],
                             "enclosed": list[str]}
EXTRA_MEETING: dict[str, Any] = {"start": dt.datetime, "end": dt.datetime}
_EXTRAS: dict[type[BaseModel], dict[str, Any]] = {Record: EXTRA_TOP, Meeting: EXTRA_MEETING}


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
    return _tree(Record)


def _members(model: type[BaseModel]) -> list[tuple[str, Any, bool]]:
    """(name, annotation, required) of a section's fields, then what the renderer adds."""
    return [*((name, f.annotation, f.is_required()) for name, f in model.model_fields.items()),
            *((name, annotation, True) for name, annotation in _EXTRAS.get(model, {}).items())]


def _tree(model: type[BaseModel]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, annotation, _ in _members(model):
        section = section_model(annotation)
        shape: Any = _tree(section) if section is not None else None
        tree[name] = [shape] if is_list(annotation) else shape
    return tree


def all_fields(context: dict[str, Any] | None = None) -> list[FieldInfo]:
    """Every field a template may use, in record order, with examples from a letter's
    context (see `reference_card`)."""
    rows: list[FieldInfo] = []
    _walk(Record, "", context or {}, rows)
    return rows


def _walk(model: type[BaseModel], prefix: str, example: Any, rows: list[FieldInfo]) -> None:
    for name, annotation, required in _members(model):
        path = f"{prefix}{name}"
        value = example.get(name) if isinstance(example, dict) else None
        section = section_model(annotation)
        listed = is_list(annotation)
        key = path.replace(".1.", ".N.")
        rows.append(FieldInfo(
            path, "list" if listed else ("section" if section else _type_name(annotation)),
            required, DESCRIPTIONS.get(key, ""), "" if section or listed else _example(value)))
        if section is not None:
            item = (value[0] if value else None) if listed else value
            _walk(section, f"{path}.N." if listed else f"{path}.", item, rows)
        elif listed:
            rows[-1] = FieldInfo(path, "list of text", required, rows[-1].description,
                                 _example(value[0]) if value else "")


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


# The filters letterkit adds to Jinja's own: what each does, and an example to render.
FILTERS = {
    "date": ("a date in the letter's language; also date('full'), date('short')",
             "{{ today|date }}"),
    "time": ("a time of day in the letter's language", "{{ meeting.start|time }}"),
    "timezone": ("the name of a date and time's zone", "{{ meeting.start|timezone }}"),
    "money": ("an amount with its currency, grouped the Indian way",
              "{{ 125000|money(resolution.currency) }}"),
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


@dataclass(frozen=True)
class FilterInfo:
    name: str
    description: str
    example: str  # the filter in a tag
    gives: str  # what that tag renders to for the sample


# The sample letter the reference card's examples come from: the kind that shows most.
_CARD_KIND, _CARD_DATE = RESOLUTION.name, dt.date(2026, 11, 23)


def reference_card(sample: Record) -> tuple[list[FieldInfo], list[FilterInfo]]:
    """The admin's reference card (`letterkit fields`): every field, with an example from
    the sample record, and every filter with what it gives for the sample."""
    context = letter_context(sample, kind=_CARD_KIND, language=SOURCE_LANGUAGE,
                             layout=LAYOUTS[0], today=_CARD_DATE)
    env = environment(SOURCE_LANGUAGE)
    filters = [FilterInfo(name, text, example, env.from_string(example).render(context))
               for name, (text, example) in FILTERS.items()]
    return all_fields(context), filters
