"""Writing letters: where they go, atomically, and never over one already there."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import unicodedata
from pathlib import Path

from letterkit.errors import EXISTS, LOCKED, CannotWrite, InputError, OutputExists

# Windows refuses these as file or folder names, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
_MAX_NAME = 100
# The CSVs letterkit writes (manifest, errors, notes, sent log): UTF-8 with a byte-order
# mark, without which Excel on Windows shows Telugu as mojibake. Python writes the mark
# only at the start of a file, so appending is safe; reading with it accepts files
# without one too.
CSV_ENCODING = "utf-8-sig"


def is_side_file(path: Path) -> bool:
    """A file another program keeps beside a document, not a document: Word's lock file
    (`~$name.docx`, while it has the document open) or the `._name` macOS leaves on shared
    drives and USB sticks."""
    return path.name.startswith(("~$", "._"))


def safe_folder_name(reference: str) -> str:
    """A reference made safe as one folder name: letters, digits, `-`, `_` and `.`
    (Unicode letters included), never `..`, a path or a reserved device name."""
    text = unicodedata.normalize("NFC", reference)
    # By category, not `\w`: Telugu vowel signs are combining marks (M*), not letters.
    kept = "".join(c if c in "-_." or unicodedata.category(c)[0] in "LMN" else "_"
                   for c in text)
    name = re.sub(r"[_.]*_[_.]*", "_", kept).strip("._ ")[:_MAX_NAME].rstrip("._ ")
    if not name:
        raise InputError.at(
            f"{reference!r} cannot be used as a folder name; use letters and digits",
            field="reference",
        )
    if name.split(".")[0].upper() in _RESERVED:
        name = f"_{name}"
    return name


def letter_path(out_dir: Path, reference: str, filename: str) -> Path:
    """Where a letter goes: `<out_dir>/<safe reference>/<filename>`, always inside out_dir."""
    path = out_dir / safe_folder_name(reference) / filename
    # Belt and braces: safe_folder_name already keeps the reference to one plain name.
    # (Compared as absolute paths, without asking the file system: this runs per file.)
    root = os.path.abspath(out_dir)
    if os.path.commonpath([root, os.path.abspath(path)]) != root:
        raise InputError.at(f"{reference!r} would lead outside {out_dir}", field="reference")
    return path


def write_atomic(path: Path, data: bytes, *, force: bool = False, durable: bool = True) -> None:
    """Write a file whole or not at all, through a temporary file in the same folder.

    Without `force`, an existing file is left alone and OutputExists is raised; the check
    and the write are one step (a hard link fails if the name is taken), so two runs at
    once cannot both write the same letter. An interrupted or killed process never leaves
    a partial file under the final name. `durable` also flushes the file to disk before it
    gets its name (against power loss); a batch turns it off per file and syncs at the end.
    The file gets the permissions the user's umask gives, as any program's new file does.
    A file that cannot be written (open in Word, no permission, disk full) is a
    CannotWrite error naming it.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _new_temporary(path)
    except OSError as error:
        raise cannot_write(path, error) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if force:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except OSError as error:
        raise cannot_write(path, error) from None
    finally:
        # An indexer or antivirus may still hold it (Windows): a stray .tmp, not an error.
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _new_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty temporary file beside `path`. Not tempfile.mkstemp: that makes it
    private (0600) whatever the umask, and a letter keeps its temporary file's mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)  # Windows
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def cannot_write(path: Path, error: OSError, program: str = "Word") -> CannotWrite:
    """The error for a file the system would not let us write, saying what to do."""
    reason = error.strerror or str(error)
    if isinstance(error, PermissionError):
        return CannotWrite.at(
            f"cannot write it ({reason}): if it is open in {program} or another program, "
            f"close it there, then run again; otherwise check you may write to {path.parent}",
            file=str(path), code=LOCKED)
    return CannotWrite.at(f"cannot write it: {reason}", file=str(path), code=LOCKED)


def check_writable(path: Path, program: str = "Excel") -> None:
    """Raise CannotWrite now if a file that is there cannot be written (on Windows, one
    open in Excel or Word), rather than after a long run that wants to write it."""
    if not path.exists():
        return
    try:
        with path.open("ab"):
            pass
    except OSError as error:
        raise cannot_write(path, error, program) from None


def _link_new(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputExists.at("already exists", file=str(path), code=EXISTS) from None
    except OSError:
        # A file system without hard links (FAT on a USB stick, which says EPERM on
        # Linux): check, then rename.
        if path.exists():
            raise OutputExists.at("already exists", file=str(path), code=EXISTS) from None
        os.replace(tmp, path)
