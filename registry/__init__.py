"""Telementoring Network Registry: a FHIR R4 registry for ECHO-model telementoring networks."""

from registry.app import create_app

__all__ = ["create_app"]
