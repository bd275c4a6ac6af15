"""The node secret: the key of every keyed hash and pseudonym the node mints.

It comes from ``REGISTRY_NODE_SECRET`` when set. Otherwise one is generated on first use and
kept in ``instance/node-secret`` (mode 0600), so subject keys stay stable across restarts and
a follow-up presentation links to the earlier one. Losing the file only breaks that linking;
it never exposes a patient, because the secret is not derived from anything stored.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

SECRET_BYTES = 32


@dataclass
class NodeSecret:
    """The configured secret, or the one kept in ``path``, read or created once."""

    configured: str
    path: Path
    _value: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def value(self) -> bytes:
        with self._lock:
            if self._value is None:
                self._value = self.configured.encode() if self.configured else self._kept()
            return self._value

    def _kept(self) -> bytes:
        try:
            return self._read()
        except FileNotFoundError:
            return self._create()

    def _read(self) -> bytes:
        text = self.path.read_text(encoding="ascii").strip()
        if not text:
            raise RuntimeError(f"{self.path} is empty; delete it or set REGISTRY_NODE_SECRET")
        return text.encode()

    def _create(self) -> bytes:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = secrets.token_urlsafe(SECRET_BYTES)
        try:  # O_EXCL: if another process won the race, use its secret
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self._read()
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text + "\n")
        return text.encode()


