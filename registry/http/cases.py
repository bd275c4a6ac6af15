"""Case presentations over plain JSON: the form, and FHIR document Bundles with a receipt.

``POST /cases`` takes the simple form (``schemas.case_form``); ``POST /cases/bundle`` takes a
document Bundle as ``POST /fhir/Bundle`` does. Both answer 201 with the stored, de-identified
Bundle *and* the OperationOutcome of what de-identification changed, which the plain FHIR
create cannot return beside the resource. Same bearer tokens, same error rendering.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from registry.errors import operation_outcome
from registry.http.fhir.responses import json_body
from registry.http.openapi import errors_only
from registry.http.pipeline import base_url, unit
from registry.services.cases.form import case_bundle
from registry.services.cases.submission import CaseReceipt, submit_case
from schemas.case_form import CaseFormSchema, CaseReceiptSchema

blp = Blueprint("cases", __name__, url_prefix="/cases",
                description="Case presentations: the ECHO case form, de-identified on arrival")


@blp.route("", methods=["POST"])
@blp.arguments(CaseFormSchema)
@blp.response(201, CaseReceiptSchema)
@blp.doc(summary="Submit a case with the simple form; returns the stored Bundle and what "
         "de-identification changed", **errors_only(403, 409, 415, 422))
def submit_form(form: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    return _submit(case_bundle(form))


@blp.route("/bundle", methods=["POST"])
@blp.response(201, CaseReceiptSchema)
@blp.doc(summary="Submit a case as a FHIR document Bundle; same receipt as the form",
         requestBody={"required": True, "content": {
             "application/fhir+json": {"schema": {"$ref": "#/components/schemas/Bundle"}}}},
         **errors_only(403, 409, 415, 422))
def submit_bundle() -> tuple[dict[str, Any], int, dict[str, str]]:
    return _submit(json_body())


def _submit(bundle: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
    with unit(write=True) as service:
        receipt = submit_case(service, bundle)
    return _receipt(receipt), 201, {"Location": f"{base_url()}/{receipt.bundle.location}"}


def _receipt(receipt: CaseReceipt) -> dict[str, Any]:
    return {"bundle": f"Bundle/{receipt.bundle.res_id}", "composition": receipt.composition,
            "subject_key": receipt.subject_key, "case": receipt.bundle.resource(),
            "outcome": operation_outcome(receipt.issues)}
