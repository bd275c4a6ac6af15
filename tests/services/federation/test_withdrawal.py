"""The withdrawal signal: what a peer's history shows when a record enters or leaves its view."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle

from registry.services.federation.withdrawal import (
    PeerEntry,
    peer_entry,
    peer_history,
    withdrawal_entry,
)


def test_the_four_cases() -> None:
    assert peer_entry(False, False) is PeerEntry.NOTHING
    assert peer_entry(True, True) is PeerEntry.VERSION
    assert peer_entry(True, False) is PeerEntry.DELETE
    assert peer_entry(False, True) is PeerEntry.VERSION


def test_a_record_published_withdrawn_republished_and_deleted() -> None:
    # created unpublished, published, updated, tag removed, edited while hidden,
    # published again, deleted
    seen = [False, True, True, False, False, True, False]
    assert peer_history(seen) == [PeerEntry.NOTHING, PeerEntry.VERSION, PeerEntry.VERSION,
                                  PeerEntry.DELETE, PeerEntry.NOTHING, PeerEntry.VERSION,
                                  PeerEntry.DELETE]


def test_a_record_never_seen_leaves_no_trace() -> None:
    assert set(peer_history([False, False, False])) == {PeerEntry.NOTHING}


def test_the_withdrawal_entry_is_a_deletion_without_a_resource() -> None:
    entry = withdrawal_entry("https://hub-a.example.org/fhir", "Organization", "s1", "4",
                             "2024-06-01T00:00:00Z")
    assert entry["request"] == {"method": "DELETE", "url": "Organization/s1"}
    assert "resource" not in entry and entry["response"]["etag"] == 'W/"4"'
    Bundle.model_validate({"resourceType": "Bundle", "type": "history", "entry": [entry]})


def test_the_puller_reads_the_withdrawal_as_a_deletion() -> None:
    from adapters.fhir_peer.history import HistoryEntry, entry

    raw = withdrawal_entry("https://hub-a.example.org/fhir", "Organization", "s1", "4",
                           "2024-06-01T00:00:00Z")
    parsed = entry(0, raw, {"Organization"})
    assert parsed == HistoryEntry("DELETE", "Organization", "s1", "4", "2024-06-01T00:00:00Z",
                                  None, "https://hub-a.example.org/fhir/Organization/s1")
