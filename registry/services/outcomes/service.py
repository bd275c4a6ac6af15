"""Aggregate outcomes for every caller (CLI, HTTP, demo): evaluate, release, read, exchange.

- ``evaluate`` computes every indicator for a period (optionally one hub) from the outcome
  facts and stores the exact reports as ``pending`` (``registry.storage.outcomes``); exact
  figures never become FHIR resources, so a plain MeasureReport read cannot show them.
- ``release`` passes the period's reports through disclosure control (the one gate:
  ``registry.services.outcomes.disclosure``) and its audit, then writes the masked reports as
  MeasureReport resources (status ``complete``) through the write pipeline, or, ``to`` the
  node's aggregator, records the exact ones for that peer only; every release is a ledger row.
- ``evaluate_measure`` answers ``Measure/[id]/$evaluate-measure``: exact figures to whom
  ``visibility`` allows, the released masked report to other outcome readers, 404 otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from registry.errors import Forbidden, InvalidRequest, NotFound
from registry.services.outcomes import evaluation, visibility
from registry.services.outcomes.disclosure import Policy, ReleaseAudit, protect, require_safe
from registry.services.outcomes.evaluation import EvaluationSource, Scope, no_evaluations
from registry.services.outcomes.ledger import PUBLIC, ReleaseRecord, record_release
from registry.services.outcomes.measures import Indicator, catalogue
from registry.services.outcomes.periods import (
    PeriodError,
    ReportingPeriod,
    parse_period,
    period_of_dates,
)
from registry.services.outcomes.reports import build_report, read_report
from registry.services.outcomes.rollup import combine
from registry.storage import outcomes as store
from registry.storage.resources import read_current

if TYPE_CHECKING:  # the service is handed a FhirService; the write path imports outcome facts
    from registry.services.fhir import FhirService

ALL_SUBJECTS = "all"  # the ledger's scope of a release: every report of the period


@dataclass(frozen=True)
class OutcomeSettings:
    """The node's disclosure threshold and the peers it names as its aggregators."""

    policy: Policy = field(default_factory=Policy)
    aggregators: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Release:
    """What a release did: the audit, and the ledger record (None: nothing new to release)."""

    audit: ReleaseAudit | None
    record: ReleaseRecord | None
    reports: tuple[dict[str, Any], ...]


