"""Bearer tokens: random, at least 256 bits, stored only as a SHA-256 hash.

A token is high-entropy random data, so a fast hash is enough: there is nothing to brute-force
that a slow hash would protect. The plaintext is shown once, when created.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

import pycountry

from registry.errors import InvalidRequest, NotAuthenticated, NotFound
from registry.services import policy
from registry.services.caller import Caller
from registry.services.compartment import organization_kind
from registry.services.validation import is_valid_id
from registry.storage import tokens as rows
from registry.storage.database import Connection
from registry.storage.resources import read_current
from registry.storage.tokens import TokenRow

ROLES = policy.ROLES
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
TOKEN_BYTES = 32  # 256 bits
DAY_US = 86_400_000_000


TokenInfo = TokenRow


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def now_us() -> int:
    return time.time_ns() // 1000


def create_token(conn: Connection, *, role: str, name: str, binding: str | None = None,
                 days: int | None = 365) -> tuple[str, int]:
    """Store a new token's hash; returns (plaintext, id). The plaintext is never stored."""
    if role not in ROLES:
        raise InvalidRequest(f"Unknown role {role!r}; roles are: {', '.join(ROLES)}")
    binding = check_binding(role, binding)
    check_binding_exists(conn, role, binding)
    if days is not None and days < 1:
        raise InvalidRequest("A token must be valid for at least one day")
    plaintext = "tnr_" + secrets.token_urlsafe(TOKEN_BYTES)
    created = now_us()
    token_id = rows.insert_token(conn, token_hash=hash_token(plaintext), name=name, role=role,
                                 binding=binding, created=created,
                                 expires=created + days * DAY_US if days else None)
    return plaintext, token_id


def check_binding(role: str, binding: str | None) -> str | None:
    """The binding a role needs, normalized: ``Organization/ID`` for hub-admin and
    spoke-clinician, an ISO 3166-1 alpha-2 code for national-program, nothing otherwise."""
    if role in policy.ORGANIZATION_ROLES:
        kind, _, org_id = (binding or "").partition("/")
        if kind != "Organization" or not is_valid_id(org_id):
            raise InvalidRequest(f"The {role} role needs --org Organization/ID (the "
                                 f"{'hub' if role == 'hub-admin' else 'spoke'} it acts for)")
        return binding
    if role in policy.COUNTRY_ROLES:
        code = (binding or "").strip().upper()
        if not COUNTRY_CODE.match(code):
            raise InvalidRequest(f"The {role} role needs --country CC (ISO 3166-1 alpha-2)")
        return code
    if binding:
        raise InvalidRequest(f"The {role} role takes no --org or --country")
    return None


ORGANIZATION_KIND = {"hub-admin": "hub", "spoke-clinician": "spoke"}


def check_binding_exists(conn: Connection, role: str, binding: str | None) -> None:
    """A binding must name what exists: a hub for hub-admin, a spoke for spoke-clinician (both
    in the directory, not deleted), an ISO 3166-1 country for national-program."""
    if binding is None:
        return
    if role in policy.COUNTRY_ROLES:
        if pycountry.countries.get(alpha_2=binding) is None:
            raise InvalidRequest(f"{binding} is not an ISO 3166-1 alpha-2 country code")
        return
    kind = ORGANIZATION_KIND[role]
    stored = read_current(conn, "Organization", binding.split("/", 1)[1])
    if stored is None or stored.deleted:
        raise InvalidRequest(f"{binding} is not in the directory; register the {kind} first")
    if organization_kind(stored.resource()) != kind:
        raise InvalidRequest(f"{binding} is not a {kind}: a {role} token acts for a {kind}")


def authenticate(conn: Connection, plaintext: str) -> Caller:
    """The caller a presented token stands for, or ``NotAuthenticated``."""
    return authenticate_hash(conn, hash_token(plaintext))


def authenticate_hash(conn: Connection, token_hash: str) -> Caller:
    """The caller of the token with this hash (what a dashboard session keeps instead of the
    token), or ``NotAuthenticated``: a revoked or expired token ends its sessions too."""
    row = rows.find_token(conn, token_hash)
    if row is None or row.revoked is not None:
        raise NotAuthenticated("The bearer token is not valid")
    if row.expires is not None and row.expires <= now_us():
        raise NotAuthenticated("The bearer token has expired")
    return Caller(name=row.name, role=row.role, binding=row.binding, token_id=row.id,
                  scopes=None if row.scopes is None else tuple(row.scopes.split()))


def list_tokens(conn: Connection) -> list[TokenInfo]:
    return rows.list_tokens(conn)


def revoke_token(conn: Connection, token_id: int) -> None:
    if not rows.revoke_token(conn, token_id, now_us()):
        raise NotFound(f"No active token with id {token_id}")
