"""Disclosure control and its audit on a realistic release.

One year of a national node with 30 hubs: for every indicator, the national report (stratified
by hub, month and the indicator's other stratifiers, up to 7) and each hub's report, all
released together, so that every hub stratum of a national report is also a hub's total.
Figures are drawn at random (seeded) but consistent: strata of a partition add up.

    python -m benchmarks.disclosure [--hubs 30] [--seed 7]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from registry.services.outcomes.disclosure import protect
from registry.services.outcomes.measures import Indicator, catalogue
from registry.services.outcomes.periods import parse_period
from registry.services.outcomes.reports import Counted, IndicatorFigures, build_report

BASE = "https://national.example.org/fhir"
VALUES = {
    "country": ["KE"], "topic": ["hiv-art", "tuberculosis", "mental-health", "hepatitis-c"],
    "discipline": ["nursing", "primary-care", "pharmacy", "psychology", "social-work",
                   "community-health", "unknown"],
    "settlement": ["rural", "urban", "peri-urban", "unknown"],
    "period-month": [f"2026-{m:02d}" for m in range(1, 13)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hubs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    generated: dict[str, list[IndicatorFigures]] = {}
    reports: list[dict[str, Any]] = []
    ordered = sorted(catalogue().values(),
                     key=lambda i: i.stratum_of is not None or i.subset_of is not None)
    for indicator in ordered:
        if indicator.subset_of:  # follow-ups: a thinning of case presentations
            source = generated[catalogue()[indicator.subset_of].key]
            batch = [build_report(indicator, _thinned(f, rng), period=parse_period("2026"),
                                  subject=f"{BASE}/Organization/hub-{h}")
                     for h, f in enumerate(source)]
            reports.extend(batch)
            continue
        totals = None
        if indicator.stratum_of:  # active rural spokes: the rural stratum of active spokes
            source = generated[catalogue()[indicator.stratum_of.measure].key]
            totals = [f.strata[indicator.stratum_of.stratifier][indicator.stratum_of.value].count
                      for f in source]
        generated[indicator.key], batch = _reports(indicator, args.hubs, rng, totals)
        reports.extend(batch)
    built = time.perf_counter()
    release = protect(reports)
    done = time.perf_counter()
    audit = release.audit
    cells = sum(1 + sum(len(s["stratum"]) for s in r["group"][0].get("stratifier", []))
                for r in reports)
    print(f"reports: {len(reports)} ({len(catalogue())} indicators x {args.hubs + 1} subjects, "
          f"year 2026); figures: {cells}")
    print(f"masked figures: {audit.masked}; audited values: {len(audit.cells)}; "
          f"audit {'passed' if audit.passed else 'FAILED: ' + audit.summary()}")
    print(f"build reports: {built - started:.2f} s; disclosure control and audit: "
          f"{done - built:.2f} s")


def _reports(indicator: Indicator, hubs: int, rng: np.random.Generator,
             totals: list[int] | None) -> tuple[list[IndicatorFigures], list[dict[str, Any]]]:
    year = parse_period("2026")
    codes = [s.code for s in indicator.stratifiers if s.code in VALUES][:6]
    hub_figures = []
    for h in range(hubs):
        n = totals[h] if totals else int(rng.poisson(rng.choice([8, 40, 150])))
        total = _counted(indicator, n, rng)
        hub_figures.append(IndicatorFigures(total, {c: _split(indicator, total, VALUES[c], rng)
                                                    for c in codes}))
    reports = [build_report(indicator, f, subject=f"{BASE}/Organization/hub-{h}", period=year)
               for h, f in enumerate(hub_figures)]
    national = IndicatorFigures(_sum(indicator, [f.total for f in hub_figures]), {
        code: {v: _sum(indicator, [f.strata[code][v] for f in hub_figures])
               for v in VALUES[code]} for code in codes})
    if indicator.stratifier("hub"):
        national.strata["hub"] = {  # type: ignore[index]
            f"{BASE}/Organization/hub-{h}": f.total for h, f in enumerate(hub_figures)}
    reports.append(build_report(indicator, national, subject=f"{BASE}/Organization/national",
                                period=year))
    return hub_figures, reports


def _thinned(figures: IndicatorFigures, rng: np.random.Generator) -> IndicatorFigures:
    """A subset: each stratum at most the source's, strata adding up to the subset's total."""
    k = int(rng.binomial(figures.total.count, 0.3))
    strata = {}
    for code, values in figures.strata.items():
        parts = rng.multivariate_hypergeometric([c.count for c in values.values()], k)
        strata[code] = {v: Counted(int(n)) for v, n in zip(values, parts, strict=True)}
    return IndicatorFigures(Counted(k), strata)


def _counted(indicator: Indicator, n: int, rng: np.random.Generator) -> Counted:
    if indicator.scoring == "proportion":
        return Counted(n, numerator=int(rng.binomial(n, 0.2)))
    if indicator.method == "median":
        return Counted(n, median=float(rng.gamma(2.0, 2.0)) if n else None)
    if indicator.carries_sum:
        return Counted(n, observation_sum=float(n * rng.normal(6.0, 2.0)))
    return Counted(n)


def _split(indicator: Indicator, total: Counted, values: list[str],
           rng: np.random.Generator) -> dict[str, Counted]:
    counts = rng.multinomial(total.count, rng.dirichlet(np.ones(len(values))))
    numerators = (rng.multivariate_hypergeometric(counts, total.numerator or 0)
                  if indicator.scoring == "proportion" else [None] * len(values))
    weights = counts * rng.uniform(0.5, 1.5, len(values))
    shares = weights / weights.sum() if weights.sum() else weights
    out = {}
    for value, count, numerator, share in zip(values, counts, numerators, shares, strict=True):
        out[value] = Counted(
            int(count), numerator=None if numerator is None else int(numerator),
            observation_sum=(total.observation_sum or 0.0) * float(share)
            if indicator.carries_sum else None,
            median=float(rng.gamma(2.0, 2.0)) if indicator.method == "median" else None)
    return out


def _sum(indicator: Indicator, parts: list[Counted]) -> Counted:
    return Counted(
        sum(p.count for p in parts),
        numerator=sum(p.numerator or 0 for p in parts) if indicator.scoring == "proportion"
        else None,
        observation_sum=sum(p.observation_sum or 0.0 for p in parts)
        if indicator.carries_sum else None,
        median=3.0 if indicator.method == "median" else None)


if __name__ == "__main__":
    main()