@dataclass
class OutcomesService:
    """Outcomes in one unit of work (its FhirService carries the caller and the trail)."""

    fhir: FhirService
    settings: OutcomeSettings = field(default_factory=OutcomeSettings)
    evaluations: EvaluationSource = no_evaluations

    @property
    def conn(self) -> Any:
        return self.fhir.ctx.conn

    # ---- evaluate -------------------------------------------------------------------------

    def evaluate(self, period_code: str, hub: str | None = None) -> list[dict[str, Any]]:
        """Compute and store every indicator's pending report for the period (and hub)."""
        self._require_admin("evaluate outcomes")
        period = _period(period_code)
        hub = _hub_reference(hub) if hub else None
        shared: evaluation.Shared = {}
        reports = [self.report(indicator, period, hub, shared) for indicator in _indicators()]
        store.save_reports(self.conn, [
            (r["measure"].split("|")[0], r["subject"]["reference"], period.code,
             json.dumps(r, sort_keys=True)) for r in reports], _now_micros())
        return reports

    def report(self, indicator: Indicator, period: ReportingPeriod, hub: str | None = None,
               shared: evaluation.Shared | None = None) -> dict[str, Any]:
        """One exact, pending report, computed now (nothing stored)."""
        base = self.fhir.ctx.base_url
        figures = evaluation.figures(self.conn, indicator, Scope(period, base, hub),
                                     self.evaluations, shared)
        subject = f"{base}/{hub}" if hub else base
        return build_report(indicator, figures, subject=subject, period=period,
                            reporter=subject if hub else None, date=_now(),
                            report_id=report_id(indicator.key, period.code, subject))

    # ---- release --------------------------------------------------------------------------

    def release(self, period_code: str, to: str | None = None) -> Release:
        """Release the period's evaluated reports: masked to everyone, or exact ``to`` the
        aggregator. A release that fails the audit raises DisclosureError naming the cell."""
        self._require_admin("release outcomes")
        period = _period(period_code)
        exact = [json.loads(content) for _, _, content in store.read_reports(self.conn,
                                                                             period.code)]
        if not exact:
            raise NotFound(f"No outcomes evaluated for {period.code}: run "
                           f"'registry measures evaluate --period {period.code}' first")
        if to is not None:
            return self._release_exact(period, exact, to)
        protected = protect(exact, self.settings.policy, prior=self._prior(period),
                            revising=self.released(period.code))
        masked = tuple({**r, "status": "complete"} for r in require_safe(protected))
        previous = self._previous(period.code, PUBLIC)
        digest_input = [_without_volatile(r) for r in masked]
        record = record_release(digest_input, period=period.code, audience=PUBLIC, exact=False,
                                released_by=self.fhir.ctx.caller.name, released_at=_now(),
                                policy=self.settings.policy, versions=[],
                                previous=previous)
        if record is None:
            return Release(protected.audit, None, masked)
        versions = tuple(self._write_released(report) for report in masked)
        record = ReleaseRecord(**{**record.to_json(), "reports": versions})
        self._add(record, masked)
        for subject in {r["subject"]["reference"] for r in exact}:
            store.mark_complete(self.conn, period.code, subject)
        return Release(protected.audit, record, masked)

    def _release_exact(self, period: ReportingPeriod, exact: list[dict[str, Any]],
                       to: str) -> Release:
        if to not in self.settings.aggregators:
            raise Forbidden(f"{to!r} is not this node's aggregator (REGISTRY_AGGREGATORS); "
                            "exact figures go to the aggregator only")
        reports = tuple({**r, "status": "complete"} for r in exact)
        record = record_release([_without_volatile(r) for r in reports], period=period.code,
                                audience=to, exact=True, released_by=self.fhir.ctx.caller.name,
                                released_at=_now(), policy=self.settings.policy,
                                versions=[(r["id"], "exact") for r in reports],
                                aggregators=self.settings.aggregators,
                                previous=self._previous(period.code, to))
        if record is not None:
            self._add(record, reports)
        return Release(None, record, reports)

    def _write_released(self, report: dict[str, Any]) -> tuple[str, str]:
        stored = self.fhir.update("MeasureReport", report["id"], dict(report)).stored
        return stored.res_id, str(stored.version)

    def _prior(self, period: ReportingPeriod) -> list[dict[str, Any]]:
        """Reports released publicly before for other periods that share figures with this
        one (a month of a released quarter, ...). The period's own earlier release is not
        one: a revision replaces it, and its strata need not match the new ones."""
        prior = []
        for content in store.released_content(self.conn, audience=PUBLIC):
            for report in json.loads(content):
                other = _period_of(report)
                if other and other != period and (other.contains(period)
                                                  or period.contains(other)):
                    prior.append(report)
        return prior

    def _previous(self, period: str, audience: str) -> ReleaseRecord | None:
        found = store.latest_release(self.conn, period, ALL_SUBJECTS, audience)
        if found is None:
            return None
        data = json.loads(found[0])
        data["reports"] = tuple(tuple(pair) for pair in data["reports"])
        return ReleaseRecord(**data)

    def _add(self, record: ReleaseRecord, reports: Sequence[Mapping[str, Any]]) -> None:
        store.add_release(self.conn, period=record.period, subject=ALL_SUBJECTS,
                          audience=record.audience, exact=record.exact, version=record.version,
                          released_at=_now_micros(), record=json.dumps(record.to_json()),
                          content=json.dumps(list(reports)))

    def ledger(self, period_code: str | None = None) -> list[ReleaseRecord]:
        self._require_admin("read the release ledger")
        period = _period(period_code).code if period_code else None
        records = []
        for text in store.releases(self.conn, period):
            data = json.loads(text)
            data["reports"] = tuple(tuple(pair) for pair in data["reports"])
            records.append(ReleaseRecord(**data))
        return records

    # ---- read -----------------------------------------------------------------------------

    def released(self, period_code: str) -> list[dict[str, Any]]:
        """The masked reports released publicly for the period (what exports carry)."""
        period = _period(period_code)
        return [r for content in store.released_content(self.conn, audience=PUBLIC,
                                                         period=period.code)
                for r in json.loads(content)]

    def evaluate_measure(self, measure_id: str, period_start: str | None,
                         period_end: str | None, subject: str | None = None) -> dict[str, Any]:
        """``$evaluate-measure`` of the stored Measure ``measure_id``: the figures this caller
        may see, or NotFound."""
        indicator = self._stored_indicator(measure_id)
        if not period_start or not period_end:
            raise InvalidRequest("$evaluate-measure needs periodStart and periodEnd")
        try:
            period = period_of_dates(period_start, period_end)
        except PeriodError as exc:
            raise InvalidRequest(str(exc)) from None
        hub = _hub_reference(subject) if subject else None
        view = visibility.view_of(self._viewer(), self._outcome(indicator, period, hub))
        if view is visibility.View.EXACT:
            return self.report(indicator, period, hub)
        if view is visibility.View.SUPPRESSED:
            found = self._released_report(indicator, period, hub, PUBLIC)
            if found is not None:
                return found
        raise NotFound(f"No released report of {indicator.key} for {period.code}"
                       + (f" and {hub}" if hub else ""))

    def _stored_indicator(self, measure_id: str) -> Indicator:
        """The indicator a stored Measure defines (by its canonical URL). The Measures are the
        network's vocabulary, stored by the node on ``registry db upgrade``; reading one here
        is not a read by the caller."""
        stored = read_current(self.conn, "Measure", measure_id)
        if stored is None or stored.deleted or stored.content is None:
            raise NotFound(f"Measure/{measure_id} is not stored on this node ('registry db "
                           "upgrade' stores the network's indicators)")
        url = json.loads(stored.content).get("url", "")
        if url not in catalogue() or catalogue()[url].key not in evaluation.evaluated_keys():
            raise NotFound(f"Measure/{measure_id} ({url}) is not an indicator this node "
                           "computes")
        return catalogue()[url]

    def _viewer(self) -> visibility.Caller:
        caller = self.fhir.ctx.caller
        binding = caller.binding
        return visibility.Caller(
            role=caller.role,
            organization=binding if binding and binding.startswith("Organization/") else None,
            country=binding if binding and len(binding) == 2 else None,
            peer=caller.name if caller.role == "peer" else None)

    def _outcome(self, indicator: Indicator, period: ReportingPeriod,
                 hub: str | None) -> visibility.Outcome:
        released = self._released_report(indicator, period, hub, PUBLIC) is not None
        exact_to = frozenset(a for a in self.settings.aggregators
                             if self._released_report(indicator, period, hub, a) is not None)
        country = None
        if hub:
            country = next(iter(store.organizations(self.conn, [hub]).values()), None)
        return visibility.Outcome(hub or "network", country, released, exact_to)

    def _released_report(self, indicator: Indicator, period: ReportingPeriod,
                         hub: str | None, audience: str) -> dict[str, Any] | None:
        subject = f"{self.fhir.ctx.base_url}/{hub}" if hub else self.fhir.ctx.base_url
        for content in store.released_content(self.conn, audience=audience,
                                              period=period.code):
            for report in json.loads(content):
                if (report["measure"].split("|")[0] == indicator.url
                        and report["subject"]["reference"] == subject):
                    return report  # type: ignore[no-any-return]
        return None

    # ---- import ---------------------------------------------------------------------------

    def import_reports(self, reports: Sequence[Mapping[str, Any]]) -> int:
        """Store reports from another system as pending (checked first: all or nothing)."""
        self._require_admin("import outcomes")
        rows = []
        for report in reports:
            data = read_report(report)
            try:
                period = period_of_dates(data.period_start, data.period_end)
            except PeriodError as exc:
                raise InvalidRequest(str(exc)) from None
            stored = {**report, "status": "pending",
                      "id": report_id(data.indicator, period.code, data.subject)}
            rows.append((data.measure.split("|")[0], data.subject, period.code,
                         json.dumps(stored, sort_keys=True)))
        store.save_reports(self.conn, rows, _now_micros())
        return len(rows)

    def rollup(self, period_code: str) -> list[dict[str, Any]]:
        """Combine the reports imported from other nodes for the period into this node's
        network-level reports (pending: disclosure control applies again on release)."""
        self._require_admin("roll up outcomes")
        period = _period(period_code)
        base = self.fhir.ctx.base_url
        by_measure: dict[str, list[dict[str, Any]]] = {}
        for subject, _, content in store.read_reports(self.conn, period.code):
            if subject != base:
                report = json.loads(content)
                by_measure.setdefault(report["measure"].split("|")[0], []).append(report)
        if not by_measure:
            raise NotFound(f"No reports from other nodes for {period.code}: import them first")
        combined = []
        for url, reports in sorted(by_measure.items()):
            report = combine(reports, subject=base, date=_now())
            report["id"] = report_id(catalogue()[url].key, period.code, base)
            combined.append(report)
        store.save_reports(self.conn, [(url, base, period.code, json.dumps(r, sort_keys=True))
                                       for url, r in zip(sorted(by_measure), combined,
                                                         strict=True)], _now_micros())
        return combined

    def _require_admin(self, what: str) -> None:
        if self.fhir.ctx.caller.role != "network-admin":
            raise Forbidden(f"Only a network-admin may {what}")


