"""The peer client against mock peers (httpx.MockTransport) and a Flask peer (WSGITransport)."""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
import pytest

from adapters.fhir_peer import (
    BackendServices,
    BearerToken,
    HistoryPage,
    PeerAnswerInvalid,
    PeerClient,
    PeerFailed,
    PeerRefused,
    PeerThrottled,
    PeerUnreachable,
    RetryPolicy,
)

BASE = "https://hub-a.example.org/fhir"
TOKEN_URL = "https://hub-a.example.org/auth/token"
Handler = Callable[[httpx.Request], httpx.Response]


def fhir(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=orjson.dumps(body),
                          headers={"Content-Type": "application/fhir+json", **headers})


def org(res_id: str, version: str = "1", updated: str = "2020-01-01T00:00:00Z") -> dict[str, Any]:
    return {"resourceType": "Organization", "id": res_id, "name": f"Org {res_id}",
            "meta": {"versionId": version, "lastUpdated": updated}}


def put(resource: dict[str, Any]) -> dict[str, Any]:
    path = f"{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": f"{BASE}/{path}", "resource": resource,
            "request": {"method": "PUT", "url": path},
            "response": {"status": "200 OK", "etag": f'W/"{resource["meta"]["versionId"]}"',
                         "lastModified": resource["meta"]["lastUpdated"]}}


def delete(path: str, version: str, when: str) -> dict[str, Any]:
    return {"fullUrl": f"{BASE}/{path}", "request": {"method": "DELETE", "url": path},
            "response": {"status": "204 No Content", "etag": f'W/"{version}"',
                         "lastModified": when}}


def history(entries: list[Any], high_water: str | None = "2020-01-03T00:00:00Z",
            next_url: str | None = None, kind: str = "history") -> dict[str, Any]:
    body: dict[str, Any] = {"resourceType": "Bundle", "type": kind, "link": []}
    if high_water:
        body["meta"] = {"lastUpdated": high_water}
    if next_url:
        body["link"].append({"relation": "next", "url": next_url})
    if entries:
        body["entry"] = entries
    return body


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client(handler: Handler, credentials: BearerToken | BackendServices | None = None,
           **options: Any) -> PeerClient:
    return PeerClient(BASE, credentials, transport=httpx.MockTransport(handler), **options)


def pages(peer: PeerClient, since: str | None = None) -> list[HistoryPage]:
    with peer:
        return list(peer.history(since, ["Organization", "Location"], count=2))


# ---- paging ---------------------------------------------------------------------------------

