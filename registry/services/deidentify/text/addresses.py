"""The floor and door written after a street number: '3, 2º izq.', '27, 5.º D', '618, 3º esq.'.

Spanish and Portuguese addresses put the floor as an ordinal and the door as a letter, a side
('izq.', 'dcha.', 'esq.', 'dto.') or a second ordinal; the street rules stop at the number, so
each address finding is stretched over such a tail here, in one place for every street rule.
"""

from __future__ import annotations

import re

from .findings import Finding

SIDE = (r"(?:izq(?:uierda)?|dcha|der(?:echa)?|esq(?:uerd[oa])?|dto|dir(?:eit[oa])?|fte|frente|"
        r"ctro|centro)")
TAIL = re.compile(
    rf"(?:\s*,?\s*\d{{1,2}}(?=\s*\.?\s*[ºª°]))?\s*\.?\s*[ºª°]\.?"
    rf"(?:\s*(?:\d{{1,2}}\s*\.?\s*[ºª°]\.?|[A-Z](?!\w)|(?i:{SIDE})\b\.?|(?i:puerta|pta\.?)\s*\d+))*")


def with_floor(text: str, found: list[Finding]) -> list[Finding]:
    """Address findings stretched over the floor and door that follow them."""
    out = []
    for f in found:
        tail = TAIL.match(text, f.end) if f.kind == "address" else None
        out.append(Finding(f.start, tail.end(), f.kind, f.priority) if tail else f)
    return out
