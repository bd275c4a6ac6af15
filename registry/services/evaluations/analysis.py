"""The evaluation analysis of a program (or one cohort): every figure of the detailed report.

Per instrument: responses before and after, matched pairs, unmatched mentees and attrition;
the paired statistics (``statistics``); per knowledge item the share correct before and after
with McNemar and Holm; results by discipline and by country, where a stratum of 1 to 10
mentees is suppressed (the outcomes' threshold) and, when one stratum alone would be hidden,
the next smallest with it, so no hidden figure follows from the total; and the level of
Moore's framework each result evidences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from registry.services import policy
from registry.services.evaluations.instruments import Instrument
from registry.services.evaluations.pairing import Pairs, by_instrument, pair
from registry.services.evaluations.participation import Participation, participation
from registry.services.evaluations.step import find_instrument
from registry.services.fhir import FhirService
from registry.services.outcomes.disclosure import DEFAULT_THRESHOLD
from registry.storage.evaluations import ScoreRow, item_scores, score_rows

# numpy and the statistics (scipy, statsmodels) are imported in the functions that use them: a
# worker or command that never analyses an evaluation never loads them.
if TYPE_CHECKING:
    from registry.services.evaluations.statistics import ItemChange, PairedStatistics

# Moore, Green & Gallis (2009): what each kind of instrument evidences.
MOORE_LEVEL = {"satisfaction": "2", "knowledge": "3a", "self-efficacy": "4"}
MOORE_NAME = {"1": "participation", "2": "satisfaction", "3a": "learning (declarative)",
              "4": "competence"}
STRATIFIERS = ("discipline", "country")


@dataclass(frozen=True)
class Stratum:
    value: str
    n: int | None  # None when suppressed
    mean_change: float | None


@dataclass(frozen=True)
class InstrumentAnalysis:
    instrument: Instrument
    pairs: Pairs
    statistics: PairedStatistics | None
    items: list[ItemChange]
    strata: dict[str, list[Stratum]]
    post_mean: float | None  # every post response (satisfaction is asked after only)
    post_sd: float | None

    @property
    def moore_level(self) -> str | None:
        return MOORE_LEVEL.get(self.instrument.kind)

    @property
    def changes(self) -> list[tuple[float, float]]:
        """(pre, post) per matched mentee, for the charts."""
        return [(pre.score, post.score) for pre, post in self.pairs.matched]


@dataclass(frozen=True)
class Analysis:
    program: str
    program_name: str
    cohort: str | None
    mentees_pre: int
    mentees_post: int
    instruments: list[InstrumentAnalysis] = field(default_factory=list)
    sessions: Participation | None = None


def analyse(service: FhirService, program_id: str, cohort: str | None = None, *,
            audit_as: str = "operation") -> Analysis:
    """The analysis of a program for a caller allowed to read it (404 or 403 otherwise)."""
    program = service.read("HealthcareService", program_id).resource()
    service.access.check_evaluation_analysis(program_id, audit_as)
    rows = score_rows(service.ctx.conn, program=f"HealthcareService/{program_id}",
                      cohort=cohort)
    found = []
    for url, rows_of_instrument in sorted(by_instrument(rows).items()):
        instrument = find_instrument(service.ctx, url)
        if instrument is not None:
            found.append(analyse_instrument(service, instrument, rows_of_instrument))
    reference = f"HealthcareService/{program_id}"
    return Analysis(reference, str(program.get("name", "")), cohort,
                    len({r.mentee for r in rows if r.phase == "pre"}),
                    len({r.mentee for r in rows if r.phase == "post"}), found,
                    _participation(service, reference))


def _participation(service: FhirService, program: str) -> Participation | None:
    """Session participation, for callers who may read the program's sessions (a national
    program reads the evaluation aggregate, not the sessions)."""
    if policy.scope(service.access.subject, "read", "Encounter") is policy.NONE:
        return None
    return participation(service, program)


def analyse_instrument(service: FhirService, instrument: Instrument, rows: list[ScoreRow]
                       ) -> InstrumentAnalysis:
    import numpy as np

    from registry.services.evaluations.statistics import paired

    pairs = pair(rows)
    pre = np.array([p.score for p, _ in pairs.matched], dtype=np.float64)
    post = np.array([q.score for _, q in pairs.matched], dtype=np.float64)
    posts = [q.score for _, q in pairs.matched] + [q.score for q in pairs.post_only]
    return InstrumentAnalysis(
        instrument, pairs, paired(pre, post) if len(pre) >= 2 else None,
        _items(service, instrument, pairs) if instrument.keyed else [],
        {name: strata(pairs, name) for name in STRATIFIERS},
        float(np.mean(posts)) if posts else None,
        float(np.std(posts, ddof=1)) if len(posts) > 1 else None)


def _items(service: FhirService, instrument: Instrument, pairs: Pairs) -> list[ItemChange]:
    import numpy as np

    from registry.services.evaluations.statistics import item_changes

    if len(pairs.matched) < 2:
        return []
    ids = [r.response_id for couple in pairs.matched for r in couple]
    scores = item_scores(service.ctx.conn, ids)
    links = [i.link_id for i in instrument.items]
    pre = np.array([[scores.get(p.response_id, {}).get(k, 0.0) for k in links]
                    for p, _ in pairs.matched], dtype=np.float64)
    post = np.array([[scores.get(q.response_id, {}).get(k, 0.0) for k in links]
                     for _, q in pairs.matched], dtype=np.float64)
    return item_changes(links, pre, post)


def strata(pairs: Pairs, stratifier: str) -> list[Stratum]:
    """Mean change per value of ``stratifier``, small cells and their complement hidden."""
    import numpy as np

    groups: dict[str, list[float]] = {}
    for pre, post in pairs.matched:
        value = getattr(post, stratifier) or "unknown"
        groups.setdefault(value, []).append(post.score - pre.score)
    hidden = {v for v, changes in groups.items() if 0 < len(changes) < DEFAULT_THRESHOLD}
    if len(hidden) == 1 and len(groups) > 1:
        shown = sorted((len(c), v) for v, c in groups.items() if v not in hidden)
        hidden.add(shown[0][1])
    return [Stratum(v, None, None) if v in hidden else
            Stratum(v, len(c), float(np.mean(c))) for v, c in sorted(groups.items())]


def to_json(analysis: Analysis) -> dict[str, Any]:
    """The analysis as JSON: every figure, no person-level value."""
    return {"program": analysis.program, "programName": analysis.program_name,
            "cohort": analysis.cohort, "menteesPre": analysis.mentees_pre,
            "menteesPost": analysis.mentees_post,
            "sessions": _sessions_json(analysis.sessions),
            "mooreLevels": _levels(analysis),
            "instruments": [_instrument_json(i) for i in analysis.instruments]}


def _sessions_json(found: Participation | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"sessions": found.sessions, "participants": found.participants,
            "participantHours": found.participant_hours}


def _levels(analysis: Analysis) -> list[dict[str, Any]]:
    """Which of Moore's levels the analysis evidences, and by what."""
    found = [{"level": "1", "name": MOORE_NAME["1"], "evidence": "mentees who answered",
              "n": max(analysis.mentees_pre, analysis.mentees_post)}]
    for item in analysis.instruments:
        level = item.moore_level
        if level and (item.statistics or item.post_mean is not None):
            found.append({"level": level, "name": MOORE_NAME[level],
                          "evidence": item.instrument.url})
    return found


