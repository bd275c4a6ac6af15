"""The per-process rate-limit counters: fixed windows that expire without a timer thread."""

from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from registry.api import rate_limits
from registry.api.rate_limits import ProcessCounters


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(rate_limits.time, "time", fake)
    return fake


def test_a_window_allows_its_budget_then_refuses_until_it_resets(clock: Clock) -> None:
    limiter = FixedWindowRateLimiter(ProcessCounters())
    item = parse("3 per minute")
    assert [limiter.hit(item, "token:a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(item, "token:b")  # every key has its own budget
    assert limiter.get_window_stats(item, "token:a").reset_time == pytest.approx(clock.now + 60)
    clock.now += 61
    assert limiter.hit(item, "token:a")
    assert limiter.get_window_stats(item, "token:a").remaining == 2


def test_expired_keys_are_swept_once_there_are_many(clock: Clock,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    counters = ProcessCounters()
    monkeypatch.setattr(ProcessCounters, "SWEEP_ABOVE", 5)
    for n in range(6):
        counters.incr(f"address:{n}", 10)
    clock.now += 11
    counters.incr("address:new", 10)
    assert counters._counts.keys() == {"address:new"}
    assert counters.get("address:0") == 0


def test_no_thread_is_started_and_concurrent_hits_are_all_counted() -> None:
    counters = ProcessCounters()
    before = threading.active_count()
    workers = [threading.Thread(target=lambda: [counters.incr("k", 60) for _ in range(500)])
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert counters.get("k") == 2000
    assert threading.active_count() == before
