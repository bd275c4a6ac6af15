"""What cannot be made safe is refused (422) with an issue naming the element."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from deid_bundles import make_case

from registry.errors import Unprocessable, status_of
from registry.services.deidentify import deidentify_case

DATA = "aGVsbG8gd29ybGQ="


def refuse(bundle: dict[str, Any]) -> Unprocessable:
    with pytest.raises(Unprocessable) as caught:
        deidentify_case(bundle, secret=b"s" * 32, spoke="Organization/spoke-7",
                        presented_at=date(2024, 5, 6))
    assert status_of(caught.value) == 422
    assert all(i.severity == "error" for i in caught.value.issues)
    return caught.value


def entry(rtype: str, **fields: Any) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{len(fields)}",
            "resource": {"resourceType": rtype, **fields}}


def paths(exc: Unprocessable) -> list[str]:
    return [i.expression[0] for i in exc.issues]


@pytest.mark.parametrize("rtype", ["Media", "Binary"])
def test_media_and_binary_are_refused(rtype: str) -> None:
    bundle, _ = make_case("pe")
    fields = {"status": "completed", "content": {"contentType": "image/jpeg", "data": DATA}}
    bundle["entry"].append(entry(rtype, **(fields if rtype == "Media" else
                                           {"contentType": "image/png", "data": DATA})))
    exc = refuse(bundle)
    assert paths(exc) == [f"Bundle.entry[{len(bundle['entry']) - 1}].resource"]
    assert rtype in str(exc)


def test_unknown_resource_types_are_refused() -> None:
    bundle, _ = make_case("br")
    bundle["entry"].append(entry("RelatedPerson", name=[{"text": "Marcos"}]))
    exc = refuse(bundle)
    assert "RelatedPerson" in str(exc) and "Marcos" not in str(exc)


def test_a_photo_with_data_is_refused_even_though_photos_are_removed() -> None:
    bundle, _ = make_case("us")
    patient = bundle["entry"][1]["resource"]
    patient["photo"] = [{"contentType": "image/jpeg", "data": DATA}]
    assert paths(refuse(bundle)) == ["Bundle.entry[1].resource.photo[0].data"]


def test_attachments_with_data_or_links_are_refused() -> None:
    bundle, _ = make_case("pe")
    document = bundle["entry"][-1]["resource"]
    document["content"][0]["attachment"]["data"] = DATA
    document["content"].append({"attachment": {"url": "https://files.example/scan.pdf"}})
    observation = bundle["entry"][3]["resource"]
    observation["extension"] = [{"url": "https://spoke.example/photo",
                                 "valueAttachment": {"contentType": "image/png", "data": DATA}}]
    exc = refuse(bundle)
    assert sorted(paths(exc)) == sorted([
        f"Bundle.entry[{len(bundle['entry']) - 1}].resource.content[0].attachment.data",
        f"Bundle.entry[{len(bundle['entry']) - 1}].resource.content[1].attachment.url",
        "Bundle.entry[3].resource.extension[0].valueAttachment.data",
    ])
    assert "files.example" not in json.dumps([i.to_fhir() for i in exc.issues])


def test_a_narrative_embedding_an_image_is_refused() -> None:
    bundle, _ = make_case("pe")
    section = bundle["entry"][0]["resource"]["section"][0]
    section["text"]["div"] = ('<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p>'
                              f'<img src="data:image/png;base64,{DATA}"/></div>')
    assert paths(refuse(bundle)) == ["Bundle.entry[0].resource.section[0].text.div"]


@pytest.mark.parametrize("mutate", [
    lambda b: b.update(type="collection"),
    lambda b: b["entry"].reverse(),
    lambda b: b["entry"].append(entry("Patient", gender="male")),
    lambda b: b.update(resourceType="Composition"),
])
def test_bundles_that_are_not_a_case_are_refused(mutate) -> None:
    bundle, _ = make_case("us")
    mutate(bundle)
    refuse(bundle)


def test_not_a_dict_is_refused() -> None:
    refuse([])  # type: ignore[arg-type]
