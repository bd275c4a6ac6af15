"""What every command shares: one-line errors and the unit of work of a command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click
from flask import current_app

from registry.errors import RegistryError
from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.fhir import FhirService
from registry.services.node import Node
from registry.services.unit import unit_of_work
from registry.storage.database import Database

F = TypeVar("F", bound=Callable[..., Any])
CLI_BASE_URL = "http://127.0.0.1:5000/fhir"  # when REGISTRY_BASE_URL is not set


def one_line_errors(func: F) -> F:
    """Turn domain errors into a one-line message and exit status 1."""
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from None
    return wrapper  # type: ignore[return-value]


def database() -> Database:
    return current_app.extensions["registry.database"]  # type: ignore[no-any-return]


def node() -> Node:
    return current_app.extensions["registry.node"]  # type: ignore[no-any-return]


def base_url() -> str:
    return node().base_url or CLI_BASE_URL


@contextmanager
def system_unit(name: str, *, write: bool) -> Iterator[FhirService]:
    """A unit of work for a command, acting as the node itself."""
    with unit_of_work(database(), node(), Caller.system(name), AuditTrail(), base_url(),
                      write=write) as service:
        yield service
