"""The analysis over the API equals scipy's figures on the same scores; who may read it."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from fhir.resources.R4B.parameters import Parameters
from flask import Flask
from scipy import stats

from registry.services.evaluations.facts import paired_changes
from tests import factories as f
from tests.casework import session
from tests.conftest import Fhir, make_token, system_service
from tests.services.evaluations.helpers import SELF_EFFICACY, SUD, network, response

# Answers of 12 mentees to the 5 SUD items (correct: b, true, b, false, b) before and after.
RIGHT = {"sud-1": "b", "sud-2": "true", "sud-3": "b", "sud-4": "false", "sud-5": "b"}
WRONG = {"sud-1": "a", "sud-2": "false", "sud-3": "a", "sud-4": "true", "sud-5": "a"}


def answers(correct: int) -> dict[str, str]:
    links = list(RIGHT)
    return {k: (RIGHT if n < correct else WRONG)[k] for n, k in enumerate(links)}


PRE = [1, 2, 2, 3, 1, 0, 2, 3, 2, 1, 4, 2]
POST = [3, 4, 2, 5, 3, 2, 4, 3, 4, 3, 5, 1]


def load(fhir: Fhir, mentees: int = 12) -> dict[str, Any]:
    net = network(fhir, mentees=mentees + 1)
    for n, role_id in enumerate(net["roles"][:mentees]):
        fhir.create(response(SUD, role_id, "pre", answers(PRE[n]), program=net["program"],
                             cohort=net["cohort"], authored="2026-02-01"))
        fhir.create(response(SUD, role_id, "post", answers(POST[n]), program=net["program"],
                             cohort=net["cohort"], authored="2026-05-01"))
    # one more mentee answered only before: attrition, reported and not paired
    fhir.create(response(SUD, net["roles"][-1], "pre", answers(1), program=net["program"],
                         cohort=net["cohort"], authored="2026-02-01"))
    return net


def figures(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters back into nested dicts (lists of entries become lists)."""
    def value(part: dict[str, Any]) -> Any:
        if "part" in part:
            names = [p["name"] for p in part["part"]]
            if names and all(n == "entry" for n in names):
                return [value(p) for p in part["part"]]
            return {p["name"]: value(p) for p in part["part"]}
        return next(v for k, v in part.items() if k.startswith("value"))
    return {p["name"]: value(p) for p in parameters["parameter"]}


def test_the_analysis_equals_scipy(fhir: Fhir) -> None:
    net = load(fhir)
    program_id = net["program"].split("/")[1]
    answer = fhir.get(f"HealthcareService/{program_id}/$evaluation-analysis")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    Parameters.model_validate(answer.json)  # a valid R4B Parameters resource
    found = figures(answer.json)
    (sud,) = found["instruments"]
    assert (sud["nPre"], sud["nPost"], sud["nMatched"], sud["unmatchedPre"]) == (13, 12, 12, 1)
    assert sud["attrition"] == pytest.approx(1 / 13)
    pre, post = np.array(PRE) * 20.0, np.array(POST) * 20.0
    expected = stats.ttest_rel(post, pre)
    s = sud["statistics"]
    assert s["meanChange"] == pytest.approx(float(np.mean(post - pre)))
    assert s["pairedT"]["t"] == pytest.approx(float(expected.statistic))
    assert s["pairedT"]["p"] == pytest.approx(float(expected.pvalue))
    ci = expected.confidence_interval()
    assert (s["meanChangeCi"]["low"], s["meanChangeCi"]["high"]) == pytest.approx(
        (float(ci.low), float(ci.high)))
    wilcoxon = stats.wilcoxon(post - pre, method="asymptotic")  # zeros and ties: asymptotic
    assert s["wilcoxon"]["p"] == pytest.approx(float(wilcoxon.pvalue))
    diff = post - pre
    assert s["cohensDz"]["value"] == pytest.approx(diff.mean() / diff.std(ddof=1))
    # hand-checked: item 1 is right when a mentee got at least one right (11 of 12 before,
    # 12 of 12 after: one improved, none worse); item 5 only with all five right (0, then 2)
    first, last = sud["items"][0], sud["items"][4]
    assert (first["correctPre"], first["correctPost"]) == pytest.approx((11 / 12, 12 / 12))
    assert first["improved"] == 1 and first["worsened"] == 0
    assert (last["improved"], last["worsened"]) == (2, 0)
    assert last["mcnemar"]["p"] == pytest.approx(0.5)  # exact binomial, 2 discordant pairs
    assert first["mcnemar"]["exact"] is True
    # two disciplines of 6 mentees: both small, both suppressed
    assert all(s["suppressed"] for s in sud["strata"]["discipline"])
    levels = {level["level"] for level in found["mooreLevels"]}
    assert levels == {"1", "3a"}


def test_paired_changes_for_the_outcomes(app: Flask, fhir: Fhir) -> None:
    net = load(fhir)
    with system_service(app, write=False) as service:
        found = paired_changes(service.ctx.conn, start=date(2026, 4, 1), end=date(2026, 6, 30))
        hub_only = paired_changes(service.ctx.conn, start=date(2026, 4, 1),
                                  end=date(2026, 6, 30), hub=f"Organization/{net['hub']['id']}")
        before = paired_changes(service.ctx.conn, start=date(2026, 1, 1),
                                end=date(2026, 3, 31))
    assert len(found) == 12 and hub_only == found and before == []
    assert sorted(c.post - c.pre for c in found) == sorted(
        20.0 * (b - a) for a, b in zip(PRE, POST, strict=True))
    assert {c.hub for c in found} == {f"Organization/{net['hub']['id']}"}
    assert all(c.mentee_key not in net["roles"] for c in found)


