"""Keyed hashes: the subject key, pseudonymous identifiers and self-verifying UUIDs.

All use HMAC-SHA256 with the node's secret, so nobody without the secret can recompute or
reverse them (GDPR pseudonymisation), while the same input at the same node always gives the
same output, so follow-up presentations link.

Resource ids and fullUrls become UUIDs whose last four bytes are a keyed tag of the first
twelve. A second pass recognises its own UUIDs by the tag and leaves them alone, which keeps
de-identification idempotent without a table of what was issued.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

URN = "urn:uuid:"


def keyed_hash(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def subject_key(secret: bytes, spoke: str, local_reference: str) -> str:
    """HMAC-SHA256(node secret, spoke + '|' + local patient reference), hex."""
    return keyed_hash(secret, f"{spoke}|{local_reference}")


def _tag(secret: bytes, head: bytes) -> bytes:
    return hmac.new(secret, b"uuid-tag|" + head, hashlib.sha256).digest()[:4]


def pseudonym_uuid(secret: bytes, message: str) -> str:
    raw = bytearray(hmac.new(secret, b"uuid|" + message.encode(), hashlib.sha256).digest()[:12])
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4 layout, so it reads as an ordinary UUID
    raw[8] = (raw[8] & 0x3F) | 0x80
    head = bytes(raw)
    return str(uuid.UUID(bytes=head + _tag(secret, head)))


def is_own_uuid(secret: bytes, value: str) -> bool:
    """True if ``value`` (bare or urn:uuid:) was made by ``pseudonym_uuid`` with this secret."""
    try:
        raw = uuid.UUID(value.removeprefix(URN)).bytes
    except ValueError:
        return False
    return hmac.compare_digest(raw[12:], _tag(secret, raw[:12]))
