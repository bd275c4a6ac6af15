"""The whole authorization matrix: every role x resource kind x interaction, on both databases.

Each row names one resource of the test network (``...-1`` belongs to hub-1/spoke-1 in Peru,
the tokens' own compartment; ``...-2`` to hub-2/spoke-2 in Brazil) and, per role, the
interactions that must succeed: **R**ead, **S**earch (``_id``), type **H**istory, **C**reate
(a copy with the same owner references), **U**pdate (PUT), **D**elete, **T**ransaction entry
(a PUT in a transaction). ``.`` means refused: 403 or 404 with an OperationOutcome for
instance interactions and writes, 403 or absence from the page for search and history — and
a refused write leaves the resource as it was. The table is written out by hand from the
issue, not computed from the policy, so a change to either shows up here; a test checks that
every resource type the node serves has a row.

Case-level data follows the product's one way in (``registry.services.cases``), so its rows
are not what the policy table alone would give:

- a case is created by POSTing a document Bundle: **C** on ``Bundle/doc-n`` submits a *new*
  case presented at that side's spoke (a stored case cannot be re-sent: same pseudonymous ids,
  409). Allowed for network-admin and for the spoke-clinician of the presenting spoke; refused
  for everyone else (403: role, or another spoke's presenter).
- Composition, Condition, MedicationStatement and Observations about a subject are never
  written on their own: **C**, **U** and **T** are refused for every role, network-admin
  included (422 when the role could otherwise write there, 403/404 before that), and nothing is
  written. They exist only as parts extracted from a case Bundle, under pseudonymous ids; the
  rows name them by their aliases (``Composition/case-1``, see ``tests.security.network``).
- a stored case Bundle is never changed: **U** and **T** are refused for every role (422).
- **D**elete of case data is as the policy says: network-admin only. A deleted case part is
  brought back for the next cell by presenting the same case again (same ids), not by a PUT.
- **R**ead, **S**earch and **H**istory of case data are as the policy says: the presenting
  spoke's clinicians and its hub's admin (the compartment comes from ``Composition.author``).

Conformance resources (CodeSystem, ValueSet, StructureDefinition, SearchParameter) are what the
server runs on, and Measures the indicators it computes, shipped under ``schemas/``: read-only
for every role, network-admin included; only the node itself stores them (``registry db
upgrade``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from registry.services import policy
from tests.conftest import Fhir
from tests.security.conftest import ROLES, Network
from tests.security.network import case_document

MATRIX_TEXT = """
subject                        admin    hub      spoke    national global   peer
Organization/np-pe             RSHCUDT  RSH....  RSH....  RSH....  .......  .......
Organization/np-br             RSHCUDT  RSH....  RSH....  RSH....  .......  .......
Organization/hub-1             RSHCUDT  RSH.UDT  RSH....  RSH....  RSH....  RSH....
Organization/hub-2             RSHCUDT  RSH....  RSH....  RSH....  .......  .......
Organization/spoke-1           RSHCUDT  RSHCUDT  RSH....  RSH....  RSH....  RSH....
Organization/spoke-2           RSHCUDT  RSH....  RSH....  RSH....  .......  .......
Location/loc-1                 RSHCUDT  RSHCUDT  RSH....  RSH....  RSH....  RSH....
Location/loc-2                 RSHCUDT  RSH....  RSH....  RSH....  .......  .......
OrganizationAffiliation/aff-1  RSHCUDT  RSHCUDT  RSH....  RSH....  .......  .......
OrganizationAffiliation/aff-2  RSHCUDT  RSH....  RSH....  RSH....  .......  .......
Practitioner/prac-1            RSHCUDT  RSHCUDT  RSH....  RSH....  .......  .......
Practitioner/prac-2            RSHCUDT  RSH....  RSH....  RSH....  .......  .......
PractitionerRole/role-1        RSHCUDT  RSHCUDT  RSH....  RSH....  .......  .......
PractitionerRole/role-2        RSHCUDT  RSH....  RSH....  RSH....  .......  .......
HealthcareService/prog-1       RSHCUDT  RSHCUDT  RSH....  RSH....  RSH....  RSH....
HealthcareService/prog-2       RSHCUDT  RSH....  RSH....  RSH....  .......  .......
Endpoint/ep-1                  RSHCUDT  RSHCUDT  RSH....  RSH....  .......  .......
Endpoint/ep-2                  RSHCUDT  RSH....  RSH....  RSH....  .......  .......
Encounter/sess-1               RSHCUDT  RSHCUDT  .......  .......  .......  .......
Encounter/sess-2               RSHCUDT  .......  .......  .......  .......  .......
Group/cohort-1                 RSHCUDT  RSHCUDT  .......  .......  .......  .......
Group/cohort-2                 RSHCUDT  .......  .......  .......  .......  .......
PlanDefinition/plan-1          RSHCUDT  RSHCUDT  .......  .......  .......  .......
PlanDefinition/plan-2          RSHCUDT  .......  .......  .......  .......  .......
CarePlan/workplan-1            RSHCUDT  RSHCUDT  .......  .......  .......  .......
CarePlan/workplan-2            RSHCUDT  .......  .......  .......  .......  .......
Questionnaire/quest-1          RSHCUDT  RSHCUDT  RSH....  .......  .......  .......
Questionnaire/quest-2          RSHCUDT  .......  .......  .......  .......  .......
QuestionnaireResponse/resp-1   RSHCUDT  RSH....  RSHCU.T  .......  .......  .......
QuestionnaireResponse/resp-2   RSHCUDT  .......  .......  .......  .......  .......
Composition/case-1             RSH..D.  RSH....  RSH....  .......  .......  .......
Composition/case-2             RSH..D.  .......  .......  .......  .......  .......
Bundle/doc-1                   RSHC.D.  RSH....  RSHC...  .......  .......  .......
Bundle/doc-2                   RSHC.D.  .......  .......  .......  .......  .......
Condition/cond-1               RSH..D.  RSH....  RSH....  .......  .......  .......
Condition/cond-2               RSH..D.  .......  .......  .......  .......  .......
Observation/obs-1              RSH..D.  RSH....  RSH....  .......  .......  .......
Observation/obs-2              RSH..D.  .......  .......  .......  .......  .......
MedicationStatement/med-1      RSH..D.  RSH....  RSH....  .......  .......  .......
MedicationStatement/med-2      RSH..D.  .......  .......  .......  .......  .......
Communication/rec-1            RSHCUDT  RSHCU.T  RSH....  .......  .......  .......
Communication/rec-2            RSHCUDT  .......  .......  .......  .......  .......
ServiceRequest/consult-1       RSHCUDT  RSHCU.T  RSHCU.T  .......  .......  .......
ServiceRequest/consult-2       RSHCUDT  .......  .......  .......  .......  .......
Task/task-1                    RSHCUDT  RSHCU.T  RSHCU.T  .......  .......  .......
Task/task-2                    RSHCUDT  .......  .......  .......  .......  .......
DocumentReference/learn-1      RSHCUDT  RSHCUDT  RSH....  .......  .......  .......
DocumentReference/learn-2      RSHCUDT  .......  .......  .......  .......  .......
Measure/measure                RSH....  RSH....  .......  RSH....  RSH....  RSH....
MeasureReport/report-1         RSHCUDT  RSH....  .......  RSH....  RSH....  RSH....
MeasureReport/report-2         RSHCUDT  RSH....  .......  .......  RSH....  RSH....
Provenance/prov-1              RSHCUDT  RSH....  .......  .......  .......  .......
Provenance/prov-2              RSHCUDT  .......  .......  .......  .......  .......
AuditEvent/audit-1             RSH....  .......  .......  .......  .......  .......
CodeSystem/codesystem          RSH....  RSH....  RSH....  RSH....  RSH....  .......
ValueSet/valueset              RSH....  RSH....  RSH....  RSH....  RSH....  .......
StructureDefinition/profile    RSH....  RSH....  RSH....  RSH....  RSH....  .......
SearchParameter/searchparam    RSH....  RSH....  RSH....  RSH....  RSH....  .......
Task/review                    RSHCUDT  .......  .......  .......  .......  .......  .......
"""
INTERACTIONS = "RSHCUDT"


def parse_matrix(text: str) -> dict[tuple[str, str], str]:
    lines = [line.split() for line in text.strip().splitlines()[1:]]
    return {(subject, role): cells[i] for subject, *cells in lines
            for i, role in enumerate(ROLES)}


MATRIX = parse_matrix(MATRIX_TEXT)


def refused(response: Any, *statuses: int, subject: str = "") -> bool:
    """False for a proper refusal (asserted); True for success. Case content may also be
    refused by the transform step (422), and so is a recommendation or response about a
    resource the token cannot see (422, as for one about a resource that does not exist)."""
    if response.status_code in (200, 201, 204):
        return True
    if policy.category(subject.split("/")[0]) in ("case", "recommendation", "response"):
        statuses = (*statuses, 422)
    assert response.status_code in statuses, response.get_data(as_text=True)
    assert response.json["resourceType"] == "OperationOutcome"
    return False


def unchanged(network: Network, subject: str, version: str) -> None:
    current = network.admin.get(network.key(subject))
    assert current.status_code == 200 and current.json["meta"]["versionId"] == version


def count(network: Network, res_type: str) -> int:
    total = network.admin.search(f"{res_type}?_summary=count")["total"]
    return int(total)


def body_of(network: Network, subject: str) -> dict[str, Any]:
    response = network.admin.get(network.key(subject))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json  # type: ignore[no-any-return]


def probe_read(network: Network, client: Fhir, subject: str, body: dict[str, Any]) -> bool:
    return refused(client.get(network.key(subject)), 403, 404)


def probe_search(network: Network, client: Fhir, subject: str, body: dict[str, Any]) -> bool:
    res_type, res_id = network.key(subject).split("/")
    response = client.get(f"{res_type}?_id={res_id}")
    if response.status_code == 403:
        return refused(response, 403)
    assert response.status_code == 200
    found = [e["resource"]["id"] for e in response.json.get("entry", [])]
    assert response.json.get("total") == len(found)
    return res_id in found


def probe_history(network: Network, client: Fhir, subject: str, body: dict[str, Any]) -> bool:
    res_type, res_id = network.key(subject).split("/")
    response = client.get(f"{res_type}/_history?_count=1000")
    if response.status_code == 403:
        return refused(response, 403)
    assert response.status_code == 200
    urls = {e["fullUrl"] for e in response.json.get("entry", [])}
    return f"http://registry.test/fhir/{network.key(subject)}" in urls


def probe_create(network: Network, client: Fhir, subject: str, body: dict[str, Any]) -> bool:
    """A copy with the same owner references; for a case Bundle, a new case presented at the
    same spoke. A refused create writes nothing."""
    if body["resourceType"] == "Bundle":
        twin = case_document(subject[-1], fresh=True)
    else:
        twin = copy.deepcopy(body)
        twin.pop("id")
        twin["meta"].pop("versionId")
        twin["meta"].pop("lastUpdated")
    res_type = twin["resourceType"]
    before = count(network, res_type)
    allowed = refused(client.post(res_type, twin), 403, 404, subject=subject)
    if not allowed and res_type != "AuditEvent":  # refusals themselves are audited
        assert count(network, res_type) == before
    return allowed


def probe_update(network: Network, client: Fhir, subject: str, body: dict[str, Any]) -> bool:
    allowed = refused(client.put(network.key(subject), body), 403, 404, subject=subject)
    if not allowed:
        unchanged(network, subject, body["meta"]["versionId"])
    return allowed


def probe_delete(network: Network, client: Fhir, subject: str, body: dict[str, Any]) -> bool:
    allowed = refused(client.delete(network.key(subject)), 403, 404)
    if not allowed:
        unchanged(network, subject, body["meta"]["versionId"])
        return False
    assert network.admin.get(network.key(subject)).status_code == 410
    if policy.category(body["resourceType"]) == "case":  # stored cases are re-presented
        network.present_again(subject[-1])
        assert network.admin.get(network.key(subject)).status_code == 200
    else:  # revived for the next cell
        assert network.admin.put(subject, body).status_code == 201
    return True


def probe_transaction(network: Network, client: Fhir, subject: str,
                      body: dict[str, Any]) -> bool:
    key = network.key(subject)
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"resource": body, "request": {"method": "PUT", "url": key}}]}
    allowed = refused(client.post("", bundle), 403, 404, subject=subject)
    if not allowed:
        unchanged(network, subject, body["meta"]["versionId"])
    return allowed


PROBES: dict[str, Callable[[Network, Fhir, str, dict[str, Any]], bool]] = {
    "R": probe_read, "S": probe_search, "H": probe_history, "C": probe_create,
    "U": probe_update, "T": probe_transaction, "D": probe_delete,
}


@pytest.mark.parametrize(("subject", "role"), sorted(MATRIX), ids=lambda v: v)
def test_authorization_matrix(shared_network: Network, subject: str, role: str) -> None:
    client = shared_network.client(role)
    body = body_of(shared_network, subject)
    outcome = {}
    for letter in "RSHUTCD":  # delete last: it revives what it removed
        outcome[letter] = PROBES[letter](shared_network, client, subject, copy.deepcopy(body))
        if outcome[letter] and letter in "UT":  # the stored version moved on
            body = body_of(shared_network, subject)
    actual = "".join(letter if outcome[letter] else "." for letter in INTERACTIONS)
    assert actual == MATRIX[(subject, role)]


def test_every_resource_type_of_the_node_is_in_the_matrix(shared_network: Network) -> None:
    served = set(shared_network.app.extensions["registry.node"].resource_types)
    assert served == {subject.split("/")[0] for subject, _ in MATRIX}
