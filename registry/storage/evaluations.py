"""Evaluation facts: scores per response and per item, and personal survey links.

The scoring step of the write pipeline replaces a response's rows on every write (and drops
them on deletion) in the same transaction, so the analysis reads these tables only. Hub and
country of a response come from its stored compartment; the mentee's discipline from the
``specialty`` index rows of their PractitionerRole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.tables import (
    evaluation_item,
    evaluation_score,
    idx_token,
    idx_uri,
    resource,
    resource_compartment,
    survey_link,
)

s, i, r, rc = evaluation_score.c, evaluation_item.c, resource.c, resource_compartment.c
DISCIPLINE_SYSTEM = "https://telementoring.example.org/fhir/CodeSystem/discipline"


@dataclass(frozen=True)
class ScoreRow:
    """One scored response, as the analysis needs it."""

    response_id: str
    instrument: str
    kind: str
    program: str | None
    cohort: str | None
    mentee: str
    phase: str
    authored: date
    score: float
    hub: str | None
    country: str | None
    discipline: str | None
    mentee_pk: int | None  # the role's row key: an opaque per-node pairing key


def replace_scores(conn: Connection, response_ids: Sequence[str],
                   scores: Sequence[dict[str, Any]], items: Sequence[dict[str, Any]]) -> None:
    """Drop the rows of ``response_ids`` and store the new ones (none for a deletion)."""
    if response_ids:
        conn.execute(evaluation_item.delete().where(i.response_id.in_(response_ids)))
        conn.execute(evaluation_score.delete().where(s.response_id.in_(response_ids)))
    if scores:
        conn.execute(evaluation_score.insert(), list(scores))
    if items:
        conn.execute(evaluation_item.insert(), list(items))


def score_rows(conn: Connection, *, program: str | None = None, cohort: str | None = None,
               hub: str | None = None, instruments: Iterable[str] | None = None,
               start: date | None = None, end: date | None = None) -> list[ScoreRow]:
    """Scored responses matching the filters, with hub, country, discipline and pairing key."""
    role = resource.alias("role")
    spec = idx_token.alias("spec")
    q = sa.select(
        s.response_id, s.instrument, s.kind, s.program, s.cohort, s.mentee, s.phase,
        s.authored, s.score, rc.hub, rc.country, sa.func.min(spec.c.code), role.c.pk,
    ).select_from(
        evaluation_score
        .join(resource, sa.and_(r.res_type == "QuestionnaireResponse",
                                r.res_id == s.response_id))
        .outerjoin(resource_compartment, rc.resource_pk == r.pk)
        .outerjoin(role, sa.and_(role.c.res_type == "PractitionerRole",
                                 role.c.res_id == s.mentee))
        .outerjoin(spec, sa.and_(spec.c.resource_pk == role.c.pk,
                                 spec.c.param == "specialty",
                                 spec.c.system == DISCIPLINE_SYSTEM))
    ).where(r.deleted.is_(False)).group_by(
        s.response_id, s.instrument, s.kind, s.program, s.cohort, s.mentee, s.phase,
        s.authored, s.score, rc.hub, rc.country, role.c.pk)
    if program is not None:
        q = q.where(s.program == program)
    if cohort is not None:
        q = q.where(s.cohort == cohort)
    if hub is not None:
        q = q.where(rc.hub == hub)
    if instruments is not None:
        q = q.where(s.instrument.in_(list(instruments)))
    if start is not None:
        q = q.where(s.authored >= start)
    if end is not None:
        q = q.where(s.authored <= end)
    return [ScoreRow(*list(row))
            for row in conn.execute(q.order_by(s.authored, s.response_id))]


def item_scores(conn: Connection, response_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    """Item scores of the given responses: response id -> link id -> score."""
    found: dict[str, dict[str, float]] = {}
    for chunk in _chunks(response_ids, 5_000):
        rows = conn.execute(sa.select(i.response_id, i.link_id, i.score)
                            .where(i.response_id.in_(chunk)))
        for response_id, link_id, score in rows:
            found.setdefault(response_id, {})[link_id] = score
    return found


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---- survey links ------------------------------------------------------------------------

l = survey_link.c  # noqa: E741 - the table's column namespace


@dataclass(frozen=True)
class SurveyLink:
    token_hash: str
    program: str
    cohort: str
    phase: str
    mentee: str
    instruments: tuple[str, ...]
    language: str
    expires: int
    used: int | None


def store_link(conn: Connection, link: SurveyLink) -> None:
    """Store a link, replacing an unused one for the same mentee, cohort and phase."""
    conn.execute(survey_link.delete().where(
        l.program == link.program, l.cohort == link.cohort, l.phase == link.phase,
        l.mentee == link.mentee, l.used.is_(None)))
    conn.execute(survey_link.insert().values(
        token_hash=link.token_hash, program=link.program, cohort=link.cohort, phase=link.phase,
        mentee=link.mentee, instruments=" ".join(link.instruments), language=link.language,
        expires=link.expires, used=link.used))


def find_link(conn: Connection, token_hash: str) -> SurveyLink | None:
    row = conn.execute(sa.select(survey_link).where(l.token_hash == token_hash)).first()
    if row is None:
        return None
    return SurveyLink(row.token_hash, row.program, row.cohort, row.phase, row.mentee,
                      tuple(row.instruments.split()), row.language, row.expires, row.used)


def use_link(conn: Connection, token_hash: str, now: int) -> bool:
    """Mark a link used; False when it was used (or expired) already, by a concurrent submit
    too: the update is conditional, so only one submission wins."""
    done = conn.execute(survey_link.update().where(
        l.token_hash == token_hash, l.used.is_(None), l.expires > now).values(used=now))
    return done.rowcount == 1


def used_links(conn: Connection, program: str, cohort: str, phase: str) -> set[str]:
    """Mentees who already answered through a link of this window."""
    rows = conn.execute(sa.select(l.mentee).where(
        l.program == program, l.cohort == cohort, l.phase == phase, l.used.is_not(None)))
    return {row[0] for row in rows}


def current_by_url(conn: Connection, res_type: str, url: str) -> str | None:
    """The JSON of the current resource of ``res_type`` whose ``url`` is ``url``."""
    u = idx_uri.c
    row = conn.execute(
        sa.select(r.content).select_from(idx_uri.join(resource, r.pk == u.resource_pk))
        .where(u.res_type == res_type, u.param == "url", u.value == url,
               r.deleted.is_(False))
        .order_by(r.last_updated.desc()).limit(1)).first()
    return None if row is None else str(row[0])
