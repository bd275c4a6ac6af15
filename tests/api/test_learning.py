"""The learning catalogue: resources searchable by topic and language, recordings of sessions,
and mentees' completions recorded as participation."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests import factories as f
from tests.casework import network
from tests.conftest import Fhir, make_token
from tests.learning import completion, resource


@pytest.fixture
def refs(fhir: Fhir) -> dict[str, str]:
    return network(fhir)


def test_catalogue_search_by_topic_and_language_and_completion(
        app: Flask, fhir: Fhir, refs: dict[str, str]) -> None:
    hub = Fhir(app.test_client(), make_token(app, "hub-admin", binding=refs["hub"]))
    clinician = Fhir(app.test_client(), make_token(app, "spoke-clinician",
                                                   binding=refs["spoke"]))
    webinar = hub.create(resource(refs["hub"], "Indução com buprenorfina"))
    hub.create(resource(refs["hub"], "Hepatitis C podcast", "podcast", "en", "hepatitis-c"))
    recording = hub.create(resource(refs["hub"], "Sessão gravada", "session-recording",
                                    session=refs["session"]))
    found = clinician.ids(f"DocumentReference?topic={f.TOPIC}|opioid-use-disorder&language=pt")
    assert sorted(found) == sorted([webinar["id"], recording["id"]])
    assert clinician.ids("DocumentReference?language=en&topic=hepatitis-c") != []
    assert clinician.ids(f"DocumentReference?encounter={refs['session']}") == [recording["id"]]
    done = clinician.post("Task", completion(f"DocumentReference/{webinar['id']}",
                                             refs["presenter"]))
    assert done.status_code == 201, done.get_data(as_text=True)
    assert clinician.ids(f"Task?owner={refs['presenter']}&code=learning-completion") == [
        done.json["id"]]
    assert clinician.post("DocumentReference", resource(refs["hub"], "Mine")).status_code == 403


@pytest.mark.parametrize(("change", "where"), [
    ({"content": [{"attachment": {"title": "No URL", "language": "pt"}}]},
     "DocumentReference.content"),
    ({"category": []}, "DocumentReference.category"),
    ({"custodian": None}, "DocumentReference.custodian"),
    ({"subject": {"reference": "Patient/p"}}, "DocumentReference"),
])
def test_bad_learning_resources_are_refused(fhir: Fhir, refs: dict[str, str],
                                            change: dict[str, Any], where: str) -> None:
    body = {k: v for k, v in {**resource(refs["hub"], "Webinar"), **change}.items()
            if v is not None}
    response = fhir.post("DocumentReference", body)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert where in response.get_data(as_text=True)
    assert fhir.ids("DocumentReference") == []


def test_recordings_name_a_session_and_completions_a_resource(
        fhir: Fhir, refs: dict[str, str]) -> None:
    body = resource(refs["hub"], "Recording", "session-recording", session=refs["program"])
    assert fhir.post("DocumentReference", body).status_code == 422
    assert fhir.post("Task", completion(refs["session"], refs["presenter"])).status_code == 422
