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
from collections.abc import Mapping

from .addresses import with_floor
from .findings import Finding, merge, replace
from .marks import find_marks
from .names import clinical_spans, find_names
from .normalize import normalize
from .numbers import find_numbers
from .patterns import find_patterns
from .places import find_places
from .propagate import find_known, propagate
from .spelled import find_spelled
from .xhtml import scrub_xhtml

SUPPORTED_LANGUAGES = frozenset({"en", "es", "pt", "fr"})
WORD_KINDS = frozenset({"name", "location"})

__all__ = ["Finding", "SUPPORTED_LANGUAGES", "find_identifiers", "scrub_text", "scrub_xhtml"]


def find_identifiers(text: str, language: str | None = None,
                     known: Mapping[str, str] | None = None) -> list[Finding]:
    """Merged, non-overlapping spans of ``text`` that must not be kept.

    ``known`` maps values the case already gives as identifiers (the Patient's name, town,
    age) to their kind: every mention of them is removed too.
    """
    del language  # every language's recognizers run: case texts mix languages
    view = normalize(text)
    seen = view.text
    found = with_floor(seen, find_patterns(seen)) + find_numbers(seen) + find_spelled(seen)
    found += find_names(seen) + find_places(seen) + find_marks(seen)
    found += find_known(seen, known or {})
    found += propagate(seen, found)
    found = _outside_clinical_terms(seen, found)
    if seen == text:
        return merge(found)
    return merge([Finding(*view.span(f.start, f.end), f.kind, f.priority) for f in found])


def _outside_clinical_terms(text: str, found: list[Finding]) -> list[Finding]:
    """Drop name and place findings inside an eponymous term ('doença de Jorge Lobo')."""
    spans = clinical_spans(text)
    return [f for f in found if f.kind not in WORD_KINDS
            or not any(a < f.end and f.start < b for a, b in spans)]


def scrub_text(text: str, language: str | None = None,
               known: Mapping[str, str] | None = None) -> tuple[str, Counter[str]]:
    """``text`` with identifiers replaced by placeholders, and how many of each kind."""
    if not text:
        return text, Counter()
    return replace(text, find_identifiers(text, language, known))
