"""Finding the .docx template for a kind, layout and language."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from letterkit.errors import TemplateError
from letterkit.resources import data_path


def shipped_templates_dir() -> Path:
    return data_path("templates")


def template_name(kind: str, layout: str) -> str:
    return f"{kind}-{layout}.docx"


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
    """The .docx templates named, or found in the folders named, leaving out the lock
    files Word keeps beside a document it has open (~$name.docx)."""
    found = [f for p in paths for f in (sorted(p.rglob("*.docx")) if p.is_dir() else [p])]
    return [f for f in found if not f.name.startswith("~$")]
