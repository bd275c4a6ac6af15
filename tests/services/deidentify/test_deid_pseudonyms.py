"""Keyed hashes and the self-verifying UUIDs that keep de-identification idempotent."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from registry.services.deidentify.pseudonyms import (
    is_own_uuid,
    keyed_hash,
    pseudonym_uuid,
    subject_key,
)

SECRET = b"node-secret-for-tests-0123456789"


def test_subject_key_is_hmac_of_spoke_and_local_reference() -> None:
    expected = hmac.new(SECRET, b"Organization/spoke-7|urn:local:mrn|HC-1",
                        hashlib.sha256).hexdigest()
    assert subject_key(SECRET, "Organization/spoke-7", "urn:local:mrn|HC-1") == expected


def test_keys_differ_by_secret_and_spoke() -> None:
    base = subject_key(SECRET, "spoke-a", "mrn|1")
    assert subject_key(b"another-secret", "spoke-a", "mrn|1") != base
    assert subject_key(SECRET, "spoke-b", "mrn|1") != base
    assert keyed_hash(SECRET, "x") != keyed_hash(SECRET, "y")


def test_own_uuids_are_recognised_and_others_are_not() -> None:
    made = pseudonym_uuid(SECRET, "Condition/1")
    assert uuid.UUID(made).version == 4
    assert is_own_uuid(SECRET, made)
    assert is_own_uuid(SECRET, "urn:uuid:" + made)
    assert not is_own_uuid(b"other", made)
    assert not is_own_uuid(SECRET, str(uuid.UUID(int=12345)))
    assert not is_own_uuid(SECRET, "Patient/123")
    assert pseudonym_uuid(SECRET, "Condition/1") == made
    assert pseudonym_uuid(SECRET, "Condition/2") != made
