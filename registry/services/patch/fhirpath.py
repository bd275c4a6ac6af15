"""Parser for the FHIRPath subset that real patches use.

Supported: dotted element paths (optionally starting with the resource type), ``[n]``
indexers, ``first()``, ``last()`` and ``where(...)`` whose criteria compare relative
paths (or ``$this``) with string, number or boolean literals using ``=``/``!=``,
combined with ``and``/``or`` and parentheses. Anything else is a ``PathSyntaxError``
rather than a silent mis-evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

FUNCTIONS = frozenset({"first", "last", "where"})
_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/",
            "n": "\n", "r": "\r", "t": "\t", "f": "\f"}
_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)
  | (?P<this>\$this)
  | (?P<symbol>!=|[=.\[\]()])
)""", re.VERBOSE)


class PathSyntaxError(ValueError):
    """The text is not FHIRPath, or uses more of it than this subset supports."""


@dataclass(frozen=True)
class Member:
    name: str


@dataclass(frozen=True)
class Index:
    position: int


@dataclass(frozen=True)
class Call:
    name: str
    criteria: Expression | None = None


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool


@dataclass(frozen=True)
class Compare:
    left: Operand
    operator: str  # "=" | "!="
    right: Operand


@dataclass(frozen=True)
class Logic:
    operator: str  # "and" | "or"
    left: Expression
    right: Expression


Step: TypeAlias = Member | Index | Call
Path: TypeAlias = tuple[Step, ...]
Operand: TypeAlias = Literal | Path
Expression: TypeAlias = Compare | Logic | Path


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(text: str) -> list[_Token]:
    tokens, position = [], 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise PathSyntaxError(f"Unexpected character at position {position}")
        tokens.append(_Token(match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


def _unquote(text: str) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            if body[i + 1] not in _ESCAPES:
                raise PathSyntaxError("Unsupported escape sequence in a string literal")
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self, text: str | None = None, kind: str | None = None) -> bool:
        if self.position >= len(self.tokens):
            return False
        token = self.tokens[self.position]
        return (text is None or token.text == text) and (kind is None or token.kind == kind)

    def take(self, text: str | None = None, kind: str | None = None) -> _Token:
        if not self.peek(text, kind):
            raise PathSyntaxError(f"Expected {text or kind} at token {self.position + 1}")
        self.position += 1
        return self.tokens[self.position - 1]

    def done(self) -> None:
        if self.position != len(self.tokens):
            raise PathSyntaxError(f"Unexpected token {self.position + 1}")

    def path(self) -> Path:
        """A dotted path; ``$this`` (the where() context) is the empty path."""
        steps: list[Step] = []
        if self.peek(kind="this"):
            self.take()
        else:
            steps.append(self.step())
        while self.peek(".") or self.peek("["):
            steps.append(self.step() if self.take().text == "." else self.index())
        return tuple(steps)

    def step(self) -> Step:
        name = self.take(kind="ident").text
        if not self.peek("("):
            return Member(name.strip("`"))
        self.take("(")
        if name not in FUNCTIONS:
            raise PathSyntaxError(f"Function '{name}' is not supported in patch paths")
        criteria = None if name != "where" else self.expression()
        self.take(")")
        return Call(name, criteria)

    def index(self) -> Index:
        number = self.take(kind="number").text
        self.take("]")
        if not number.isdigit():
            raise PathSyntaxError("An indexer must be a whole number")
        return Index(int(number))

    def expression(self) -> Expression:
        left = self.conjunction()
        while self.peek("or", "ident"):
            self.take()
            left = Logic("or", left, self.conjunction())
        return left

    def conjunction(self) -> Expression:
        left = self.comparison()
        while self.peek("and", "ident"):
            self.take()
            left = Logic("and", left, self.comparison())
        return left

    def comparison(self) -> Expression:
        if self.peek("("):
            self.take("(")
            inner = self.expression()
            self.take(")")
            return inner
        left = self.operand()
        if not (self.peek("=") or self.peek("!=")):
            if isinstance(left, Literal):
                raise PathSyntaxError("A literal alone is not a criterion")
            return left
        operator = self.take().text
        return Compare(left, operator, self.operand())

    def operand(self) -> Operand:
        if self.peek(kind="string"):
            return Literal(_unquote(self.take().text))
        if self.peek(kind="number"):
            text = self.take().text
            return Literal(float(text) if "." in text else int(text))
        if self.peek("true", "ident") or self.peek("false", "ident"):
            return Literal(self.take().text == "true")
        return self.path()


def parse(text: str) -> Path:
    """Parse a patch path such as ``Patient.identifier.where(system='x').value``."""
    if not isinstance(text, str) or not text.strip():
        raise PathSyntaxError("The path is empty")
    parser = _Parser(text)
    result = parser.path()
    parser.done()
    if not result:
        raise PathSyntaxError("The path selects nothing")
    return result
