"""Bytes to text.

Teams writes UTF-16 LE with a BOM, Zoom writes UTF-8 (sometimes with a BOM), and a
file re-saved by Excel on a Spanish or Portuguese Windows is often cp1252. Guessing
wrong turns "Pérez" into "PÃ©rez", so the choice is made from evidence, in order.
"""

from __future__ import annotations

import unicodedata

from .errors import EmptyReport, UnknownFormat

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CONTAINERS = (
    (b"PK\x03\x04", "an Excel workbook or other ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_TEXT_CONTROLS = {"\t", "\n", "\r"}


def decode(data: bytes) -> str:
    """Return the file's text, or refuse it as empty or not text."""
    for magic, what in _CONTAINERS:
        if data.startswith(magic):
            raise UnknownFormat(f"the file is {what}, not a CSV export; save it as CSV first")
    text = _decode(data)
    if not text.strip():
        raise EmptyReport("the file is empty")
    if _looks_binary(text):
        raise UnknownFormat("the file is not text; expected a Zoom or Teams CSV export")
    return text


def _decode(data: bytes) -> str:
    encodings, body = _guess_encodings(data)
    for encoding in encodings:
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    tried = " or ".join(encoding.upper() for encoding in encodings)
    raise UnknownFormat(f"the file is not text (not valid {tried}); expected a CSV export")


def _guess_encodings(data: bytes) -> tuple[tuple[str, ...], bytes]:
    """A BOM wins; NUL bytes in alternate positions betray BOM-less UTF-16."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return (encoding,), data[len(bom) :]
    sample = data[:4096]
    half = max(len(sample) // 2, 1)
    odd_nuls, even_nuls = sample[1::2].count(0), sample[0::2].count(0)
    if odd_nuls > half * 0.3 and even_nuls == 0:
        return ("utf-16-le",), data
    if even_nuls > half * 0.3 and odd_nuls == 0:
        return ("utf-16-be",), data
    return ("utf-8", "cp1252"), data


def _looks_binary(text: str) -> bool:
    controls = sum(
        1 for char in text if char not in _TEXT_CONTROLS and unicodedata.category(char) == "Cc"
    )
    return "\x00" in text or controls > len(text) * 0.01
