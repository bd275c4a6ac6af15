"""The node's signing key pair: what this node signs its SMART client assertions with.

The private key is a PEM file named by ``REGISTRY_NODE_KEY``; by default ``node-key.pem``
beside the node secret in the instance folder (``default_key_path``). It is created on first
use, ES384 (P-384) unless RS384 is asked for, and kept with mode 0600 like the node secret.
An existing file is used as it is, whatever its algorithm of the two, so an operator may bring
a key of their own.

Creation is race-free: the new key is written completely to a private temporary file (opened
with ``O_EXCL``, mode 0600) and then hard-linked to its final name, which fails if the name
exists. Two processes racing therefore agree on one key, and nobody ever reads a half-written
file.

JOSE library: joserfc. It is typed (``py.typed``), maintained by the author of Authlib as its
JOSE successor, and gives in one place what this needs: key generation, PEM import and export,
the RFC 7638 thumbprint used as ``kid``, and JWS with an explicit algorithm allow-list. PyJWT
would leave the thumbprint to be written by hand; Authlib's own JOSE module is being replaced
by joserfc. No cryptography is written here.
"""

from __future__ import annotations

import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, RSAKey

from registry.config import ConfigError

SIGNING_ALGORITHMS = ("ES384", "RS384")
DEFAULT_ALGORITHM = "ES384"
KEY_FILE_NAME = "node-key.pem"
EC_CURVE = "P-384"
RSA_BITS = 3072
MIN_RSA_BITS = 2048
PUBLIC_MEMBERS = {"EC": ("kty", "crv", "x", "y"), "RSA": ("kty", "n", "e")}


class NodeKeyError(ConfigError):
    """A node key file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class NodeKey:
    """The node's private key and the algorithm it signs with."""

    private: ECKey | RSAKey
    algorithm: str

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint: stable for the key, the same on every node that holds it."""
        return self.private.thumbprint()

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK, with only the public members named by RFC 7518."""
        members = self.private.as_dict(private=False)
        kty = "EC" if isinstance(self.private, ECKey) else "RSA"
        jwk = {name: members[name] for name in PUBLIC_MEMBERS[kty]}
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def jwks(self) -> dict[str, Any]:
        """The public JWKS a peer registers with ``registry peer trust NAME --jwks FILE``."""
        return {"keys": [self.public_jwk()]}


def default_key_path(instance_folder: Path) -> Path:
    """Where the key lives when ``REGISTRY_NODE_KEY`` is not set: beside the node secret."""
    return instance_folder / KEY_FILE_NAME


def load_or_create(path: Path, algorithm: str = DEFAULT_ALGORITHM) -> NodeKey:
    """The key kept in ``path``, created first if there is none."""
    try:
        try:
            return read_key(path)
        except FileNotFoundError:
            return _create(path, algorithm)
    except OSError as failure:  # a folder, no permission, a read-only disk: one line, no trace
        raise NodeKeyError(f"{path}: cannot keep the node key there "
                           f"({failure.strerror or failure})") from None


def read_key(path: Path) -> NodeKey:
    """The key in a PEM file; ``NodeKeyError`` when it is not an ES384 or RS384 private key."""
    pem = path.read_bytes()
    if not pem.strip():
        raise NodeKeyError(f"{path} is empty; delete it or point REGISTRY_NODE_KEY elsewhere")
    return _node_key(path, pem)


def generate(algorithm: str = DEFAULT_ALGORITHM) -> NodeKey:
    """A new key for ``algorithm`` (ES384 on P-384, or RS384 on 3072-bit RSA)."""
    if algorithm == "ES384":
        return NodeKey(ECKey.generate_key(EC_CURVE), algorithm)
    if algorithm == "RS384":
        return NodeKey(RSAKey.generate_key(RSA_BITS), algorithm)
    raise NodeKeyError(f"node key algorithm must be one of {', '.join(SIGNING_ALGORITHMS)}, "
                       f"not {algorithm!r}")


def _node_key(path: Path, pem: bytes) -> NodeKey:
    for kind, algorithm in ((ECKey, "ES384"), (RSAKey, "RS384")):
        try:
            with warnings.catch_warnings():  # a short RSA key warns; _check refuses it instead
                warnings.simplefilter("ignore", SecurityWarning)
                key = kind.import_key(pem)
        except (JoseError, ValueError, TypeError):
            continue
        _check(path, key)
        return NodeKey(key, algorithm)
    raise NodeKeyError(f"{path} is not a PEM private key (EC P-384 or RSA)")


def _check(path: Path, key: ECKey | RSAKey) -> None:
    if not key.is_private:
        raise NodeKeyError(f"{path} holds a public key; the node needs its private key")
    if isinstance(key, ECKey) and key.curve_name != EC_CURVE:
        raise NodeKeyError(f"{path} is an EC key on {key.curve_name}; ES384 needs {EC_CURVE}")
    if isinstance(key, RSAKey) and key.raw_value.key_size < MIN_RSA_BITS:
        raise NodeKeyError(f"{path} is an RSA key of {key.raw_value.key_size} bits; "
                           f"at least {MIN_RSA_BITS} are needed")


def _create(path: Path, algorithm: str) -> NodeKey:
    key = generate(algorithm)
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.private.as_pem(private=True))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, path)  # fails if another process made the key first: use that one
    except FileExistsError:
        return read_key(path)
    finally:
        draft.unlink(missing_ok=True)
    return key
