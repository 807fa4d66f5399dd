"""The package's shape: imports point one way through the layers, with no circle; a kind of
letter is named only in its definition; the library speaks no command-line flags; the
public API is what `letterkit` exports."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

import letterkit
from letterkit.kinds import KINDS

PACKAGE = Path(letterkit.__file__).resolve().parent

# Bottom to top: a module may import from its own layer and those below it, never above.
LAYERS = [
    ("base", ["errors", "resources", "output", "cache", "collector"]),
    ("record and config", ["record", "spreadsheet", "sources", "config", "inputs"]),
    ("languages", ["i18n", "i18n.languages", "i18n.formats"]),
    ("kinds", ["kinds"]),
    ("rendering", ["docx", "docx.parts", "docx.zipjoin", "docx.limits", "docx.environment",
                   "docx.compiled", "docx.html", "docx.find", "letters", "docx.fields"]),
    ("checks", ["practice", "practice.wording", "practice.records", "practice.corpus",
                "docx.messages",
                "docx.check", "i18n.catalogs"]),
    ("delivery", ["delivery", "delivery.mime", "delivery.email", "delivery.invitation",
                  "delivery.pdf", "delivery.smtp"]),
    ("writing", ["writing", "batch"]),
    ("public API and command line", ["", "__main__", "cli", "cli.common", "cli.letters",
                                     "cli.checks", "cli.send", "cli.templates",
                                     "cli.languages", "cli.samples", "cli.app"]),
]
LAYER_OF = {f"letterkit.{name}".rstrip("."): n for n, (_, names) in enumerate(LAYERS)
            for name in names}


@functools.cache
def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("letterkit", *parts)).removesuffix(".__init__")
        found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Every letterkit module `name` imports, wherever the import stands (module level,
    inside a function, or for type checkers only)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known = modules()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names
                         if f"{base}.{alias.name}" in known)
    return {m for m in found if m in known and m != name}


def test_every_module_has_a_layer() -> None:
    """A new module is placed in a layer here, so its dependencies are held to it."""
    assert [] == sorted(set(modules()) - set(LAYER_OF))


def test_imports_point_down_the_layers() -> None:
    """No module imports from a layer above its own: record and config at the bottom,
    then languages, kinds, rendering, the checks, delivery, writing, and the CLI on top."""
    upward = [f"{name} ({LAYERS[LAYER_OF[name]][0]}) imports {target} "
              f"({LAYERS[LAYER_OF[target]][0]})"
              for name, path in modules().items() for target in imports(name, path)
              if LAYER_OF[target] > LAYER_OF[name]]
    assert [] == upward


def test_no_import_circle() -> None:
    """No module reaches itself through its imports, however indirectly."""
    graph = {name: imports(name, path) for name, path in modules().items()}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*trail[trail.index(target):], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert [] == circles


def test_the_walk_sees_imports_inside_functions(tmp_path) -> None:
    """The import walk is not blind to an import hidden in a function."""
    hidden = tmp_path / "m.py"
    hidden.write_text("def f():\n    from letterkit.writing import write_record\n")
    assert {"letterkit.writing"} <= imports("letterkit.record", hidden)


def _kind_tests(tree: ast.AST) -> list[int]:
    """Lines that compare something with a kind's name, or test a name's start or end."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Constant) and s.value in KINDS for s in sides):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("startswith", "endswith") \
                and any(isinstance(a, ast.Constant) and any(k in str(a.value) for k in KINDS)
                        for a in node.args):
            lines.append(node.lineno)
        elif isinstance(node, ast.Dict) and len(node.keys) >= 2:
            keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
            if all(k in KINDS for k in keys):  # a table keyed by kind
                lines.append(node.lineno)
    return lines


def test_only_the_kinds_module_tests_a_kind_by_name() -> None:
    """Everything that differs by kind is in its definition: no other module compares
    with a kind's name, keys a table by kind, or tells a template's kind by its name."""
    found = [f"{path.relative_to(PACKAGE)}:{line}" for name, path in modules().items()
             if name != "letterkit.kinds"
             for line in _kind_tests(ast.parse(path.read_text(encoding="utf-8")))]
    assert [] == found


def test_the_kind_check_would_catch_the_old_habits() -> None:
    """The check above is not blind: the patterns the package used to have are caught."""
    old = ('if kind == "meeting": pass\n'
           'people = {"resolution": 1, "meeting": 2}\n'
           'if path.name.startswith("acknowledgement"): pass\n')
    assert [1, 2, 3] == sorted(_kind_tests(ast.parse(old)))


def test_library_messages_name_no_command_line_flag() -> None:
    """Only the CLI turns problems into advice about flags: no text below it names one of
    letterkit's own options."""
    import re

    import click

    from letterkit.cli import main

    def options(command: click.Command) -> set[str]:
        found = {o for p in command.params for o in p.opts if o.startswith("--")}
        for sub in getattr(command, "commands", {}).values():
            found |= options(sub)
        return found

    ours = options(main) - {"--help", "--version"}
    assert {"--force", "--strict", "--lang", "--templates", "--config"} <= ours
    flag = re.compile("|".join(rf"(?<![\w-]){re.escape(o)}(?![\w-])" for o in sorted(ours)))
    found = []
    for name, path in modules().items():
        if name.startswith("letterkit.cli") or name == "letterkit.__main__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef)
                      and n.body and isinstance(n.body[0], ast.Expr)}
        found += [f"{path.relative_to(PACKAGE)}:{n.lineno}: {n.value!r}"
                  for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str)
                  and id(n) not in docstrings and flag.search(n.value)]
    assert [] == found


def test_public_api_is_what_letterkit_exports() -> None:
    """Every name in `letterkit.__all__` resolves, and the lazy table holds them all."""
    from letterkit import _EXPORTS

    assert set(letterkit.__all__) == {"__version__", *_EXPORTS}
    for name in letterkit.__all__:
        assert getattr(letterkit, name) is not None
    with pytest.raises(AttributeError):
        letterkit.no_such_name  # noqa: B018


def test_importing_letterkit_loads_nothing_heavy() -> None:
    """`import letterkit` (and so the CLI's start) waits to load docxtpl, pydantic and
    the rest until a name needs them."""
    code = "import sys, letterkit; print(sorted(m for m in ('docxtpl', 'pydantic', " \
           "'babel', 'mammoth', 'icalendar') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "[]" == out.strip()
