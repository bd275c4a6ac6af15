"""The result of a run as JSON and as a table, with ratios to floors, targets and peers.

Every workload's absolute figures sit next to its floors and the ratio to each; the targets
the issue sets are evaluated from those ratios, and the per-core comparison divides by this
machine's cores and by the 8 vCPU of the published HAPI FHIR and Aidbox runs.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.cpu import GROUPS, total_us
from benchmarks.dataset import LoadedNetwork
from benchmarks.settings import SOURCE_ROOT, BenchSettings, scale_label
from benchmarks.workloads import SEARCH_WORKLOADS, Workload

HISTORY = "history"
CPU = "cpu_us_per_request"
CPU_MIN_REQUESTS = 100  # /proc counts 10 ms ticks: fewer requests, over 100 us a tick each
CODE_PATHS = ("registry", "schemas", "benchmarks/*.py", "wsgi.py")  # what a run executes
# A vendor-run benchmark, 8 vCPU per server, about 2M resources (figures per second).
PEERS = {
    "HAPI FHIR": {"crud_requests": 3_058, "bundle_resources": 2_214, "searches": 1_005},
    "Aidbox": {"crud_requests": 5_212, "bundle_resources": 2_678, "searches": 3_404},
}
PEER_CPUS = 8
ONE_MILLION = 1_000_000
SAME_ANSWER = 0.1  # answers whose mean entries differ by at most 10 % are the same size


def build(*, settings: BenchSettings, network: LoadedNetwork, workloads: list[Workload],
          measured: dict[str, dict[str, Any]], floors: dict[str, dict[str, dict[str, Any]]],
          server_memory: dict[str, float], database_mb: float, seconds: float,
          code: str | None) -> dict[str, Any]:
    descriptions = {w.name: w.description for w in workloads}
    descriptions[HISTORY] = (f"GET /_history?_since&_sort=_lastUpdated, pages of "
                             f"{settings.history_page:,}, following next links")
    result: dict[str, Any] = {
        "meta": _meta(settings, seconds, database_mb, code),
        "load": {"resources": network.resources, "seconds": round(network.seconds, 2),
                 "resources_per_s": round(network.per_second, 1),
                 "by_type": dict(sorted(network.by_type.items()))},
        "server_memory": server_memory,
        "workloads": {},
    }
    for name, figures in measured.items():
        workload_floors = floors.get(name, {})
        result["workloads"][name] = {
            "description": descriptions.get(name, name),
            "registry": figures,
            "floors": workload_floors,
            "ratios": {kind: _ratios(figures, floor) for kind, floor in workload_floors.items()},
        }
    result["targets"] = targets(result)
    result["per_core"] = per_core(result)
    return result


def _meta(settings: BenchSettings, seconds: float, database_mb: float,
          code: str | None) -> dict[str, Any]:
    return {
        "scale": settings.scale, "label": settings.label, "database": settings.db,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds)),
        "seconds": round(seconds, 1), "database_mb": round(database_mb, 1),
        "cpus": os.cpu_count(), "machine": platform.machine(),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],  # other tenants?
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "commit": code,
        "server": {"workers": settings.workers, "threads": settings.threads},
        "clients": settings.clients, "seed": settings.seed, "rounds": settings.rounds,
        "budgets": {"duration_s": settings.duration, "requests": settings.requests,
                    "bundles": settings.bundles, "bundle_size": settings.bundle_size,
                    "floor_repeats": settings.floor_repeats},
    }


def code_version() -> str | None:
    """The checked-out commit, with ``+changes`` when tracked code differs from it, so that a
    figure can be traced to the code it measured.

    Taken when the registry server starts (it imports the code then): at 1M that is 20
    minutes after the run starts, and a commit read when the report is written may name
    other code than the server ran.
    """
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=5,
                              cwd=SOURCE_ROOT)
        return done.stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)
    except (OSError, subprocess.SubprocessError):
        return None
    if not commit:
        return None
    return f"{commit}+changes" if changed else commit


def _ratios(registry: dict[str, Any], floor: dict[str, Any]) -> dict[str, float | None]:
    """p50 as a multiple of the floor's; throughput as a fraction of the floor's; and, where
    both were measured over HTTP with enough requests for ``/proc``'s ticks, the CPU everyone
    spent per request as a multiple of the floor's."""
    ratios = {"p50": _divide(registry["p50_ms"], floor["p50_ms"]),
              "throughput": _divide(registry["resources_per_s"], floor["resources_per_s"])}
    if CPU in registry and CPU in floor and min(registry["requests"],
                                               floor["requests"]) >= CPU_MIN_REQUESTS:
        ratios["cpu"] = _divide(total_us(registry[CPU]), total_us(floor[CPU]))
    return ratios


