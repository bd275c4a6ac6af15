"""A load driver: several client threads, each with one keep-alive HTTP/1.1 connection.

``http.client`` from the standard library is the client because it is the cheapest one in
Python: the clients share two cores with the server, and every microsecond the client spends
is taken from the server under test (and from its floor alike, so the ratios stay fair).
Requests are bounded by count and by wall time; latency is ``perf_counter`` around sending the
request and reading the whole body.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

RETRYABLE = (http.client.RemoteDisconnected, http.client.CannotSendRequest,
             BrokenPipeError, ConnectionResetError)


@dataclass(frozen=True)
class Call:
    """One request of a workload and how many resources it moves (for resources/s)."""

    method: str
    target: str  # path and query, e.g. /fhir/Practitioner?name=garcia
    body: bytes | None = None
    items: int = 1


@dataclass
class Measurement:
    """What the clients saw during one workload against one server."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    seconds: float = 0.0
    errors: int = 0
    items: int = 0
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)

    def summary(self) -> dict[str, Any]:
        """Throughput and latency, rounded for the JSON report (times in milliseconds)."""
        ms = [v * 1000 for v in self.latencies]
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "requests_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "resources_per_s": round(self.items / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(ms, 50), 3),
            "p95_ms": round(percentile(ms, 95), 3),
            "p99_ms": round(percentile(ms, 99), 3),
            "mean_ms": round(sum(ms) / len(ms), 3) if ms else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is a latency that happened)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class Connection:
    """One keep-alive connection that reconnects once if the server closed it."""

    def __init__(self, host: str, port: int, headers: Mapping[str, str]) -> None:
        self.host, self.port, self.headers = host, port, dict(headers)
        self.conn = http.client.HTTPConnection(host, port, timeout=300)

    def fetch(self, call: Call) -> tuple[int, bytes, float]:
        """(status, body, seconds) for ``call``."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(call.method, call.target, body=call.body, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
                return response.status, body, time.perf_counter() - started
            except RETRYABLE:
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Driver:
    """Runs a list of calls (cycled) on ``threads`` connections, within the budgets."""

    host: str
    port: int
    headers: Mapping[str, str]
    threads: int = 4
    duration: float = 8.0
    max_requests: int = 3_000
    progress: bool = True

    def run(self, calls: Sequence[Call], desc: str,
            record: dict[str, bytes] | None = None) -> Measurement:
        """Measure ``calls``; when ``record`` is given, keep the first 2xx body per target."""
        total = self.max_requests
        state = _Shared(total=total, deadline=time.perf_counter() + self.duration)
        bar = tqdm(total=total, desc=desc, unit="req", disable=not self.progress,
                   dynamic_ncols=True, leave=False)
        started = time.perf_counter()
        workers = [threading.Thread(target=self._client, args=(calls, state, bar, record))
                   for _ in range(min(self.threads, total))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        bar.close()
        state.measurement.seconds = time.perf_counter() - started
        return state.measurement

    def warm(self, calls: Sequence[Call], count: int) -> None:
        """Unmeasured requests so that every worker has loaded what the workload needs."""
        quiet = Driver(self.host, self.port, self.headers, self.threads, self.duration, count,
                       progress=False)
        quiet.run(calls, "warm-up")

    def _client(self, calls: Sequence[Call], state: _Shared, bar: tqdm[Any],
                record: dict[str, bytes] | None) -> None:
        conn = Connection(self.host, self.port, self.headers)
        try:
            while (index := state.next_index()) is not None:
                call = calls[index % len(calls)]
                status, body, seconds = conn.fetch(call)
                state.add(call, status, seconds)
                if record is not None and 200 <= status < 300 and call.target not in record:
                    record[call.target] = body
                bar.update(1)
        finally:
            conn.close()


@dataclass
class _Shared:
    total: int
    deadline: float
    issued: int = 0
    measurement: Measurement = field(default_factory=Measurement)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_index(self) -> int | None:
        with self.lock:
            if self.issued >= self.total or time.perf_counter() > self.deadline:
                return None
            self.issued += 1
            return self.issued - 1

    def add(self, call: Call, status: int, seconds: float) -> None:
        with self.lock:
            self.measurement.statuses[status] += 1
            if 200 <= status < 300:
                self.measurement.latencies.append(seconds)
                self.measurement.items += call.items
            else:
                self.measurement.errors += 1
