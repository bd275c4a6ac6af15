"""How this node proves who it is to a peer: a static bearer token, or SMART Backend Services.

SMART Backend Services runs as an httpx auth flow, so its extra requests go through the same
transport and time-outs as the pull: discover the token endpoint at
``[base]/.well-known/smart-configuration``, post the ``client_credentials`` form with a client
assertion, keep the access token until shortly before it expires, and on a 401 get a new one
once and try again (a second 401 is the caller's ``PeerRefused``). The assertion comes from a
callable the caller passes, so this package never holds a key.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from adapters.fhir_peer.answers import checked, diagnostics, json_object
from adapters.fhir_peer.errors import PeerAnswerInvalid, PeerRefused, PeerThrottled

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PREFERRED_SCOPES = ("system/*.rs", "system/*.read")
DEFAULT_LIFETIME = 300
RENEWAL_MARGIN = 30.0


@dataclass(frozen=True)
class BearerToken:
    """A static token the peer issued for this node (``peer`` role)."""

    token: str


@dataclass(frozen=True)
class BackendServices:
    """SMART Backend Services: this node's client id at the peer and its assertion maker.

    ``assertion`` receives the peer's token endpoint URL (the assertion's ``aud``) and returns a
    signed client assertion. ``scope`` None picks ``system/*.rs`` or ``system/*.read``,
    whichever the peer offers.
    """

    client_id: str
    assertion: Callable[[str], str]
    scope: str | None = None


Credentials = BearerToken | BackendServices


def auth_for(base: str, credentials: Credentials | None,
             monotonic: Callable[[], float]) -> httpx.Auth | None:
    """The httpx auth that presents ``credentials`` to the peer at ``base``."""
    if isinstance(credentials, BearerToken):
        return StaticAuth(credentials.token)
    if isinstance(credentials, BackendServices):
        return SmartAuth(base, credentials, monotonic)
    return None


class StaticAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request
                  ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header
        yield request


@dataclass
class AccessToken:
    value: str
    renew_at: float  # on the monotonic clock


class SmartAuth(httpx.Auth):
    """Discover, get a token, keep it, renew it once on 401."""

    requires_response_body = True

    def __init__(self, base: str, credentials: BackendServices,
                 monotonic: Callable[[], float]) -> None:
        self.base, self.credentials, self.monotonic = base, credentials, monotonic
        self.token: AccessToken | None = None
        self.endpoint: str | None = None
        self.scope = ""

    def auth_flow(self, request: httpx.Request
                  ) -> Generator[httpx.Request, httpx.Response, None]:
        if self.token is None or self.monotonic() >= self.token.renew_at:
            yield from self._renew()
        request.headers["Authorization"] = self._header()
        response = yield request
        if response.status_code == 401:
            yield from self._renew()
            request.headers["Authorization"] = self._header()
            yield request

    def _header(self) -> str:
        assert self.token is not None
        return f"Bearer {self.token.value}"

    def _renew(self) -> Generator[httpx.Request, httpx.Response, None]:
        if self.endpoint is None:
            url = f"{self.base}/.well-known/smart-configuration"
            answer = yield httpx.Request("GET", url, headers={"Accept": "application/json"})
            self.endpoint, self.scope = token_endpoint(self.base, url, answer,
                                                       self.credentials.scope)
        form = {"grant_type": "client_credentials", "scope": self.scope,
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.credentials.assertion(self.endpoint)}
        answer = yield httpx.Request("POST", self.endpoint, data=form,
                                     headers={"Accept": "application/json"})
        self.token = access_token(self.endpoint, answer, self.monotonic())


def token_endpoint(base: str, url: str, answer: httpx.Response,
                   wanted: str | None) -> tuple[str, str]:
    """The token endpoint and the scope to ask for, from a smart-configuration answer."""
    body = _smart_answer(url, answer)
    endpoint = body.get("token_endpoint")
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
        raise PeerAnswerInvalid(url, "smart-configuration has no token_endpoint URL")
    if urlsplit(base).scheme == "https" and urlsplit(endpoint).scheme != "https":
        raise PeerAnswerInvalid(url, f"token_endpoint {endpoint} is not https like the base")
    offered = body.get("scopes_supported")
    offered = offered if isinstance(offered, list) else []
    scope = wanted or next((s for s in PREFERRED_SCOPES if s in offered), PREFERRED_SCOPES[0])
    return endpoint, scope


def access_token(url: str, answer: httpx.Response, now: float) -> AccessToken:
    """The access token of a token answer, due for renewal shortly before it expires."""
    body = _smart_answer(url, answer)
    token, kind = body.get("access_token"), body.get("token_type")
    if not isinstance(token, str) or not token:
        raise PeerAnswerInvalid(url, "token answer has no access_token")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise PeerAnswerInvalid(url, f"token_type is {kind!r}, not bearer")
    lifetime = body.get("expires_in", DEFAULT_LIFETIME)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        raise PeerAnswerInvalid(url, f"token answer has an unusable expires_in {lifetime!r}")
    return AccessToken(token, now + lifetime - min(RENEWAL_MARGIN, lifetime / 2))


def _smart_answer(url: str, answer: httpx.Response) -> dict[str, object]:
    if answer.status_code in (400, 401, 403):
        raise PeerRefused(url, f"{answer.status_code}: the peer refuses this node"
                               f"{diagnostics(answer)}")
    if answer.status_code == 429:
        raise PeerThrottled(url, "429 while authenticating")
    checked(url, answer)
    return json_object(url, answer.content)
