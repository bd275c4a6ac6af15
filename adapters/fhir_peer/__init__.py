"""A typed FHIR client for pulling from a peer registry node.

It reads a peer's ``_history`` page by page (``PeerClient.history``) and single resources or
searches (``PeerClient.get``), authenticated with a static bearer token (``BearerToken``) or
with SMART Backend Services (``BackendServices``), and turns every way a peer can fail into one
exception with a one-line message naming the URL::

    PeerError                  anything that stops a pull from this peer
     ├── PeerUnreachable       connection refused or reset, time-out, 502/503/504
     ├── PeerRefused           401 (after one renewal of the token), 403, the token endpoint
     │                         refusing the client
     ├── PeerThrottled         429 beyond the retry budget, or a Retry-After beyond the longest
     │                         wait allowed
     ├── PeerFailed            any other answer that is not 2xx (400, 404, 500, a redirect)
     └── PeerAnswerInvalid     not JSON, not a Bundle, a Bundle that is not a history, a ``next``
                               link off the peer's base, a page that does not advance, a SMART
                               answer without what it must hold

A history page whose Bundle is sound but some of whose entries are not is returned with those
entries as ``EntryProblem`` values, so the importer records each one and applies the rest. The
high-water mark of a page is the peer's (``Bundle.meta.lastUpdated``), never this node's clock;
``HistoryPage.cursor`` says where a pull that stops after that page resumes.

The sleep function, the clocks and the httpx transport are injectable (``httpx.MockTransport``,
``httpx.WSGITransport``), so tests never wait and never leave the process. Nothing here imports
``registry``: a SMART client assertion comes from a callable the caller passes.

Modules: ``client`` (``PeerClient``, retries, base checks), ``auth`` (credentials and the SMART
flow), ``history`` (pages and entries), ``answers`` (status and body checks), ``errors``.
"""

from adapters.fhir_peer.auth import BackendServices, BearerToken, Credentials
from adapters.fhir_peer.client import PeerClient, RetryPolicy, Timeouts
from adapters.fhir_peer.errors import (
    PeerAnswerInvalid,
    PeerError,
    PeerFailed,
    PeerRefused,
    PeerThrottled,
    PeerUnreachable,
)
from adapters.fhir_peer.history import EntryProblem, HistoryEntry, HistoryPage

__all__ = [
    "BackendServices",
    "BearerToken",
    "Credentials",
    "EntryProblem",
    "HistoryEntry",
    "HistoryPage",
    "PeerAnswerInvalid",
    "PeerClient",
    "PeerError",
    "PeerFailed",
    "PeerRefused",
    "PeerThrottled",
    "PeerUnreachable",
    "RetryPolicy",
    "Timeouts",
]
