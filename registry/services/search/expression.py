"""Compile SearchParameter ``expression`` strings into fast JSON extractors.

Index rows are extracted on every write, so an expression is parsed once into a chain of
small list-to-list steps and then run as plain dict/list walking. Only the FHIRPath subset
that search parameter definitions need is accepted; anything else fails at compile time,
so a bad definition is caught when the registry loads, never in the middle of a write.

Grammar (``|`` separates branches; a branch may be wrapped in parentheses)::

    expression := branch ("|" branch)*
    branch     := "(" path ["as" Type] ")" ("." step)* | path ["as" Type]
    path       := RootType ("." step)*          RootType: a resource type, Resource, DomainResource
    step       := element | "where(resolve() is" Type ")" | "where(" field "=" 'text' ")"
                | "extension(" 'url' ")" | "first()" | "ofType(" Type ")" | "as(" Type ")"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

Extractor = Callable[[dict[str, Any]], list[Any]]
Step = Callable[[list[Any]], list[Any]]

ANY_RESOURCE = frozenset({"Resource", "DomainResource"})

# Suffixes a choice element ``name[x]`` can carry in JSON (``valueQuantity``): the R4/R4B
# datatypes. Matching on them keeps ``status`` from picking up ``statusHistory``.
CHOICE_SUFFIXES = frozenset({
    "Base64Binary", "Boolean", "Canonical", "Code", "Date", "DateTime", "Decimal", "Id",
    "Instant", "Integer", "Integer64", "Markdown", "Oid", "PositiveInt", "String", "Time",
    "UnsignedInt", "Uri", "Url", "Uuid", "Address", "Age", "Annotation", "Attachment",
    "CodeableConcept", "CodeableReference", "Coding", "ContactDetail", "ContactPoint",
    "Contributor", "Count", "DataRequirement", "Distance", "Dosage", "Duration", "Expression",
    "HumanName", "Identifier", "Meta", "Money", "ParameterDefinition", "Period", "Quantity",
    "Range", "Ratio", "RatioRange", "Reference", "RelatedArtifact", "SampledData", "Signature",
    "Timing", "TriggerDefinition", "UsageContext",
})

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<text>'[^'\\]*')|(?P<op>[().|=]))")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class PathStep:
    """One parsed step: ``kind`` is element, resolve, equals, extension, first."""

    kind: str
    name: str = ""
    value: str = ""


@dataclass(frozen=True)
class Branch:
    """One side of a ``|`` union: the root type it applies to and its steps."""

    root: str
    steps: tuple[PathStep, ...]


def compile_expression(expression: str) -> Extractor:
    """Compile ``expression`` once; the extractor returns the JSON nodes it selects.

    Raises ``ValueError`` naming the problem if the expression is outside the grammar.
    """
    compiled = [(b.root, [_compile_step(s) for s in b.steps]) for b in parse_expression(expression)]

    def extract(resource: dict[str, Any]) -> list[Any]:
        res_type = resource.get("resourceType")
        found: list[Any] = []
        seen: set[int] = set()
        for root, steps in compiled:
            if root != res_type and root not in ANY_RESOURCE:
                continue
            nodes: list[Any] = [resource]
            for step in steps:
                nodes = step(nodes)
            for node in nodes:
                if id(node) not in seen:  # a union keeps a node once
                    seen.add(id(node))
                    found.append(node)
        return found

    return extract


def parse_expression(expression: str) -> list[Branch]:
    """The branches of ``expression``; exposed so data checks can walk element paths."""
    return _Parser(expression).parse()


class _Parser:
    """Recursive descent over the token list; every error names the expression."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = list(_tokenize(expression, self._fail))
        self.pos = 0

    def parse(self) -> list[Branch]:
        if not self.tokens:
            self._fail("empty expression")
        branches = [self._branch()]
        while self._accept("|"):
            branches.append(self._branch())
        if self.pos < len(self.tokens):
            self._fail(f"unexpected {self.tokens[self.pos]!r}")
        return branches

    def _branch(self) -> Branch:
        if not self._accept("("):
            root, steps = self._path()
            return Branch(root, tuple(self._cast_suffix(steps)))
        root, steps = self._path()
        steps = self._cast_suffix(steps)
        self._expect(")")
        while self._accept("."):
            self._step(steps)
        return Branch(root, tuple(steps))

    def _path(self) -> tuple[str, list[PathStep]]:
        root = self._name()
        if not root[0].isupper():
            self._fail(f"{root!r} is not a resource type")
        steps: list[PathStep] = []
        while self._accept("."):
            self._step(steps)
        return root, steps

    def _cast_suffix(self, steps: list[PathStep]) -> list[PathStep]:
        if self._peek() == "as":
            self.pos += 1
            self._cast(steps, self._name())
        return steps

    def _step(self, steps: list[PathStep]) -> None:
        name = self._name()
        if not self._accept("("):
            steps.append(PathStep("element", name))
            return
        handler = self._functions().get(name)
        if handler is None:
            self._fail(f"function {name}() is not supported")
        handler(steps)
        self._expect(")")

    def _functions(self) -> dict[str, Callable[[list[PathStep]], None]]:
        return {
            "where": lambda steps: steps.append(self._where()),
            "extension": lambda steps: steps.append(PathStep("extension", value=self._text())),
            "first": lambda steps: steps.append(PathStep("first")),
            "ofType": lambda steps: self._cast(steps, self._name()),
            "as": lambda steps: self._cast(steps, self._name()),
        }

    def _where(self) -> PathStep:
        field = self._name()
        if field == "resolve":
            self._expect("(")
            self._expect(")")
            if self._name() != "is":
                self._fail("only 'resolve() is Type' is supported")
            return PathStep("resolve", self._type_name())
        self._expect("=")
        return PathStep("equals", field, self._text())

    def _cast(self, steps: list[PathStep], type_name: str) -> None:
        """``value as Quantity`` names the JSON key ``valueQuantity``."""
        if not steps or steps[-1].kind != "element":
            self._fail(f"a type cast to {type_name} must follow an element name")
        element = steps.pop().name
        steps.append(PathStep("element", element + type_name[0].upper() + type_name[1:]))

    def _type_name(self) -> str:
        name = self._name()
        if not name[0].isupper():
            self._fail(f"{name!r} is not a resource type")
        return name

    def _name(self) -> str:
        token = self._next()
        if not _IDENT.match(token):
            self._fail(f"expected a name, found {token!r}")
        return token

    def _text(self) -> str:
        token = self._next()
        if not token.startswith("'"):
            self._fail(f"expected a quoted string, found {token!r}")
        return token[1:-1]

    def _expect(self, op: str) -> None:
        if not self._accept(op):
            found = self._peek()
            self._fail(f"expected {op!r}, found {repr(found) if found else 'the end'}")

    def _accept(self, op: str) -> bool:
        if self._peek() == op:
            self.pos += 1
            return True
        return False

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self) -> str:
        token = self._peek()
        if token is None:
            self._fail("unexpected end")
        self.pos += 1
        return token

    def _fail(self, reason: str) -> NoReturn:
        raise ValueError(f"unsupported search expression {self.expression!r}: {reason}")


