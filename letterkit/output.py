"""Writing letters: where they go, atomically, and never over one already there."""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from letterkit.errors import EXISTS, LOCKED, CannotWrite, DiskFull, InputError, OutputExists

# Windows refuses these as file or folder names, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
# Bytes of UTF-8, not characters: a file system allows 255 bytes a name, and one Telugu
# letter takes three. Well under it, so a path stays short enough for Windows too.
_MAX_NAME_BYTES = 120
# A batch's own files beside the complaints' folders: no reference may be named like them.
MANIFEST = "manifest.csv"
ERRORS = "errors.csv"
NOTES = "notes.csv"  # letters not made because a row lacks what they need (not errors)
_RUN_FILES = {MANIFEST, ERRORS, NOTES}
# What the disk as a whole says when it takes nothing more (full, over quota, read-only).
_DISK_REFUSES = {errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}
# The CSVs letterkit writes (manifest, errors, notes, sent log): UTF-8 with a byte-order
# mark, without which Excel on Windows shows Telugu as mojibake. Python writes the mark
# only at the start of a file, so appending is safe; reading with it accepts files
# without one too.
CSV_ENCODING = "utf-8-sig"


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """The lines of a CSV letterkit writes for people to open in Excel (manifest, errors,
    notes, sent log). A cell that starts like a formula (`=`, `+`, `-`, `@`) gets a
    leading `'`, as spreadsheets expect, so a record's text is shown, never run."""
    out = io.StringIO(newline="")
    csv.writer(out).writerows(
        [f"'{cell}" if str(cell).startswith(_FORMULA_STARTS) else cell for cell in row]
        for row in rows)
    return out.getvalue()


def is_side_file(path: Path) -> bool:
    """A file another program keeps beside a document, not a document: Word's lock file
    (`~$name.docx`, while it has the document open) or the `._name` macOS leaves on shared
    drives and USB sticks."""
    return path.name.startswith(("~$", "._"))


def safe_name(text: str) -> str:
    """Text made safe as part of a file name, for people to read (an attachment's name):
    letters, digits, `-`, `_` and `.` (Unicode letters included), never `..`, a path or a
    reserved device name, at most _MAX_NAME_BYTES long. Different texts may give the same
    name: see `safe_folder_name`."""
    text = unicodedata.normalize("NFC", text)
    # By category, not `\w`: Telugu vowel signs are combining marks (M*), not letters.
    kept = "".join(c if c in "-_." or unicodedata.category(c)[0] in "LMN" else "_"
                   for c in text)
    # Never a leading `-`: a name that reads as an option on a command line, or as a
    # formula in a spreadsheet's column of paths.
    name = _cut(re.sub(r"[_.]*_[_.]*", "_", kept).strip("._ ").lstrip("-"), _MAX_NAME_BYTES)
    if name.split(".")[0].upper() in _RESERVED:
        name = f"_{name}"
    return name


def safe_folder_name(reference: str) -> str:
    """The folder a reference's letters go in: the reference itself where it is already a
    safe name (`CMP-2026-0142`, Telugu too); otherwise its safe name and a short hash of
    it (`DHA/CC/142` gives `DHA_CC_142-` and eight hex digits), so two references never
    share a folder, whatever `safe_name` made of them. (Two that differ only in case do,
    on Windows and macOS disks: `FolderClaims` and `check_folder` refuse those.)"""
    text = unicodedata.normalize("NFC", reference)
    name = safe_name(text)
    if not name.strip("_"):
        raise InputError.at(
            f"{reference!r} cannot be used as a folder name; use letters and digits",
            field="reference")
    if name != text or name.casefold() in _RUN_FILES:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        name = f"{_cut(name, _MAX_NAME_BYTES - 9).rstrip('._')}-{digest}"
    return name


def _cut(name: str, limit: int) -> str:
    """The longest start of `name` within `limit` bytes of UTF-8, whole characters only."""
    cut = name.encode()[:limit].decode(errors="ignore")
    return cut if cut == name else cut.rstrip("._ ")


def letter_path(out_dir: Path, reference: str, filename: str) -> Path:
    """Where a letter goes: `<out_dir>/<safe reference>/<filename>`, always inside out_dir."""
    path = out_dir / safe_folder_name(reference) / filename
    # Belt and braces: safe_folder_name already keeps the reference to one plain name.
    # (Compared as absolute paths, without asking the file system: this runs per file.)
    root = os.path.abspath(out_dir)
    if os.path.commonpath([root, os.path.abspath(path)]) != root:
        raise InputError.at(f"{reference!r} would lead outside {out_dir}", field="reference")
    return path


class FolderClaims:
    """The folders the references of one run write to, so that no record replaces
    another's letters: a second reference for the same folder (the same reference again,
    or one that differs only in case, which Windows and macOS disks do not tell apart) is
    reported with whoever claimed the folder first."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[object, str]] = {}

    def earlier(self, reference: str, who: object) -> tuple[object, str] | None:
        """Who claimed `reference`'s folder before `who`, and with which reference."""
        key = safe_folder_name(reference).casefold()  # NFC already
        first = self.seen.setdefault(key, (who, reference))
        return None if first[0] == who else first


