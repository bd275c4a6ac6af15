"""What a node tells pullers about its token endpoint, and what that endpoint answers.

``smart_configuration`` is the SMART App Launch discovery document for backend services only:
served at ``[FHIR base]/.well-known/smart-configuration`` and, the same, at the site root
(``configuration_urls``). The token endpoint is ``[site root]/auth/token``, outside the FHIR
base so it can never be taken for a resource type. Access tokens live at most five minutes;
``token_response`` caps them.

The scopes accepted are those of SMART v1 (``system/*.read``) and v2 (``system/*.rs``), and the
narrower per-type forms; they are stored with the token, and the policy (``scoped_types``)
narrows the ``peer`` role to the types they name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.services.federation.assertions import (
    ACCEPTED_ALGORITHMS,
    GRANT_TYPE,
    Refusal,
)

FHIR_PATH = "/fhir"
TOKEN_PATH = "/auth/token"
CONFIGURATION_PATH = "/.well-known/smart-configuration"
ACCESS_TOKEN_SECONDS = 300
SCOPES_SUPPORTED = ("system/*.read", "system/*.rs")
CAPABILITIES = ("client-confidential-asymmetric", "permission-v1", "permission-v2")


def site_root(fhir_base: str) -> str:
    """The site a FHIR base lives on: the base without its final ``/fhir`` segment."""
    base = fhir_base.rstrip("/")
    return base[: -len(FHIR_PATH)] if base.endswith(FHIR_PATH) else base


def token_endpoint(fhir_base: str) -> str:
    """The URL a puller posts its client-credentials request to (and its assertion's aud)."""
    return site_root(fhir_base) + TOKEN_PATH


def configuration_urls(fhir_base: str) -> tuple[str, str]:
    """Where the configuration is served: under the FHIR base, and at the site root."""
    return fhir_base.rstrip("/") + CONFIGURATION_PATH, site_root(fhir_base) + CONFIGURATION_PATH


def smart_configuration(fhir_base: str) -> dict[str, Any]:
    """The discovery document of a node whose FHIR base is ``fhir_base``."""
    return {
        "token_endpoint": token_endpoint(fhir_base),
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(ACCEPTED_ALGORITHMS),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "capabilities": list(CAPABILITIES),
    }


def token_response(access_token: str, scopes: Iterable[str],
                   lifetime: int = ACCESS_TOKEN_SECONDS) -> dict[str, Any]:
    """The token endpoint's success body; a lifetime beyond five minutes is cut to five."""
    return {"access_token": access_token, "token_type": "bearer",
            "expires_in": max(1, min(lifetime, ACCESS_TOKEN_SECONDS)),
            "scope": " ".join(scopes)}


def token_error(refusal: Refusal) -> dict[str, str]:
    """The token endpoint's error body (RFC 6749 section 5.2); its status is ``refusal.status``."""
    return {"error": refusal.error, "error_description": refusal.reason}