def test_scale_instruments_are_analysed_with_reverse_items(fhir: Fhir) -> None:
    net = network(fhir, mentees=3)
    for n, role_id in enumerate(net["roles"]):
        fhir.create(response(SELF_EFFICACY, role_id, "pre", {"se-1": "2", "se-5": "4"},
                             program=net["program"]))
        fhir.create(response(SELF_EFFICACY, role_id, "post",
                             {"se-1": str(3 + n % 2), "se-5": "2"}, program=net["program"]))
    program_id = net["program"].split("/")[1]
    (scale,) = figures(fhir.get(f"HealthcareService/{program_id}/$evaluation-analysis")
                       .json)["instruments"]
    assert scale["statistics"]["meanPre"] == pytest.approx(2.0)  # (2 + (6 - 4)) / 2
    assert scale["statistics"]["meanPost"] == pytest.approx((3.5 + 4 + 3.5) / 3)


@pytest.mark.parametrize(("role", "same_hub", "status"), [
    ("hub-admin", True, 200), ("hub-admin", False, 403), ("national-program", True, 200),
    ("spoke-clinician", True, 403), ("global-viewer", True, 403), ("peer", True, 403),
])
def test_who_may_read_the_analysis(app: Flask, fhir: Fhir, role: str, same_hub: bool,
                                   status: int) -> None:
    net = load(fhir, mentees=2)
    other = fhir.create(f.hub("Other hub", ident="OTHER"))
    hub = net["hub"]["id"] if same_hub else other["id"]
    binding = {"hub-admin": f"Organization/{hub}", "national-program": "PE",
               "spoke-clinician": f"Organization/{net['spoke']['id']}"}.get(role)
    caller = Fhir(app.test_client(), make_token(app, role, binding=binding))
    program_id = net["program"].split("/")[1]
    answer = caller.get(f"HealthcareService/{program_id}/$evaluation-analysis")
    assert answer.status_code in ((status,) if status == 200 else (status, 404)), \
        answer.get_data(as_text=True)


def test_the_operations_are_in_the_capability_statement(anonymous: Fhir) -> None:
    statement = anonymous.get("metadata").json
    (service,) = [r for r in statement["rest"][0]["resource"]
                  if r["type"] == "HealthcareService"]
    names = {o["name"] for o in service["operation"]}
    assert {"evaluation-analysis", "evaluation-report"} <= names


def test_participation_counts_the_program_sessions(fhir: Fhir) -> None:
    net = network(fhir, mentees=2)
    a, b = (f"PractitionerRole/{r}" for r in net["roles"])
    body = session(net["program"], a)
    kind = body["participant"][0]["type"]
    body["participant"] = [
        {"type": kind, "individual": {"reference": a},
         "period": {"start": "2026-11-05T19:00:00Z", "end": "2026-11-05T20:00:00Z"}},
        {"type": kind, "individual": {"reference": b},
         "period": {"start": "2026-11-05T19:00:00Z", "end": "2026-11-05T19:30:00Z"}}]
    fhir.create(body)
    fhir.create(session(net["program"], a, status="planned"))  # not held: not counted
    program_id = net["program"].split("/")[1]
    found = figures(fhir.get(f"HealthcareService/{program_id}/$evaluation-analysis").json)
    assert found["sessions"] == {"sessions": 1, "participants": 2, "participantHours": 1.5}


@pytest.mark.parametrize(("role", "same_hub", "visible"), [
    ("hub-admin", True, 5), ("hub-admin", False, 0), ("national-program", True, None),
    ("global-viewer", True, None), ("peer", True, None),
])
def test_who_may_read_the_responses(app: Flask, fhir: Fhir, role: str, same_hub: bool,
                                    visible: int | None) -> None:
    net = load(fhir, mentees=2)  # two mentees answered twice, a third once: 5 responses
    other = fhir.create(f.hub("Other hub", ident="OTHER"))
    hub = net["hub"]["id"] if same_hub else other["id"]
    binding = {"hub-admin": f"Organization/{hub}", "national-program": "PE"}.get(role)
    caller = Fhir(app.test_client(), make_token(app, role, binding=binding))
    answer = caller.get("QuestionnaireResponse?_summary=count")
    if visible is None:
        assert answer.status_code == 403
    else:
        assert answer.status_code == 200
        assert answer.json["total"] == visible


def test_the_analysis_of_one_cohort(fhir: Fhir) -> None:
    net = load(fhir, mentees=3)
    program_id = net["program"].split("/")[1]
    mine = figures(fhir.get(f"HealthcareService/{program_id}/$evaluation-analysis"
                            f"?cohort={net['cohort']}").json)
    other = figures(fhir.get(f"HealthcareService/{program_id}/$evaluation-analysis"
                             "?cohort=Group/another").json)
    assert mine["instruments"][0]["nMatched"] == 3
    assert "instruments" not in other and other["menteesPre"] == 0
