"""Evaluate the de-identification engine on an annotated corpus directory.

``python -m tests.services.deidentify.deid_evaluation DIR [--quiet]``

``DIR`` holds ``<lang>.jsonl`` narratives whose ``text`` marks identifiers as
``⟦kind|value⟧`` and clinical terms that must survive as ``⟪term⟫``, and optionally
``structured.jsonl`` case Bundles with the ``planted`` values (kind, value, path) and the
``kept_codes`` (system, code) that must survive. Printed: recall of identifiers per kind and
language, precision of what was removed, clinical terms kept, structured values removed and
codes kept. ``--quiet`` prints only aggregate figures, never a text or a value, so the
report of a held-out corpus can be shared without disclosing it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from registry.errors import Unprocessable
from registry.services.deidentify import deidentify_case
from registry.services.deidentify.text import find_identifiers

MARK = re.compile(r"⟦([a-z_]+)\|(.*?)⟧|⟪(.*?)⟫", re.S)
SECRET = b"evaluation-secret-0123456789abcdef"
PRESENTED = date(2024, 6, 1)
LONG_VALUE = 8


@dataclass
class Label:
    start: int
    end: int
    kind: str


@dataclass
class Document:
    id: str
    language: str
    text: str
    identifiers: list[Label]
    terms: list[Label]


@dataclass
class Tally:
    planted: int = 0
    covered: int = 0
    findings: int = 0
    true_findings: int = 0
    terms: int = 0
    kept: int = 0
    notes: list[str] = field(default_factory=list)

    def add_planted(self, hit: bool) -> None:
        self.planted += 1
        self.covered += hit

    @property
    def recall(self) -> float:
        return self.covered / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.true_findings / self.findings if self.findings else 1.0

    @property
    def survival(self) -> float:
        return self.kept / self.terms if self.terms else 1.0


def parse(record: dict[str, Any]) -> Document:
    """Strip the markers from an annotated text, keeping where each labelled span lies."""
    raw, pieces, cursor, length = record["text"], [], 0, 0
    identifiers: list[Label] = []
    terms: list[Label] = []
    for match in MARK.finditer(raw):
        before = raw[cursor:match.start()]
        pieces.append(before)
        length += len(before)
        value = match.group(2) if match.group(1) else match.group(3)
        target = identifiers if match.group(1) else terms
        target.append(Label(length, length + len(value), match.group(1) or "term"))
        pieces.append(value)
        length += len(value)
        cursor = match.end()
    pieces.append(raw[cursor:])
    return Document(record["id"], record["language"], "".join(pieces), identifiers, terms)


def load_texts(directory: Path) -> list[Document]:
    documents = []
    for path in sorted(directory.glob("*.jsonl")):
        if path.stem == "structured":
            continue
        with path.open(encoding="utf-8") as lines:
            documents += [parse(json.loads(line)) for line in lines if line.strip()]
    return documents


def _covered(label: Label, spans: list[tuple[int, int]], text: str) -> bool:
    """Every letter and digit of the planted value lies inside some finding."""
    return all(any(a <= i < b for a, b in spans)
               for i in range(label.start, label.end) if text[i].isalnum())


def _overlaps(a: int, b: int, labels: list[Label]) -> bool:
    return any(a < lab.end and lab.start < b for lab in labels)


def evaluate_texts(documents: list[Document]) -> dict[str, Tally]:
    """Tallies keyed 'all', 'lang:es', 'kind:phone', 'kind:phone/es'."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for doc in documents:
        spans = [(f.start, f.end) for f in find_identifiers(doc.text, doc.language)]
        for label in doc.identifiers:
            hit = _covered(label, spans, doc.text)
            for key in ("all", f"lang:{doc.language}", f"kind:{label.kind}",
                        f"kind:{label.kind}/{doc.language}"):
                tallies[key].add_planted(hit)
            if not hit:
                tallies["all"].notes.append(
                    f"missed {label.kind} {doc.id}: {doc.text[label.start:label.end]!r}")
        for a, b in spans:
            true = _overlaps(a, b, doc.identifiers)
            for key in ("all", f"lang:{doc.language}"):
                tallies[key].findings += 1
                tallies[key].true_findings += true
            if not true:
                tallies["all"].notes.append(f"false hit {doc.id}: {doc.text[a:b]!r}")
        for term in doc.terms:
            kept = not any(a < term.end and term.start < b for a, b in spans)
            for key in ("all", f"lang:{doc.language}"):
                tallies[key].terms += 1
                tallies[key].kept += kept
            if not kept:
                tallies["all"].notes.append(
                    f"lost term {doc.id}: {doc.text[term.start:term.end]!r}")
    return dict(tallies)


