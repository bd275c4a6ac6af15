"""The demo's activity: sessions with attendance, cases with follow-ups and recommendations.

Every program with tutors and mentees gets ``SESSIONS_PER_PROGRAM`` weekly sessions with the
attendance of who joined and left when (``network.generate_sessions``). Cases go through the
product's one way in (``cases.submit_case``, so they are de-identified as a spoke's would be):
a presenter of the program's spokes presents a case at an earlier session and a follow-up at
the latest one, and a tutor answers each with a recommendation. The case texts are data
(``schemas/demo/cases.json``).

Pseudonymous case ids depend on the node secret, so cases are not loaded by id: the part
presents them once, and skips when the store already holds case presentations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources as package_files
from typing import Any

from registry.services.cases.form import case_bundle
from registry.services.cases.submission import submit_case
from registry.services.demo.network import (
    DEMO_TAG,
    Roster,
    generate_network,
    generate_sessions,
    rosters,
)
from registry.services.fhir import FhirService
from registry.services.loading import LoadReport, load_batch
from registry.services.sessions import format_instant, parse_instant

SESSIONS_PER_PROGRAM = 4
CASE_WEEK, FOLLOW_UP_WEEK = 2, 0  # weeks back from the latest session of a program


@dataclass(frozen=True)
class Activity:
    """The programs of the demo network and their sessions, as loaded by id."""

    programs: list[Roster]
    sessions: list[dict[str, Any]]
    presenters: dict[str, str]  # program reference -> a presenter's PractitionerRole

    def session(self, program: int, week: int) -> str:
        """``Encounter/ID`` of ``program``'s session ``week`` weeks before its latest."""
        return f"Encounter/{self.sessions[week * len(self.programs) + program]['id']}"

    def answered(self, program: int, week: int) -> str:
        """When the tutors answer a case of that session: a few days after it (2 to 4)."""
        start = self.sessions[week * len(self.programs) + program]["period"]["start"]
        days = 2 + (program + week) % 3
        return format_instant(parse_instant(start) + timedelta(days=days))


def activity(seed: int, scale: float) -> Activity:
    network = list(generate_network(seed=seed, scale=scale))
    programs = rosters(network)
    sessions = list(generate_sessions(seed, programs, SESSIONS_PER_PROGRAM * len(programs)))
    return Activity(programs, sessions, _presenters(network, programs))


def _presenters(network: Iterable[dict[str, Any]], programs: list[Roster]) -> dict[str, str]:
    presenting = {f"PractitionerRole/{r['id']}" for r in network
                  if r["resourceType"] == "PractitionerRole" and any(
                      c.get("code") == "presenter" for cc in r.get("code") or []
                      for c in cc.get("coding") or [])}
    return {p.program: next((a for a in p.attendees if a in presenting), p.attendees[0])
            for p in programs}


def has_cases(service: FhirService) -> bool:
    _, result = service.search("Composition", {"_summary": ["count"]})
    return bool(result.total)


def present_cases(service: FhirService, found: Activity) -> int:
    """Present one case and its follow-up per program (up to the templates' count, cycling),
    each answered by a tutor; returns how many presentations were stored."""
    stored = 0
    recommendations = []
    for index, program in enumerate(found.programs):
        template = _cases()[index % len(_cases())]
        presenter = found.presenters[program.program]
        first = _present(service, _form(template, found, index, presenter, CASE_WEEK))
        follow_up = _form(template, found, index, presenter, FOLLOW_UP_WEEK,
                          follow_up_of=first)
        second = _present(service, follow_up)
        host = program.hosts[0]
        recommendations += [
            _recommendation(f"demo-recommendation-{index + 1:04d}-1", first, host, presenter,
                            found.session(index, CASE_WEEK), template["recommendation"],
                            found.answered(index, CASE_WEEK)),
            _recommendation(f"demo-recommendation-{index + 1:04d}-2", second, host, presenter,
                            found.session(index, FOLLOW_UP_WEEK),
                            template["follow_up_recommendation"],
                            found.answered(index, FOLLOW_UP_WEEK))]
        stored += 2
    load_batch(service, recommendations, LoadReport())
    return stored


def _present(service: FhirService, form: dict[str, Any]) -> str:
    return submit_case(service, case_bundle(form)).composition


def _form(template: dict[str, Any], found: Activity, index: int, presenter: str, week: int,
          follow_up_of: str | None = None) -> dict[str, Any]:
    form = {key: template[key] for key in ("sex", "age", "history", "substance_use",
                                           "medications", "psychosocial_context", "conditions")}
    form.update(session=found.session(index, week), presenter_role=presenter,
                patient_reference=f"DEMO-{index + 1:04d}",
                presenting_problem=template["follow_up" if follow_up_of else
                                            "presenting_problem"],
                question=template["follow_up_question" if follow_up_of else "question"])
    if follow_up_of:
        form["follow_up_of"] = follow_up_of
    return form


def _recommendation(res_id: str, composition: str, tutor: str, presenter: str, session: str,
                    text: str, sent: str) -> dict[str, Any]:
    return {"resourceType": "Communication", "id": res_id, "meta": {"tag": [dict(DEMO_TAG)]},
            "status": "completed", "sent": sent, "about": [{"reference": composition}],
            "encounter": {"reference": session}, "sender": {"reference": tutor},
            "recipient": [{"reference": presenter}], "payload": [{"contentString": text}]}


@cache
def _cases() -> list[dict[str, Any]]:
    path = package_files.files("schemas") / "demo" / "cases.json"
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return cases
