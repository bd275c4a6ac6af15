"""The benchmark harness itself runs: a tiny network on SQLite, every workload and floor.

No timing thresholds here (the figures depend on the machine); only that the harness produces
a complete result with sane numbers. The real runs are ``make bench``, never ``make test``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import report
from benchmarks.__main__ import parse_args
from benchmarks.cpu import CpuMeter, CpuSnapshot, total_us
from benchmarks.floors import sql_floor
from benchmarks.runner import _median_round, run
from benchmarks.settings import BenchSettings, parse_scale
from benchmarks.workloads import (
    SEARCH_WORKLOADS,
    _sql_chained,
    _sql_count,
    _sql_include,
    _sql_reference,
    _sql_string,
    _sql_token,
)
from registry.storage.database import create_engine
from tests.conftest import empty_tables

WORKLOADS = ("create", "transaction", "read", "vread", *SEARCH_WORKLOADS, "history")
FLOORS = {"create": {"http", "write"}, "transaction": {"http", "write"}, "read": {"http"},
          "vread": {"http"}, "history": {"http"}, **{n: {"http", "sql"} for n in SEARCH_WORKLOADS}}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("bench")
    settings = BenchSettings(scale=1_500, db="sqlite", clients=2, duration=2.0, requests=40,
                             rounds=3, bundles=1, bundle_size=100, history_page=500,
                             floor_repeats=20, work_dir=work, out_dir=work / "results",
                             progress=False)
    return run(settings)


def test_every_workload_and_floor_is_reported(result: dict[str, Any]) -> None:
    assert set(result["workloads"]) == set(WORKLOADS)
    for name, expected in FLOORS.items():
        workload = result["workloads"][name]
        assert set(workload["floors"]) == expected, name
        assert set(workload["ratios"]) == expected, name


def test_figures_are_sane(result: dict[str, Any]) -> None:
    for name, workload in result["workloads"].items():
        figures = workload["registry"]
        assert figures["errors"] == 0, (name, figures["statuses"])
        assert figures["requests"] > 0, name
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"], name
        assert figures["requests_per_s"] > 0 and figures["peak_rss_mb"] > 0, name
        for kind, floor in workload["floors"].items():
            assert floor["errors"] == 0 and floor["p50_ms"] > 0, (name, kind)
            assert workload["ratios"][kind]["p50"] > 0, (name, kind)


def test_read_only_workloads_report_the_median_of_paired_rounds(result: dict[str, Any]) -> None:
    """Each read and search is measured in rounds, registry then floor; the round with the
    median ratio is the one reported, so its p50s are the ones the ratio is made of."""
    assert result["meta"]["rounds"] == 3
    for name in ("read", "vread", *SEARCH_WORKLOADS):
        workload = result["workloads"][name]
        rounds = workload["registry"]["rounds"]
        assert len(rounds) == 3, name
        median = sorted(r["p50_ratio"] for r in rounds)[1]
        # Two rounds may list the same ratio once rounded to three places: either may be it.
        reported = [(r["p50_ms"], r["floor_p50_ms"]) for r in rounds if r["p50_ratio"] == median]
        assert (workload["registry"]["p50_ms"],
                workload["floors"]["http"]["p50_ms"]) in reported, name
        assert workload["ratios"]["http"]["p50"] == pytest.approx(median, abs=0.001), name
    for name in ("create", "transaction", "history"):
        assert "rounds" not in result["workloads"][name]["registry"], name


def test_median_round_is_chosen_by_ratio_not_by_latency() -> None:
    slow_machine = ({"p50_ms": 9.0, "requests_per_s": 1.0}, {"p50_ms": 6.0})  # 1.5x
    fast_but_bad = ({"p50_ms": 3.0, "requests_per_s": 1.0}, {"p50_ms": 1.0})  # 3.0x
    typical = ({"p50_ms": 4.0, "requests_per_s": 1.0}, {"p50_ms": 2.0})  # 2.0x
    ours, floor = _median_round([slow_machine, fast_but_bad, typical])
    assert (ours["p50_ms"], floor["p50_ms"]) == (4.0, 2.0)
    assert [r["p50_ratio"] for r in ours["rounds"]] == [1.5, 3.0, 2.0]


def test_rounds_whose_ratios_round_alike_are_told_apart_by_the_exact_ratio() -> None:
    """1.2194 and 1.2193 both list as 1.219; the median is the round of the exact 1.2193."""
    low = ({"p50_ms": 1.0, "requests_per_s": 1.0}, {"p50_ms": 1.0})
    higher = ({"p50_ms": 2.4388, "requests_per_s": 1.0}, {"p50_ms": 2.0})  # 1.2194
    middle = ({"p50_ms": 1.2193, "requests_per_s": 1.0}, {"p50_ms": 1.0})  # 1.2193
    ours, floor = _median_round([low, higher, middle])
    assert [r["p50_ratio"] for r in ours["rounds"]] == [1.0, 1.219, 1.219]
    assert (ours["p50_ms"], floor["p50_ms"]) == (1.2193, 1.0)


def test_bad_arguments_are_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--rounds", "0"], ["--clients", "many"]):
        with pytest.raises(SystemExit) as exited:
            parse_args(argv)
        assert exited.value.code == 2
    assert "--clients: 'many' is not a whole number" in capsys.readouterr().err


def test_load_history_and_memory(result: dict[str, Any]) -> None:
    assert result["load"]["resources"] == 1_500
    history = result["workloads"]["history"]["registry"]
    assert history["complete"] is True
    assert history["resources_per_s"] > 0
    assert result["server_memory"]["peak_mb"] >= result["server_memory"]["idle_mb"] > 0


def test_report_renders_and_is_written(result: dict[str, Any], tmp_path: Path) -> None:
    text = report.render(result)
    assert "targets:" in text and "per core" in text
    path = report.write_json(result, tmp_path)
    again = report.load_result(path)
    assert again["meta"]["scale"] == 1_500
    table = report.scaling(result, again)
    assert table["worst_search_ratio"] == pytest.approx(1.0)
    assert table["worst_search_floor_adjusted"] == pytest.approx(1.0)
    assert "scaling" in report.render_scaling(table)


def test_scaling_adjusted_for_drift_divides_by_each_runs_http_floor() -> None:
    def run(label: str, p50: float, floor: float) -> dict[str, Any]:
        workload = {"registry": {"p50_ms": p50}, "ratios": {"http": {"p50": p50 / floor}}}
        return {"meta": {"label": label}, "workloads": {n: workload for n in SEARCH_WORKLOADS}}
    table = report.scaling(run("10k", 2.0, 1.0), run("1m", 3.0, 1.5))  # a 50 % slower machine
    assert table["worst_search_ratio"] == pytest.approx(1.5)
    assert table["worst_search_floor_adjusted"] == pytest.approx(1.0)
    assert "adjusted 1.00x" in report.render_scaling(table)


def test_answer_sizes_are_recorded_per_read_only_workload(result: dict[str, Any]) -> None:
    """Each read and search reports the mean size of its answers, from the recorded bodies."""
    workloads = result["workloads"]
    assert workloads["read"]["registry"]["answer"]["entries"] == 1.0
    assert workloads["search_count"]["registry"]["answer"]["entries"] == 0.0
    for name in ("search_string", "search_reference", "search_include"):
        answer = workloads[name]["registry"]["answer"]
        assert 1 <= answer["entries"] <= 100 and answer["kb"] > 0, name
    include = workloads["search_include"]["registry"]["answer"]["entries"]
    assert include > workloads["search_reference"]["registry"]["answer"]["entries"]
    assert "answers 1.0 entries" in report.render(result)


def test_answer_size_counts_bundle_entries_and_single_resources() -> None:
    bundle = b'{"resourceType":"Bundle","type":"searchset","entry":[{},{},{}]}'
    count = b'{"resourceType":"Bundle","type":"searchset","total":7}'
    resource = b'{"resourceType":"Practitioner","id":"p"}'
    assert report.answer_size([bundle, count, resource]) == {
        "entries": round(4 / 3, 1), "kb": round((len(bundle) + len(count) + len(resource))
                                                / 3 / 1000, 1)}
    assert report.answer_size([]) == {"entries": 0.0, "kb": 0.0}


def test_scaling_names_the_searches_whose_answers_grew() -> None:
    """The name search fills its page at 1M but not at 10k: its ratio measures a bigger
    answer, so the worst ratio among same-size answers leaves it out (the target does not)."""
    def run(label: str, p50: dict[str, float], entries: dict[str, float]) -> dict[str, Any]:
        return {"meta": {"label": label}, "workloads": {
            n: {"registry": {"p50_ms": p50[n], "answer": {"entries": entries[n], "kb": 1.0}},
                "ratios": {"http": {"p50": 1.0}}} for n in SEARCH_WORKLOADS}}
    flat = dict.fromkeys(SEARCH_WORKLOADS, 2.0)
    small = run("10k", flat, {**dict.fromkeys(SEARCH_WORKLOADS, 12.0), "search_string": 2.0,
                              "search_count": 0.0})
    large = run("1m", {**flat, "search_string": 5.0, "search_token": 2.4},
                {**dict.fromkeys(SEARCH_WORKLOADS, 12.5), "search_string": 50.0,
                 "search_count": 0.0})
    table = report.scaling(small, large)
    assert table["worst_search_ratio"] == pytest.approx(2.5)
    assert table["target"]["met"] is False
    assert table["worst_search_same_answer"] == pytest.approx(1.2)
    assert table["workloads"]["search_string"]["large_entries"] == 50.0
    assert "2.0 -> 50.0 entries" in report.render_scaling(table)


def test_the_code_measured_is_named_with_its_uncommitted_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run names the commit the server imported, marked when tracked code differs from it
    (an edit made while a 1M run loads is what its server runs)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
                               *args], cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout.strip()
    git("init", "-q")
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "engine.py").write_text("x = 1\n")
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "README.md").write_text("notes\n")
    git("add", ".")
    git("commit", "-qm", "first")
    monkeypatch.setattr(report, "SOURCE_ROOT", tmp_path)
    commit = git("rev-parse", "--short", "HEAD")
    assert report.code_version() == commit
    (tmp_path / "benchmarks" / "README.md").write_text("more notes\n")  # not code
    (tmp_path / "registry" / "new.py").write_text("")  # untracked
    assert report.code_version() == commit
    (tmp_path / "registry" / "engine.py").write_text("x = 2\n")
    assert report.code_version() == f"{commit}+changes"
    monkeypatch.setattr(report, "SOURCE_ROOT", tmp_path / "registry" / "nowhere")
    assert report.code_version() is None


def test_scales_are_written_as_people_say_them() -> None:
    assert parse_scale("10k") == 10_000
    assert parse_scale("1M") == 1_000_000
    assert parse_scale("2500") == 2_500
    with pytest.raises(ValueError):
        parse_scale("lots")


def test_search_floors_run_in_each_databases_own_spelling(database_url: str) -> None:
    """Each hand-written search floor is valid SQL on both databases (PostgreSQL compares
    the "C"-collated ``target_id`` in ``res_id``'s collation, so the key index serves it)."""
    empty_tables(database_url)
    calls = [_sql_string("Martin"), _sql_token("https://example.org|X1"),
             _sql_reference("org-1"), _sql_chained("Hub"), _sql_include("org-1"),
             _sql_count("org-1")]
    engine = create_engine(database_url)
    try:
        measured = sql_floor(engine, calls, len(calls), progress=False)
    finally:
        engine.dispose()
    assert measured.items == len(calls) and set(measured.statuses) == {200}
    include = _sql_include("org-1")
    assert ('COLLATE "default"' in include.text_for("postgresql")
            and "COLLATE" not in include.text_for("sqlite"))


def test_cpu_per_request_is_reported_by_who_spent_it(result: dict[str, Any]) -> None:
    """Every workload measured through the driver records the CPU its server, the database
    and the client spent per request, the registry's and its HTTP floor's; on SQLite there are
    no database processes (its work is the server's)."""
    registry_server = floor_server = 0.0
    for name, workload in result["workloads"].items():
        if name == "history":  # driven by the history sync, not the driver
            continue
        ours = workload["registry"]["cpu_us_per_request"]
        floor = workload["floors"]["http"]["cpu_us_per_request"]
        for figures in (ours, floor):
            assert figures["database"] is None, name
            assert figures["server"] >= 0 and figures["client"] >= 0, name
        registry_server += ours["server"]
        floor_server += floor["server"]
        # 40 requests a workload here: too few for a ratio of /proc's 10 ms ticks
        assert "cpu" not in workload["ratios"]["http"], name
    assert registry_server > 0 and floor_server > 0  # /proc counts in ticks of 10 ms
    text = report.render(result)
    assert "cpu per request" in text and "n/ax" not in text


def test_cpu_ratio_compares_totals_once_there_are_enough_requests() -> None:
    def figures(requests: int, server: float, database: float | None) -> dict[str, Any]:
        return {"p50_ms": 1.0, "resources_per_s": 1.0, "requests": requests,
                "cpu_us_per_request": {"server": server, "database": database, "client": 100.0}}

    ratios = report._ratios(figures(3_000, 800.0, 80.0), figures(3_000, 420.0, None))
    assert ratios["cpu"] == pytest.approx(980 / 520, abs=0.001)
    assert "cpu" not in report._ratios(figures(60, 800.0, 80.0), figures(3_000, 420.0, None))
    assert "cpu" not in report._ratios(figures(3_000, 800.0, 80.0),
                                       {"p50_ms": 1.0, "resources_per_s": 1.0})


def test_cpu_meter_counts_what_each_group_spent_between_readings() -> None:
    meter = CpuMeter(server_pid=1, database=True)
    before = CpuSnapshot(server={10: 1.0, 11: 2.0}, database={20: 5.0, 21: 1.0},
                         client={30: 3.0})
    after = CpuSnapshot(server={10: 1.5, 11: 2.5, 12: 0.25},  # 12 started in between
                        database={20: 5.5},  # 21 exited in between: lost
                        client={30: 3.1})
    figures = meter.per_request(before, after, requests=1_000)
    assert figures == pytest.approx({"server": 1_250.0, "database": 500.0, "client": 100.0})
    assert total_us(figures) == pytest.approx(1_850.0)
    assert CpuMeter(1, database=False).per_request(before, after, 1_000)["database"] is None
    elsewhere = CpuSnapshot(server=after.server, database={}, client=after.client)
    assert meter.per_request(before, elsewhere, 1_000)["database"] is None  # not on this host
    assert meter.per_request(before, after, 0) == {"server": None, "database": None,
                                                   "client": None}


def test_cpu_meter_reads_this_process_and_a_server_tree() -> None:
    """A real reading: CPU a child burns between two readings is counted in its parent's
    tree (the child starts burning only once the first reading is taken)."""
    burn = ("import sys, time\nsys.stdin.readline()\nend = time.process_time() + 0.3\n"
            "while time.process_time() < end: pass\nprint('done', flush=True)\n"
            "sys.stdin.readline()")
    with subprocess.Popen([sys.executable, "-c", burn], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdin is not None and child.stdout is not None
        meter = CpuMeter(os.getpid(), database=False)
        before = meter.snapshot()
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "done"
        after = meter.snapshot()
        child.stdin.write("stop\n")
        child.stdin.flush()
    assert after.server[child.pid] - before.server.get(child.pid, 0.0) >= 0.28
    assert set(after.client) == {os.getpid()}
