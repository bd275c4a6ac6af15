"""The node's signing key: created once, private, shared by racing processes, public JWKS only."""

from __future__ import annotations

import multiprocessing
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import ECKey, RSAKey

from registry.services.federation import keys
from registry.services.federation.keys import NodeKey, NodeKeyError

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def test_created_on_first_use_with_mode_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "node-key.pem"
    first = keys.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.algorithm == "ES384"
    assert isinstance(first.private, ECKey) and first.private.curve_name == "P-384"
    again = keys.load_or_create(path)
    assert again.kid == first.kid
    assert [p.name for p in path.parent.iterdir()] == ["node-key.pem"]  # no draft left over


def test_rs384_is_accepted_and_an_existing_file_keeps_its_algorithm(tmp_path: Path) -> None:
    path = tmp_path / "node-key.pem"
    rsa = keys.load_or_create(path, "RS384")
    assert rsa.algorithm == "RS384" and isinstance(rsa.private, RSAKey)
    assert keys.load_or_create(path, "ES384").kid == rsa.kid


def test_default_path_is_beside_the_node_secret(tmp_path: Path) -> None:
    assert keys.default_key_path(tmp_path) == tmp_path / "node-key.pem"


def _slow_generate(real: object, pause: float) -> object:
    def generate(algorithm: str = "ES384") -> NodeKey:
        key = real(algorithm)  # type: ignore[operator]
        time.sleep(pause)  # every racer has its own key ready before any links it
        return key  # type: ignore[no-any-return]
    return generate


def test_racing_threads_agree_on_one_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "generate", _slow_generate(keys.generate, 0.2))
    path = tmp_path / "node-key.pem"
    start = threading.Barrier(6)

    def race() -> str:
        start.wait()
        return keys.load_or_create(path).kid

    with ThreadPoolExecutor(6) as pool:
        kids = list(pool.map(lambda _: race(), range(6)))
    assert len(set(kids)) == 1
    assert keys.read_key(path).kid == kids[0]


def _kid_in_new_process(path: str) -> str:
    return keys.load_or_create(Path(path)).kid


def test_racing_processes_agree_on_one_key(tmp_path: Path) -> None:
    path = str(tmp_path / "node-key.pem")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        kids = pool.map(_kid_in_new_process, [path] * 8)
    assert len(set(kids)) == 1


def test_jwks_has_the_public_members_only(tmp_path: Path) -> None:
    for algorithm in keys.SIGNING_ALGORITHMS:
        key = keys.load_or_create(tmp_path / f"{algorithm}.pem", algorithm)
        [jwk] = key.jwks()["keys"]
        assert not PRIVATE_MEMBERS & set(jwk)
        assert jwk["kid"] == key.kid and jwk["alg"] == algorithm and jwk["use"] == "sig"
        public = ECKey.import_key(jwk) if jwk["kty"] == "EC" else RSAKey.import_key(jwk)
        assert not public.is_private
        assert public.thumbprint() == key.kid  # kid is the RFC 7638 thumbprint


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"not a key", "is not a PEM private key"),
])
def test_unusable_files_are_refused_with_one_line(tmp_path: Path, content: bytes,
                                                   message: str) -> None:
    path = tmp_path / "node-key.pem"
    path.write_bytes(content)
    with pytest.raises(NodeKeyError, match=message):
        keys.load_or_create(path)


def _short_rsa_pem() -> bytes:
    """joserfc rightly warns before making a short key, so the test makes it directly."""
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return short.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())


def test_a_public_key_a_wrong_curve_or_a_short_rsa_key_is_refused(tmp_path: Path) -> None:
    cases = {
        "public.pem": (ECKey.generate_key("P-384").as_pem(private=False), "public key"),
        "p256.pem": (ECKey.generate_key("P-256").as_pem(private=True), "P-256"),
        "rsa1024.pem": (_short_rsa_pem(), "1024 bits"),
    }
    for name, (pem, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(pem)
        with pytest.raises(NodeKeyError, match=message):
            keys.read_key(path)


def test_an_unknown_algorithm_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NodeKeyError, match="ES384, RS384"):
        keys.load_or_create(tmp_path / "k.pem", "HS256")
    assert not (tmp_path / "k.pem").exists()


def test_a_path_that_cannot_hold_a_key_is_refused_with_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(NodeKeyError, match="cannot keep the node key there"):
        keys.load_or_create(folder)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NodeKeyError, match="cannot keep the node key there"):
        keys.load_or_create(blocker / "node-key.pem")