def check_output_folder(out_dir: Path) -> None:
    """Refuse, in one line, an output folder that is a file (`-o /dev/null`, a letter's
    name), rather than failing once per letter."""
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise CannotWrite.at("is a file, not a folder: give a folder for the letters",
                             file=str(out_dir), code=LOCKED)


def check_folder(out_dir: Path, reference: str) -> None:
    """Refuse to write a reference's letters into a folder that is there already but is
    not its own: a link (to another complaint's folder, the output folder itself, or
    outside it), or (on a disk that ignores case) the folder of a reference that differs
    only in case."""
    name = safe_folder_name(reference)
    folder = out_dir / name
    if not os.path.lexists(folder):
        return
    if os.path.islink(folder):
        raise CannotWrite.at(f"is a link to {os.path.realpath(folder)}; letterkit writes each "
                             "complaint's letters in a folder of its own, never through a "
                             "link: remove the link", file=str(folder), code=LOCKED)
    on_disk = _names_in(out_dir, name)
    if on_disk is not None and on_disk != name:
        raise InputError.at(
            f"{reference!r} would write to the folder {on_disk}, which holds the letters of "
            "another reference (this disk does not tell capitals from small letters); "
            "each complaint needs a reference of its own", field="reference")


# Each output folder's entries as this process last listed them (NFC name: name on disk,
# and case-folded), listed again only when a name is not there: a resumed batch asks per
# record, and listing thousands of folders each time would cost more than the letters.
_LISTINGS: dict[str, tuple[set[str], dict[str, str]]] = {}


def _names_in(out_dir: Path, name: str) -> str | None:
    """The name of the entry of out_dir that `name` opens, as the disk spells it (it may
    differ in case; macOS may keep another Unicode form), or None if it cannot say."""
    key = unicodedata.normalize("NFC", name)
    listing = _LISTINGS.get(str(out_dir))
    if listing is None or key not in listing[0]:
        try:
            entries = [unicodedata.normalize("NFC", entry) for entry in os.listdir(out_dir)]
        except OSError:
            return None
        listing = set(entries), {entry.casefold(): entry for entry in entries}
        _LISTINGS[str(out_dir)] = listing
    return name if key in listing[0] else listing[1].get(key.casefold())


def write_atomic(path: Path, data: bytes, *, force: bool = False, durable: bool = True,
                 program: str = "Word") -> None:
    """Write a file whole or not at all, through a temporary file in the same folder.

    Without `force`, an existing file is left alone and OutputExists is raised; the check
    and the write are one step (a hard link fails if the name is taken), so two runs at
    once cannot both write the same letter. An interrupted or killed process never leaves
    a partial file under the final name. `durable` also flushes the file to disk before it
    gets its name (against power loss); a batch turns it off per file and syncs at the end.
    The file gets the permissions the user's umask gives, as any program's new file does.
    A file that cannot be written (open in Word, or the `program` named, no permission)
    is a CannotWrite error naming it; a disk that takes nothing more, DiskFull.
    """
    try:
        try:
            fd, tmp = _new_temporary(path)
        except FileNotFoundError:  # the folder is made with its first file, not tried for each
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _new_temporary(path)
    except OSError as error:
        raise cannot_write(path, error, program) from None
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
        raise cannot_write(path, error, program) from None
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
    if error.errno in _DISK_REFUSES:
        return DiskFull.at(f"cannot write it: {reason}; nothing more can be written there "
                           "until that is put right", file=str(path), code=LOCKED)
    if isinstance(error, PermissionError):
        return CannotWrite.at(
            f"cannot write it ({reason}): if it is open in {program} or another program, "
            f"close it there, then run again; otherwise check you may write to {path.parent}",
            file=str(path), code=LOCKED)
    return CannotWrite.at(f"cannot write it: {reason}", file=str(path), code=LOCKED)


def own_file(path: Path, what: str) -> bool:
    """Whether one of letterkit's own files (a manifest, a sent log) is there. Something
    else under its name (a folder, a device, a pipe), which would be read forever or wait
    for a writer, is refused in one line."""
    try:
        mode = os.lstat(path).st_mode  # a link is refused: it would be written through
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as error:
        raise InputError.at(f"cannot be read: {error.strerror or error}", file=str(path)
                            ) from None
    if not stat.S_ISREG(mode):
        raise InputError.at(f"is not a file but a folder, a link, a device or a pipe, where "
                            f"letterkit keeps {what}: move it away, then run again",
                            file=str(path))
    return True


def check_writable(path: Path, what: str, program: str = "Excel") -> None:
    """Raise CannotWrite now if a file that is there cannot be written (on Windows, one
    open in Excel or Word), rather than after a long run that wants to write it; see
    `own_file` for `what`."""
    if not own_file(path, what):
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