def _tokenize(expression: str, fail: Callable[[str], NoReturn]) -> Iterator[str]:
    pos, end = 0, len(expression.rstrip())
    while pos < end:
        match = _TOKEN.match(expression, pos)
        if match is None:
            fail(f"cannot read {expression[pos:].strip()!r}")
        pos = match.end()
        yield match.group("name") or match.group("text") or match.group("op")


# --- steps: each maps the current node list to the next ------------------------------------


def _compile_step(step: PathStep) -> Step:
    if step.kind == "element":
        return _element(step.name)
    if step.kind == "resolve":
        return lambda nodes: [n for n in nodes if reference_type(n) == step.name]
    if step.kind == "equals":
        return lambda nodes: [
            n for n in nodes if isinstance(n, dict) and n.get(step.name) == step.value]
    if step.kind == "extension":
        return lambda nodes: [
            ext for n in nodes if isinstance(n, dict)
            for ext in n.get("extension", ())
            if isinstance(ext, dict) and ext.get("url") == step.value]
    return lambda nodes: nodes[:1]  # first()


def _element(name: str) -> Step:
    """Child ``name`` of every dict node, arrays flattened; a bare choice name takes all types."""

    def step(nodes: list[Any]) -> list[Any]:
        out: list[Any] = []
        for node in nodes:
            if isinstance(node, dict):
                value = node[name] if name in node else _choice_values(node, name)
                _flatten_into(out, value)
        return out

    return step


def _choice_values(node: dict[str, Any], name: str) -> list[Any]:
    return [value for key, value in node.items()
            if key.startswith(name) and key[len(name):] in CHOICE_SUFFIXES]


def _flatten_into(out: list[Any], value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _flatten_into(out, item)
    elif value is not None:
        out.append(value)


def reference_type(node: Any) -> str | None:
    """Resource type a Reference node points to (``Patient/1``, ``http://x/fhir/Patient/1``)."""
    if not isinstance(node, dict) or not isinstance(node.get("reference"), str):
        return None
    parts = node["reference"].split("#")[0].split("?")[0].split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) < 2 or not parts[-1] or not _IDENT.match(parts[-2]):
        return None
    return parts[-2] if parts[-2][0].isupper() else None
