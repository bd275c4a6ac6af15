"""PATCH bodies: RFC 6902 JSON Patch and FHIR R4 FHIRPath Patch, as pure functions.

Both take a resource as plain JSON and return a patched copy; neither touches Flask or
the database, and neither validates the result (the caller does, with the R4B models).
"""

from registry.services.patch.fhirpath_patch import apply_fhirpath_patch
from registry.services.patch.json_patch import apply_json_patch

__all__ = ["apply_fhirpath_patch", "apply_json_patch"]
