"""Tokens: roles and bindings checked when created, random 256-bit secrets stored hashed, with
expiry, listing and revocation; deny by default."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from registry.http.auth import forget_tokens
from registry.services import tokens
from registry.storage.tables import access_token
from tests.conftest import Fhir


def cli(app: Flask, *args: str) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.stdout, result.stderr


def test_token_create_checks_the_binding_of_each_role(app: Flask) -> None:
    failures = [
        (("--role", "hub-admin"), "--org Organization/ID"),
        (("--role", "spoke-clinician", "--org", "hub-1"), "--org Organization/ID"),
        (("--role", "national-program"), "--country CC"),
        (("--role", "national-program", "--country", "PER"), "--country CC"),
        (("--role", "global-viewer", "--org", "Organization/hub-1"), "takes no --org"),
        (("--role", "peer", "--country", "PE", "--org", "Organization/x"), "not both"),
    ]
    for args, message in failures:
        code, _, err = cli(app, "token", "create", *args)
        assert code == 1 and message in err and len(err.strip().splitlines()) == 1
    assert cli(app, "token", "create", "--role", "admin")[0] == 2  # not a role at all


def test_token_create_list_revoke(app: Flask) -> None:
    code, out, err = cli(app, "token", "create", "--role", "national-program",
                         "--country", "pe", "--name", "minsa", "--days", "30")
    assert code == 0 and "national-program for PE" in err
    plaintext = out.strip().splitlines()[-1]
    assert plaintext.startswith("tnr_") and len(plaintext) >= 4 + 43  # 256 bits, base64
    with app.extensions["registry.database"].transaction(write=False) as conn:
        stored = conn.execute(sa.select(access_token.c.token_hash, access_token.c.binding)
                              ).one()
    assert stored.token_hash == tokens.hash_token(plaintext) and stored.binding == "PE"
    code, listing, _ = cli(app, "token", "list")
    assert "national-program\tPE\tminsa\tactive" in listing and plaintext not in listing
    client = Fhir(app.test_client(), plaintext)
    assert client.get("MeasureReport").status_code == 200
    token_id = listing.split("\t")[0]
    assert cli(app, "token", "revoke", token_id)[0] == 0
    forget_tokens()
    assert client.get("MeasureReport").status_code == 401
    assert "revoked" in cli(app, "token", "list")[1]


def test_expired_tokens_are_refused(app: Flask) -> None:
    with app.extensions["registry.database"].transaction(write=True) as conn:
        plaintext, token_id = tokens.create_token(conn, role="peer", name="old", days=1)
        conn.execute(access_token.update().where(access_token.c.pk == token_id)
                     .values(expires=tokens.now_us() - 1))
    assert Fhir(app.test_client(), plaintext).get("Organization").status_code == 401


def test_an_unknown_role_is_denied_everything(app: Flask) -> None:
    with app.extensions["registry.database"].transaction(write=True) as conn:
        conn.execute(access_token.insert().values(
            token_hash=tokens.hash_token("tnr_legacy-role-token-000000000000"), name="legacy",
            role="auditor", created=tokens.now_us()))
    client = Fhir(app.test_client(), "tnr_legacy-role-token-000000000000")
    for path in ("Organization", "MeasureReport", "CodeSystem", "_history"):
        response = client.get(path)
        assert response.status_code == 403 or response.json.get("entry") is None
    assert client.post("Organization", {"resourceType": "Organization"}).status_code == 403


def test_token_bindings_must_name_what_the_directory_holds(app: Flask, fhir: Fhir) -> None:
    from tests import factories as f

    hub = fhir.create(f.hub("Binding Hub"))["id"]
    spoke = fhir.create(f.spoke("Binding Spoke", f"Organization/{hub}"))["id"]
    failures = [
        (("--role", "hub-admin", "--org", "Organization/hub-lima"), "not in the directory"),
        (("--role", "hub-admin", "--org", f"Organization/{spoke}"), "is not a hub"),
        (("--role", "spoke-clinician", "--org", f"Organization/{hub}"), "is not a spoke"),
        (("--role", "national-program", "--country", "XX"), "not an ISO 3166-1"),
    ]
    for args, message in failures:
        code, out, err = cli(app, "token", "create", *args)
        assert code == 1 and message in err and len(err.strip().splitlines()) == 1, err
        assert "tnr_" not in out
    assert cli(app, "token", "create", "--role", "hub-admin", "--org",
               f"Organization/{hub}")[0] == 0
    assert cli(app, "token", "create", "--role", "spoke-clinician", "--org",
               f"Organization/{spoke}")[0] == 0
