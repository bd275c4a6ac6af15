"""Wording of the information issues: what changed, never the value that was there."""

from __future__ import annotations

from collections import Counter

NOUNS = {
    "name": ("name", "names"),
    "phone": ("phone number", "phone numbers"),
    "email": ("e-mail address", "e-mail addresses"),
    "url": ("web address", "web addresses"),
    "ip": ("IP address", "IP addresses"),
    "id": ("identifier", "identifiers"),
    "address": ("street address", "street addresses"),
    "postcode": ("postal code", "postal codes"),
    "location": ("place", "places"),
    "date": ("date", "dates"),
    "age": ("age over 89", "ages over 89"),
    "markup": ("markup attribute set", "markup attribute sets"),
}
ORDER = tuple(NOUNS)


def describe_scrub(counts: Counter[str]) -> str:
    """'free text scrubbed: 2 names, 1 phone number'."""
    parts = []
    for kind in sorted(counts, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER)):
        one, many = NOUNS.get(kind, (kind, kind))
        parts.append(f"{counts[kind]} {one if counts[kind] == 1 else many}")
    return "free text scrubbed: " + ", ".join(parts)


REMOVED = "removed"
AGE_BAND = "generalized to age band"
AGE_CAP = "generalized: age over 89 reported as 90 or more"
DATE_RELATIVE = "date reduced to its year; offset from the presentation date kept in an extension"
DATE_YEAR = "date reduced to its year"
KEYED_HASH = "identifier pseudonymised with a keyed hash"
SUBJECT_KEY = "identifiers replaced by the pseudonymous subject key"
SUBJECT_KEY_ADDED = "pseudonymous subject key added"
PSEUDONYM_ID = "id replaced by a pseudonymous id"
PSEUDONYM_REF = "reference rewritten to the pseudonymous id"
SUBJECT_REF = "reference to the subject replaced by the pseudonymous subject key"
MASKED_REF = "reference outside the case removed (masked)"
UNKNOWN = "removed: not an element of {owner}"
MALFORMED = "removed: not a valid value for this element"
EXTENSIONS = "extensions other than the registry's age band removed"
REFUSED = ("{element} holds content that cannot be de-identified automatically (image, file "
           "or link to one); remove it at the spoke and submit the case again")
EMBEDDED_IMAGE = ("the narrative embeds an image, which cannot be de-identified automatically; "
                  "remove it at the spoke and submit the case again")
