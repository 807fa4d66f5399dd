"""Where the shipped templates, catalogs and samples are, installed or in a checkout."""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


@functools.cache
def data_path(name: str) -> Path:
    """The shipped folder `name` (templates, locales or samples).

    A wheel carries them in `letterkit/_data/`; an editable install or a bare checkout
    has them at the top of the repository, where admins and translators edit them.
    """
    installed = Path(str(files("letterkit"))) / "_data" / name
    if installed.is_dir():
        return installed
    return _CHECKOUT / name