def paged_peer(requests: list[httpx.Request]) -> Handler:
    bodies = {
        None: history([put(org("a", updated="2020-01-02T01:00:00Z")),
                       put(org("b", updated="2020-01-01T23:00:00-05:00"))],
                      high_water="2020-01-05T00:00:00Z", next_url=f"{BASE}/_history?_cursor=2"),
        "2": history([put(org("c", updated="2020-01-02T12:00:00Z")),
                      delete("Location/x", "3", "2020-01-02T13:00:00Z")],
                     high_water="2020-01-05T00:00:00Z", next_url="_history?_cursor=4"),
        "4": history([], high_water="2020-01-06T00:00:00Z"),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        cursor = parse_qs(request.url.query.decode()).get("_cursor", [None])[0]
        return fhir(bodies[cursor])
    return handle


def test_pages_to_the_end_with_the_peer_s_marks() -> None:
    requests: list[httpx.Request] = []
    got = pages(client(paged_peer(requests)), since="2019-12-31T00:00:00Z")
    assert [[(e.method, e.res_type, e.res_id, e.version_id) for e in p.entries] for p in got] == [
        [("PUT", "Organization", "a", "1"), ("PUT", "Organization", "b", "1")],
        [("PUT", "Organization", "c", "1"), ("DELETE", "Location", "x", "3")],
        []]
    first = parse_qs(requests[0].url.query.decode())
    assert first == {"_since": ["2019-12-31T00:00:00Z"], "_type": ["Organization,Location"],
                     "_sort": ["_lastUpdated"], "_count": ["2"]}
    assert str(requests[2].url) == f"{BASE}/_history?_cursor=4"  # relative next resolved
    assert got[2].is_last and not got[0].is_last
    # The cursor is always the peer's: the newest lastModified of a page as a moment (not as
    # text: 23:00 at -05:00 is after 01:00 Z the next day), then the last page's high water.
    assert [p.cursor for p in got] == ["2020-01-01T23:00:00-05:00", "2020-01-02T13:00:00Z",
                                       "2020-01-06T00:00:00Z"]


def test_the_cursor_is_never_this_node_s_clock() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return fhir(history([put(org("a"))], high_water="2001-02-03T04:05:06Z"))

    got = pages(client(handle, clock=lambda: 4_000_000_000.0))
    assert got[0].high_water == got[0].cursor == "2001-02-03T04:05:06Z"
    without_mark = pages(client(lambda r: fhir(history([put(org("a"))], high_water=None))))
    assert without_mark[0].cursor is None  # the caller keeps the cursor it has


@pytest.mark.parametrize("next_url", [
    "https://evil.example.org/fhir/_history?_cursor=2",
    "http://hub-a.example.org/fhir/_history?_cursor=2",
    "https://hub-a.example.org:8443/fhir/_history?_cursor=2",
    "https://hub-a.example.org/other/_history?_cursor=2",
    "https://hub-a.example.org/fhirx/_history?_cursor=2",
    "//evil.example.org/fhir/_history",
])
def test_a_next_link_off_the_peer_s_base_is_refused(next_url: str) -> None:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return fhir(history([put(org("a"))], next_url=next_url))

    peer = client(handle)
    walk = peer.history(None)
    with pytest.raises(PeerAnswerInvalid, match="next link leaves the peer's base"):
        next(walk)
    assert len(requests) == 1


def test_a_next_link_on_the_base_with_an_explicit_default_port_is_followed() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if "_cursor" in str(request.url):
            return fhir(history([]))
        return fhir(history([put(org("a"))],
                            next_url="https://HUB-A.example.org:443/fhir/_history?_cursor=1"))

    assert len(pages(client(handle))) == 2


def test_a_page_that_does_not_advance_is_refused() -> None:
    served: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        served.append(request)
        last = len(served) > 3  # ends a loop the client failed to catch, so the test fails
        return fhir(history([put(org("a"))], next_url=None if last else str(request.url)))

    with pytest.raises(PeerAnswerInvalid, match="does not advance"):
        pages(client(handle))


# ---- answers that are not history ------------------------------------------------------------

@pytest.mark.parametrize(("answer", "message"), [
    (httpx.Response(200, text="<html>hello</html>"), "not JSON"),
    (fhir(["a", "list"]), "not a JSON object"),
    (fhir({"resourceType": "OperationOutcome", "issue": []}), "OperationOutcome, not a Bundle"),
    (fhir({"hello": "world"}), "JSON object, not a Bundle"),
    (fhir(history([], kind="searchset")), "'searchset', not history"),
    (fhir({"resourceType": "Bundle", "type": "history", "entry": {"a": 1}}), "must be lists"),
    (fhir(history([], next_url=None) | {"link": [{"relation": "next"}]}), "next link has no url"),
])
def test_an_answer_that_is_not_a_history_bundle_is_refused(answer: httpx.Response,
                                                           message: str) -> None:
    with pytest.raises(PeerAnswerInvalid, match=message) as caught:
        pages(client(lambda request: answer))
    assert "\n" not in str(caught.value) and str(caught.value).startswith(BASE)


def test_invalid_entries_are_reported_without_blocking_the_page() -> None:
    good = put(org("good"))
    entries: list[Any] = [
        "not an object",
        {"request": {"method": "GET", "url": "Organization/a"}},
        {"request": {"method": "PUT", "url": "Organization/a"}},
        {"request": {"method": "PUT", "url": "Organization/a"},
         "resource": {"resourceType": "Organization"}},
        {"request": {"method": "PUT", "url": "Organization/a"},
         "resource": {"resourceType": "Organization", "id": "has space"}},
        put({"resourceType": "Patient", "id": "p1", "meta": {"versionId": "1",
                                                             "lastUpdated": "2020-01-01"}}),
        {"request": {"method": "PUT", "url": "Organization/other"}, "resource": org("a")},
        {"request": {"method": "DELETE"}},
        good,
        delete("Organization/gone", "2", "2020-01-02T00:00:00Z"),
    ]
    [page] = pages(client(lambda request: fhir(history(entries))))
    assert [(e.res_id, e.method) for e in page.entries] == [("good", "PUT"), ("gone", "DELETE")]
    assert page.entries[0].resource == good["resource"]
    assert page.entries[1].resource is None and page.entries[1].version_id == "2"
    reasons = {p.index: p.reason for p in page.problems}
    assert reasons == {
        0: "entry is not a JSON object",
        1: "entry request.method is 'GET', not POST, PUT or DELETE",
        2: "PUT entry has no resource",
        3: "Organization has no valid id",
        4: "Organization has no valid id",
        5: "Patient was not asked for",
        6: "request.url names Organization/other but the resource is Organization/a",
        7: "DELETE entry names no Type/id in request.url or fullUrl",
    }
    assert page.problems[5].full_url == f"{BASE}/Patient/p1"


def test_patch_entries_count_as_updates_and_versions_come_from_the_etag() -> None:
    resource = {"resourceType": "Organization", "id": "a"}
    entry = {"request": {"method": "PATCH", "url": "Organization/a"}, "resource": resource,
             "response": {"etag": 'W/"7"', "lastModified": "2020-01-01T00:00:00Z"}}
    [page] = pages(client(lambda request: fhir(history([entry]))))
    [got] = page.entries
    assert (got.method, got.version_id, got.last_modified) == ("PUT", "7",
                                                               "2020-01-01T00:00:00Z")


# ---- statuses, time-outs, retries ------------------------------------------------------------

def test_time_outs_and_connection_failures_are_unreachable() -> None:
    def timing_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refusing(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def connect_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow", request=request)

    with pytest.raises(PeerUnreachable, match="time-out while waiting"):
        pages(client(timing_out))
    with pytest.raises(PeerUnreachable, match="time-out while connecting"):
        pages(client(connect_timeout))
    with pytest.raises(PeerUnreachable, match="connection refused"):
        pages(client(refusing))


def test_a_slow_peer_times_out_on_a_real_socket() -> None:
    """The read time-out is applied to real connections, not only to mock errors."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    from adapters.fhir_peer import Timeouts

    peer = PeerClient(f"http://127.0.0.1:{port}/fhir", timeouts=Timeouts(connect=1, read=0.2))
    try:
        with pytest.raises(PeerUnreachable, match="time-out while waiting"):
            pages(peer)
    finally:
        thread.join(1)
        for sock in accepted:
            sock.close()
        server.close()


@pytest.mark.parametrize(("status", "error", "message"), [
    (401, PeerRefused, "401: the peer refuses this node: who are you"),
    (403, PeerRefused, "403"),
    (404, PeerFailed, "404: who are you"),
    (500, PeerFailed, "500"),
    (502, PeerUnreachable, "502: the peer is unavailable"),
    (302, PeerFailed, "302"),
])
def test_statuses(status: int, error: type[Exception], message: str) -> None:
    outcome = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": "x", "diagnostics": "who are you"}]}
    answer = fhir(outcome, status, Location="https://evil.example.org/")
    with pytest.raises(error, match=message):
        pages(client(lambda request: answer, BearerToken("static")))


def throttling(answers: list[httpx.Response]) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0) if answers else fhir(history([put(org("a"))]))
    return handle, seen


def test_429_retry_after_in_seconds_is_honoured() -> None:
    handle, seen = throttling([fhir({}, 429, **{"Retry-After": "2"}),
                               fhir({}, 429, **{"Retry-After": "3"})])
    sleeps = Sleeps()
    [page] = pages(client(handle, sleep=sleeps))
    assert sleeps.waits == [2.0, 3.0] and len(seen) == 3 and page.entries


def test_429_retry_after_as_an_http_date_is_honoured() -> None:
    now = 1_900_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    handle, _ = throttling([fhir({}, 429, **{"Retry-After": date})])
    sleeps = Sleeps()
    pages(client(handle, sleep=sleeps, clock=lambda: now))
    assert sleeps.waits == [7.0]
    past = email.utils.formatdate(now - 60, usegmt=True)
    handle, _ = throttling([fhir({}, 429, **{"Retry-After": past})])
    pages(client(handle, sleep=(sleeps := Sleeps()), clock=lambda: now))
    assert sleeps.waits == [0.0]


def test_429_without_retry_after_waits_a_doubling_default() -> None:
    handle, _ = throttling([fhir({}, 429), fhir({}, 429), fhir({}, 429, **{"Retry-After": "x"})])
    sleeps = Sleeps()
    pages(client(handle, sleep=sleeps, retry=RetryPolicy(default_wait=0.5)))
    assert sleeps.waits == [0.5, 1.0, 2.0]


def test_a_retry_after_beyond_the_longest_wait_gives_up_at_once() -> None:
    handle, seen = throttling([fhir({}, 429, **{"Retry-After": "3600"})])
    sleeps = Sleeps()
    with pytest.raises(PeerThrottled, match="asks to wait 3600 s, longer than the 60 s"):
        pages(client(handle, sleep=sleeps))
    assert sleeps.waits == [] and len(seen) == 1


def test_retries_stop_at_the_budget_and_at_the_count() -> None:
    handle, seen = throttling([fhir({}, 429, **{"Retry-After": "40"}) for _ in range(10)])
    sleeps = Sleeps()
    with pytest.raises(PeerThrottled, match="over 100 s in all"):
        pages(client(handle, sleep=sleeps, retry=RetryPolicy(budget=100)))
    assert sleeps.waits == [40.0, 40.0] and sum(sleeps.waits) <= 100
    handle, seen = throttling([fhir({}, 429, **{"Retry-After": "1"}) for _ in range(10)])
    with pytest.raises(PeerThrottled, match="still 429 after 3 retries"):
        pages(client(handle, sleep=Sleeps(), retry=RetryPolicy(retries=3)))
    assert len(seen) == 4


def test_503_is_retried_then_unreachable() -> None:
    handle, _ = throttling([fhir({}, 503, **{"Retry-After": "1"})])
    assert pages(client(handle, sleep=Sleeps()))[0].entries
    handle, _ = throttling([fhir({}, 503, **{"Retry-After": "1"}) for _ in range(10)])
    with pytest.raises(PeerUnreachable, match="still 503"):
        pages(client(handle, sleep=Sleeps()))


# ---- authentication --------------------------------------------------------------------------

class SmartPeer:
    """A peer with a token endpoint; ``accepted`` says which tokens its API takes."""

    def __init__(self, accepted: Callable[[str], bool] = lambda token: True,
                 scopes: list[str] | None = None, token_status: int = 200,
                 endpoint: str = TOKEN_URL) -> None:
        self.accepted, self.token_status, self.endpoint = accepted, token_status, endpoint
        self.scopes = ["system/*.read", "system/*.rs"] if scopes is None else scopes
        self.forms: list[dict[str, list[str]]] = []
        self.api_tokens: list[str] = []
        self.discoveries = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/.well-known/smart-configuration"):
            self.discoveries += 1
            return fhir({"token_endpoint": self.endpoint, "scopes_supported": self.scopes})
        if str(request.url) == self.endpoint:
            self.forms.append(parse_qs(request.content.decode()))
            if self.token_status != 200:
                return fhir({"error": "invalid_client",
                             "error_description": "assertion has expired"}, self.token_status)
            return fhir({"access_token": f"token-{len(self.forms)}", "token_type": "bearer",
                         "expires_in": 300, "scope": "system/*.rs"})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.api_tokens.append(token)
        if not self.accepted(token):
            return fhir({"resourceType": "OperationOutcome", "issue": []}, 401)
        return fhir(history([put(org("a"))]))


def smart(client_id: str = "global-node") -> tuple[BackendServices, list[str]]:
    audiences: list[str] = []

    def assertion(audience: str) -> str:
        audiences.append(audience)
        return f"signed-for-{audience}"
    return BackendServices(client_id, assertion), audiences


def test_backend_services_discovers_posts_the_assertion_and_sends_the_token() -> None:
    peer = SmartPeer()
    credentials, audiences = smart()
    pages(client(peer, credentials))
    assert audiences == [TOKEN_URL]
    assert peer.forms == [{"grant_type": ["client_credentials"], "scope": ["system/*.rs"],
                           "client_assertion_type": [
                               "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
                           "client_assertion": [f"signed-for-{TOKEN_URL}"]}]
    assert peer.api_tokens == ["token-1"]


def test_a_v1_peer_gets_asked_for_system_read() -> None:
    peer = SmartPeer(scopes=["system/*.read"])
    pages(client(peer, smart()[0]))
    assert peer.forms[0]["scope"] == ["system/*.read"]


def test_the_token_is_kept_until_shortly_before_it_expires() -> None:
    peer = SmartPeer()
    now = [1000.0]
    credentials, _ = smart()
    with client(peer, credentials, monotonic=lambda: now[0]) as peer_client:
        list(peer_client.history(None))
        now[0] += 200
        list(peer_client.history(None))
        assert len(peer.forms) == 1 and peer.discoveries == 1
        now[0] += 75  # 275 s after it was issued: inside the renewal margin
        list(peer_client.history(None))
    assert len(peer.forms) == 2 and peer.discoveries == 1
    assert peer.api_tokens == ["token-1", "token-1", "token-2"]


def test_a_401_renews_the_token_once() -> None:
    peer = SmartPeer(accepted=lambda token: token != "token-1")
    pages(client(peer, smart()[0]))
    assert peer.api_tokens == ["token-1", "token-2"] and len(peer.forms) == 2


def test_a_second_401_is_refused() -> None:
    peer = SmartPeer(accepted=lambda token: False)
    with pytest.raises(PeerRefused, match="401"):
        pages(client(peer, smart()[0]))
    assert peer.api_tokens == ["token-1", "token-2"]


def test_a_static_token_is_sent_and_never_renewed() -> None:
    peer = SmartPeer(accepted=lambda token: False)
    with pytest.raises(PeerRefused, match="401"):
        pages(client(peer, BearerToken("static-peer-token")))
    assert peer.api_tokens == ["static-peer-token"] and peer.forms == []


def test_the_token_endpoint_refusing_is_refused_with_its_reason() -> None:
    peer = SmartPeer(token_status=401)
    with pytest.raises(PeerRefused, match="assertion has expired"):
        pages(client(peer, smart()[0]))


def test_a_token_endpoint_without_tls_under_an_https_base_is_refused() -> None:
    peer = SmartPeer(endpoint="http://hub-a.example.org/auth/token")
    with pytest.raises(PeerAnswerInvalid, match="not https like the base"):
        pages(client(peer, smart()[0]))


@pytest.mark.parametrize(("answer", "message"), [
    ({"token_type": "bearer"}, "no access_token"),
    ({"access_token": "t", "token_type": "mac"}, "not bearer"),
    ({"access_token": "t", "token_type": "Bearer", "expires_in": -5}, "unusable expires_in"),
])
def test_a_token_answer_without_a_usable_token_is_invalid(answer: dict[str, Any],
                                                          message: str) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("smart-configuration"):
            return fhir({"token_endpoint": TOKEN_URL})
        return fhir(answer)

    with pytest.raises(PeerAnswerInvalid, match=message):
        pages(client(handle, smart()[0]))


# ---- single reads ----------------------------------------------------------------------------

def test_get_reads_on_the_base_only() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/Basic/x"):
            return fhir({"no": "resourceType"})
        return fhir({"resourceType": "Bundle", "type": "searchset"})

    with client(handle) as peer:
        body = peer.get("MeasureReport", {"period": "ge2024-01-01"})
        assert body["resourceType"] == "Bundle"
        assert str(seen[0].url) == f"{BASE}/MeasureReport?period=ge2024-01-01"
        with pytest.raises(PeerAnswerInvalid, match="not on the peer's base"):
            peer.get("https://evil.example.org/fhir/MeasureReport")
        with pytest.raises(PeerAnswerInvalid, match="not on the peer's base"):
            peer.get("../admin")
        with pytest.raises(PeerAnswerInvalid, match="not a FHIR resource"):
            peer.get("Basic/x")
    assert len(seen) == 2


@pytest.mark.parametrize("base", ["ftp://x.org/fhir", "hub-a/fhir", "https://x.org/fhir?a=1", ""])
def test_a_base_that_is_not_an_http_url_is_refused(base: str) -> None:
    with pytest.raises(ValueError, match="http"):
        PeerClient(base)


# ---- a Flask app playing the peer ------------------------------------------------------------

def flask_peer(resources: list[dict[str, Any]]) -> Any:
    """A peer with the SMART token endpoint, checking a bearer token and paging ``_history``."""
    from flask import Flask, request

    app = Flask("peer")
    tokens: set[str] = set()

    @app.get("/fhir/.well-known/smart-configuration")
    def configuration() -> Any:
        return {"token_endpoint": "http://peer.test/auth/token",
                "scopes_supported": ["system/*.rs"]}

    @app.post("/auth/token")
    def token() -> Any:
        if request.form.get("client_assertion") != "signed-for-http://peer.test/auth/token":
            return {"error": "invalid_client"}, 401
        tokens.add(f"t{len(tokens)}")
        return {"access_token": f"t{len(tokens) - 1}", "token_type": "bearer", "expires_in": 60}

    @app.get("/fhir/_history")
    def system_history() -> Any:
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in tokens:
            return {"resourceType": "OperationOutcome", "issue": []}, 401
        start = int(request.args.get("_cursor", "0"))
        count = int(request.args["_count"])
        chunk = resources[start:start + count]
        links = []
        if start + count < len(resources):
            links.append({"relation": "next",
                          "url": f"http://peer.test/fhir/_history?_cursor={start + count}"
                                 f"&_count={count}"})
        return {"resourceType": "Bundle", "type": "history",
                "meta": {"lastUpdated": "2024-06-01T00:00:00Z"}, "link": links,
                "entry": [put(r) for r in chunk]}

    return app


def test_pull_from_a_flask_peer_over_wsgi() -> None:
    resources = [org(f"o{i}", updated=f"2024-05-{i + 1:02d}T00:00:00Z") for i in range(7)]
    credentials, _ = smart()
    peer = PeerClient("http://peer.test/fhir", credentials,
                      transport=httpx.WSGITransport(app=flask_peer(resources)))
    with peer:
        got = list(peer.history(None, ["Organization"], count=3))
    assert [len(p.entries) for p in got] == [3, 3, 1]
    assert [e.res_id for p in got for e in p.entries] == [f"o{i}" for i in range(7)]
    assert [p.cursor for p in got] == ["2024-05-03T00:00:00Z", "2024-05-06T00:00:00Z",
                                       "2024-06-01T00:00:00Z"]

