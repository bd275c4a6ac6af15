"""The intake needs assessment of a cohort, summarised (``Group/[id]/$needs-summary``).

Each mentee answers the shipped Questionnaire ``schemas/programs/Questionnaire-needs-assessment
.json`` once (the latest answer counts): their discipline, the kind of settlement they work in
and up to three topics they most need, most important first. The summary ranks the needs by how
many mentees named them, overall and by discipline and settlement, so a coordinator sees which
topics the curriculum must cover first and where local circumstances differ.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources as package_files
from typing import Any

from registry.services.fhir import FhirService
from registry.services.programs.model import (
    CS,
    NEEDS_QUESTIONNAIRE,
    TOPIC_SYSTEM,
    members,
    read_cohort,
    search_all,
)

AUTHORS_PER_SEARCH = 50  # keeps each search's query string short


@cache
def needs_questionnaire() -> dict[str, Any]:
    """The shipped needs-assessment Questionnaire (en, with es/pt/fr translations)."""
    path = package_files.files("schemas") / "programs" / "Questionnaire-needs-assessment.json"
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


@dataclass(frozen=True)
class Answer:
    """One mentee's latest needs assessment."""

    author: str
    discipline: str
    settlement: str
    needs: tuple[str, ...]


def read_answer(response: dict[str, Any]) -> Answer | None:
    """The answers of one QuestionnaireResponse; None when it names no author."""
    author = (response.get("author") or {}).get("reference")
    if not isinstance(author, str):
        return None
    found: dict[str, list[str]] = {}
    for item in response.get("item") or []:
        codes = [a["valueCoding"]["code"] for a in item.get("answer") or []
                 if isinstance((a.get("valueCoding") or {}).get("code"), str)]
        found[str(item.get("linkId"))] = codes
    return Answer(author, _first(found.get("discipline")), _first(found.get("settlement")),
                  tuple(dict.fromkeys(found.get("needs") or [])))


def _first(values: list[str] | None) -> str:
    return values[0] if values else "unknown"


def latest_answers(service: FhirService, authors: list[str]) -> list[Answer]:
    """Each author's latest completed needs assessment (by ``authored``)."""
    latest: dict[str, tuple[str, dict[str, Any]]] = {}
    for start in range(0, len(authors), AUTHORS_PER_SEARCH):
        params = {"questionnaire": [NEEDS_QUESTIONNAIRE], "status": ["completed"],
                  "author": [",".join(authors[start:start + AUTHORS_PER_SEARCH])]}
        for response in search_all(service, "QuestionnaireResponse", params):
            author = (response.get("author") or {}).get("reference")
            when = str(response.get("authored") or "")
            if isinstance(author, str) and (author not in latest or when > latest[author][0]):
                latest[author] = (when, response)
    answers = (read_answer(response) for _, response in latest.values())
    return sorted((a for a in answers if a is not None), key=lambda a: a.author)


def ranked(answers: list[Answer]) -> list[tuple[str, int]]:
    """Needs by how many mentees named them (ties by code, so the order is stable)."""
    counts = Counter(need for a in answers for need in a.needs)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def needs_summary(service: FhirService, group_id: str) -> dict[str, Any]:
    """A Parameters resource: cohort size, respondents, needs overall, by discipline and by
    settlement (each need with the number of mentees who named it)."""
    group = read_cohort(service, group_id)
    cohort = members(group)
    answers = latest_answers(service, cohort) if cohort else []
    parts: list[dict[str, Any]] = [
        {"name": "cohort", "valueReference": {"reference": f"Group/{group_id}"}},
        {"name": "members", "valueInteger": len(cohort)},
        {"name": "respondents", "valueInteger": len(answers)},
        *_needs(answers)]
    for name, system, key in (("by-discipline", f"{CS}/discipline", "discipline"),
                              ("by-settlement", f"{CS}/settlement", "settlement")):
        for value in sorted({getattr(a, key) for a in answers}):
            subset = [a for a in answers if getattr(a, key) == value]
            parts.append({"name": name, "part": [
                {"name": key, "valueCoding": {"system": system, "code": value}},
                {"name": "respondents", "valueInteger": len(subset)}, *_needs(subset)]})
    return {"resourceType": "Parameters", "parameter": parts}


def _needs(answers: list[Answer]) -> list[dict[str, Any]]:
    return [{"name": "need", "part": [
        {"name": "topic", "valueCoding": {"system": TOPIC_SYSTEM, "code": code}},
        {"name": "mentees", "valueInteger": count}]} for code, count in ranked(answers)]
