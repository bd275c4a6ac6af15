"""What every fuzz test shares: its example budget, its seed, and the node's write counter."""

from __future__ import annotations

import os
from typing import Any

# Examples per operation and generation mode (the FHIR-aware tests take eight times as many):
# a few by default, so the suite runs in ``make test``; raise it for a long hunt.
EXAMPLES = int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", "6"))
SEED = int(os.environ.get("REGISTRY_FUZZ_SEED", "35"))
HISTORY_COUNT = "/fhir/_history?_summary=count"


def written(client: Any, headers: dict[str, str]) -> Any:
    """The node's history total: it grows with every version written."""
    return client.get(HISTORY_COUNT, headers=headers).json.get("total")
