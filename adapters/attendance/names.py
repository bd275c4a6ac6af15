"""Display names: who the person is, and which spoke they say they are from.

ECHO participants are asked to name themselves "Ana Pérez - Clínica Rural X" or
"Ana Pérez (Clínica Rural X)". Meeting tools add their own decorations that must not
be mistaken for a spoke: Zoom appends the original name in parentheses after a
rename, Teams appends "(Guest)", people add pronouns.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_TRAILING_PARENS = re.compile(r"^(?P<before>.*?)\s*\((?P<inside>[^()]*)\)$")
_SEPARATOR = re.compile(r"\s+[-–—]\s+|\s*\|\s*")
_WORD = re.compile(r"\w+")
# fmt: off
_TOOL_MARKERS = frozenset({
    "guest", "unverified", "external", "invitado", "invitada", "externo", "externa",
    "no verificado", "convidado", "convidada", "não verificado",
})
_PRONOUNS = frozenset({
    "she", "her", "hers", "he", "him", "his", "they", "them", "theirs",
    "ella", "él", "elle", "ela", "dela", "ele", "dele", "elu", "delu",
})
_DEVICES = frozenset({
    "iphone", "ipad", "android", "galaxy", "samsung", "motorola", "moto", "xiaomi", "redmi",
    "huawei", "pixel", "laptop", "desktop", "pc", "tablet", "celular", "telefone", "telefono",
})
# fmt: on


def split_display_name(raw: str) -> tuple[str, str | None]:
    """``"Ana Pérez - Clínica Rural X"`` -> ``("Ana Pérez", "Clínica Rural X")``."""
    name = _SPACES.sub(" ", raw).strip()
    name, spoke = _strip_parentheses(name)
    parts = _SEPARATOR.split(name, maxsplit=1)
    if len(parts) == 2 and all(parts):
        name, named_spoke = parts
        spoke = f"{named_spoke} ({spoke})" if spoke else named_spoke
    return (name or raw.strip()), spoke


def name_key(name: str) -> str:
    """Matching key: 'ANA  PEREZ' and 'Ana Pérez' are the same person."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", bare).strip().casefold()


def clean_email(raw: str) -> str | None:
    """Lower-cased address, or None when the cell holds no address at all."""
    email = raw.strip().strip("<>").strip().lower()
    return email if "@" in email and " " not in email else None


def _strip_parentheses(name: str) -> tuple[str, str | None]:
    """Peel trailing '(...)' groups; the one nearest the name that is not decoration wins."""
    spoke = None
    while match := _TRAILING_PARENS.match(name):
        before, inside = match["before"], match["inside"].strip()
        if not before:
            break
        if not _is_decoration(inside, before):
            spoke = inside
        name = before
    return name, spoke


def _is_decoration(inside: str, before: str) -> bool:
    """Tool markers, pronouns, devices, or Zoom's original name (shares a word with it)."""
    words = set(_WORD.findall(name_key(inside)))
    if not words or name_key(inside) in _TOOL_MARKERS or words <= _PRONOUNS:
        return True
    if words & _DEVICES:
        return True
    return bool(words & set(_WORD.findall(name_key(before))))
