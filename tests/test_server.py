"""The serving process's memory hooks: fewer malloc arenas, a fixed mmap threshold, free pages
returned after large requests."""

from __future__ import annotations

import ctypes.util
import platform
from types import SimpleNamespace

import pytest

from registry import server


def test_malloc_is_tuned_where_it_is_glibc() -> None:
    glibc = platform.libc_ver()[0] == "glibc" and ctypes.util.find_library("c") is not None
    assert server.tune_malloc() is glibc
    server.release_free_memory()  # no error whether or not malloc is glibc's


@pytest.mark.parametrize(("sent", "headers", "trims"), [
    (5_000, [("HOST", "x")], False),
    (60_000, [("HOST", "x")], False),  # a search page with _include
    (2 << 20, [], True),  # a history page
    (300, [("CONTENT-LENGTH", str(3 << 20))], True),  # a large Bundle
    (300, [("CONTENT-LENGTH", "932312")], True),  # the benchmark's 1,000-entry Bundle
    (300, [("CONTENT-LENGTH", "junk")], False),
])
def test_free_memory_is_released_only_after_large_requests(
        monkeypatch: pytest.MonkeyPatch, sent: int, headers: list[tuple[str, str]],
        trims: bool) -> None:
    calls: list[int] = []
    monkeypatch.setattr(server, "release_free_memory", lambda: calls.append(1))
    server._post_request(None, SimpleNamespace(headers=headers), {},
                         SimpleNamespace(sent=sent))
    assert bool(calls) is trims
