"""The simple case form (``POST /cases``) and its receipt, as marshmallow schemas.

The form mirrors the ECHO case form; the registry turns it into a FHIR document Bundle and
ingests it exactly like ``POST /fhir/Bundle``. Fields are plain so a spoke's web form or a
script can post them without knowing FHIR; validation errors answer 400 OperationOutcomes.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

ID = r"[A-Za-z0-9\-.]{1,64}"


def _ref(res_type: str) -> validate.Regexp:
    return validate.Regexp(rf"^{res_type}/{ID}$", error=f"must be {res_type}/ID")


class ConditionSchema(Schema):
    system = fields.String(required=True, validate=validate.OneOf(["snomed", "icd-10"]),
                           metadata={"description": "snomed (SNOMED CT) or icd-10"})
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9.\-]{1,20}$"))
    display = fields.String(validate=validate.Length(max=200))


class ItemList(fields.List[Any]):
    """A list whose item errors are reported as ``[i] field: message`` strings.

    Nested list errors are keyed by item index (an int); keeping the keys strings keeps the
    error renderer's message building simple and the message readable in one line.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as exc:
            raise ValidationError(_flat(exc.messages)) from None


def _flat(messages: Any, where: str = "") -> list[str]:
    if isinstance(messages, dict):
        return [m for key, inner in messages.items()
                for m in _flat(inner, f"{where}[{key}]" if isinstance(key, int)
                               else f"{where}.{key}" if where else str(key))]
    if isinstance(messages, list):
        return [m for inner in messages for m in _flat(inner, where)]
    return [f"{where}: {messages}" if where else str(messages)]


class CaseFormSchema(Schema):
    """A case presentation as the spoke clinician fills it in."""

    session = fields.String(required=True, validate=_ref("Encounter"),
                            metadata={"description": "The session Encounter, Encounter/ID"})
    presenter_role = fields.String(required=True, validate=_ref("PractitionerRole"),
                                   metadata={"description": "The presenter's PractitionerRole"})
    patient_reference = fields.String(
        required=True, validate=validate.Length(min=1, max=100),
        metadata={"description": "The spoke's own reference for the patient (e.g. the record "
                  "number). Never stored: it becomes a keyed pseudonymous subject key, the "
                  "same at every follow-up from the same spoke."})
    sex = fields.String(validate=validate.OneOf(["male", "female", "other", "unknown"]))
    birth_date = fields.Date(metadata={"description": "Stored only as a 5-year age band"})
    age = fields.Integer(validate=validate.Range(min=0, max=130),
                         metadata={"description": "Instead of birth_date"})
    country = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"),
                            metadata={"description": "ISO 3166-1 alpha-2"})
    region = fields.String(validate=validate.Length(max=100),
                           metadata={"description": "First-level region (state, province)"})
    presenting_problem = fields.String(required=True, validate=validate.Length(min=1))
    history = fields.String()
    substance_use = fields.String(metadata={"description": "Substance use and treatment "
                                            "history"})
    medications = ItemList(fields.String(validate=validate.Length(min=1, max=200)))
    psychosocial_context = fields.String()
    question = fields.String(required=True, validate=validate.Length(min=1),
                             metadata={"description": "The question for the hub"})
    conditions = ItemList(fields.Nested(ConditionSchema))
    follow_up_of = fields.String(validate=_ref("Composition"),
                                 metadata={"description": "The earlier presentation's "
                                           "Composition, for a follow-up"})

    @validates_schema
    def _one_age(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("birth_date") is not None and data.get("age") is not None:
            raise ValidationError("give birth_date or age, not both", "age")


class CaseReceiptSchema(Schema):
    """What the registry stored, and what de-identification changed."""

    bundle = fields.String(required=True, metadata={"description": "Bundle/ID of the case"})
    composition = fields.String(required=True, metadata={"description": "Composition/ID"})
    subject_key = fields.String(allow_none=True, metadata={
        "description": "Pseudonymous subject key (links presentations of one patient)"})
    case = fields.Dict(required=True, metadata={"description": "The stored, de-identified "
                                                "document Bundle"})
    outcome = fields.Dict(required=True, metadata={
        "description": "OperationOutcome: information issues naming each changed element "
        "(never the removed value)"})
