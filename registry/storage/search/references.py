"""References as the index stores them: a target type and id, or an absolute URL."""

from __future__ import annotations

from typing import Any

from registry.storage.values import clip


def parse_reference(reference: str, base: str) -> dict[str, Any]:
    """``Type/id``, ``base/Type/id``, ``http://other/fhir/Type/id`` or ``urn:...`` as a row."""
    ref = reference.split("/_history/")[0]
    if ref.startswith(base + "/"):
        ref = ref[len(base) + 1:]
    parts = ref.split("/")
    if len(parts) == 2 and "://" not in ref and not ref.startswith("urn:"):
        return {"target_type": parts[0], "target_id": clip(parts[1]), "url": None}
    if len(parts) >= 2 and "://" in ref:
        return {"target_type": parts[-2], "target_id": clip(parts[-1]), "url": clip(ref)}
    return {"target_type": None, "target_id": None, "url": clip(ref)}