def _divide(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def answer_size(bodies: list[bytes]) -> dict[str, float]:
    """Mean entries and kilobytes of a workload's recorded answers (a resource counts as one
    entry, a Bundle as its entries).

    A search's cost follows the size of its answer, so two runs' p50s compare the look-up
    alone only when their answers are the same size: a family name matches 2 practitioners
    at 10k and fills the page of 50 at 1M.
    """
    if not bodies:
        return {"entries": 0.0, "kb": 0.0}
    entries = [_entries(orjson.loads(body)) for body in bodies]
    return {"entries": round(sum(entries) / len(entries), 1),
            "kb": round(sum(map(len, bodies)) / len(bodies) / 1000, 1)}


def _entries(answer: dict[str, Any]) -> int:
    if answer.get("resourceType") == "Bundle":
        return len(answer.get("entry", []))
    return 1


def _workload(result: dict[str, Any], name: str) -> dict[str, Any]:
    return result["workloads"].get(name) or {"registry": {}, "ratios": {}}


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets that one run can judge (the 10k-vs-1M one needs two runs)."""
    read = _workload(result, "read")["ratios"].get("http", {}).get("p50")
    searches = {n: _workload(result, n)["ratios"].get("http", {}).get("p50")
                for n in SEARCH_WORKLOADS}
    worst_search = max((v for v in searches.values() if v is not None), default=None)
    ingest = _workload(result, "transaction")["ratios"].get("write", {}).get("throughput")
    sync = _workload(result, HISTORY)["registry"].get("resources_per_s")
    rss = result["server_memory"]["peak_mb"]
    at_million = result["meta"]["scale"] >= ONE_MILLION
    return [
        _target("read p50 within 2x the HTTP floor", read, lambda v: v <= 2, "x"),
        _target("search p50 within 3x the HTTP floor (worst search)", worst_search,
                lambda v: v <= 3, "x", detail=searches),
        _target("transaction ingest >= 25% of the write floor", ingest,
                lambda v: v >= 0.25, "of floor"),
        _target("_history sync >= 5,000 resources/s", sync, lambda v: v >= 5_000, "res/s"),
        _target("server RSS < 300 MB at 1M resources", rss, lambda v: v < 300, "MB",
                applies=at_million),
    ]


def _target(goal: str, value: float | None, test: Any, unit: str, *,
            applies: bool = True, detail: Any = None) -> dict[str, Any]:
    met = None if value is None else bool(test(value))
    entry = {"goal": goal, "value": value, "unit": unit, "met": met, "at_this_scale": applies}
    if detail is not None:
        entry["detail"] = detail
    return entry


def per_core(result: dict[str, Any]) -> dict[str, Any]:
    """Our throughput per core next to the peers' published figures per vCPU."""
    cpus = result["meta"]["cpus"] or 1
    create = _workload(result, "create")["registry"].get("requests_per_s", 0.0)
    read = _workload(result, "read")["registry"].get("requests_per_s", 0.0)
    crud = 2 / (1 / create + 1 / read) if create and read else 0.0  # a 50/50 write/read mix
    bundle = _workload(result, "transaction")["registry"].get("resources_per_s", 0.0)
    rates = [_workload(result, n)["registry"].get("requests_per_s", 0.0)
             for n in SEARCH_WORKLOADS]
    searches = sum(rates) / len(rates) if rates else 0.0
    ours = {"crud_requests": crud, "bundle_resources": bundle, "searches": searches}
    table: dict[str, Any] = {"cpus": cpus, "peer_cpus": PEER_CPUS,
                             "note": "crud = equal mix of single creates and reads; searches = "
                                     "mean of the six search workloads", "metrics": {}}
    for metric, value in ours.items():
        row = {"ours_per_core": round(value / cpus, 1)}
        for peer, figures in PEERS.items():
            peer_rate = figures[metric] / PEER_CPUS
            row[f"{peer}_per_core"] = round(peer_rate, 1)
            row[f"vs_{peer}"] = round(value / cpus / peer_rate, 2)
        table["metrics"][metric] = row
    return table


def scaling(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    """Search p50 at the larger scale as a multiple of the smaller (flat is 1.0).

    The two runs are minutes or hours apart, and this machine's speed drifts by 15-40 % over
    that time; ``floor_adjusted`` divides each p50 by its own run's HTTP floor (which serves
    the same bytes whatever the store's size) before comparing, so drift cancels out.
    Each row also gives the mean answer size at both scales (see ``answer_size``);
    ``worst_search_same_answer`` is the worst ratio among searches whose answers kept their
    size within ``SAME_ANSWER``, the ones that measure the look-up alone. The target is judged
    on the plain ratio of every search, as the issue sets it.
    """
    rows = {}
    for name in (*SEARCH_WORKLOADS, "read", "vread"):
        ours = _workload(small, name), _workload(large, name)
        a, b = (w["registry"].get("p50_ms") for w in ours)
        a_floor, b_floor = (w["ratios"].get("http", {}).get("p50") for w in ours)
        a_entries, b_entries = (w["registry"].get("answer", {}).get("entries") for w in ours)
        rows[name] = {"small_p50_ms": a, "large_p50_ms": b, "ratio": _divide(b or 0, a or 0),
                      "floor_adjusted": _divide(b_floor or 0, a_floor or 0),
                      "small_entries": a_entries, "large_entries": b_entries}
    worst = max((rows[n]["ratio"] for n in SEARCH_WORKLOADS if rows[n]["ratio"]), default=None)
    adjusted = max((rows[n]["floor_adjusted"] for n in SEARCH_WORKLOADS
                    if rows[n]["floor_adjusted"]), default=None)
    same = max((rows[n]["ratio"] for n in SEARCH_WORKLOADS
                if rows[n]["ratio"] and _same_answer(rows[n])), default=None)
    return {"small": small["meta"]["label"], "large": large["meta"]["label"], "workloads": rows,
            "worst_search_ratio": worst, "worst_search_floor_adjusted": adjusted,
            "worst_search_same_answer": same,
            "target": {"goal": "search p50 at the large scale within 1.5x the small scale",
                       "met": None if worst is None else worst <= 1.5}}


def _same_answer(row: dict[str, Any]) -> bool:
    """Whether both runs answered with about as many entries (``_summary=count``: none)."""
    a, b = row.get("small_entries"), row.get("large_entries")
    if a is None or b is None:
        return False
    return abs(b - a) <= SAME_ANSWER * max(a, b, 1)


# ---- output --------------------------------------------------------------------------------


def write_json(result: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = result["meta"]["started"].replace(":", "").replace("-", "")
    path = out_dir / f"{result['meta']['label']}-{stamp}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return path


def render(result: dict[str, Any]) -> str:
    meta, load = result["meta"], result["load"]
    lines = [
        f"Registry benchmark — {scale_label(meta['scale'])} resources on {meta['database']}, "
        f"{meta['cpus']} CPUs, gunicorn {meta['server']['workers']}x{meta['server']['threads']},"
        f" {meta['clients']} client threads, run took {meta['seconds']:.0f} s",
        f"read and search workloads: the median of {meta.get('rounds', 1)} paired rounds "
        f"(registry, then its HTTP floor, seconds apart)",
        f"load (persist, batches of 1,000): {load['resources']:,} resources in "
        f"{load['seconds']:.1f} s = {load['resources_per_s']:,.0f}/s; database "
        f"{meta['database_mb']:,.0f} MB; server RSS idle {result['server_memory']['idle_mb']:.0f}"
        f" MB, peak {result['server_memory']['peak_mb']:.0f} MB (PSS peak "
        f"{result['server_memory'].get('peak_pss_mb', 0):.0f} MB)",
        "",
        f"{'workload':<18}{'req/s':>9}{'res/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'RSS MB':>8}  floors (p50 ms, ratio)",
    ]
    for name, w in result["workloads"].items():
        r = w["registry"]
        floors = "; ".join(_floor_text(kind, floor, w["ratios"][kind])
                           for kind, floor in w["floors"].items())
        if len(r.get("rounds", [])) > 1:
            spread = [round_["p50_ratio"] for round_ in r["rounds"]]
            floors += f"; {len(spread)} rounds {min(spread):.2f}-{max(spread):.2f}x"
        if "answer" in r:
            answer = r["answer"]
            floors += f"; answers {answer['entries']:,.1f} entries, {answer['kb']:,.1f} kB"
        lines.append(f"{name:<18}{r['requests_per_s']:>9,.0f}{r['resources_per_s']:>10,.0f}"
                     f"{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}{r['p99_ms']:>9.2f}"
                     f"{r['peak_rss_mb']:>8.0f}  {floors}")
        if r["errors"]:
            lines.append(f"{'':<18}!! {r['errors']} failed requests: {r['statuses']}")
    lines += ["", *_cpu_lines(result), "", "targets:"]
    for t in result["targets"]:
        lines.append(f"  [{_mark(t)}] {t['goal']}: {_value(t['value'])} {t['unit']}"
                     + ("" if t["at_this_scale"] else " (judged at 1M only)"))
    lines += ["", f"per core ({result['per_core']['cpus']} here, 8 vCPU for the peers):"]
    for metric, row in result["per_core"]["metrics"].items():
        lines.append(f"  {metric:<17} ours {row['ours_per_core']:>8,.0f}/s/core   "
                     f"HAPI {row['HAPI FHIR_per_core']:>6,.0f} ({row['vs_HAPI FHIR']:.2f}x)   "
                     f"Aidbox {row['Aidbox_per_core']:>6,.0f} ({row['vs_Aidbox']:.2f}x)")
    return "\n".join(lines)


def _cpu_lines(result: dict[str, Any]) -> list[str]:
    """CPU per request by who spent it, the registry's next to its HTTP floor's (same round)."""
    lines = ["cpu per request, us of user+system time (server / database / client = total): "
             "registry | HTTP floor, and their ratio"]
    for name, w in result["workloads"].items():
        ours, floor = w["registry"].get(CPU), w["floors"].get("http", {}).get(CPU)
        if ours is None:
            continue
        text = f"  {name:<18}{_cpu_text(ours)}"
        if floor is not None:
            ratio = w["ratios"]["http"].get("cpu")
            text += f"  |  {_cpu_text(floor)}  " + ("n/a" if ratio is None else f"{ratio:.2f}x")
        lines.append(text)
    return lines


def _cpu_text(figures: dict[str, float | None]) -> str:
    parts = " / ".join("-" if figures.get(g) is None else f"{figures[g]:,.0f}" for g in GROUPS)
    return f"{parts} = {total_us(figures):,.0f}"


def _floor_text(kind: str, floor: dict[str, Any], ratios: dict[str, Any]) -> str:
    if kind == "write" or (kind == "http" and floor["resources_per_s"] > floor["requests_per_s"]):
        return (f"{kind} {floor['resources_per_s']:,.0f} res/s, {_value(ratios['throughput'])}"
                f" of it")
    return f"{kind} {floor['p50_ms']:.2f} ({_value(ratios['p50'])}x)"


def render_scaling(table: dict[str, Any]) -> str:
    lines = [f"scaling {table['small']} -> {table['large']} (p50 ms, ratio; flat is 1.0; "
             f"adjusted: each p50 over its run's HTTP floor first):"]
    for name, row in table["workloads"].items():
        lines.append(f"  {name:<18}{_value(row['small_p50_ms']):>9} -> "
                     f"{_value(row['large_p50_ms']):>9}  {_value(row['ratio'])}x  "
                     f"(adjusted {_value(row.get('floor_adjusted'))}x; answers "
                     f"{_count(row.get('small_entries'))} -> {_count(row.get('large_entries'))}"
                     f" entries)")
    met = table["target"]["met"]
    lines.append(f"  [{'met' if met else 'MISSED' if met is False else '?'}] "
                 f"{table['target']['goal']}: worst {_value(table['worst_search_ratio'])}x "
                 f"(adjusted {_value(table.get('worst_search_floor_adjusted'))}x); among "
                 f"searches whose answers kept their size: worst "
                 f"{_value(table.get('worst_search_same_answer'))}x")
    return "\n".join(lines)


def _mark(target: dict[str, Any]) -> str:
    if target["met"] is None:
        return " ? "
    return "met" if target["met"] else "MISSED"


def _value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}"


def _count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def load_result(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes())  # type: ignore[no-any-return]
