"""Instruments validate; responses are checked against their instrument and scored."""

from __future__ import annotations

import pytest

from registry.services.evaluations import instruments
from registry.services.evaluations.scoring import score
from tests.conftest import Fhir
from tests.services.evaluations.helpers import SELF_EFFICACY, SUD, instrument, network, response


def test_every_bundled_instrument_is_valid_and_translated() -> None:
    found = instruments.bundled()
    kinds = {instruments.kind_of(q) for q in found.values()}
    assert kinds == set(instruments.KINDS)
    for resource in found.values():
        assert instruments.check(resource) == []
        parsed = instruments.parse(resource)
        assert set(parsed.title) == set(instruments.LANGUAGES)
        for item in parsed.items:
            assert set(item.text) == set(instruments.LANGUAGES), item.link_id
            for option in item.options:
                assert set(option.display) == set(instruments.LANGUAGES), item.link_id


def test_knowledge_tests_exist_for_the_first_program_topics() -> None:
    topics = {q["useContext"][0]["valueCodeableConcept"]["coding"][0]["code"]
              for q in instruments.bundled().values() if "useContext" in q}
    assert topics == {"substance-use-disorders", "pain-opioid-management", "hiv-art"}


def test_an_answer_key_that_names_no_option_is_refused(fhir: Fhir) -> None:
    bad = instrument(SUD)
    bad["url"] = "https://hub.example.org/Questionnaire/mine"
    bad.pop("id")
    bad["item"][0]["extension"][0]["valueCode"] = "z"
    answer = fhir.post("Questionnaire", bad)
    assert answer.status_code == 422
    assert "names no option" in answer.get_data(as_text=True)
    good = instrument(SUD)
    good.pop("id")
    good["url"] = "https://hub.example.org/Questionnaire/mine"
    assert fhir.post("Questionnaire", good).status_code == 201


def test_scale_items_need_points() -> None:
    bad = instrument(SELF_EFFICACY)
    del bad["item"][1]["answerOption"][2]["extension"]
    assert "ordinalValue" in instruments.check(bad)[0].diagnostics


def test_reverse_coded_items_and_missing_answers_are_scored() -> None:
    scale = instruments.parse(instrument(SELF_EFFICACY))
    answers = {"se-1": "5", "se-2": "4", "se-5": "1"}  # se-5 is reverse-coded: 1 -> 5
    result, issues = score(scale, response(SELF_EFFICACY, "r", "pre", answers))
    assert issues == [] and result is not None
    assert result.items == {"se-1": 5.0, "se-2": 4.0, "se-5": 5.0}
    assert result.total == pytest.approx(14 / 3)
    test = instruments.parse(instrument(SUD))
    result, _ = score(test, response(SUD, "r", "pre", {"sud-1": "b", "sud-2": "false"}))
    assert result is not None
    assert result.items == {"sud-1": 1.0, "sud-2": 0.0, "sud-3": 0.0, "sud-4": 0.0,
                            "sud-5": 0.0}
    assert result.total == pytest.approx(20.0)


@pytest.mark.parametrize(("answers", "words"), [
    ({"sud-9": "a"}, "not in the instrument"),
    ({"sud-1": "q"}, "names none of its options"),
    ({}, "answers no item"),
])
def test_wrong_responses_are_refused_and_nothing_is_written(fhir: Fhir, answers: dict[str, str],
                                                            words: str) -> None:
    net = network(fhir, mentees=1)
    body = response(SUD, net["roles"][0], "pre", answers, program=net["program"])
    answer = fhir.post("QuestionnaireResponse", body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert words in answer.get_data(as_text=True)
    assert fhir.search("QuestionnaireResponse?_summary=count")["total"] == 0


def test_a_response_without_phase_is_refused(fhir: Fhir) -> None:
    net = network(fhir, mentees=1)
    body = response(SUD, net["roles"][0], "pre", {"sud-1": "b"})
    body["extension"] = body["extension"][:1]
    answer = fhir.post("QuestionnaireResponse", body)
    assert answer.status_code == 422
    assert "phase" in answer.get_data(as_text=True)


def test_responses_are_searchable_by_program_cohort_and_phase(fhir: Fhir) -> None:
    net = network(fhir, mentees=2)
    for role_id, phase in zip(net["roles"], ("pre", "post"), strict=True):
        fhir.create(response(SUD, role_id, phase, {"sud-1": "b"}, program=net["program"],
                             cohort=net["cohort"]))
    assert len(fhir.ids(f"QuestionnaireResponse?program={net['program']}")) == 2
    assert len(fhir.ids(f"QuestionnaireResponse?cohort={net['cohort']}&phase=post")) == 1
