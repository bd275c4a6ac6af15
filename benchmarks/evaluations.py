"""Evaluation analysis and report for one large program, next to scipy alone on the same arrays.

A program of ``--mentees`` mentees (default 2,000) answers a 40-item knowledge test before and
after (``--items``); the responses are written through the write pipeline into a fresh SQLite
database (scored on write), then timed: the analysis (reading the score facts, pairing, every
statistic), the HTML and the PDF report; beside them, the same statistics computed by scipy and
statsmodels alone on in-memory arrays, the floor the analysis cannot beat.

    python -m benchmarks.evaluations [--mentees 2000] [--items 40] [--seed 7]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from registry.app import create_app
from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.evaluations.analysis import analyse
from registry.services.evaluations.instruments import KEY_EXTENSION, KIND_EXTENSION, NETWORK
from registry.services.evaluations.links import link_extensions
from registry.services.evaluations.report import render
from registry.services.loading import LoadReport, batches, load_batch
from registry.services.unit import unit_of_work
from registry.storage import migrate
from registry.storage.database import create_engine

URL = "https://bench.example.org/fhir/Questionnaire/knowledge-40"
BASE = "http://127.0.0.1:5000/fhir"


def instrument(items: int) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "id": "knowledge-40", "url": URL,
            "status": "active", "title": "Benchmark knowledge test",
            "extension": [{"url": KIND_EXTENSION, "valueCode": "knowledge"}],
            "item": [{"linkId": f"q{n}", "text": f"Question {n}", "type": "choice",
                      "extension": [{"url": KEY_EXTENSION, "valueCode": "a"}],
                      "answerOption": [{"valueCoding": {"code": c}} for c in "abcd"]}
                     for n in range(items)]}


def network(mentees: int) -> list[dict[str, Any]]:
    """A hub, its program and the mentees' roles."""
    hub = {"resourceType": "Organization", "id": "bench-hub", "name": "Bench hub",
           "active": True, "address": [{"country": "PE"}],
           "identifier": [{"system": f"{NETWORK}/sid/organization", "value": "BENCH"}],
           "type": [{"coding": [{"system": f"{NETWORK}/CodeSystem/organization-kind",
                                 "code": "hub"}]}]}
    program = {"resourceType": "HealthcareService", "id": "bench-program", "name": "Bench",
               "active": True, "providedBy": {"reference": "Organization/bench-hub"},
               "extension": [{"url": f"{NETWORK}/StructureDefinition/network-country",
                              "valueCode": "PE"}],
               "type": [{"coding": [{"system": f"{NETWORK}/CodeSystem/program-topic",
                                     "code": "hiv-art"}]}],
               "communication": [{"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}],
               "availableTime": [{"daysOfWeek": ["wed"], "availableStartTime": "14:00:00",
                                  "availableEndTime": "15:30:00"}]}
    people = [{"resourceType": "Practitioner", "id": f"bench-person-{n}", "active": True,
               "name": [{"family": f"Mentee{n}"}]} for n in range(mentees)]
    roles = [{"resourceType": "PractitionerRole", "id": f"bench-role-{n}", "active": True,
              "extension": [{"url": f"{NETWORK}/StructureDefinition/network-country",
                             "valueCode": "PE"}],
              "practitioner": {"reference": f"Practitioner/bench-person-{n}"},
              "organization": {"reference": "Organization/bench-hub"},
              "code": [{"coding": [{"system": f"{NETWORK}/CodeSystem/program-role",
                                    "code": "mentee"}]}],
              "specialty": [{"coding": [{"system": f"{NETWORK}/CodeSystem/discipline",
                                         "code": ("nursing", "pharmacy")[n % 2]}]}]}
             for n in range(mentees)]
    return [hub, program, *people, *roles]


def responses(mentees: int, items: int, rng: np.random.Generator
              ) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    ability = rng.normal(0, 1, mentees)
    pre = rng.random((mentees, items)) < 1 / (1 + np.exp(-(ability[:, None] - 0.3)))
    post = rng.random((mentees, items)) < 1 / (1 + np.exp(-(ability[:, None] + 0.6)))
    found = []
    for phase, right in (("pre", pre), ("post", post)):
        for m in range(mentees):
            found.append({
                "resourceType": "QuestionnaireResponse", "id": f"bench-{phase}-{m}",
                "status": "completed", "questionnaire": URL, "authored": "2026-03-01",
                "extension": link_extensions("HealthcareService/bench-program", None, phase),
                "author": {"reference": f"PractitionerRole/bench-role-{m}"},
                "item": [{"linkId": f"q{n}", "answer": [{"valueCoding": {
                    "code": "a" if right[m, n] else "b"}}]} for n in range(items)]})
    return found, pre.astype(float), post.astype(float)


def scipy_alone(pre: np.ndarray, post: np.ndarray) -> None:
    """The statistics of the analysis on in-memory arrays: the floor."""
    a, b = 100 * pre.mean(axis=1), 100 * post.mean(axis=1)
    stats.ttest_rel(b, a).confidence_interval()
    stats.wilcoxon(b - a, method="asymptotic")
    p = []
    for k in range(pre.shape[1]):
        x, y = pre[:, k] >= 1, post[:, k] >= 1
        table = [[np.sum(x & y), np.sum(x & ~y)], [np.sum(~x & y), np.sum(~x & ~y)]]
        p.append(mcnemar(table, exact=False, correction=True).pvalue)
    multipletests(p, method="holm")


def render_charts_once() -> None:
    """Load matplotlib and its fonts before timing, as a running server has."""
    from matplotlib.figure import Figure

    Figure().savefig(io.BytesIO(), format="png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=2000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(create_engine(url))
        app = create_app({"database_url": url, "base_url": BASE, "node_secret": "bench"})
        database, node = app.extensions["registry.database"], app.extensions["registry.node"]

        def unit(write: bool):  # type: ignore[no-untyped-def]
            return unit_of_work(database, node, Caller.system("bench"), AuditTrail(), BASE,
                                write=write)
        found, pre, post = responses(args.mentees, args.items, np.random.default_rng(args.seed))
        started = time.perf_counter()
        for chunk in batches([instrument(args.items), *network(args.mentees), *found], 500):
            with unit(True) as service:
                load_batch(service, chunk, LoadReport())
        scipy_alone(pre, post)  # warm: first calls of scipy and statsmodels load modules
        render_charts_once()
        loaded = time.perf_counter()
        with unit(False) as service:
            result = analyse(service, "bench-program")
        analysed = time.perf_counter()
        html = render(result, "html", "en")
        rendered = time.perf_counter()
        pdf = render(result, "pdf", "en")
        printed = time.perf_counter()
        scipy_alone(pre, post)
        floor = time.perf_counter() - printed
    matched = result.instruments[0].pairs.matched
    print(f"{args.mentees} mentees x 2 phases x {args.items} items; matched pairs: "
          f"{len(matched)}")
    print(f"write the network and score {len(found)} responses: {loaded - started:.1f} s")
    print(f"analysis: {analysed - loaded:.2f} s; HTML report: {rendered - analysed:.2f} s "
          f"({len(html) // 1024} KiB); PDF report: {printed - rendered:.2f} s "
          f"({len(pdf) // 1024} KiB)")
    print(f"analysis and both reports: {printed - loaded:.2f} s; scipy and statsmodels alone "
          f"on the same arrays: {floor:.3f} s")


if __name__ == "__main__":
    main()
