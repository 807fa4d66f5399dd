"""A command that starts at once: each imports only what it uses. `--version`, `--help`
and a command's own help load none of the document, mail or calendar libraries, and no
command's module but their own. (How fast they start is measured by the benchmarks.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from letterkit.cli import main
from letterkit.cli.app import COMMANDS, LazyCommands

# What writing letters, emails and invitations needs, and a light command must not load.
HEAVY = ("docxtpl", "docx", "lxml", "mammoth", "icalendar", "jinja2", "email.policy",
         "smtplib", "pypdfium2", "letterkit.delivery")
# The email package's message, which importlib.metadata loads to read a package's METADATA:
# `--version` reads letterkit's, pydantic its plugins' (so every command whose options or
# work need the record's models), Babel the headers of a catalog.
MESSAGE = ("email.message", "importlib.metadata")
# What every command loads of letterkit before its own module.
START = {"letterkit", "letterkit.errors", "letterkit.collector", "letterkit.cli",
         "letterkit.cli.app", "letterkit.cli.common"}

# Runs the command line in a fresh interpreter, then writes the modules it loaded to the
# file named first (the command's own output goes where it always does).
PROBE = """
import json, sys
from letterkit.cli import main
out, args = sys.argv[1], sys.argv[2:]
try:
    main(args, prog_name="letterkit")
except SystemExit:
    pass
with open(out, "w", encoding="utf-8") as file:
    json.dump(sorted(sys.modules), file)
"""


def loaded(tmp_path: Path, *args: str) -> set[str]:
    """The modules `letterkit ARGS` loads, run in tmp_path."""
    out = tmp_path / "modules.json"
    result = subprocess.run([sys.executable, "-c", PROBE, str(out), *args], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert out.exists(), result.stderr
    return set(json.loads(out.read_text(encoding="utf-8")))


def heavy(modules: set[str], names: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(name for name in modules
                  if any(name == n or name.startswith(f"{n}.") for n in names))


def command_modules(modules: set[str]) -> set[str]:
    """The command modules among `modules`: letterkit.cli's, beyond what starts them all."""
    return {name for name in modules if name.startswith("letterkit.cli.")} - START


def own_module(command: str) -> str:
    return COMMANDS[command][0].partition(":")[0]


def subcommands() -> list[tuple[str, ...]]:
    """Every command and every command of a group, as typed: ("render",), ("i18n",
    "compile") …"""
    found: list[tuple[str, ...]] = []
    for name in COMMANDS:
        found.append((name,))
        command = main.commands[name]
        if isinstance(command, click.Group):
            found += [(name, sub) for sub in command.commands]
    return found


@pytest.mark.parametrize("args", [("--help",), ("-h",), ()], ids=["--help", "-h", "bare"])
def test_help_loads_no_command(tmp_path, args) -> None:
    """`letterkit --help` lists the commands without importing any of their modules, or
    anything of letterkit's library beyond its errors."""
    modules = loaded(tmp_path, *args)
    assert [] == heavy(modules, (*HEAVY, *MESSAGE, "pydantic", "babel", "yaml"))
    assert START >= {name for name in modules if name.startswith("letterkit")}


def test_version_loads_no_command(tmp_path) -> None:
    """`letterkit --version` reads the installed version and loads no command's module and
    none of the document, calendar or mail-sending libraries."""
    modules = loaded(tmp_path, "--version")
    assert [] == heavy(modules, (*HEAVY, "pydantic", "babel", "yaml"))
    assert START >= {name for name in modules if name.startswith("letterkit")}


def test_importing_the_package_reads_no_version(tmp_path) -> None:
    """`import letterkit` leaves the version unread (importlib.metadata and the email
    package it loads) until someone asks for `letterkit.__version__`."""
    code = "import sys, letterkit; print(sorted(m for m in ('importlib.metadata', " \
           "'email.message', 'email.parser') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "[]" == out.strip()


