"""A TCP proxy of our own between the registry and PostgreSQL, which can fail on demand.

Modes: ``forward`` (a plain proxy), ``reset`` (every open connection is reset, new ones are
forwarded), ``refuse`` (nothing listens: connecting is refused) and ``blackhole`` (connections
are accepted and kept open but nothing is forwarded either way: the silent partition that no
TCP time-out of the client notices, since the proxy's own stack acknowledges every byte).
``blackhole_after(n)`` forwards ``n`` more bytes towards the server first, to cut a transaction
in the middle. Loopback only; every thread stops with ``close``.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading

CHUNK = 65_536


class FaultProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "forward"
        self.budget: int | None = None  # bytes still forwarded to the server before blackhole
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.listener: socket.socket | None = None
        self.port = 0
        self.closed = threading.Event()
        self._listen()

    # ---- control ---------------------------------------------------------------------------

    def forward(self) -> None:
        with self.lock:
            self.mode, self.budget = "forward", None
        self._listen()

    def reset(self) -> None:
        """Reset every open connection (RST, as a crashed peer or middlebox would)."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, server in pairs:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.close()

    def refuse(self) -> None:
        """Stop listening and reset what is open: new connections are refused."""
        with self.lock:
            self.mode = "refuse"
            listener, self.listener = self.listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
            listener.close()
        self.reset()

    def blackhole(self) -> None:
        with self.lock:
            self.mode, self.budget = "blackhole", None

    def blackhole_after(self, forwarded_bytes: int) -> None:
        with self.lock:
            self.mode, self.budget = "forward", forwarded_bytes

    def close(self) -> None:
        self.closed.set()
        self.refuse()

    # ---- the proxy -------------------------------------------------------------------------

    def _listen(self) -> None:
        with self.lock:
            if self.listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while not self.closed.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by refuse()
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        sockets = [client, server]
        try:
            while not self.closed.is_set():
                ready, _, _ = select.select(sockets, [], [], 0.2)
                for sock in ready:
                    data = sock.recv(CHUNK)
                    if not data:
                        return
                    self._relay(data, server if sock is client else client, sock is client)
        except (OSError, ValueError):
            return
        finally:
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def _relay(self, data: bytes, to: socket.socket, towards_server: bool) -> None:
        with self.lock:
            if self.mode == "blackhole":
                return
            if towards_server and self.budget is not None:
                if len(data) > self.budget:
                    data, self.mode = data[:self.budget], "blackhole"
                    self.budget = None
                else:
                    self.budget -= len(data)
        to.sendall(data)
