"""The optional config file: organisation, default handler, language, layout, time zone.

It saves staff from repeating the organisation in every record. Looked for, first found wins:
`--config FILE`, then `$LETTERKIT_CONFIG`, then `letterkit.yaml` in the current folder, then
`letterkit/config.yaml` in the user's settings folder: `%APPDATA%` on Windows,
`~/Library/Application Support` on macOS, `$XDG_CONFIG_HOME` or `~/.config` on Linux (where
Windows and macOS users who followed Linux habits are still heard too).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from letterkit.errors import InputError
from letterkit.record import (
    DEFAULT_TIMEZONE,
    Email,
    Handler,
    Language,
    Layout,
    Organisation,
    TimeZone,
    kind_of,
    validate,
)
from letterkit.resources import user_folders
from letterkit.sources import load_data_file
from letterkit.spreadsheet import DateOrder

Security = Literal["none", "starttls", "ssl"]


class SmtpConfig(BaseModel):
    """The mail server for `letterkit send`. The password is never stored here: it comes
    from $LETTERKIT_SMTP_PASSWORD or a prompt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "localhost"
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "none"
    user: str | None = None


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    organisation: Organisation | None = None
    handler: Handler | None = None
    language: Language = "en"
    layout: Layout = "block"
    timezone: TimeZone = DEFAULT_TIMEZONE
    # "native": dates, times and amounts in the letter language's own digits (౧౨౩).
    digits: Literal["latin", "native"] = "latin"
    # Where customers' replies should go, if not to the sender (a team mailbox, say).
    reply_to: Email = None
    smtp: SmtpConfig = SmtpConfig()
    # A folder of custom templates (relative to the config file); see `templates list`.
    templates: Path | None = None
    # The practice checks: how soon a first answer is due, and extra phrases to flag
    # (a YAML file laid out like locales/en/practice.yaml, relative to the config file).
    respond_within_working_days: int = 1
    practice_words: Path | None = None
    # LibreOffice's soffice program, when it is not where its installer puts it.
    soffice: Path | None = None
    # How the sheets' dates are written when they are not ISO: 20/11/2026 (India, the
    # default) or 11/20/2026.
    date_order: DateOrder = "day-first"
    # A sheet's own column names for letterkit's fields ({"Customer": "customer.name"}),
    # or a YAML file of them (relative to the config file).
    columns: dict[str, str] | Path | None = None

    @field_validator("columns", mode="before")
    @classmethod
    def _columns_map_or_file(cls, value: Any) -> Any:
        # One message for the two shapes it may take, not one per shape in pydantic's words.
        expected = ("expected a column map (lines of `sheet column: field`, such as "
                    "`Customer name: customer.name`) or the name of a file holding one")
        if value is None or isinstance(value, str | Path):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"{expected}, found {kind_of(value)}")
        for column, field in value.items():
            if not isinstance(column, str) or not isinstance(field, str):
                raise ValueError(f"{expected}: each a sheet's column name and a field, as "
                                 f"text; found {kind_of(column)}: {kind_of(field)}")
        return value


def config_candidates(env: Mapping[str, str] | None = None, cwd: Path | None = None,
                      platform: str = sys.platform) -> list[Path]:
    """Where a config file is looked for when none is named, in order."""
    env = os.environ if env is None else env
    if cwd is None:
        try:
            cwd = Path.cwd()
        except OSError:  # the current folder was deleted (a terminal left in it)
            cwd = None
    here = [cwd / "letterkit.yaml"] if cwd is not None else []
    return [*here, *(folder / "config.yaml" for folder in user_folders("config", env, platform))]


def load_config(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[Config, Path | None]:
    """The config in force and the file it came from (None: built-in defaults).

    A file named explicitly (argument or $LETTERKIT_CONFIG) must exist; the usual places
    are only used when they do.
    """
    env = os.environ if env is None else env
    named = path or (Path(env["LETTERKIT_CONFIG"]) if env.get("LETTERKIT_CONFIG") else None)
    if named is not None:
        if not named.is_file():
            raise InputError.at("config file not found", file=str(named))
        found: Path | None = named
    else:
        found = next((p for p in config_candidates(env, cwd) if p.is_file()), None)
    if found is None:
        return Config(), None
    data = load_data_file(found)
    if data is None:
        return Config(), found
    config = validate(Config, data, file=str(found), expected="config settings")
    for name in ("templates", "practice_words", "soffice", "columns"):
        value = getattr(config, name)
        if isinstance(value, Path) and not value.is_absolute():
            config = config.model_copy(update={name: found.parent / value})
    return config, found


def apply_config(data: Any, config: Config) -> Any:
    """Fill a raw record's gaps from the config, before validation.

    Sections are taken whole: a record that names its own handler gets none of the
    default handler's phone or email.
    """
    if not isinstance(data, dict):
        return data
    merged: dict[str, Any] = dict(data)
    for section in ("organisation", "handler"):
        default = getattr(config, section)
        if merged.get(section) in (None, "", {}) and default is not None:
            merged[section] = default.model_dump(exclude_none=True, exclude_unset=True)
    for section in ("meeting", "organisation"):
        value = merged.get(section)
        if isinstance(value, dict) and not value.get("timezone"):
            merged[section] = {**value, "timezone": config.timezone}
    return merged
