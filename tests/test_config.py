"""The config file: where it is found and how it fills a record's gaps."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from letterkit import InputError, load_record
from letterkit.config import Config, load_config

ORGANISATION = {"name": "Godavari Electronics", "address": "Main Road\nRajahmundry 533101"}
HANDLER = {"name": "Anitha Rao", "title": "Service Lead", "email": "anitha@godavari.example"}


def write_yaml(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_no_config_anywhere_gives_defaults(tmp_path) -> None:
    """Without a config file letterkit uses English, block layout and India time."""
    config, found = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)}, cwd=tmp_path)
    assert (Config(), None) == (config, found)
    assert ("en", "block", "Asia/Kolkata") == (config.language, config.layout, config.timezone)


def test_lookup_order(tmp_path) -> None:
    """The current folder's letterkit.yaml comes before the user's config folder, and
    $LETTERKIT_CONFIG before both."""
    home = write_yaml(tmp_path / "xdg" / "letterkit" / "config.yaml", {"layout": "semi-block"})
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert home == load_config(env=env, cwd=tmp_path)[1]
    here = write_yaml(tmp_path / "letterkit.yaml", {"language": "en"})
    assert here == load_config(env=env, cwd=tmp_path)[1]
    named = write_yaml(tmp_path / "other.yaml", {})
    assert named == load_config(env={**env, "LETTERKIT_CONFIG": str(named)}, cwd=tmp_path)[1]


def test_named_config_must_exist(tmp_path) -> None:
    """A config named on purpose but missing is an error, not silently ignored."""
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_mistakes_name_the_setting(tmp_path) -> None:
    """A misspelt setting is reported with a suggestion."""
    path = write_yaml(tmp_path / "c.yaml", {"layuot": "block"})
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert f"{path}: layuot: unknown field; did you mean layout?" == str(caught.value)


def test_config_supplies_organisation_and_handler(tmp_path, sample_data, write_record) -> None:
    """A record without organisation or handler takes them from the config."""
    del sample_data["organisation"], sample_data["handler"]
    config, _ = load_config(write_yaml(tmp_path / "c.yaml",
                                       {"organisation": ORGANISATION, "handler": HANDLER}))
    record = load_record(write_record(sample_data), config)
    assert "Godavari Electronics" == record.organisation.name
    assert "anitha@godavari.example" == record.handler.email


def test_record_section_wins_whole(tmp_path, sample_data, write_record) -> None:
    """A record naming its own handler gets none of the default handler's details."""
    sample_data["handler"] = {"name": "Ravi Teja"}
    config, _ = load_config(write_yaml(tmp_path / "c.yaml", {"handler": HANDLER}))
    record = load_record(write_record(sample_data), config)
    assert ("Ravi Teja", None) == (record.handler.name, record.handler.email)


def test_config_timezone_is_the_meeting_default(tmp_path, sample_data, write_record) -> None:
    """A meeting without a time zone takes the config's."""
    del sample_data["meeting"]["timezone"]
    config, _ = load_config(write_yaml(tmp_path / "c.yaml", {"timezone": "Asia/Dubai"}))
    assert "Asia/Dubai" == load_record(write_record(sample_data), config).meeting.timezone


def test_config_timezone_is_its_organisation_s_too(tmp_path, sample_data,
                                                  write_record) -> None:
    """The organisation the config gives keeps the config's time zone, so a meeting in
    that zone is not labelled as another's."""
    del sample_data["organisation"], sample_data["meeting"]["timezone"]
    config, _ = load_config(write_yaml(tmp_path / "c.yaml", {
        "timezone": "Europe/London", "organisation": {"name": "Deccan Home UK"}}))
    record = load_record(write_record(sample_data), config)
    assert ("Europe/London", "Europe/London") == (record.organisation.timezone,
                                                  record.meeting.timezone)


def test_missing_organisation_without_config_is_required(sample_data, write_record) -> None:
    """With no config, a record must name its organisation."""
    del sample_data["organisation"]
    with pytest.raises(InputError, match="organisation: required"):
        load_record(write_record(sample_data))


def test_config_option_after_the_command(cli, tmp_path, write_record, sample_data) -> None:
    """`letterkit render --config FILE RECORD` works as well as `letterkit --config FILE
    render RECORD`."""
    config = tmp_path / "config.yaml"
    config.write_text("language: te\n", encoding="utf-8")
    del sample_data["language"]
    record = write_record(sample_data)
    for n, args in enumerate([["render", "--config", config, record],
                              ["--config", config, "render", record]]):
        out = tmp_path / f"out{n}"
        result = cli(*args, "-k", "acknowledgement", "-o", out, "--date", "2026-11-23")
        assert 0 == result.exit_code, result.output
        assert (out / "CMP-2026-0142" / "acknowledgement.te.docx").is_file()


@pytest.mark.parametrize("args", [["--config", "{missing}", "languages"],
                                  ["--config", "{missing}", "fields"],
                                  ["render", "--config", "{missing}", "record.yaml"]],
                         ids=["before-languages", "before-fields", "after-the-command"])
def test_a_missing_config_is_refused_by_every_command(cli, tmp_path, args) -> None:
    """Even a command that reads no setting says at once that the file named is not
    there, rather than going on without it."""
    missing = tmp_path / "missing.yaml"
    result = cli(*[a.replace("{missing}", str(missing)) for a in args])
    assert 2 == result.exit_code, result.output
    assert f"{missing}: config file not found" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("value", "found"), [(5, "the number 5"), (True, "the yes/no value true"),
                                              (["a", "b"], "a list")])
def test_columns_of_the_wrong_shape_is_one_plain_line(tmp_path, value, found) -> None:
    """`columns:` may be a map or a file's name; anything else is said once, in words,
    not once per shape in the validation library's terms."""
    path = write_yaml(tmp_path / "c.yaml", {"columns": value})
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert [f"{path}: columns: expected a column map (lines of `sheet column: field`, such as "
            f"`Customer name: customer.name`) or the name of a file holding one, found {found}"
            ] == str(caught.value).splitlines()


@pytest.mark.parametrize(("columns", "found"), [
    ({"Customer": 5}, "the text 'Customer': the number 5"),
    ({5: "customer.name"}, "the number 5: the text 'customer.name'"),
    ({"Customer": None}, "the text 'Customer': nothing"),
])
def test_a_column_map_of_other_than_text_is_one_plain_line(tmp_path, columns, found) -> None:
    path = write_yaml(tmp_path / "c.yaml", {"columns": columns})
    with pytest.raises(InputError) as caught:
        load_config(path)
    [line] = str(caught.value).splitlines()
    assert line.endswith(f"each a sheet's column name and a field, as text; found {found}")
    assert "dict[" not in line and "lax-or-strict" not in line


@pytest.mark.skipif(sys.platform == "win32", reason="a device named as a path: POSIX")
def test_a_config_that_is_not_a_file_is_said_so(cli) -> None:
    """A device (or a pipe) named as the config: there, but not a settings file."""
    result = cli("--config", os.devnull, "languages")
    assert 2 == result.exit_code
    assert "is not a file; expected a YAML or JSON config file" in result.output
