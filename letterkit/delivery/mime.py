"""MIME messages written straight to bytes: each part's headers and encoded body joined,
with no message object to build, parse back and refold (the standard library's `email`
package spends far longer on that than on the letter itself). What comes out is what
`email` would write: CRLF lines of at most 78 characters where a header allows it,
quoted-printable text, base64 binaries, 7-bit throughout unless an address needs UTF-8.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

CRLF = "\r\n"
_LINE = 78  # the length RFC 5322 asks lines to keep to
_PARAM_SAFE = "!#$&+-.^_`|~"  # RFC 2231 attribute-chars beyond letters and digits
_TOKEN_OR_QUOTED = frozenset(map(chr, range(0x20, 0x7F)))


@dataclass(frozen=True)
class Part:
    """One MIME part: its header lines (folded, without line ends) and its encoded body,
    which ends with a line end."""

    headers: tuple[str, ...]
    body: bytes

    def as_bytes(self) -> bytes:
        return (CRLF.join(self.headers) + CRLF + CRLF).encode("utf-8") + self.body


def folded(name: str, tokens: Iterable[str]) -> str:
    """A header line of `tokens` (words, encoded words, addresses) with a space between
    each, folded before a token that would carry the line past 78 characters."""
    lines, line = [], f"{name}:"
    for token in tokens:
        if len(line) + 1 + len(token) > _LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += f" {token}"
    lines.append(line)
    return CRLF.join(lines)


def text(subtype: str, content: str, *extra: str) -> Part:
    """A text part in UTF-8, quoted-printable."""
    return Part((f'Content-Type: text/{subtype}; charset="utf-8"',
                 "Content-Transfer-Encoding: quoted-printable", *extra),
                quoted_printable(content))


def binary(content_type: str, data: bytes, *extra: str) -> Part:
    """A part of any type, in base64, under its Content-Type header line (`with_params`
    writes one)."""
    return Part((content_type, "Content-Transfer-Encoding: base64", *extra), base64_lines(data))


def base64_lines(data: bytes) -> bytes:
    """Data in base64, in CRLF lines of 76 characters, as `email` writes it. Encoded at once
    and cut: base64.encodebytes encodes 57 bytes at a time, and its LF line ends would
    then be replaced (a letter's attachment is some 500 lines)."""
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    return b"\r\n".join([encoded[i:i + _BASE64_LINE]
                         for i in range(0, len(encoded), _BASE64_LINE)]) + b"\r\n"


_BASE64_LINE = 76


def multipart(subtype: str, parts: Sequence[Part], boundary: str, *extra: str) -> Part:
    """Parts in one multipart; `boundary` must be unique to it within the message (no
    base64 or quoted-printable line can begin with `--=_`, so one of that form is safe)."""
    delimiter = f"--{boundary}".encode("ascii")
    body = b"".join(delimiter + b"\r\n" + part.as_bytes() + b"\r\n" for part in parts)
    return Part((f'Content-Type: multipart/{subtype}; boundary="{boundary}"', *extra),
                body + delimiter + b"--\r\n")


def quoted_printable(content: str) -> bytes:
    """Text as quoted-printable, line by line, with CRLF line ends (as `email` splits
    lines: at LF, CR or CRLF)."""
    # b2a_qp ends the lines it breaks (soft breaks, `=`) with LF alone.
    return b"".join(binascii.b2a_qp(line, istext=False) + b"\n"
                    for line in content.encode("utf-8").splitlines()).replace(b"\n", b"\r\n")


def with_params(name: str, value: str, params: Sequence[tuple[str, str]]) -> str:
    """A header with parameters (`attachment; filename="…"`): a value of printable ASCII
    as a quoted string, any other (or one too long for a line) in RFC 2231's encoded,
    numbered pieces, each piece on a line of its own."""
    lines = [f"{name}: {value}"]
    for key, param in params:
        quoted = param.replace("\\", "\\\\").replace('"', '\\"')
        if set(param) <= _TOKEN_OR_QUOTED and len(key) + len(quoted) < _LINE - 5:
            lines.append(f'{key}="{quoted}"')
            continue
        encoded = quote(param, safe=_PARAM_SAFE, encoding="utf-8")
        start, n = 0, 0
        while start < len(encoded) or n == 0:
            head = f"{key}*{n}*=" + ("utf-8''" if n == 0 else "")
            end = min(start + _LINE - 3 - len(head), len(encoded))  # " " before, ";" after
            if end < len(encoded):  # never cut inside a %XX
                end -= 1 if encoded[end - 1] == "%" else 2 if encoded[end - 2] == "%" else 0
            lines.append(head + encoded[start:end])
            start, n = end, n + 1
    one_line = "; ".join(lines)
    return one_line if len(one_line) <= _LINE and "*0*=" not in one_line \
        else f";{CRLF} ".join(lines)