def _instrument_json(item: InstrumentAnalysis) -> dict[str, Any]:
    pairs = item.pairs
    return {
        "instrument": item.instrument.url, "kind": item.instrument.kind,
        "title": item.instrument.title.get("en", ""), "mooreLevel": item.moore_level,
        "nPre": pairs.n_pre, "nPost": pairs.n_post, "nMatched": len(pairs.matched),
        "unmatchedPre": len(pairs.pre_only), "unmatchedPost": len(pairs.post_only),
        "attrition": pairs.attrition, "postMean": item.post_mean, "postSd": item.post_sd,
        "statistics": _statistics_json(item.statistics),
        "items": [_item_json(i) for i in item.items],
        "strata": {name: [{"value": s.value, "n": s.n, "meanChange": s.mean_change,
                           "suppressed": s.n is None} for s in found]
                   for name, found in item.strata.items()},
    }


def _statistics_json(found: PairedStatistics | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"n": found.n, "meanPre": found.mean_pre, "sdPre": found.sd_pre,
            "meanPost": found.mean_post, "sdPost": found.sd_post,
            "meanChange": found.mean_change, "sdChange": found.sd_change,
            "meanChangeCi": found.change_ci,
            "pairedT": {"t": found.t, "df": found.df, "p": found.t_p},
            "wilcoxon": {"statistic": found.wilcoxon, "p": found.wilcoxon_p,
                         "method": found.wilcoxon_method},
            "cohensDz": {"value": found.d_z, "ci": found.d_z_ci},
            "hedgesGav": {"value": found.g_av, "ci": found.g_av_ci}}


def _item_json(item: ItemChange) -> dict[str, Any]:
    return {"linkId": item.link_id, "n": item.n, "correctPre": item.correct_pre,
            "correctPost": item.correct_post, "improved": item.improved,
            "worsened": item.worsened,
            "mcnemar": {"statistic": item.statistic, "p": item.p, "exact": item.exact,
                        "pHolm": item.p_holm}}


def to_parameters(analysis: Analysis) -> dict[str, Any]:
    """The analysis as a FHIR Parameters resource: one part per figure, nested as in JSON."""
    return {"resourceType": "Parameters", "parameter": _parts(to_json(analysis))}


def _parts(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [part for name, value in values.items() if (part := _part(name, value))]


def _part(name: str, value: Any) -> dict[str, Any] | None:
    """One parameter; None for a missing value or an empty list (FHIR has no empty arrays)."""
    if value is None or (isinstance(value, list | dict) and not value):
        return None
    if isinstance(value, bool):
        return {"name": name, "valueBoolean": value}
    if isinstance(value, int):
        return {"name": name, "valueInteger": value}
    if isinstance(value, float):
        return {"name": name, "valueDecimal": value}
    if isinstance(value, str):
        return {"name": name, "valueString": value}
    if isinstance(value, tuple):
        value = {"low": value[0], "high": value[1]}
    parts = (_parts(value) if isinstance(value, dict)
             else [p for v in value if (p := _part("entry", v))])
    return {"name": name, "part": parts} if parts else None
