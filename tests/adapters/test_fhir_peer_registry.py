"""The peer client pulling from a real registry app (over WSGI), on SQLite and PostgreSQL.

It shows that the client reads this registry's own history paging (``_cursor`` next links on
the node's base) and marks, and what a ``peer`` token lets through: published directory
entries only, never a person-level record.
"""

from __future__ import annotations

from typing import Any

import httpx
from flask import Flask

from adapters.fhir_peer import BearerToken, HistoryEntry, PeerClient
from tests import factories
from tests.conftest import Fhir, make_token

BASE = "http://registry.test/fhir"
PUBLISHED = {"tag": [{"system": "https://telementoring.example.org/fhir/CodeSystem/network",
                      "code": "published"}]}
ASKED = ["Organization", "Location", "HealthcareService", "OrganizationAffiliation",
         "Practitioner", "PractitionerRole", "Measure", "MeasureReport"]


def pull(app: Flask, since: str | None = None) -> tuple[list[HistoryEntry], str | None, int]:
    peer = PeerClient(BASE, BearerToken(make_token(app, role="peer")),
                      transport=httpx.WSGITransport(app=app))
    entries: list[HistoryEntry] = []
    cursor, pages = since, 0
    with peer:
        for page in peer.history(since, ASKED, count=1):
            assert page.problems == []
            entries += page.entries
            cursor, pages = page.cursor or cursor, pages + 1
    return entries, cursor, pages


def published(resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "meta": PUBLISHED}


def test_a_peer_pulls_published_directory_entries_only(app: Flask, fhir: Fhir) -> None:
    hub = fhir.create(published(factories.hub("Hub Lima", "PE", "HUB-LIMA")))
    spoke = fhir.create(published(factories.spoke("Spoke Cusco", f"Organization/{hub['id']}")))
    fhir.create(factories.spoke("Spoke hidden", f"Organization/{hub['id']}", ident="HIDDEN"))
    person = fhir.create(factories.practitioner("Quispe"))
    fhir.create(factories.role(f"Practitioner/{person['id']}", f"Organization/{spoke['id']}"))

    entries, cursor, pages = pull(app)
    assert sorted(e.res_id for e in entries) == sorted([hub["id"], spoke["id"]])
    assert {e.res_type for e in entries} == {"Organization"}
    assert pages == 2  # count=1: paged through the node's own next links
    assert cursor is not None

    again, _, _ = pull(app, since=cursor)  # _since is inclusive: at most the boundary again
    assert {(e.res_id, e.version_id) for e in again} <= {(e.res_id, e.version_id)
                                                         for e in entries}


def test_an_update_after_the_cursor_is_pulled_next_time(app: Flask, fhir: Fhir) -> None:
    hub = fhir.create(published(factories.hub("Hub Quito", "EC", "HUB-QUITO")))
    _, cursor, _ = pull(app)
    changed = {**hub, "name": "Hub Quito Norte"}
    response = fhir.put(f"Organization/{hub['id']}", changed)
    assert response.status_code == 200, response.get_data(as_text=True)
    entries, _, _ = pull(app, since=cursor)
    latest = [e for e in entries if e.version_id == "2"]
    assert [(e.res_id, e.resource and e.resource["name"]) for e in latest] == [
        (hub["id"], "Hub Quito Norte")]