def report_id(key: str, period: str, subject: str) -> str:
    """A stable MeasureReport id per indicator, period and subject (FHIR ids: 64 chars)."""
    digest = hashlib.sha256(subject.encode()).hexdigest()[:12]
    return f"{key}-{period}-{digest}"[:64]


def _indicators() -> list[Indicator]:
    keys = evaluation.evaluated_keys()
    return [i for i in catalogue().values() if i.key in keys]


def _period(code: str) -> ReportingPeriod:
    try:
        return parse_period(code)
    except PeriodError as exc:
        raise InvalidRequest(str(exc)) from None


def _period_of(report: Mapping[str, Any]) -> ReportingPeriod | None:
    span = report.get("period") or {}
    try:
        return period_of_dates(span.get("start", ""), span.get("end", ""))
    except PeriodError:
        return None


def _hub_reference(text: str) -> str:
    tail = text.rstrip("/").split("/")
    if len(tail) < 2 or tail[-2] != "Organization" or not tail[-1]:
        raise InvalidRequest(f"A hub is given as Organization/ID, got {text!r}")
    return f"Organization/{tail[-1]}"


def _without_volatile(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report without what changes on every evaluation (its date), for the ledger hash."""
    return {k: v for k, v in report.items() if k not in ("date", "meta")}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now_micros() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)


def outcome_settings(threshold: int, aggregators: frozenset[str]) -> OutcomeSettings:
    """The node's disclosure settings (REGISTRY_DISCLOSURE_THRESHOLD, REGISTRY_AGGREGATORS)."""
    return OutcomeSettings(Policy(threshold=threshold), aggregators)
