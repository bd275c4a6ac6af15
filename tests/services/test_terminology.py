"""Terminology data under schemas/terminology and the $expand / $lookup / $validate-code
operations over it, including ISO 3166 and BCP-47 from their libraries."""

from __future__ import annotations

import pytest
from fhir.resources.R4B import get_fhir_model_class

from registry.errors import InvalidRequest, NotFound
from registry.services import terminology as t

VS = f"{t.BASE}/ValueSet"
CS = f"{t.BASE}/CodeSystem"
SHIPPED = t.resources()
CODE_SYSTEMS = [r for r in SHIPPED if r["resourceType"] == "CodeSystem"]


def _contains(expansion: dict) -> dict[str, str]:
    return {c["code"]: c["display"] for c in expansion["expansion"]["contains"]}


@pytest.mark.parametrize("resource", SHIPPED, ids=[r["id"] for r in SHIPPED])
def test_shipped_resource_validates_as_r4b(resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert resource["url"] == f"{t.BASE}/{resource['resourceType']}/{resource['id']}"
    assert resource["status"] == "active"


@pytest.mark.parametrize("code_system", CODE_SYSTEMS, ids=[r["id"] for r in CODE_SYSTEMS])
def test_every_concept_has_the_four_network_languages(code_system: dict) -> None:
    assert code_system["count"] == len(code_system["concept"])
    for concept in code_system["concept"]:
        languages = {d["language"]: d["value"] for d in concept["designation"]}
        assert set(languages) == {"en", "es", "pt", "fr"}, concept["code"]
        assert all(v.strip() for v in languages.values())
        assert languages["en"] == concept["display"]


def test_every_code_system_has_a_value_set_with_all_its_codes() -> None:
    for cs in CODE_SYSTEMS:
        assert set(_contains(t.expand(cs["valueSet"]))) == {c["code"] for c in cs["concept"]}


def test_topics_name_snomed_conditions() -> None:
    topics = next(cs for cs in CODE_SYSTEMS if cs["id"] == "program-topic")
    for concept in topics["concept"]:
        codings = [p["valueCoding"] for p in concept["property"] if p["code"] == "condition"]
        assert codings and all(c["system"] == "http://snomed.info/sct" for c in codings)


@pytest.mark.parametrize(("language", "hub", "spoke"), [
    ("es", "Hub de expertos", "Equipo participante (spoke)"),
    ("pt", "Hub de especialistas", "Equipe participante (spoke)"),
    ("fr", "Pôle d'expertise (hub)", "Site participant (spoke)"),
    ("pt-BR", "Hub de especialistas", "Equipe participante (spoke)"),
    ("de", "Hub", "Spoke"),  # no German designation: English
    (None, "Hub", "Spoke"),
])
def test_expand_displays_in_the_requested_language(language: str | None, hub: str,
                                                   spoke: str) -> None:
    expanded = t.expand(f"{VS}/organization-kind", language)
    shown = _contains(expanded)
    assert (shown["hub"], shown["spoke"]) == (hub, spoke)
    get_fhir_model_class("ValueSet").model_validate(expanded)
    assert expanded["expansion"]["total"] == 3
    assert "compose" not in expanded


def test_expand_echoes_its_parameters() -> None:
    expanded = t.expand(f"{VS}/program-role", "fr", "tut")
    assert expanded["expansion"]["parameter"] == [
        {"name": "displayLanguage", "valueCode": "fr"}, {"name": "filter", "valueString": "tut"}]
    assert _contains(expanded) == {"tutor": "Tuteur"}


def test_filter_ignores_accents_and_case_and_matches_word_starts() -> None:
    assert set(_contains(t.expand(f"{VS}/discipline", "es", "ADICCION"))) == {
        "addiction-medicine"}
    assert set(_contains(t.expand(f"{VS}/program-topic", "pt", "transtorno uso"))) >= {
        "substance-use-disorders", "opioid-use-disorder", "alcohol-use-disorder"}
    assert _contains(t.expand(f"{VS}/program-topic", "fr", "zzz")) == {}


def test_country_value_set_expands_iso_3166_alpha_2_with_translated_names() -> None:
    everything = _contains(t.expand(f"{VS}/country"))
    assert len(everything) == 249
    assert all(len(code) == 2 for code in everything)
    assert _contains(t.expand(f"{VS}/country", "fr", "bresil")) == {"BR": "Brésil"}
    assert _contains(t.expand(f"{VS}/country", "es", "estados unidos"))["US"] == "Estados Unidos"


def test_network_language_value_set_uses_its_own_designations() -> None:
    assert _contains(t.expand(f"{VS}/network-language", "pt")) == {
        "en": "Inglês", "es": "Espanhol", "pt": "Português", "fr": "Francês"}


class _CountingLanguages(t.Bcp47):
    """BCP-47 that counts look-ups, which load the ISO 639-3 table on first use."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def concept(self, code: str) -> t.Concept | None:
        self.looked_up.append(code)
        return super().concept(code)


def test_a_value_set_concept_with_its_own_names_is_compiled_without_the_library() -> None:
    systems: dict[str, t.CodeSource] = {t.BCP_47: (languages := _CountingLanguages())}
    named = {"code": "es", "display": "Spanish", "designation": [
        {"language": "fr", "value": "Espagnol"}]}
    compiled = t._compile_include({"system": t.BCP_47, "concept": [
        named, {"code": "pt", "display": "Portuguese"}, {"code": "fr"}]}, systems)
    assert languages.looked_up == ["pt", "fr"]
    assert compiled.enumerated is not None
    assert compiled.enumerated["es"].designations == (("fr", "Espagnol"),)
    assert compiled.enumerated["pt"].display_in("es") == "Portugués"
    assert compiled.enumerated["fr"].display == "French"


def test_all_of_bcp47_cannot_be_expanded() -> None:
    with pytest.raises(InvalidRequest) as caught:
        t.expand(f"{VS}/language")
    assert caught.value.issues[0].code == "too-costly"


def test_expand_unknown_value_set_is_not_found() -> None:
    with pytest.raises(NotFound, match="not known"):
        t.expand(f"{VS}/nope")


def test_expand_refuses_a_malformed_display_language() -> None:
    with pytest.raises(InvalidRequest, match="BCP-47"):
        t.expand(f"{VS}/settlement", "not a tag")


def _parameters(result: dict) -> dict[str, list]:
    get_fhir_model_class("Parameters").model_validate(result)
    found: dict[str, list] = {}
    for p in result["parameter"]:
        found.setdefault(p["name"], []).append(p)
    return found


def test_lookup_returns_display_designations_and_properties() -> None:
    params = _parameters(t.lookup(f"{CS}/program-topic", "hiv-art", "fr"))
    assert params["name"][0]["valueString"] == "Telementoring program topics"
    assert params["version"][0]["valueString"] == "0.1.0"
    assert params["display"][0]["valueString"] == "Soins du VIH et traitement antirétroviral"
    designations = {p["part"][0]["valueCode"]: p["part"][1]["valueString"]
                    for p in params["designation"]}
    assert designations["es"] == "Atención del VIH y terapia antirretroviral"
    assert set(designations) == {"en", "es", "pt", "fr"}
    prop = params["property"][0]["part"]
    assert prop[0] == {"name": "code", "valueCode": "condition"}
    assert prop[1]["valueCoding"]["code"] == "86406008"


@pytest.mark.parametrize(("language", "display"), [
    ("es", "Salud mental"), ("pt", "Saúde mental"), ("fr", "Santé mentale"),
    ("fr-CA", "Santé mentale"), ("ja", "Mental health"), (None, "Mental health")])
def test_lookup_display_language_with_english_fallback(language: str | None,
                                                       display: str) -> None:
    params = _parameters(t.lookup(f"{CS}/program-topic", "mental-health", language))
    assert params["display"][0]["valueString"] == display


def test_lookup_country_and_language_from_the_libraries() -> None:
    country = _parameters(t.lookup(t.ISO_3166, "BR", "es"))
    assert country["display"][0]["valueString"] == "Brasil"
    assert _parameters(t.lookup(t.ISO_3166, "ARG"))["display"][0]["valueString"] == "Argentina"
    language = _parameters(t.lookup(t.BCP_47, "pt-BR", "es"))
    assert language["display"][0]["valueString"] == "Portugués (Brasil)"
    assert _parameters(t.lookup(t.BCP_47, "es-419"))["display"][0]["valueString"] == "Spanish"
    private_use = _parameters(t.lookup(t.BCP_47, "qaa", "es"))
    assert private_use["display"][0]["valueString"] == "qaa"
    assert "designation" not in private_use


def test_lookup_unknown_system_is_not_found_and_unknown_code_is_invalid() -> None:
    with pytest.raises(NotFound, match="CodeSystem"):
        t.lookup("http://example.org/nope", "x")
    with pytest.raises(InvalidRequest, match="'helicopter'"):
        t.lookup(f"{CS}/organization-kind", "helicopter")
    with pytest.raises(InvalidRequest):
        t.lookup(t.ISO_3166, "ar")  # codes are case-sensitive


@pytest.mark.parametrize(("valueset", "system", "code", "expected"), [
    ("organization-kind", f"{CS}/organization-kind", "hub", True),
    ("organization-kind", f"{CS}/program-role", "hub", False),
    ("organization-kind", None, "hub", True),
    ("program-role", f"{CS}/program-role", "presenter", True),
    ("discipline", f"{CS}/discipline", "peer-support", True),
    ("discipline", f"{CS}/discipline", "astrology", False),
    ("program-topic", f"{CS}/program-topic", "hepatitis-c", True),
    ("settlement", f"{CS}/settlement", "peri-urban", True),
    ("settlement", f"{CS}/settlement", "suburban", False),
    ("country", t.ISO_3166, "UY", True),
    ("country", t.ISO_3166, "URY", False),  # valid ISO 3166, but the set is alpha-2 only
    ("country", t.ISO_3166, "uy", False),
    ("country", t.ISO_3166, "XK", False),
    ("country", None, "", False),
    ("language", t.BCP_47, "es-419", True),
    ("language", t.BCP_47, "fr-CA", True),
    ("language", t.BCP_47, "xx-ZZ", False),
    ("network-language", t.BCP_47, "pt", True),
    ("network-language", t.BCP_47, "de", False),
])
def test_validate_code(valueset: str, system: str | None, code: str, expected: bool) -> None:
    assert t.validate_code(f"{VS}/{valueset}", system, code) is expected


def test_validate_code_accepts_a_versioned_canonical_and_refuses_unknown_sets() -> None:
    assert t.validate_code(f"{VS}/settlement|0.1.0", None, "rural")
    with pytest.raises(NotFound):
        t.validate_code(f"{VS}/unknown", None, "rural")


def test_resources_are_copies() -> None:
    first = t.resources()
    first[0]["url"] = "changed"
    assert t.resources()[0]["url"] != "changed"


def test_display_helper() -> None:
    assert t.display(f"{CS}/settlement", "urban", "fr") == "Urbain"
    assert t.display(f"{CS}/settlement", "nowhere") is None
    assert t.display("http://example.org/unknown", "x") is None
