"""Free-text scrubbing: identifiers in case narratives become typed placeholders.

Recognizers, all deterministic and loaded once: the patterns of ``scrub.json`` (e-mail, URL,
IP, national and record numbers of the Americas with stdnum checksums, postal codes, street
addresses, dates, ages over 89), long digit runs (phones through phonenumbers, otherwise
identifiers) and person names (lexicons, cue words, and pyspellchecker's frequency lists to
let title-cased everyday words through). Every language's rules run on every text, because
case texts mix languages; ``language`` is accepted as a hint only.
"""

from __future__ import annotations

from collections import Counter

from .findings import Finding, merge, replace
from .names import find_names
from .numbers import find_numbers
from .patterns import find_patterns
from .xhtml import scrub_xhtml

SUPPORTED_LANGUAGES = frozenset({"en", "es", "pt", "fr"})

__all__ = ["Finding", "SUPPORTED_LANGUAGES", "find_identifiers", "scrub_text", "scrub_xhtml"]


def find_identifiers(text: str, language: str | None = None) -> list[Finding]:
    """Merged, non-overlapping spans of ``text`` that must not be kept."""
    del language  # every language's recognizers run: case texts mix languages
    return merge(find_patterns(text) + find_numbers(text) + find_names(text))


def scrub_text(text: str, language: str | None = None) -> tuple[str, Counter[str]]:
    """``text`` with identifiers replaced by placeholders, and how many of each kind."""
    if not text:
        return text, Counter()
    return replace(text, find_identifiers(text, language))
