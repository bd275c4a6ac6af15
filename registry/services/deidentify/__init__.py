"""De-identification of case presentations, before anything about a case is stored.

Structured elements follow the rules of ``schemas/deidentification/rules.json`` (remove,
keep, generalize, relative dates, keyed hashes, scrub); free text is scrubbed with the
recognizers of ``schemas/deidentification/scrub.json`` and the lexicons beside it.
"""

from .case import DeidentifiedCase, deidentify_case
from .text import scrub_text

__all__ = ["DeidentifiedCase", "deidentify_case", "scrub_text"]
