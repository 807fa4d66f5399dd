"""Finding the .docx template for a kind, layout and language. Templates are named
`<kind>-<layout>.docx`; this module is the one place that reads or writes such a name."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from letterkit.errors import LetterkitError, Problem, TemplateError
from letterkit.i18n.languages import available_languages
from letterkit.kinds import ALL, Kind
from letterkit.output import is_side_file, write_atomic
from letterkit.record import LAYOUTS
from letterkit.resources import data_path


def shipped_templates_dir() -> Path:
    return data_path("templates")


def template_name(kind: str, layout: str) -> str:
    return f"{kind}-{layout}.docx"


def kind_of_template(path: Path) -> tuple[Kind, str] | None:
    """The kind and layout a template file is for, by its name; None for another name."""
    for kind in ALL:
        for layout in LAYOUTS:
            if path.name == template_name(kind.name, layout):
                return kind, layout
    return None


def is_shipped(path: Path) -> bool:
    """Whether a template is one letterkit ships (tested with it, so never re-checked)."""
    return path.parent == shipped_templates_dir()


def template_candidates(
    kind: str, layout: str, language: str, custom: Path | None = None
) -> list[Path]:
    """Where a template is looked for, in order: the custom folder's language subfolder,
    the custom folder itself, then the shipped templates (which serve every language)."""
    name = template_name(kind, layout)
    places = [custom / language / name, custom / name] if custom is not None else []
    return [*places, shipped_templates_dir() / name]


def find_template(kind: str, layout: str, language: str, custom: Path | None = None) -> Path:
    if custom is not None and not custom.is_dir():
        raise TemplateError.at("templates folder not found", file=str(custom))
    candidates = template_candidates(kind, layout, language, custom)
    for path in candidates:
        if path.is_file():
            return path
    raise TemplateError.at(
        f"no template for {kind} in {layout} layout; looked for "
        + ", ".join(str(p) for p in candidates)
    )


def custom_templates_dir(option: Path | None, configured: Path | None,
                         env: Mapping[str, str] | None = None) -> Path | None:
    """The custom templates folder in force: --templates, then $LETTERKIT_TEMPLATES, then
    the config's `templates`."""
    env = os.environ if env is None else env
    if option is not None:
        return option
    if env.get("LETTERKIT_TEMPLATES"):
        return Path(env["LETTERKIT_TEMPLATES"])
    return configured


def docx_files(paths: Iterable[Path]) -> list[Path]:
    """The .docx templates named, or found in the folders named, leaving out the files
    Word and macOS keep beside documents (~$name.docx, ._name.docx)."""
    found = [f for p in paths for f in (sorted(p.rglob("*.docx")) if p.is_dir() else [p])]
    return [f for f in found if not is_side_file(f)]


def template_files(custom: Path | None = None) -> list[Path]:
    """The shipped templates, then those in the custom folder, if one is given."""
    files = sorted(shipped_templates_dir().glob("*.docx"))
    if custom is not None:
        if not custom.is_dir():
            raise TemplateError.at("templates folder not found", file=str(custom))
        files += docx_files([custom])
    return files


@dataclass(frozen=True)
class TemplateInUse:
    kind: str
    layout: str
    language: str
    path: Path
    shipped: bool


def templates_in_use(custom: Path | None = None) -> list[TemplateInUse]:
    """The template each kind, layout and language uses, custom or shipped."""
    return [TemplateInUse(kind.name, layout, language, path, is_shipped(path))
            for kind in ALL for layout in LAYOUTS for language in available_languages()
            for path in [find_template(kind.name, layout, language, custom)]]


def copy_shipped_templates(folder: Path) -> tuple[list[Path], list[Problem]]:
    """Copies of the shipped templates in `folder`, for admins to edit in Word; a file
    already there is kept and named among the problems."""
    written, problems = [], []
    for source in sorted(shipped_templates_dir().glob("*.docx")):
        try:
            write_atomic(folder / source.name, source.read_bytes())
        except LetterkitError as error:
            problems += error.problems
            continue
        written.append(folder / source.name)
    return written, problems
