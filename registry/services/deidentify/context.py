"""State of one de-identification call, shared by the walker and the methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from registry.errors import Issue, error, information

from .rules import Rules


@dataclass
class Element:
    """One element being decided: where it is, what type, its value and its '_x' sibling."""

    owner: str
    name: str
    type_name: str
    primitive: bool
    value: Any
    ext: Any
    path: str
    parent: Any = None  # the object holding the element, for rules that read a sibling


@dataclass
class Result:
    """What a method leaves: the new value and '_x', plus elements to add to the owner."""

    value: Any
    ext: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    secret: bytes
    spoke: str
    presented_at: date
    rules: Rules
    subject_key: str | None = None
    references: dict[str, str] = field(default_factory=dict)
    ids: dict[tuple[str, str], str] = field(default_factory=dict)
    contained: dict[str, str] = field(default_factory=dict)
    in_contained: bool = False
    issues: list[Issue] = field(default_factory=list)
    refusals: list[Issue] = field(default_factory=list)
    known: dict[str, str] = field(default_factory=dict)  # the Patient's values, for free text

    def changed(self, path: str, diagnostics: str) -> None:
        self.issues.append(information("informational", diagnostics, path))

    def refuse(self, path: str, diagnostics: str) -> None:
        self.refusals.append(error("business-rule", diagnostics, path))
