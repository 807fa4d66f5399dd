"""Where letterkit's files are: the shipped templates, catalogs and samples (installed or in
a checkout), and the folders of the user's own settings and additions."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platformdirs.api import PlatformDirsABC

_CHECKOUT = Path(__file__).resolve().parent.parent


@functools.cache
def data_path(name: str) -> Path:
    """The shipped folder `name` (templates, locales or samples).

    A wheel carries them in `letterkit/_data/`; an editable install or a bare checkout
    has them at the top of the repository, where admins and translators edit them.
    """
    from importlib.resources import files  # ~10 ms: paid by the commands that read data

    installed = Path(str(files("letterkit"))) / "_data" / name
    if installed.is_dir():
        return installed
    return _CHECKOUT / name


def user_folders(kind: str, env: Mapping[str, str] | None = None,
                 platform: str = sys.platform) -> list[Path]:
    """The user's own letterkit folders of a kind ("config" for settings, "data" for what
    they add, such as catalogs), this system's usual place first: `%APPDATA%` or
    `%LOCALAPPDATA%` on Windows, `~/Library/Application Support` on macOS, the XDG folders
    (`~/.config`, `~/.local/share`) on Linux. The XDG place is kept on every system, for
    those who followed Linux habits."""
    env = os.environ if env is None else env
    variable, default = _XDG[kind]
    xdg = Path(env.get(variable) or Path.home() / default) / "letterkit"
    if platform == "win32":
        from platformdirs.windows import Windows

        native: PlatformDirsABC = Windows("letterkit", appauthor=False, roaming=True)
    elif platform == "darwin":
        from platformdirs.macos import MacOS

        native = MacOS("letterkit", appauthor=False)
    else:
        return [xdg]  # platformdirs would say the same
    ours = native.user_config_path if kind == "config" else native.user_data_path
    return list(dict.fromkeys([ours, xdg]))


_XDG = {"config": ("XDG_CONFIG_HOME", ".config"), "data": ("XDG_DATA_HOME", ".local/share")}
