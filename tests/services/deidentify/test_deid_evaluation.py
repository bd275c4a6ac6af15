"""The evaluation tool: figures from an annotated directory, and --quiet shows no text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.services.deidentify.deid_evaluation import main, parse

TEXT = ("Seen with her son ⟦name|Abelardo Quintrell⟧ on ⟦date|3 March 2024⟧; "
        "⟪PHQ-9⟫ 14, ⟪sertraline⟫ 50 mg. Call ⟦phone|+1 614 555 0143⟧.")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "en.jsonl").write_text(
        json.dumps({"id": "t-1", "language": "en", "text": TEXT}) + "\n", encoding="utf-8")
    return tmp_path


def test_parse_strips_markers_and_keeps_spans() -> None:
    doc = parse({"id": "t-1", "language": "en", "text": TEXT})
    assert "⟦" not in doc.text and "⟪" not in doc.text
    assert [doc.text[a.start:a.end] for a in doc.identifiers] == [
        "Abelardo Quintrell", "3 March 2024", "+1 614 555 0143"]
    assert [doc.text[t.start:t.end] for t in doc.terms] == ["PHQ-9", "sertraline"]


def test_report_gives_recall_precision_and_terms(corpus: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(corpus)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("all "))
    assert row.split()[1:3] == ["3", "100.0%"]
    assert row.split()[-2:] == ["2", "100.0%"]


def test_quiet_prints_no_text_or_value(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (corpus / "en.jsonl").write_text(json.dumps({
        "id": "t-2", "language": "en",
        "text": "Asked about ⟦other_id|zebra crossing wristband⟧ and ⟪PHQ-9⟫."}) + "\n",
        encoding="utf-8")
    assert main([str(corpus), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "zebra" not in out and "t-2" not in out
    assert main([str(corpus)]) == 0
    assert "zebra" in capsys.readouterr().out  # the full report names what was missed


def test_not_a_directory_is_one_line_on_stderr(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
