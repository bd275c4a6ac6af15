"""Every way a pull from a peer can fail: the tree drawn in the package docstring."""

from __future__ import annotations

MESSAGE_CHARS = 200


class PeerError(Exception):
    """A pull from a peer could not go on; the message is one line naming the URL."""

    def __init__(self, url: str, problem: str) -> None:
        self.url = url
        self.problem = " ".join(problem.split())[:MESSAGE_CHARS]
        super().__init__(f"{url}: {self.problem}")


class PeerUnreachable(PeerError):
    """The peer did not answer: connection failed, time-out, or a gateway said it is down."""


class PeerRefused(PeerError):
    """The peer will not let this node in (401 after one renewal, 403, token refused)."""


class PeerThrottled(PeerError):
    """The peer kept asking this node to slow down beyond what the retry policy allows."""


class PeerFailed(PeerError):
    """The peer answered a status that is neither success nor one of the above."""

    def __init__(self, url: str, problem: str, status: int) -> None:
        super().__init__(url, problem)
        self.status = status


class PeerAnswerInvalid(PeerError):
    """The peer answered, but not with what FHIR or SMART says it must."""
