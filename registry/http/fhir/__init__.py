"""The FHIR REST API at ``/fhir``."""