@pytest.mark.parametrize("typed", subcommands(), ids=" ".join)
def test_a_commands_help_loads_only_its_module(tmp_path, typed) -> None:
    """`letterkit COMMAND --help` loads that command's module and no other command's, and
    none of the document, mail or calendar libraries."""
    modules = loaded(tmp_path, *typed, "--help")
    assert [] == heavy(modules)
    assert {own_module(typed[0])} == command_modules(modules)


@pytest.mark.parametrize("args", [
    ("sample", "-o", "."),
    ("languages",),
    ("fields",),
], ids=" ".join)
def test_light_commands_load_no_document_library(tmp_path, args) -> None:
    """Commands that write no letter (the sample, the list of languages, the fields
    reference card) load none of the document, mail or calendar libraries (the card
    shows what each filter gives, so it loads the template engine, Jinja)."""
    modules = loaded(tmp_path, *args)
    allowed = ("jinja2",) if args == ("fields",) else ()
    assert [] == heavy(modules, tuple(n for n in HEAVY if n not in allowed))
    assert {own_module(args[0])} == command_modules(modules)


def test_version_is_printed(tmp_path) -> None:
    """`letterkit --version` prints the installed version, as `letterkit.__version__`
    has it."""
    from letterkit import __version__

    result = subprocess.run([sys.executable, "-m", "letterkit", "--version"], cwd=tmp_path,
                            capture_output=True, text=True, check=True)
    assert f"letterkit, version {__version__}" == result.stdout.strip()
    assert "0.0.0" != __version__


@pytest.mark.parametrize("width", [50, 80, 400])
def test_help_lists_every_command_as_its_own_help_says(width) -> None:
    """The list in `letterkit --help`, written from the table without importing the
    commands, is word for word what click writes from the commands' own help, at any
    width (so a command's docstring and its line in the table cannot drift apart)."""
    ctx = click.Context(main, info_name="letterkit")
    from_table = click.HelpFormatter(width=width, max_width=width)
    main.format_commands(ctx, from_table)
    from_commands = click.HelpFormatter(width=width, max_width=width)
    click.Group.format_commands(main, ctx, from_commands)  # imports every command
    assert from_commands.getvalue() == from_table.getvalue()


def test_every_command_is_in_the_help() -> None:
    """Every command is listed in `letterkit --help`, and each name in the table is the
    command of that name."""
    result = subprocess.run([sys.executable, "-m", "letterkit", "--help"],
                            capture_output=True, text=True, check=True)
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()
              if line.startswith("  ") and not line.startswith("   ")]
    expected = ["batch", "check", "fields", "i18n", "languages", "preview", "render",
                "sample", "send", "templates"]
    assert expected == sorted(COMMANDS)
    assert expected == [name for name in listed if name in COMMANDS]
    assert {name: name for name in COMMANDS} == {name: main.commands[name].name
                                                 for name in COMMANDS}


def test_a_command_is_imported_when_looked_up(tmp_path, monkeypatch) -> None:
    """Listing the commands, counting them or asking whether one exists imports none; the
    first look-up imports its module, and the command is the one defined there."""
    (tmp_path / "lazy_probe.py").write_text(
        "import click\n\n@click.command()\ndef hello():\n    'Say hello.'\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(tmp_path)
    commands = LazyCommands({"hello": "lazy_probe:hello"})
    try:
        assert (["hello"], 1, True, False) == (list(commands), len(commands),
                                               "hello" in commands, "bye" in commands)
        assert "lazy_probe" not in sys.modules
        assert "hello" == commands["hello"].name
        assert "lazy_probe" in sys.modules
        assert None is commands.get("bye")
    finally:
        sys.modules.pop("lazy_probe", None)


def test_an_unknown_command_is_refused(cli) -> None:
    """A command not in the table is a usage error, as before, with click's suggestion."""
    result = cli("rendr")
    assert 2 == result.exit_code
    assert "No such command 'rendr'" in result.stderr
    assert "render" in result.stderr
