"""The client for one peer: history pages, single reads, bounded retries, nothing off its base.

Waits are bounded: a 429 (or 503) is retried after its ``Retry-After`` (seconds or an HTTP
date), or after a doubling default when it gives none, only while each wait stays within
``RetryPolicy.max_wait`` and all waits together within ``RetryPolicy.budget``; otherwise it is
``PeerThrottled`` (``PeerUnreachable`` for 503) at once. Redirects are not followed, and a
``next`` link is followed only when it stays on the peer's scheme, host, port and base path.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from adapters.fhir_peer.answers import checked, json_object, transported
from adapters.fhir_peer.auth import Credentials, auth_for
from adapters.fhir_peer.errors import (
    PeerAnswerInvalid,
    PeerError,
    PeerThrottled,
    PeerUnreachable,
)
from adapters.fhir_peer.history import HistoryPage, history_page

FHIR_JSON = "application/fhir+json"
RETRIED_STATUSES = (429, 503)
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a connection, and for each read of an answer."""

    connect: float = 5.0
    read: float = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """How long this node waits when a peer answers 429 (or 503): per wait, and in all."""

    max_wait: float = 60.0
    budget: float = 180.0
    retries: int = 5
    default_wait: float = 1.0


class PeerClient:
    """Reads one peer's FHIR API; use it as a context manager, or call ``close``."""

    def __init__(self, base: str, credentials: Credentials | None = None, *,
                 transport: httpx.BaseTransport | None = None, timeouts: Timeouts = Timeouts(),
                 retry: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.base = checked_base(base)
        self.retry = retry
        self._sleep, self._clock = sleep, clock
        self._http = httpx.Client(
            transport=transport, follow_redirects=False, headers={"Accept": FHIR_JSON},
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            auth=auth_for(self.base, credentials, monotonic))

    def __enter__(self) -> PeerClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def history(self, since: str | None, types: Sequence[str] = (),
                count: int = 500) -> Iterator[HistoryPage]:
        """The peer's history from ``since`` (inclusive), oldest first, a page at a time."""
        params = {"_sort": "_lastUpdated", "_count": str(count)}
        if since:
            params["_since"] = since
        if types:
            params["_type"] = ",".join(types)
        url: str | None = str(httpx.URL(f"{self.base}/_history", params=params))
        read: set[str] = set()
        while url is not None:
            read.add(url)
            page = history_page(url, self._json(url), set(types))
            url = self._next(page, read)
            yield page

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The resource or Bundle at ``path``, relative to the base (or a URL on it)."""
        url = urljoin(self.base + "/", path)
        if not self.on_base(url):
            raise PeerAnswerInvalid(self.base, f"refusing to read {url}: not on the peer's base")
        full = str(httpx.URL(url, params=params or {}))
        body = self._json(full)
        if not isinstance(body.get("resourceType"), str):
            raise PeerAnswerInvalid(full, "answer is not a FHIR resource")
        return body

    def on_base(self, url: str) -> bool:
        """Whether ``url`` stays on the peer: same scheme, host and port, under its base path."""
        path = urlsplit(url).path.rstrip("/") + "/"
        return _origin(url) == _origin(self.base) and path.startswith(
            urlsplit(self.base).path.rstrip("/") + "/")

    def _next(self, page: HistoryPage, read: set[str]) -> str | None:
        if page.next_url is None:
            return None
        if not self.on_base(page.next_url):
            raise PeerAnswerInvalid(page.url, f"next link leaves the peer's base: "
                                              f"{page.next_url}")
        if page.next_url in read:
            raise PeerAnswerInvalid(page.url, "next link repeats a page already read; "
                                              "the history does not advance")
        return page.next_url

    def _json(self, url: str) -> dict[str, Any]:
        return json_object(url, self._send(url).content)

    def _send(self, url: str) -> httpx.Response:
        waited, attempt = 0.0, 0
        while True:
            response = transported(url, lambda: self._http.get(url))
            if response.status_code not in RETRIED_STATUSES:
                return checked(url, response)
            wait = self._wait(url, response, attempt, waited)
            self._sleep(wait)
            waited, attempt = waited + wait, attempt + 1

    def _wait(self, url: str, response: httpx.Response, attempt: int, waited: float) -> float:
        """Seconds to wait before the next try, or the error when the policy allows no more."""
        status = response.status_code
        asked = retry_after(response.headers.get("Retry-After"), self._clock())
        wait = asked if asked is not None else self.retry.default_wait * 2 ** attempt
        if attempt >= self.retry.retries:
            raise _gave_up(url, status, f"still {status} after {attempt} retries")
        if wait > self.retry.max_wait:
            raise _gave_up(url, status, f"{status} asks to wait {wait:.0f} s, longer than the "
                                        f"{self.retry.max_wait:.0f} s allowed")
        if waited + wait > self.retry.budget:
            raise _gave_up(url, status, f"{status} retries would wait over "
                                        f"{self.retry.budget:.0f} s in all")
        return wait


def checked_base(base: str) -> str:
    """A peer's FHIR base without its trailing slash; ValueError when it is not one."""
    parts = urlsplit(base.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"a peer base is an http(s) URL without query or fragment, "
                         f"not {base!r}")
    return base.strip().rstrip("/")


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date), if it says."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now) if when.tzinfo is not None else None


def _gave_up(url: str, status: int, problem: str) -> PeerError:
    return PeerThrottled(url, problem) if status == 429 else PeerUnreachable(url, problem)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number never matches
        port = -1
    return parts.scheme, (parts.hostname or "").lower(), port
