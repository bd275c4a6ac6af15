"""Free-text recognizers, one kind at a time, and what must survive them."""

from __future__ import annotations

import pytest

from registry.services.deidentify import scrub_text
from registry.services.deidentify.text import find_identifiers, scrub_xhtml


def scrubbed(text: str) -> str:
    return scrub_text(text)[0]


def kinds(text: str) -> dict[str, int]:
    return dict(scrub_text(text)[1])


@pytest.mark.parametrize(("text", "expected"), [
    ("Escribir a maria.gq@gmail.com hoy.", "Escribir a [EMAIL] hoy."),
    ("Ver https://www.facebook.com/lupita.soto.", "Ver [URL]."),
    ("perfil instagram.com/thais.b e tiktok", "perfil [URL] e tiktok"),
    ("acceso desde 192.168.10.45 ayer", "acceso desde [IP] ayer"),
    ("IPv6 2001:db8:85a3::8a2e:370:7334 used", "IPv6 [IP] used"),
    ("usuario @chino_rmz en redes", "usuario [ID] en redes"),
])
def test_contact_and_network_identifiers(text: str, expected: str) -> None:
    assert scrubbed(text) == expected


@pytest.mark.parametrize(("text", "kind"), [
    ("Tel. (55) 5123-4567", "phone"),
    ("celular +55 11 98765-4321", "phone"),
    ("WhatsApp 987 654 321", "phone"),
    ("call 617-555-0142", "phone"),
    ("fax 01 45 67 89 10", "phone"),
    ("+54 9 11 4567-8901", "phone"),
])
def test_phone_numbers(text: str, kind: str) -> None:
    assert kinds(text) == {kind: 1}
    assert not any(c.isdigit() for c in scrubbed(text))


@pytest.mark.parametrize("text", [
    "CURP HESG850314MDFRTD09",          # MX
    "CPF 529.982.247-25",               # BR
    "CNS 898 0012 3456 7893",           # BR, 15 digits
    "RG 12.345.678-9",                  # BR
    "DNI 30.456.789",                   # AR
    "CUIL 27-30456789-4",               # AR
    "DNI 45871236",                     # PE
    "DNI 12345678Z",                    # ES
    "RUT 15.678.234-0",                 # CL
    "RUN 12345678-5",                   # CL, no dots
    "CC 1.020.456.789",                 # CO
    "SSN 219-09-9999",                  # US
    "SIN 046 454 286",                  # CA (Luhn)
    "NIR 2 85 12 75 108 123 58",        # FR
    "MRN 00482913",
    "historia clínica 458112",
    "prontuário nº 0098231",
    "expediente EXP-558213",
    "placa KJT-482",
    "RAMQ THIO 8512 1234",
    "serial SN4482-1193",
])
def test_national_and_record_numbers(text: str) -> None:
    out, counts = scrub_text(text)
    assert counts.get("id", 0) >= 1, out
    assert not any(c.isdigit() for c in out), out


def test_formatted_numbers_need_no_cue() -> None:
    assert scrubbed("tiene 529.982.247-25 y 219-09-9999") == "tiene [ID] y [ID]"


@pytest.mark.parametrize(("text", "expected"), [
    ("Ingresó el 12 de marzo de 2023.", "Ingresó el [DATE]."),
    ("Internada em 30/04/2024.", "Internada em [DATE]."),
    ("Seen on March 14, 2023 and 2023-03-14.", "Seen on [DATE] and [DATE]."),
    ("surdose le 14 mars 2023", "surdose le [DATE]"),
    ("desde marzo de 2023", "desde [DATE]"),
    ("since January 2024", "since [DATE]"),
    ("desde el 15/08 sin consumo", "desde el [DATE] sin consumo"),
])
def test_dates_more_precise_than_a_year(text: str, expected: str) -> None:
    assert scrubbed(text) == expected


@pytest.mark.parametrize("text", [
    "consumo desde 2015", "tratada en 2019", "between 2019-2021", "PA 12/8 mmHg",
    "BP 130/85", "score 7/10",
])
def test_years_and_clinical_fractions_are_not_dates(text: str) -> None:
    assert scrubbed(text) == text


def test_ages_over_89_are_aggregated() -> None:
    assert scrubbed("A 93-year-old widower") == "A 90+-year-old widower"
    assert scrubbed("Hombre de 92 años") == "Hombre de 90+ años"
    assert scrubbed("Homem de 45 anos") == "Homem de 45 anos"


