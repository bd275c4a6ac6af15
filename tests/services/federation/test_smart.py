"""The smart-configuration document and the token endpoint's answers."""

from __future__ import annotations

from registry.services import policy
from registry.services.federation import smart
from registry.services.federation.assertions import Refusal


def test_configuration_advertises_backend_services_only() -> None:
    document = smart.smart_configuration("https://hub-a.example.org/fhir/")
    assert document == {
        "token_endpoint": "https://hub-a.example.org/auth/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "scopes_supported": ["system/*.read", "system/*.rs"],
        "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
    }


def test_token_endpoint_and_configuration_urls_follow_the_site_root() -> None:
    assert smart.site_root("http://127.0.0.1:5000/fhir") == "http://127.0.0.1:5000"
    assert smart.site_root("https://x.org/registry/fhir/") == "https://x.org/registry"
    assert smart.site_root("https://x.org/r4") == "https://x.org/r4"
    assert smart.token_endpoint("https://x.org/registry/fhir") == "https://x.org/registry/auth/token"
    assert smart.configuration_urls("https://x.org/fhir") == (
        "https://x.org/fhir/.well-known/smart-configuration",
        "https://x.org/.well-known/smart-configuration")


def test_access_tokens_live_at_most_five_minutes() -> None:
    body = smart.token_response("tok", ["system/*.rs"], lifetime=3600)
    assert body == {"access_token": "tok", "token_type": "bearer", "expires_in": 300,
                    "scope": "system/*.rs"}
    assert smart.token_response("tok", ["system/*.read"], lifetime=60)["expires_in"] == 60


def test_token_error_carries_the_refusal() -> None:
    refusal = Refusal("assertion has expired", client_id="c")
    assert smart.token_error(refusal) == {"error": "invalid_client",
                                          "error_description": "assertion has expired"}


def test_scoped_types() -> None:
    assert policy.scoped_types(None) is None
    assert policy.scoped_types(["system/*.rs"]) == {"*"}
    assert policy.scoped_types(["system/Organization.read", "system/*.read"]) == {"*"}
    named = policy.scoped_types(["system/Organization.read", "system/Location.rs"])
    assert named == frozenset({"Organization", "Location"})


def test_scopes_narrow_a_role_and_never_widen_it() -> None:
    narrow = policy.Subject("peer", reads=frozenset({"Organization"}))
    assert policy.scope(narrow, "read", "Organization") is policy.PUBLISHED
    assert policy.scope(narrow, "read", "Location") is policy.NONE
    every = policy.Subject("peer", reads=frozenset({"*"}))
    assert policy.scope(every, "read", "MeasureReport") is policy.ALL
    assert policy.scope(every, "read", "QuestionnaireResponse") is policy.NONE
    admin = policy.Subject("network-admin", reads=frozenset({"*"}))
    assert policy.scope(admin, "update", "Organization") is policy.NONE
