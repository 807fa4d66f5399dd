"""What letterkit works out once and keeps between runs, in the user's cache folder
(`~/.cache/letterkit`, `%LOCALAPPDATA%\\letterkit\\Cache`, `~/Library/Caches/letterkit`):
only ever a copy of what it would build again, so anything wrong with it (gone, half
written, from another version) is passed over and the thing built afresh."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    """letterkit's folder in the user's cache."""
    import platformdirs  # here: only a cache miss or a PDF needs it

    return platformdirs.user_cache_path("letterkit", appauthor=False)


def kept(name: str, inputs: Iterable[bytes], build: Callable[[], T], kind: type[T]) -> T:
    """`build()`, or the copy kept when it was last built from the same `inputs` on this
    Python. The inputs are the bytes of every file the build reads and of the code that
    builds it and defines what it makes (not letterkit's version: a checkout's code
    changes under one version). A build that raises is not kept: its error is raised
    again next time; a copy that is not a `kind` is passed over. LETTERKIT_NO_CACHE=1
    turns the keeping off."""
    if os.environ.get("LETTERKIT_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no"):
        return build()
    digest = hashlib.sha256(f"{sys.version}|{sys.implementation.cache_tag}".encode())
    for data in inputs:
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    key = digest.hexdigest()
    path = cache_dir() / f"{name}-{key[:32]}.pickle"
    try:
        with path.open("rb") as fh:
            # Our own files in the user's own folder: what is there, this user put there.
            found = pickle.load(fh)  # noqa: S301
        # Kept with its whole key: a copy moved under another name (another template's)
        # is not taken for this one.
        if isinstance(found, tuple) and len(found) == 2 and found[0] == key \
                and isinstance(found[1], kind):
            return found[1]
    except Exception:  # noqa: BLE001, S110 - not there, or not whole: built again
        pass
    made = build()
    _keep(path, name, (key, made))
    return made


# Copies kept of one thing built from different inputs (two configs with lists of their
# own, used in turns), the most recently written.
_COPIES = 4


def _keep(path: Path, name: str, made: object) -> None:
    """Write the copy whole under its name, and remove all but the latest few copies; a
    cache that cannot be written (no room, read-only home) is no error."""
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(made, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(part, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(part)
        copies = sorted(path.parent.glob(f"{name}-*.pickle"),
                        key=lambda copy: copy.stat().st_mtime_ns, reverse=True)
        for old in copies[_COPIES:]:
            with contextlib.suppress(OSError):
                old.unlink()
