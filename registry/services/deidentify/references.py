"""The Bundle-wide map from each entry's old fullUrl and Type/id to its pseudonymous UUID.

Built before the walk, so a reference is rewritten the same way wherever it appears and every
reference inside the case still resolves.
"""

from __future__ import annotations

import re
from typing import Any

from .context import Run
from .pseudonyms import URN, is_own_uuid, pseudonym_uuid

TRAILING_TYPE_ID = re.compile(r"([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})$")


def _own(run: Run, value: Any) -> str | None:
    if isinstance(value, str) and is_own_uuid(run.secret, value):
        return value.removeprefix(URN)
    return None


def build_reference_map(run: Run, entries: list[Any]) -> None:
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        found = entry.get("resource")
        resource: dict[str, Any] = found if isinstance(found, dict) else {}
        rtype, rid, full = resource.get("resourceType"), resource.get("id"), entry.get("fullUrl")
        source = full or (f"{rtype}/{rid}" if rid else f"entry-{i}")
        message = f"{run.spoke}|{run.subject_key}|{run.presented_at.isoformat()}|{source}"
        new = _own(run, full) or _own(run, rid) or pseudonym_uuid(run.secret, message)
        if isinstance(full, str):
            run.references[full] = URN + new
            tail = TRAILING_TYPE_ID.search(full)
            if tail and not full.startswith(URN):
                run.references.setdefault(tail.group(1), URN + new)
        if isinstance(rid, str) and isinstance(rtype, str):
            run.references.setdefault(f"{rtype}/{rid}", URN + new)
            run.ids[(rtype, rid)] = new
