"""Telementoring Network Registry: a FHIR R4 registry for ECHO-model telementoring networks."""
