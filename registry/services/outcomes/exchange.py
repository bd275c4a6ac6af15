"""Released outcomes in and out of the registry: CSV, ADX, DHIS2 data value sets, FHIR.

Exports carry what was released publicly (masked figures), never pending or exact reports;
imports are read completely and checked before anything is stored (all or nothing). The
formats themselves are the adapters'; this module picks them and turns their errors into
the registry's (422 with one issue per problem).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapters.adx import export_adx, import_adx
from adapters.dhis2 import (
    Dhis2Mapping,
    example_mapping,
    export_data_value_set,
    import_data_value_set,
    load_mapping,
)
from adapters.exchange import ExchangeError
from adapters.measure_csv import export_csv
from adapters.measure_report import bundle_of
from registry.errors import InvalidRequest, Unprocessable, error

EXPORT_FORMATS = {"csv": "text/csv", "adx": "application/adx+xml",
                  "dhis2": "application/json", "fhir": "application/fhir+json"}
IMPORT_FORMATS = ("dhis2", "adx")


def dhis2_mapping(path: str = "") -> Dhis2Mapping:
    """The mapping file named by REGISTRY_DHIS2_MAPPING, or the shipped example."""
    if not path:
        return example_mapping()
    try:
        return load_mapping(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise Unprocessable(f"DHIS2 mapping {path}: {exc}") from None


def export(reports: list[dict[str, Any]], fmt: str, *, exported: str,
           mapping: Dhis2Mapping | None = None) -> tuple[str, str]:
    """(text, media type) of the reports in ``fmt``."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidRequest(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    try:
        if fmt == "csv":
            text = export_csv(reports)
        elif fmt == "adx":
            text = export_adx(reports, exported=exported)
        elif fmt == "dhis2":
            text = json.dumps(export_data_value_set(reports, mapping or example_mapping()),
                              indent=2)
        else:
            text = json.dumps(bundle_of(reports, exported), indent=2)
    except ExchangeError as exc:
        raise _refused(exc) from None
    return text, EXPORT_FORMATS[fmt]


def parse(fmt: str, payload: str | bytes, mapping: Dhis2Mapping | None = None
          ) -> list[dict[str, Any]]:
    """The MeasureReports held by a DHIS2 data value set (JSON) or an ADX document."""
    if fmt not in IMPORT_FORMATS:
        raise InvalidRequest(f"format must be dhis2 or adx, got {fmt!r}")
    try:
        if fmt == "adx":
            return import_adx(payload)
        try:
            document: Any = json.loads(payload)
        except ValueError as exc:
            raise ExchangeError([f"not JSON: {exc}"]) from None
        return import_data_value_set(document, mapping or example_mapping())
    except ExchangeError as exc:
        raise _refused(exc) from None


def format_of_content_type(content_type: str) -> str:
    """dhis2 for JSON, adx for XML bodies of ``$aggregate-import``."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("application/json", "application/dhis2+json"):
        return "dhis2"
    if kind in ("application/xml", "text/xml", "application/adx+xml"):
        return "adx"
    raise InvalidRequest("$aggregate-import takes DHIS2 JSON (application/json) or ADX XML "
                         f"(application/adx+xml), got {content_type!r}")


def _refused(exc: ExchangeError) -> Unprocessable:
    return Unprocessable([error("invalid", problem) for problem in exc.problems]
                         or [error("invalid", str(exc))])