def _codings(node: Any) -> set[tuple[str, str]]:
    """Every (system, code) pair anywhere in a resource tree."""
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        if isinstance(node.get("code"), str):
            found.add((str(node.get("system", "")), node["code"]))
        for value in node.values():
            found |= _codings(value)
    elif isinstance(node, list):
        for value in node:
            found |= _codings(value)
    return found


def _at(node: Any, path: str) -> Any:
    """The value at a planted path ('Bundle.entry[1].resource.name[0].family'), or None."""
    for name, index in re.findall(r"\.?([A-Za-z_]+)(?:\[(\d+)\])?", path)[1:]:
        node = node.get(name) if isinstance(node, dict) else None
        if index and isinstance(node, list):
            node = node[int(index)] if int(index) < len(node) else None
    return node


def _removed(planted: dict[str, Any], out: dict[str, Any], serialized: str) -> bool:
    """Gone from its place; a long value must also be gone from the whole Bundle.

    A short value ('93', 'Graves') may rightly appear elsewhere (a score, 'Graves disease'),
    so only its own element is checked.
    """
    value = planted["value"]
    here = _at(out, planted["path"])
    word = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)")
    if here is not None and word.search(json.dumps(here, ensure_ascii=False)):
        return False  # as a word: '99' is not kept by the '1999' of the XHTML namespace
    return len(value) < LONG_VALUE or value not in serialized


def evaluate_structured(path: Path) -> Tally:
    """Planted values must be absent from the de-identified Bundle; clinical codes kept."""
    tally = Tally()
    if not path.exists():
        return tally
    with path.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    for record in records:
        try:
            out = deidentify_case(record["bundle"], secret=SECRET, spoke="Organization/eval",
                                  presented_at=PRESENTED).bundle
        except Unprocessable as exc:
            reasons = "; ".join(f"{i.diagnostics} at {', '.join(i.expression)}" for i in exc.issues)
            tally.notes.append(f"refused {record['id']}: {reasons}")
            continue
        serialized = json.dumps(out, ensure_ascii=False)
        for planted in record["planted"]:
            hit = _removed(planted, out, serialized)
            tally.add_planted(hit)
            if not hit:
                tally.notes.append(f"kept {planted['kind']} {record['id']} at "
                                   f"{planted['path']}: {planted['value']!r}")
        codes = _codings(out)
        for code in record.get("kept_codes", []):
            kept = (code["system"], code["code"]) in codes
            tally.terms += 1
            tally.kept += kept
            if not kept:
                tally.notes.append(f"lost code {record['id']}: {code['system']}|{code['code']}")
    return tally


def _row(key: str, t: Tally) -> str:
    return (f"{key:<22}{t.planted:>8}{t.recall:>9.1%}{t.findings:>9}{t.precision:>10.1%}"
            f"{t.terms:>7}{t.survival:>9.1%}")


def report(directory: Path, quiet: bool) -> list[str]:
    texts = evaluate_texts(load_texts(directory))
    structured = evaluate_structured(directory / "structured.jsonl")
    lines = [f"{'slice':<22}{'planted':>8}{'recall':>9}{'findings':>9}{'precision':>10}"
             f"{'terms':>7}{'kept':>9}"]
    lines += [_row(k, texts[k]) for k in sorted(texts, key=lambda k: (k != "all", k))]
    lines.append(_row("structured", structured))
    if not quiet:
        lines += ["", *texts.get("all", Tally()).notes, *structured.notes]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--quiet", action="store_true",
                        help="aggregate figures only: no text, value or record id")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        print(f"not a directory: {args.directory}", file=sys.stderr)
        return 2
    print("\n".join(report(args.directory, args.quiet)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
