"""What an HTTP answer from a peer means: success, or the ``PeerError`` it amounts to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson

from adapters.fhir_peer.errors import (
    PeerAnswerInvalid,
    PeerFailed,
    PeerRefused,
    PeerUnreachable,
)

UNREACHABLE_STATUSES = (502, 503, 504)


def transported(url: str, send: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer, or ``PeerUnreachable`` for what went wrong on the way."""
    try:
        return send()
    except httpx.ConnectTimeout:
        raise PeerUnreachable(url, "time-out while connecting") from None
    except httpx.TimeoutException:
        raise PeerUnreachable(url, "time-out while waiting for the answer") from None
    except httpx.TransportError as failure:
        reason = str(failure) or type(failure).__name__
        raise PeerUnreachable(url, f"cannot reach the peer ({reason})") from None


def checked(url: str, response: httpx.Response) -> httpx.Response:
    """The response when it is a success; the matching ``PeerError`` otherwise."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    detail = diagnostics(response)
    if status in (401, 403):
        raise PeerRefused(url, f"{status}: the peer refuses this node{detail}")
    if status in UNREACHABLE_STATUSES:
        raise PeerUnreachable(url, f"{status}: the peer is unavailable{detail}")
    raise PeerFailed(url, f"{status}{detail}", status)


def json_object(url: str, content: bytes) -> dict[str, Any]:
    """The JSON object an answer holds; ``PeerAnswerInvalid`` for anything else."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise PeerAnswerInvalid(url, "answer is not JSON") from None
    if not isinstance(body, dict):
        raise PeerAnswerInvalid(url, "answer is not a JSON object")
    return body


def diagnostics(response: httpx.Response) -> str:
    """The first OperationOutcome diagnostics or OAuth error of an answer, as ``: text``."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(body, dict):
        return ""
    issues = body.get("issue")
    if isinstance(issues, list) and issues and isinstance(issues[0], dict):
        text = issues[0].get("diagnostics")
        return f": {text}" if isinstance(text, str) else ""
    text = body.get("error_description") or body.get("error")
    return f": {text}" if isinstance(text, str) else ""
