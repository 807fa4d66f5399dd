"""A zip made of entries compressed once and entries new each time.

Every letter from one template shares most of its package (styles, theme, settings …):
those entries are compressed once into a zip whose bytes and central-directory records
never change. A letter is then those bytes, its own rendered entries, the shared records,
its own records and an end record. zipfile has no way to place already-compressed
entries, so the few records it would write are written here, with zipfile's own layouts.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

# zipfile's record layouts (stable since Python 2): central directory and end record.
_CENTRAL = struct.Struct(zipfile.structCentralDir)  # type: ignore[attr-defined]
_END = struct.Struct(zipfile.structEndArchive)  # type: ignore[attr-defined]
_CENTRAL_MAGIC = zipfile.stringCentralDir  # type: ignore[attr-defined]
_END_MAGIC = zipfile.stringEndArchive  # type: ignore[attr-defined]
_STORE_BELOW = 4096  # deflating a part of a kilobyte or two costs more than it saves


@dataclass(frozen=True)
class SharedEntries:
    """The entries every zip made from a template has, compressed once."""

    local: bytes  # local headers and data, from offset 0
    central: bytes  # their central-directory records
    count: int

    @classmethod
    def from_entries(cls, entries: list[tuple[zipfile.ZipInfo, bytes]]) -> SharedEntries:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
            for info, data in entries:
                package.writestr(_copy(info), data, zipfile.ZIP_DEFLATED)
        whole = buffer.getvalue()
        end = whole.rindex(_END_MAGIC)
        _, _, _, _, count, size, offset, _ = _END.unpack_from(whole, end)
        return cls(whole[:offset], whole[offset:offset + size], count)


def join(shared: SharedEntries, entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    """A complete zip: the shared entries, then `entries` (each compressed now)."""
    out = bytearray(shared.local)
    central = [shared.central]
    for template_info, data in entries:
        info = _copy(template_info)
        info.header_offset = len(out)
        info.file_size = len(data)
        info.CRC = zlib.crc32(data)
        if len(data) < _STORE_BELOW:
            info.compress_type, stored = zipfile.ZIP_STORED, data
        else:
            info.compress_type = zipfile.ZIP_DEFLATED
            # The fastest level: half the time of the default for a letter's document,
            # a tenth larger (some 200 bytes); the shared entries keep the default.
            deflate = zlib.compressobj(zlib.Z_BEST_SPEED, zlib.DEFLATED, -15)
            stored = deflate.compress(data) + deflate.flush()
        info.compress_size = len(stored)
        out += info.FileHeader(zip64=False)
        out += stored
        central.append(_central_record(info))
    records = b"".join(central)
    count = shared.count + len(entries)
    offset = len(out)
    out += records
    out += _END.pack(_END_MAGIC, 0, 0, count, count, len(records), offset, 0)
    return bytes(out)


def _central_record(info: zipfile.ZipInfo) -> bytes:
    name = info.filename.encode("utf-8" if not info.filename.isascii() else "ascii")
    flags = info.flag_bits | (0x800 if not info.filename.isascii() else 0)
    year, month, day, hour, minute, second = info.date_time
    dosdate = (year - 1980) << 9 | month << 5 | day
    dostime = hour << 11 | minute << 5 | second // 2
    version = max(info.extract_version, 20 if info.compress_type == zipfile.ZIP_DEFLATED
                  else 10)
    return _CENTRAL.pack(
        _CENTRAL_MAGIC, info.create_version, info.create_system, version, 0, flags,
        info.compress_type, dostime, dosdate, info.CRC, info.compress_size, info.file_size,
        len(name), len(info.extra), len(info.comment), 0, info.internal_attr,
        info.external_attr, info.header_offset,
    ) + name + info.extra + info.comment


def _copy(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh entry with the template entry's name, time and attributes."""
    fresh = zipfile.ZipInfo(info.filename, info.date_time)
    fresh.external_attr, fresh.create_system = info.external_attr, info.create_system
    return fresh
