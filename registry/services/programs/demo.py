"""Demo data for running a program, added to a loaded demo network (``registry demo``).

``load_programs(service)`` gives the first programs of the network that have mentees a cohort,
a curriculum and the cohort's adapted work plan, intake needs answers, a series of planned
sessions, two learning resources with some completions, and one answered consultation. Ids are
derived from the program's, and everything is written with PUT through the write pipeline, so
loading twice changes nothing. Deterministic for a seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from registry.services.fhir import FhirService
from registry.services.loading import LoadReport, load_batch
from registry.services.programs.learning import COMPLETION
from registry.services.programs.model import (
    ADAPTATION,
    BASE,
    COHORT_PROGRAM,
    CONSULTATION,
    CONSULTATION_CHANNEL,
    CS,
    LEARNING_DURATION,
    LEARNING_KIND,
    NEEDS_QUESTIONNAIRE,
    PROGRAM_ROLE,
    PROGRAM_TASK,
    TOPIC_SYSTEM,
    codes,
    search_all,
)
from registry.services.programs.needs import needs_questionnaire
from registry.services.programs.plan import topics_of
from registry.services.programs.schedule import program_country, session_body
from registry.services.sessions import format_instant

OWNER = f"{BASE}/StructureDefinition/owner"
DEMO_TAG = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST",
            "display": "test health data"}
TOPICS = ("substance-use-disorders", "opioid-use-disorder", "alcohol-use-disorder",
          "mental-health", "pain-opioid-management", "hiv-art", "hepatitis-c", "tuberculosis")
CURRICULUM = (("assessment", "Screening and assessment"), ("treatment", "First-line treatment"),
              ("complex", "Complex cases and co-occurring conditions"),
              ("recovery", "Follow-up and recovery support"))
ZONES = {"AR": "America/Argentina/Buenos_Aires", "BR": "America/Sao_Paulo",
         "PE": "America/Lima", "MX": "America/Mexico_City", "CO": "America/Bogota",
         "US": "America/New_York", "ES": "Europe/Madrid", "PT": "Europe/Lisbon",
         "FR": "Europe/Paris", "SN": "Africa/Dakar", "MZ": "Africa/Maputo",
         "KE": "Africa/Nairobi", "IN": "Asia/Kolkata", "UG": "Africa/Kampala"}
FIRST_DAY = datetime(2027, 1, 5, 14, 0)
SESSIONS = 8
MENTEES = 12
CONSULTATIONS = 6  # per program: with three programs, enough for a median shown unmasked
CONSULTATIONS_FROM = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)  # the demo sessions' last month
CHANNELS = ("phone", "video", "email")
QUESTIONS = ("Adult with relapse after tapering; how fast can we re-induce?",
             "Pregnant patient on methadone asks about breastfeeding: what do we advise?",
             "Persistent nausea on buprenorphine: split the dose or switch?")


def load_programs(service: FhirService, *, seed: int = 2026, programs: int = 3) -> LoadReport:
    """Add the program data to the first ``programs`` programs that have mentees."""
    rng = random.Random(seed)
    report = LoadReport()
    load_batch(service, [_tagged(dict(needs_questionnaire()))], report)
    done = 0
    for program in sorted(search_all(service, "HealthcareService", {}),
                          key=lambda p: str(p["id"])):
        if done == programs:
            break
        mentees = _roles(service, str(program["id"]), "mentee")[:MENTEES]
        tutors = _roles(service, str(program["id"]), "tutor")
        if not mentees or not tutors or not program.get("providedBy"):
            continue
        load_batch(service, [_tagged(r) for r in _program_data(rng, program, mentees,
                                                               tutors[0])], report)
        done += 1
    return report


def _roles(service: FhirService, program_id: str, code: str) -> list[dict[str, Any]]:
    found = search_all(service, "PractitionerRole", {
        "service": [f"HealthcareService/{program_id}"], "role": [f"{PROGRAM_ROLE}|{code}"],
        "active": ["true"]})
    return sorted(found, key=lambda r: str(r["id"]))


def _program_data(rng: random.Random, program: dict[str, Any], mentees: list[dict[str, Any]],
                  tutor: dict[str, Any]) -> list[dict[str, Any]]:
    pid, hub = str(program["id"]), str(program["providedBy"]["reference"])
    program_ref, cohort_ref = f"HealthcareService/{pid}", f"Group/demo-cohort-{pid}"
    topic = (codes(program.get("type"), TOPIC_SYSTEM) or ["substance-use-disorders"])[0]
    curriculum_url = f"{BASE}/PlanDefinition/demo-curriculum-{pid}"
    members = [f"PractitionerRole/{m['id']}" for m in mentees]
    out: list[dict[str, Any]] = [
        {"resourceType": "PlanDefinition", "id": f"demo-curriculum-{pid}",
         "url": curriculum_url, "status": "active", "title": f"Curriculum: {program['name']}",
         "extension": [{"url": OWNER, "valueReference": {"reference": hub}}],
         "action": [{"id": code, "title": title,
                     "reason": [{"coding": [{"system": TOPIC_SYSTEM, "code": topic}]}]}
                    for code, title in CURRICULUM]},
        {"resourceType": "Group", "id": f"demo-cohort-{pid}", "type": "practitioner",
         "actual": True, "name": f"Cohort 2027 · {program['name']}",
         "extension": [{"url": COHORT_PROGRAM, "valueReference": {"reference": program_ref}}],
         "managingEntity": {"reference": hub},
         "member": [{"entity": {"reference": m}} for m in members]},
        _work_plan(pid, hub, cohort_ref, curriculum_url)]
    out += [_needs(rng, m) for m in mentees]
    out += _planned(program, cohort_ref, [t.concept() for t in topics_of(out[-1])
                                          if not t.dropped])
    out += _learning(rng, pid, hub, topic, program, members)
    out += _consultation(rng, pid, hub, topic, members, f"PractitionerRole/{tutor['id']}")
    return out


def _work_plan(pid: str, hub: str, cohort: str, curriculum: str) -> dict[str, Any]:
    def activity(code: str, title: str, kind: str, reason: str | None = None,
                 system: str = curriculum, status: str = "not-started") -> dict[str, Any]:
        detail: dict[str, Any] = {"status": status, "code": {"coding": [
            {"system": system, "code": code, "display": title}]}}
        if reason:
            detail["reasonCode"] = [{"text": reason}]
        return {"extension": [{"url": ADAPTATION, "valueCode": kind}], "detail": detail}
    (a, at), (t, tt), (c, ct), (r, rt) = CURRICULUM
    return {"resourceType": "CarePlan", "id": f"demo-workplan-{pid}", "status": "active",
            "intent": "plan", "instantiatesCanonical": [curriculum],
            "subject": {"reference": cohort}, "author": {"reference": hub},
            "title": "Work plan adapted to the cohort's needs", "activity": [
                activity(t, tt, "moved", "Most mentees already screen routinely"),
                activity(a, at, "kept"),
                activity("rural-referral", "Referral pathways from rural clinics", "added",
                         "Rural mentees named referral as their first need",
                         system=f"{BASE}/CarePlan/demo-workplan-{pid}"),
                activity(c, ct, "kept"),
                activity(r, rt, "dropped", "Covered by the national recovery program",
                         status="cancelled")]}


def _needs(rng: random.Random, mentee: dict[str, Any]) -> dict[str, Any]:
    def coded(system: str, code: str) -> dict[str, Any]:
        return {"valueCoding": {"system": f"{CS}/{system}", "code": code}}
    discipline = (codes(mentee.get("specialty"), f"{CS}/discipline") or ["primary-care"])[0]
    settlement = rng.choices(("rural", "urban", "peri-urban"), (5, 3, 2))[0]
    needs = rng.sample(TOPICS, rng.randint(1, 3))
    return {"resourceType": "QuestionnaireResponse", "id": f"demo-needs-{mentee['id']}",
            "questionnaire": NEEDS_QUESTIONNAIRE, "status": "completed",
            "authored": "2026-12-01", "author": {"reference": f"PractitionerRole/{mentee['id']}"},
            "item": [{"linkId": "discipline", "answer": [coded("discipline", discipline)]},
                     {"linkId": "settlement", "answer": [coded("settlement", settlement)]},
                     {"linkId": "needs", "answer": [coded("program-topic", n) for n in needs]}]}


def _planned(program: dict[str, Any], cohort: str,
             topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    zone = ZoneInfo(ZONES.get(program_country(program) or "", "UTC"))
    sessions = []
    for n in range(SESSIONS):
        start = (FIRST_DAY + timedelta(weeks=n)).replace(tzinfo=zone)
        body = session_body(f"HealthcareService/{program['id']}", program,
                            cohort.split("/")[1], start, 90,
                            topics[n] if n < len(topics) else None)
        sessions.append({**body, "id": f"demo-planned-{program['id']}-{n + 1}"})
    return sessions


def _learning(rng: random.Random, pid: str, hub: str, topic: str, program: dict[str, Any],
              members: list[str]) -> list[dict[str, Any]]:
    language = next((c["code"] for cc in program.get("communication") or []
                     for c in cc.get("coding") or []), "en")
    docs = []
    for n, (kind, title, minutes) in enumerate((("webinar", "Webinar: the basics", 60),
                                                ("podcast", "Podcast: cases from the field",
                                                 25)), start=1):
        docs.append({
            "resourceType": "DocumentReference", "id": f"demo-learning-{pid}-{n}",
            "status": "current", "type": {"coding": [{"system": LEARNING_KIND, "code": kind}]},
            "category": [{"coding": [{"system": TOPIC_SYSTEM, "code": topic}]}],
            "custodian": {"reference": hub}, "description": title,
            "extension": [{"url": LEARNING_DURATION, "valueDuration": {
                "value": minutes, "unit": "min", "system": "http://unitsofmeasure.org",
                "code": "min"}}],
            "content": [{"attachment": {"url": f"https://learning.example.org/{pid}/{n}",
                                        "title": title, "language": language}}]})
    completions = [{
        "resourceType": "Task", "id": f"demo-completion-{pid}-{i}", "status": "completed",
        "intent": "order", "code": {"coding": [{"system": PROGRAM_TASK, "code": COMPLETION}]},
        "focus": {"reference": f"DocumentReference/{docs[0]['id']}"},
        "owner": {"reference": member}, "executionPeriod": {"end": "2026-12-15T12:00:00Z"}}
        for i, member in enumerate(members) if rng.random() < 0.5]
    return [*docs, *completions]


def _consultation(rng: random.Random, pid: str, hub: str, topic: str, members: list[str],
                  tutor: str) -> list[dict[str, Any]]:
    """``CONSULTATIONS`` questions from the cohort's mentees in the demo's last month, each
    assigned to the tutor and answered a few hours to three days later (the turnaround)."""
    out: list[dict[str, Any]] = []
    for n in range(CONSULTATIONS):
        suffix = "" if n == 0 else f"-{n + 1}"
        request, asker = f"ServiceRequest/demo-consult-{pid}{suffix}", members[n % len(members)]
        asked = CONSULTATIONS_FROM + timedelta(days=2 * n, hours=rng.randint(0, 8))
        answered = asked + timedelta(hours=rng.randint(2, 72))
        out += [
            {"resourceType": "ServiceRequest", "id": f"demo-consult-{pid}{suffix}",
             "status": "completed", "intent": "order",
             "category": [{"coding": [dict(CONSULTATION)]}],
             "priority": "urgent" if n % 3 == 0 else "routine",
             "authoredOn": format_instant(asked),
             "code": {"coding": [{"system": TOPIC_SYSTEM, "code": topic}]},
             "extension": [{"url": CONSULTATION_CHANNEL, "valueCode": CHANNELS[n % 3]}],
             "subject": {"display": "de-identified patient"}, "requester": {"reference": asker},
             "performer": [{"reference": hub}],
             "note": [{"text": QUESTIONS[n % len(QUESTIONS)]}]},
            {"resourceType": "Task", "id": f"demo-assign-{pid}{suffix}", "status": "completed",
             "intent": "order", "code": {"coding": [{"system": PROGRAM_TASK,
                                                     "code": "consultation-assignment"}]},
             "basedOn": [{"reference": request}], "owner": {"reference": tutor}},
            {"resourceType": "Communication", "id": f"demo-answer-{pid}{suffix}",
             "status": "completed", "category": [{"coding": [dict(CONSULTATION)]}],
             "sent": format_instant(answered), "basedOn": [{"reference": request}],
             "about": [{"reference": request}], "sender": {"reference": tutor},
             "recipient": [{"reference": asker}],
             "payload": [{"contentString": "Re-induce over two days and review by phone."}]}]
    return out


def _tagged(resource: dict[str, Any]) -> dict[str, Any]:
    meta = dict(resource.get("meta") or {})
    meta["tag"] = [*(meta.get("tag") or []), dict(DEMO_TAG)]
    return {**resource, "meta": meta}
