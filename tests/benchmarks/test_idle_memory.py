"""``python -m benchmarks.idle_memory`` runs and reports what a started server holds."""

from __future__ import annotations

from pathlib import Path

from benchmarks import idle_memory


def test_idle_memory_reports_every_process_and_the_command_start(tmp_path: Path) -> None:
    args = idle_memory.parse_args(["--workers", "1", "--threads", "2", "--settle", "0",
                                   "--starts", "1", "--out", str(tmp_path)])
    result = idle_memory.run(args)
    assert [p["role"] for p in result["processes"]] == ["master", "worker"]
    assert all(p["rss_mb"] > 0 and p["libraries"] == [] for p in result["processes"])
    assert result["rss_mb"] == round(sum(p["rss_mb"] for p in result["processes"]), 1)
    assert len(result["help_seconds"]) == 1
    assert "registry --help" in idle_memory.render(result)
