"""The scoring transform of the write pipeline.

For every QuestionnaireResponse written against a known instrument (a stored Questionnaire
with an instrument kind, or one of the network's own), the step checks the response's links
and answers (422 when wrong) and replaces its score facts in the same transaction; a deletion
drops them. Responses to other Questionnaires are stored as any resource.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from registry.errors import Issue, Unprocessable, error
from registry.services.context import Context
from registry.services.evaluations import instruments
from registry.services.evaluations.instruments import Instrument
from registry.services.evaluations.links import PHASE_EXTENSION, read_links
from registry.services.evaluations.scoring import score
from registry.services.writes.pending import PendingWrite
from registry.services.writes.pipeline import WriteBatch
from registry.storage import evaluations as facts


def find_instrument(ctx: Context, canonical: str,
                    pending: dict[str, dict[str, Any]] | None = None) -> Instrument | None:
    """The instrument a canonical names: written in this batch, stored, or the network's."""
    url = canonical.split("|", 1)[0]
    found = (pending or {}).get(url)
    if found is None:
        text = facts.current_by_url(ctx.conn, "Questionnaire", url)
        found = orjson.loads(text) if text else instruments.bundled().get(url)
    return instruments.parse(found) if found and instruments.is_instrument(found) else None


class ScoringStep:
    """Checks and scores evaluation responses; keeps their facts."""

    def __call__(self, batch: WriteBatch) -> None:
        writes = [w for w in batch.writes
                  if w.res_type == "QuestionnaireResponse" and not w.record]
        if not writes:
            return
        pending = {w.resource["url"]: w.resource for w in batch.writes
                   if w.res_type == "Questionnaire" and w.resource and w.resource.get("url")}
        scores: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        known: dict[str, Instrument | None] = {}  # looked up once per batch and url
        for write in writes:
            row = self._facts(batch.ctx, write, pending, known)
            if row is not None:
                scores.append(row[0])
                items.extend(row[1])
        facts.replace_scores(batch.ctx.conn, [w.res_id for w in writes], scores, items)

    def _facts(self, ctx: Context, write: PendingWrite, pending: dict[str, dict[str, Any]],
               known: dict[str, Instrument | None]
               ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        response = write.resource
        if response is None:
            return None
        url = str(response.get("questionnaire", ""))
        if url not in known:
            known[url] = find_instrument(ctx, url, pending)
        instrument = known[url]
        if instrument is None:
            if any(e.get("url") == PHASE_EXTENSION for e in response.get("extension", [])):
                raise Unprocessable(_where(write, error(
                    "not-found", f"No evaluation instrument has the url "
                    f"{response.get('questionnaire')!r}", "QuestionnaireResponse.questionnaire")))
            return None
        return _rows(write, instrument, response)


def _rows(write: PendingWrite, instrument: Instrument, response: dict[str, Any]
          ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    links, issues = read_links(response)
    scored, score_issues = score(instrument, response)
    authored = _authored(response)
    if authored is None:
        issues.append(error("required", "An evaluation response needs its authored date",
                            "QuestionnaireResponse.authored"))
    issues += score_issues
    if issues or links is None or scored is None or authored is None:
        raise Unprocessable([_where(write, i) for i in issues])
    row = {"response_id": write.res_id, "instrument": instrument.url, "kind": instrument.kind,
           "program": links.program, "cohort": links.cohort, "mentee": links.mentee,
           "phase": links.phase, "authored": authored, "score": scored.total,
           "answered": len(scored.items)}
    return row, [{"response_id": write.res_id, "link_id": link, "score": points}
                 for link, points in scored.items.items()]


def _authored(response: dict[str, Any]) -> date | None:
    text = response.get("authored")
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _where(write: PendingWrite, issue: Issue) -> Issue:
    """Name the Bundle entry an issue comes from, as the other steps do."""
    if not write.where:
        return issue
    return Issue(issue.severity, issue.code, f"{write.where}: {issue.diagnostics}",
                 issue.expression)
