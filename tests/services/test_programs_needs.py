"""The shipped needs-assessment Questionnaire: valid R4B, every text in four languages, and
answers read as the summary expects."""

from __future__ import annotations

from fhir.resources.R4B.questionnaire import Questionnaire

from registry.services.programs.needs import Answer, needs_questionnaire, ranked, read_answer
from tests.programs import needs_response

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def languages(element: dict) -> set[str]:
    return {"en"} | {part["valueCode"] for ext in element.get("extension", [])
                     if ext["url"] == TRANSLATION for part in ext["extension"]
                     if part["url"] == "lang"}


def test_the_questionnaire_is_valid_and_in_four_languages() -> None:
    questionnaire = needs_questionnaire()
    Questionnaire.model_validate(questionnaire)
    assert languages(questionnaire["_title"]) == {"en", "es", "pt", "fr"}
    assert [i["linkId"] for i in questionnaire["item"]] == ["discipline", "settlement", "needs"]
    for item in questionnaire["item"]:
        assert languages(item["_text"]) == {"en", "es", "pt", "fr"}


def test_answers_are_read_and_ranked() -> None:
    answer = read_answer(needs_response("PractitionerRole/a", "nursing", "rural",
                                        ["hiv-art", "hepatitis-c", "hiv-art"]))
    assert answer == Answer("PractitionerRole/a", "nursing", "rural", ("hiv-art", "hepatitis-c"))
    other = Answer("PractitionerRole/b", "unknown", "unknown", ("hepatitis-c",))
    assert ranked([answer, other]) == [("hepatitis-c", 2), ("hiv-art", 1)]
    assert read_answer({"resourceType": "QuestionnaireResponse"}) is None