@pytest.mark.parametrize(("text", "expected"), [
    ("Calle Francisco I. Madero 215, Col. Centro", "[ADDRESS]"),
    ("Rua das Acácias, 155, apto 302", "[ADDRESS]"),
    ("48 Cedar Hill Road, Apt 3", "[ADDRESS]"),
    ("Calle 45 # 12-34", "[ADDRESS]"),
    ("12 rue des Lilas", "[ADDRESS]"),
    ("CEP 01310-100", "CEP [POSTCODE]"),
    ("Boston, MA 02118", "[LOCATION], MA [POSTCODE]"),
    ("H2J 2L3", "[POSTCODE]"),
    ("vive en Ecatepec de Morelos con su madre", "vive en [LOCATION] con su madre"),
])
def test_addresses_postcodes_and_towns(text: str, expected: str) -> None:
    assert scrubbed(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("vive en situación de calle desde hace 3 meses", None),
    ("em situação de rua há 2 anos", None),
    ("mora em São Paulo", None),
    ("lives in Massachusetts", None),
])
def test_regions_and_homelessness_survive(text: str, expected: str | None) -> None:
    assert scrubbed(text) == (expected or text)


@pytest.mark.parametrize(("text", "expected"), [
    ("La paciente María José Gutiérrez Quispe refiere dolor.", "La paciente [NAME] refiere dolor."),
    ("Sr. Gómez consume crack.", "Sr. [NAME] consume crack."),
    ("Su esposo Pedro la acompaña.", "Su esposo [NAME] la acompaña."),
    ("Dona Raimunda chegou cedo.", "Dona [NAME] chegou cedo."),
    ("his wife Darlene attends", "his wife [NAME] attends"),
    ("Mme Sylvie Lemaître, 34 ans", "Mme [NAME], 34 ans"),
    ("conocido como el Chino", "conocido como el [NAME]"),
    ("Océane refiere insomnio.", "[NAME] refiere insomnio."),
    ("Paciente J.P., 45 años.", "Paciente [NAME], 45 años."),
    ("Case of Jean-Baptiste Pierre-Louis", "Case of [NAME]"),
    ("referral-Fairbrother.pdf", "referral-[NAME].pdf"),
])
def test_person_names(text: str, expected: str) -> None:
    assert scrubbed(text) == expected


@pytest.mark.parametrize("text", [
    "buprenorphine 16 mg daily", "methadone 80 mg", "CD4 350 cells/mm3", "PHQ-9 of 18",
    "carga viral 1.250.000 copias/mL", "viral load 45,000 copies/mL", "MME 120",
    "Suboxone 16/4 mg y Narcan", "sarcoma de Kaposi", "Stevens-Johnson syndrome after Bactrim",
    "Attends Narcotics Anonymous and SMART Recovery", "Acompanhado no CAPS AD", "AUDIT-C de 9",
    "Hepatitis C tratada con Epclusa", "plaquetas 180000", "Wernicke-Korsakoff", "Child-Pugh B",
    "Rivotril 2 mg", "COVID-19", "ICD-10 F11.20", "Guillain-Barré", "HIV-1 RNA",
])
def test_clinical_content_survives(text: str) -> None:
    assert scrubbed(text) == text


def test_counts_by_kind() -> None:
    _, counts = scrub_text("Sr. Gómez, tel 617-555-0142, e-mail a@b.org, Sra. Ruiz.")
    assert counts == {"name": 2, "phone": 1, "email": 1}


def test_scrubbing_is_idempotent_and_placeholders_are_left_alone() -> None:
    once = scrubbed("Paciente Rosa Quispe, DNI 45871236, [NAME] y [PHONE], 93 años.")
    assert scrubbed(once) == once
    assert "[NAME]" in once and "90+" in once


def test_empty_text() -> None:
    assert scrub_text("") == ("", {})


def test_language_is_only_a_hint() -> None:
    text = "Paciente Rosa Quispe, tel 987 654 321"
    assert scrub_text(text, "es") == scrub_text(text, "en") == scrub_text(text)


def test_findings_do_not_overlap() -> None:
    spans = find_identifiers("Calle Juan Pérez 123, tel (55) 5123-4567, el 12/03/2023")
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


def test_xhtml_text_is_scrubbed_and_markup_kept() -> None:
    div = ('<div xmlns="http://www.w3.org/1999/xhtml"><p title="Rosa">Sr. <b>Gómez</b> '
           '&amp; <a href="mailto:x@y.org">tel 617-555-0142</a></p></div>')
    out, counts = scrub_xhtml(div, find_identifiers)
    assert out == ('<div xmlns="http://www.w3.org/1999/xhtml"><p>Sr. <b>[NAME]</b> '
                   '&amp; <a>tel [PHONE]</a></p></div>')
    assert counts == {"name": 1, "phone": 1, "markup": 2}


def test_xhtml_name_split_by_markup_leaves_no_fragment() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml">Paciente <i>Rosa</i> Quispe</div>'
    out, _ = scrub_xhtml(div, find_identifiers)
    assert "Rosa" not in out and "Quispe" not in out
    assert out.startswith('<div xmlns="http://www.w3.org/1999/xhtml">Paciente <i>[NAME]</i>')
