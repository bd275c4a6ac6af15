"""Narrative XHTML: scrub the text, strip attributes, refuse embedded images.

The div is split into tags and text. Text is scrubbed as one string in which every tag is
masked by blanks of the same length, so a name split by markup ('Sr. <b>Gómez</b>') is still
seen with its cue and positions map straight back. Attributes can carry data (href, title,
src), so only the XHTML namespace on the root div survives.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import placeholder
from .findings import Finding, merge

TAG = re.compile(r"<[^>]*>")
TAG_NAME = re.compile(r"^<\s*(/?)\s*([A-Za-z][\w:-]*)")
INLINE = frozenset({"a", "abbr", "b", "big", "cite", "code", "em", "i", "small", "span",
                    "strong", "sub", "sup", "tt", "u", "var", "q", "dfn", "kbd", "samp"})
XHTML_NS = 'xmlns="http://www.w3.org/1999/xhtml"'


class EmbeddedImage(ValueError):
    """The narrative holds image data: it cannot be made safe by removing words."""


@dataclass
class Segment:
    is_tag: bool
    text: str


def _segments(div: str) -> list[Segment]:
    out, cursor = [], 0
    for m in TAG.finditer(div):
        if m.start() > cursor:
            out.append(Segment(False, html.unescape(div[cursor:m.start()])))
        out.append(Segment(True, m.group()))
        cursor = m.end()
    if cursor < len(div):
        out.append(Segment(False, html.unescape(div[cursor:])))
    return out


def _clean_tag(tag: str, first: bool) -> tuple[str | None, bool]:
    """The tag without attributes (None to drop it), and whether attributes were removed."""
    m = TAG_NAME.match(tag)
    if not m:
        return None, True
    closing, name = m.group(1), m.group(2)
    if name.lower() == "img":
        if "data:" in tag.lower():
            raise EmbeddedImage(name)
        return None, True
    selfclosing = tag.rstrip(">").rstrip().endswith("/")
    attrs = " " + XHTML_NS if first and not closing and name == "div" else ""
    clean = f"<{closing}{name}{attrs}{' /' if selfclosing else ''}>"
    return clean, clean.replace(" ", "") != re.sub(r"\s+", "", tag)


def _mask(segments: list[Segment]) -> str:
    parts = []
    for seg in segments:
        if not seg.is_tag:
            parts.append(seg.text)
            continue
        m = TAG_NAME.match(seg.text)
        inline = m is not None and m.group(2).lower() in INLINE
        parts.append((" " if inline else "\n") * len(seg.text))
    return "".join(parts)


def _rewrite(seg: Segment, offset: int, findings: list[Finding]) -> str:
    out, cursor, end = [], 0, len(seg.text)
    for f in findings:
        a, b = max(f.start - offset, 0), min(f.end - offset, end)
        if b <= 0 or a >= end:
            continue
        out.append(seg.text[cursor:a])
        if f.start - offset >= 0:
            out.append(placeholder(f.kind))
        cursor = b
    out.append(seg.text[cursor:])
    return "".join(out)


def scrub_xhtml(div: str, find: Callable[[str], list[Any]]) -> tuple[str, Counter[str]]:
    """Scrub a narrative div with ``find`` (text -> findings); raises EmbeddedImage."""
    segments = _segments(div)
    findings = merge(find(_mask(segments)))
    counts: Counter[str] = Counter(f.kind for f in findings)
    pieces, offset, first = [], 0, True
    for seg in segments:
        if seg.is_tag:
            clean, stripped = _clean_tag(seg.text, first)
            first = False
            if stripped:
                counts["markup"] += 1
            pieces.append(clean or "")
        else:
            pieces.append(html.escape(_rewrite(seg, offset, findings), quote=False))
        offset += len(seg.text)
    return "".join(pieces), counts
