"""MeasureReports exported as CSV, DHIS2 data value sets and ADX XML, and imported back."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from adapters.adx import adx_schema, export_adx, import_adx
from adapters.dhis2 import (
    example_mapping,
    export_data_value_set,
    import_data_value_set,
    load_mapping,
)
from adapters.exchange import ExchangeError
from adapters.measure_csv import export_csv
from adapters.measure_report import decode_report
from registry.services.outcomes.disclosure import protect
from registry.services.outcomes.reports import Counted
from tests.services.outcomes.builders import report

SUBJECT = "https://registry.example.org/fhir/Organization/hub-nairobi"


def _released() -> list[dict[str, Any]]:
    exact = [report("unique-participants", 40, {"discipline": {"nursing": 4, "pharmacy": 16,
                                                               "psychology": 20},
                                                "settlement": {"rural": 25, "urban": 15}},
                    subject=SUBJECT),
             report("knowledge-gain", Counted(30, observation_sum=150.5),
                    {"discipline": {"nursing": Counted(30, observation_sum=150.5)}},
                    subject=SUBJECT, period="2026-07")]
    return list(protect(exact).reports)


def test_csv_has_one_row_per_figure_and_flags_suppressed_ones() -> None:
    rows = list(csv.DictReader(io.StringIO(export_csv(_released()))))
    assert len(rows) == 1 + 3 + 2 + 1 + 1
    nursing = next(r for r in rows if r["stratum"] == "nursing" and r["indicator"]
                   == "unique-participants")
    assert (nursing["suppressed"], nursing["count"], nursing["score"]) == ("true", "", "")
    gain = next(r for r in rows if r["indicator"] == "knowledge-gain" and not r["stratifier"])
    assert (gain["count"], gain["observation_sum"], gain["suppressed"]) == ("30", "150.5", "false")
    assert gain["period_start"] == "2026-07-01" and gain["unit"] == "%"


def test_dhis2_export_follows_the_mapping_and_the_documented_shape() -> None:
    payload = export_data_value_set(_released(), example_mapping())
    assert payload["dataSet"] == "TmOutcome01"
    by_element = {(v["dataElement"], v["categoryOptionCombo"]): v for v in payload["dataValues"]}
    assert by_element[("TmUniquePa1", "bRowv6yZOF2")]["value"] == "40"
    assert by_element[("TmUniquePa1", "bRowv6yZOF2")]["period"] == "2026Q3"
    assert by_element[("TmKnowGain1", "bRowv6yZOF2")]["period"] == "202607"
    assert ("TmUniqParD1", "TmDiscNurs1") not in by_element  # masked: left out
    assert all(v["orgUnit"] == "KeNairobHub" for v in payload["dataValues"])


def test_dhis2_round_trip_keeps_every_figure_and_masked_ones_as_comments() -> None:
    mapping = load_mapping({**example_mapping().raw, "suppressed": "comment"})
    payload = export_data_value_set(_released(), mapping)
    assert {"dataElement": "TmUniqParD1", "period": "2026Q3", "orgUnit": "KeNairobHub",
            "categoryOptionCombo": "TmDiscNurs1", "attributeOptionCombo": "HllvX50cXC0",
            "comment": "masked"} in payload["dataValues"]
    imported = {decode_report(r).indicator: decode_report(r)
                for r in import_data_value_set(json.loads(json.dumps(payload)), mapping)}
    participants = imported["unique-participants"]
    assert participants.total.counts == {"initial-population": 40}
    assert participants.strata["discipline"]["nursing"].masked
    assert participants.strata["settlement"]["rural"].counts == {"initial-population": 25}
    gain = imported["knowledge-gain"]
    assert (gain.period_start, gain.period_end) == ("2026-07-01", "2026-07-31")
    assert gain.total.observation_sum == 150.5 and gain.subject == SUBJECT


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p["dataValues"][1].update(value="many"),
     "dataValues[1].value: 'many' is not a number"),
    (lambda p: p["dataValues"][0].update(dataElement="Zz000000000"),
     "dataValues[0].dataElement: 'Zz000000000' is not in the mapping"),
    (lambda p: p["dataValues"][2].update(period="2026W3"), "dataValues[2].period: '2026W3'"),
    (lambda p: p["dataValues"][0].pop("dataElement"), "dataValueSet.dataValues[0]: 'dataElement'"),
])
def test_dhis2_import_refuses_bad_values_in_one_line_each(change: Any, message: str) -> None:
    payload = export_data_value_set(_released(), example_mapping())
    change(payload)
    with pytest.raises(ExchangeError) as caught:
        import_data_value_set(payload, example_mapping())
    assert message in caught.value.problems[0]
    assert "\n" not in str(caught.value)


def test_a_mapping_is_checked_against_its_schema() -> None:
    with pytest.raises(ExchangeError, match="mapping.dataElements"):
        load_mapping({**example_mapping().raw, "dataElements": [{"indicator": "x"}]})


def test_adx_export_is_valid_and_round_trips() -> None:
    document = export_adx(_released(), exported="2026-10-02T09:00:00Z")
    assert adx_schema().is_valid(document)
    assert 'dataElement="unique-participants.initial-population"' in document
    masked = 'dataElement="unique-participants.initial-population" discipline="nursing"'
    assert masked not in document  # masked: left out
    imported = {decode_report(r).indicator: decode_report(r) for r in import_adx(document)}
    participants = imported["unique-participants"]
    assert participants.total.counts == {"initial-population": 40}
    assert participants.strata["discipline"]["psychology"].counts == {"initial-population": 20}
    assert (participants.period_start, participants.period_end) == ("2026-07-01", "2026-09-30")
    assert imported["knowledge-gain"].total.observation_sum == 150.5


@pytest.mark.parametrize(("document", "message"), [
    ('<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="o" period="2026-07-01/P1M" '
     'dataSet="d"><dataValue dataElement="sessions-held.initial-population" value="3"/>'
     '</group></adx>', "not valid"),  # no exported
    ('<adx xmlns="urn:ihe:qrph:adx:2015" exported="2026-10-02T09:00:00Z"><group orgUnit="o" '
     'period="2026-07-01/P1M" dataSet="d"><dataValue dataElement="sessions-held.'
     'initial-population" value="three"/></group></adx>', "not valid"),
    ('<!DOCTYPE adx [<!ENTITY x "y">]><adx xmlns="urn:ihe:qrph:adx:2015"/>', "ADX document"),
    ("<adx", "not well-formed"),
])
def test_an_invalid_adx_document_is_refused_with_one_line(document: str, message: str) -> None:
    with pytest.raises(ExchangeError, match=message) as caught:
        import_adx(document)
    assert len(caught.value.problems) == 1 and "\n" not in caught.value.problems[0]


def test_adx_import_refuses_unknown_disaggregations() -> None:
    document = ('<adx xmlns="urn:ihe:qrph:adx:2015" exported="2026-10-02T09:00:00Z"><group '
                'orgUnit="o" period="2026-07-01/P1M" dataSet="d"><dataValue dataElement='
                '"sessions-held.initial-population" sex="F" value="3"/></group></adx>')
    with pytest.raises(ExchangeError, match=r"dataValue\[0\]: unknown disaggregation sex"):
        import_adx(document)
