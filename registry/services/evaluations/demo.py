"""Demo evaluations for a loaded demo network: a cohort per program and realistic pre and
post responses of its mentees (deterministic for a seed).

Per mentee a latent ability drives the pre answers; most mentees gain after the program,
about one in eight does not, and about one in ten leaves before the post-evaluation
(attrition). Knowledge tests go to programs whose topic has one; every program gets the
self-efficacy scale, and the satisfaction survey after. The network's instruments are stored
as Questionnaires first, so clients can read what the responses answer.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

from registry.services.evaluations import instruments
from registry.services.evaluations.collection import SATISFACTION, default_instruments
from registry.services.evaluations.instruments import Instrument
from registry.services.evaluations.links import link_extensions
from registry.services.fhir import FhirService
from registry.services.loading import LoadReport, batches, load_batch
from registry.services.programs.model import COHORT_PROGRAM
from registry.storage.rows import Stored

ATTRITION = 0.10
NON_IMPROVERS = 0.12
PAGE = 1000
PRE_DAY, POST_DAY = "2026-02-{:02d}", "2026-06-{:02d}"


def _all(service: FhirService, res_type: str, params: dict[str, list[str]]) -> list[Stored]:
    found: list[Stored] = []
    while True:
        page = {**params, "_count": [str(PAGE)], "_offset": [str(len(found))]}
        _, result = service.search(res_type, page)
        found += result.matches
        if not result.has_more:
            return found


def add_demo_evaluations(service: FhirService, seed: int = 2026, batch: int = 500
                         ) -> LoadReport:
    """Add the instruments, cohorts and responses to the demo network in ``service``'s
    transaction; loading twice writes nothing new."""
    report = LoadReport()
    programs = [s.resource() for s in _all(service, "HealthcareService", {})]
    roles = [s.resource() for s in _all(service, "PractitionerRole", {"role": ["mentee"]})]
    items = list(generate_evaluations(programs, roles, seed))
    for chunk in batches([*instruments.bundled().values(), *items], batch):
        load_batch(service, chunk, report)
    return report


def generate_evaluations(programs: list[dict[str, Any]], roles: list[dict[str, Any]],
                         seed: int = 2026) -> Iterator[dict[str, Any]]:
    """Cohort Groups and QuestionnaireResponses for the given programs and mentee roles."""
    rng = random.Random(seed)
    members: dict[str, list[str]] = {}
    for role in sorted(roles, key=lambda r: str(r["id"])):
        if role.get("active", True):
            for ref in role.get("healthcareService", []):
                members.setdefault(ref.get("reference", ""), []).append(role["id"])
    for program in sorted(programs, key=lambda p: str(p["id"])):
        ref = f"HealthcareService/{program['id']}"
        if members.get(ref) and program.get("providedBy"):
            yield from _program(rng, program, ref, members[ref])


def _program(rng: random.Random, program: dict[str, Any], ref: str, mentees: list[str]
             ) -> Iterator[dict[str, Any]]:
    cohort_id = f"demo-cohort-2026-{program['id']}"[:64]  # evaluated; 2027's is planned
    cohort = f"Group/{cohort_id}"
    yield {"resourceType": "Group", "id": cohort_id, "type": "practitioner", "actual": True,
           "name": f"{program.get('name', 'Program')} — 2026",
           "managingEntity": program["providedBy"],
           "extension": [{"url": COHORT_PROGRAM, "valueReference": {"reference": ref}}],
           "member": [{"entity": {"reference": f"PractitionerRole/{m}"}} for m in mentees]}
    urls = default_instruments(program, "post")
    tests = [instruments.parse(instruments.bundled()[u]) for u in urls]
    for mentee in mentees:
        ability, gain = rng.gauss(0, 1), _gain(rng)
        stays = rng.random() >= ATTRITION
        pre_day, post_day = PRE_DAY.format(rng.randint(1, 20)), POST_DAY.format(
            rng.randint(1, 25))
        for test in tests:
            if test.url != SATISFACTION:
                yield _response(test, ref, cohort, "pre", mentee, pre_day,
                                _answers(rng, test, ability))
            if stays:
                yield _response(test, ref, cohort, "post", mentee, post_day,
                                _answers(rng, test, ability + gain))


def _gain(rng: random.Random) -> float:
    return rng.gauss(-0.1, 0.3) if rng.random() < NON_IMPROVERS else rng.gauss(1.0, 0.5)


def _answers(rng: random.Random, test: Instrument, level: float) -> dict[str, str]:
    found = {}
    for n, item in enumerate(test.items):
        if rng.random() < 0.03:
            continue  # a question left blank now and then
        if item.key is not None:
            right = rng.random() < 1 / (1 + math.exp(-(level - 0.4 + 0.3 * (n % 3 - 1))))
            wrong = [o.code for o in item.options if o.code != item.key]
            found[item.link_id] = item.key if right else rng.choice(wrong)
        else:
            base = 4.2 if test.url == SATISFACTION else 3.0 + 0.6 * level
            points = max(1, min(5, round(rng.gauss(base, 0.7))))
            found[item.link_id] = str(6 - points if item.reverse else points)
    return found or {test.items[0].link_id: test.items[0].options[0].code}


def _response(test: Instrument, program: str, cohort: str, phase: str, mentee: str,
              authored: str, answers: dict[str, str]) -> dict[str, Any]:
    short = test.url.rsplit("/", 1)[1]
    return {"resourceType": "QuestionnaireResponse",
            "id": f"demo-qr-{phase}-{short}-{mentee}"[:64], "status": "completed",
            "questionnaire": test.url, "extension": link_extensions(program, cohort, phase),
            "author": {"reference": f"PractitionerRole/{mentee}"}, "authored": authored,
            "item": [{"linkId": k, "answer": [{"valueCoding": {"code": v}}]}
                     for k, v in answers.items()]}

