"""The CLI of trust and peers, and the token endpoint over HTTP (refusals audited)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from registry.services.federation import smart
from registry.services.federation.assertions import build_client_assertion
from registry.services.federation.keys import generate
from tests import factories
from tests.federation.conftest import Network, base_of, published

FORM = {"grant_type": "client_credentials", "scope": "system/*.read",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}


def test_node_jwks_and_peer_trust_print_what_an_operator_needs(network: Network,
                                                              tmp_path: Path) -> None:
    runner = network.apps["global"].test_cli_runner()
    shown = runner.invoke(args=["node", "jwks"])
    assert shown.exit_code == 0, shown.output
    key_path = network.apps["global"].extensions["registry.node"].key_path
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    jwks = json.loads(shown.stdout)
    assert "d" not in jwks["keys"][0]
    (tmp_path / "global.jwks").write_text(shown.stdout)

    trusted = network.apps["hub-pe"].test_cli_runner().invoke(
        args=["peer", "trust", "global", "--jwks", str(tmp_path / "global.jwks")])
    assert trusted.exit_code == 0, trusted.output
    client_id = trusted.stdout.strip().splitlines()[-1]
    again = network.apps["hub-pe"].test_cli_runner().invoke(
        args=["peer", "trust", "global", "--jwks", str(tmp_path / "global.jwks")])
    assert again.exit_code != 0 and "already trusted" in again.output

    add = runner.invoke(args=["peer", "add", "hub-pe", "--base", base_of("hub-pe"),
                              "--client-id", client_id])
    assert add.exit_code == 0, add.output
    listed = runner.invoke(args=["peer", "list"])
    assert listed.stdout.startswith(f"hub-pe\t{base_of('hub-pe')}\tsmart\tcursor -")
    bad = runner.invoke(args=["peer", "add", "x", "--base", "ftp://nowhere"
                              , "--token", "t"])
    assert bad.exit_code != 0 and len(bad.output.strip().splitlines()) == 1
    removed = runner.invoke(args=["peer", "remove", "hub-pe"])
    assert removed.exit_code == 0 and runner.invoke(args=["peer", "list"]).stdout == ""


def test_sync_command_exits_non_zero_when_a_peer_fails(network: Network) -> None:
    runner = network.apps["global"].test_cli_runner()
    runner.invoke(args=["peer", "add", "nowhere", "--base", "http://127.0.0.1:9/fhir",
                        "--token", "t"])
    result = runner.invoke(args=["sync"])
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "nowhere: pulled 0, applied 0, removed 0, errors 0, duplicates 0; FAILED")
    assert "sync from nowhere failed" in result.stderr


def test_the_token_endpoint_grants_short_lived_peer_tokens_and_refuses_replays(
        network: Network, tmp_path: Path) -> None:
    node = network.apps["hub-pe"]
    client = node.test_client()
    discovery = client.get("/fhir/.well-known/smart-configuration").json
    assert discovery == client.get("/.well-known/smart-configuration").json
    token_url = discovery["token_endpoint"]
    assert token_url == smart.token_endpoint(base_of("hub-pe"))

    key = generate("RS384")
    (tmp_path / "k.jwks").write_text(json.dumps(key.jwks()))
    out = node.test_cli_runner().invoke(args=["peer", "trust", "puller", "--jwks",
                                              str(tmp_path / "k.jwks")])
    client_id = out.stdout.strip().splitlines()[-1]
    assertion = build_client_assertion(key, client_id, token_url)
    granted = client.post("/auth/token", data={**FORM, "client_assertion": assertion})
    assert granted.status_code == 200, granted.get_data(as_text=True)
    assert granted.json["expires_in"] <= 300 and granted.headers["Cache-Control"] == "no-store"
    bearer = {"Authorization": f"Bearer {granted.json['access_token']}"}
    assert client.get("/fhir/Organization", headers=bearer).status_code == 200
    assert client.get("/fhir/QuestionnaireResponse", headers=bearer).status_code == 403

    replayed = client.post("/auth/token", data={**FORM, "client_assertion": assertion})
    assert replayed.status_code == 401 and "replay" in replayed.json["error_description"]
    stranger = build_client_assertion(generate(), client_id, token_url)
    assert client.post("/auth/token", data={**FORM, "client_assertion": stranger}
                       ).status_code == 401
    expired = build_client_assertion(key, client_id, token_url, now=1_000_000)
    assert client.post("/auth/token", data={**FORM, "client_assertion": expired}
                       ).status_code == 401
    unknown = build_client_assertion(key, "nobody", token_url)
    assert client.post("/auth/token", data={**FORM, "client_assertion": unknown}
                       ).status_code == 401
    audits = network.fhir("hub-pe").search("AuditEvent?outcome=8&_count=50")
    reasons = [e["resource"].get("outcomeDesc", "") for e in audits["entry"]]
    assert sum("token request refused" in r for r in reasons) == 4


def test_a_token_reaches_only_the_types_its_scopes_name(network: Network,
                                                       tmp_path: Path) -> None:
    node = network.apps["hub-pe"]
    client = node.test_client()
    key = generate("ES384")
    (tmp_path / "k.jwks").write_text(json.dumps(key.jwks()))
    out = node.test_cli_runner().invoke(args=["peer", "trust", "narrow", "--jwks",
                                              str(tmp_path / "k.jwks")])
    client_id = out.stdout.strip().splitlines()[-1]
    token_url = smart.token_endpoint(base_of("hub-pe"))

    def bearer(scope: str) -> dict[str, str]:
        assertion = build_client_assertion(key, client_id, token_url)
        granted = client.post("/auth/token", data={**FORM, "scope": scope,
                                                   "client_assertion": assertion})
        assert granted.status_code == 200 and granted.json["scope"] == scope
        return {"Authorization": f"Bearer {granted.json['access_token']}"}

    fhir = network.fhir("hub-pe")
    hub = fhir.create(published(factories.hub("Hub PE", "PE", "HUB-PE")))
    spoke = fhir.create(published(factories.spoke("Spoke PE", f"Organization/{hub['id']}",
                                                  "PE", "SPOKE-PE")))
    fhir.create(published(factories.site("Site PE", f"Organization/{spoke['id']}", -13.5,
                                         -71.9, country="PE")))
    narrow = bearer("system/Organization.read")
    assert client.get("/fhir/Organization", headers=narrow).json["total"] == 2
    refused = client.get("/fhir/Location", headers=narrow)
    assert refused.status_code == 403 and refused.json["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/MeasureReport", headers=narrow).status_code == 403
    history = client.get("/fhir/_history", headers=narrow).json
    assert [e["request"]["url"].split("/")[0] for e in history["entry"]] == ["Organization"] * 2
    wide = bearer("system/*.rs")
    assert client.get("/fhir/Location", headers=wide).status_code == 200
    assert client.get("/fhir/QuestionnaireResponse", headers=wide).status_code == 403
