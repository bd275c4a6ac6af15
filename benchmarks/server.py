"""The servers under test, as child processes on a free loopback port, and their memory.

The registry runs exactly as deployed (``registry serve``, gunicorn with gthread workers); the
HTTP floor runs through the same ``run_gunicorn`` with the same worker and thread counts (see
``benchmarks.floor_server``). Memory is the summed RSS of the gunicorn master and its workers,
sampled in the background, because that is what a host has to provision. RSS counts pages the
workers share with the master once per process; PSS (shared pages split between the processes
that share them) is sampled too, less often, because it is what the host really gives up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import psutil

READY_TIMEOUT = 60.0
SAMPLE_INTERVAL = 0.1
PSS_EVERY = 10  # samples; reading smaps costs more than reading RSS
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now (loopback only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A gunicorn server in a child process: started, awaited, sampled, stopped."""

    def __init__(self, command: list[str], *, port: int, env: Mapping[str, str],
                 log_path: Path, ready_path: str, sample_memory: bool = True) -> None:
        self.command = command
        self.sample_memory = sample_memory
        self.port = port
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.ready_path = ready_path
        self.process: subprocess.Popen[bytes] | None = None
        self.memory: MemorySampler | None = None

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> ServerProcess:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()
        if self.sample_memory:  # the sampler reads /proc from the clients' process: only if needed
            self.memory = MemorySampler(self.process.pid)
            self.memory.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.memory:
            self.memory.stop()
        if self.process and self.process.poll() is None:
            self.process.terminate()  # gunicorn: graceful shutdown of master and workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _wait_ready(self) -> None:
        """Until every worker has booted: the master accepts before workers import the app."""
        import http.client

        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see "
                                   f"{self.log_path}")
            try:
                conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
                conn.request("GET", self.ready_path)
                conn.getresponse().read()
                conn.close()
                if self._workers_booted():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not become ready in {READY_TIMEOUT:.0f}s; see "
                           f"{self.log_path}")

    def _workers_booted(self) -> bool:
        assert self.process is not None
        expected = _option(self.command, "--workers")
        children = psutil.Process(self.process.pid).children()
        return expected is None or len(children) >= expected


def _option(command: list[str], name: str) -> int | None:
    if name in command:
        return int(command[command.index(name) + 1])
    return None


def registry_command(*, port: int, workers: int, threads: int) -> list[str]:
    """``registry serve`` from the running interpreter's environment."""
    return [sys.executable, "-c", "from registry.cli import main; main()", "serve",
            "--host", LOOPBACK, "--port", str(port), "--workers", str(workers),
            "--threads", str(threads)]


def floor_command(*, port: int, workers: int, threads: int, responses: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.floor_server", "--responses", str(responses),
            "--host", LOOPBACK, "--port", str(port), "--workers", str(workers),
            "--threads", str(threads)]


class MemorySampler(threading.Thread):
    """Peak summed RSS of a process tree, sampled every 100 ms; ``mark()`` starts a window."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.pid = pid
        self.peak_bytes = 0
        self.window_peak_bytes = 0
        self.peak_pss_bytes = 0
        self.samples = 0
        self._stop_event = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._stop_event.wait(SAMPLE_INTERVAL):
            self.sample()

    def sample(self) -> int:
        total = tree_rss(self.pid)
        pss = tree_rss(self.pid, proportional=True) if self.samples % PSS_EVERY == 0 else 0
        with self._lock:
            self.samples += 1
            self.peak_bytes = max(self.peak_bytes, total)
            self.window_peak_bytes = max(self.window_peak_bytes, total)
            self.peak_pss_bytes = max(self.peak_pss_bytes, pss)
        return total

    def mark(self) -> None:
        with self._lock:
            self.window_peak_bytes = 0

    def window_peak_mb(self) -> float:
        self.sample()
        with self._lock:
            return self.window_peak_bytes / 1e6

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=2)


def tree_rss(pid: int, *, proportional: bool = False) -> int:
    """RSS (or PSS) of ``pid`` and all its descendants, in bytes (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            if proportional:
                total += getattr(process.memory_full_info(), "pss", 0)
            else:
                total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total
