"""A pull from a peer, next to the peer's own ``_history`` serve rate, measured in one run.

``python -m benchmarks.federation_sync --resources 10000 [--changes 100] [--db sqlite]``

Both nodes run in this process on their own SQLite files (or PostgreSQL databases), and the
puller reaches the peer through httpx's WSGI transport, so the comparison is like for like:

1. *serve*: the peer client reads the whole published history (no apply): resources/s;
2. *local ingest*: the same resources written on the peer through the write pipeline in
   transactions of 500 (how it was loaded): resources/s;
3. *first pull*: ``Syncer`` pulls all of it into an empty node through the one write pipeline
   (mirror, Provenance, audit, index rows, the duplicate check): resources/s, as a share of
   the slower of 1 and 2 (the target in CONTRACTS.md: at least 50 %);
4. *incremental*: ``--changes`` records change at the peer and the puller syncs again: seconds
   (target under 1 s).

No thresholds are asserted: the figures are printed, to be read next to each other.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from flask import Flask

from adapters.fhir_peer import BearerToken, PeerClient
from registry.app import create_app
from registry.services import tokens
from registry.services.audit import AuditTrail
from registry.services.caller import Caller
from registry.services.federation import peers
from registry.services.federation.sync import PULLED_TYPES, Syncer
from registry.services.loading import LoadReport, load_batch
from registry.services.unit import unit_of_work
from registry.storage import migrate
from registry.storage.database import create_engine

PEER_BASE, PULLER_BASE = "http://peer.bench/fhir", "http://puller.bench/fhir"
NETWORK = "https://telementoring.example.org/fhir"
BATCH = 500


def hub(i: int) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": f"hub-{i}", "active": True,
            "name": f"Hub {i}", "meta": {"tag": [{"system": f"{NETWORK}/CodeSystem/network",
                                                  "code": "published"}]},
            "identifier": [{"system": f"{NETWORK}/sid/organization", "value": f"HUB-{i}"}],
            "type": [{"coding": [{"system": f"{NETWORK}/CodeSystem/organization-kind",
                                  "code": "hub"}]}],
            "address": [{"country": "PE"}]}


def node(url: str, base: str, folder: Path) -> Flask:
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return create_app({"database_url": url, "base_url": base, "node_secret": "bench",
                       "node_key": str(folder / f"{base.split('/')[2]}.pem"),
                       "rate_limit": ""})


def unit(app: Flask, name: str = "bench") -> Any:
    return unit_of_work(app.extensions["registry.database"], app.extensions["registry.node"],
                        Caller.system(name), AuditTrail(), app.extensions["registry.node"]
                        .base_url, write=True)


def load(app: Flask, resources: list[dict[str, Any]]) -> None:
    for start in range(0, len(resources), BATCH):
        with unit(app) as service:
            load_batch(service, resources[start:start + BATCH], LoadReport())


def serve_rate(peer: Flask, token: str) -> tuple[int, float]:
    started, count = time.perf_counter(), 0
    with PeerClient(PEER_BASE, BearerToken(token),
                    transport=httpx.WSGITransport(app=peer)) as client:
        for page in client.history(None, PULLED_TYPES, 200):
            count += len(page.entries)
    return count, time.perf_counter() - started


def pull(puller: Flask, peer: Flask) -> tuple[int, float]:
    syncer = Syncer(puller.extensions["registry.database"], puller.extensions["registry.node"],
                    PULLER_BASE, transport=lambda _: httpx.WSGITransport(app=peer))
    with unit(puller) as service:
        row = peers.find(service.ctx, "peer")
    started = time.perf_counter()
    report = syncer.sync(row)
    if report.failure:
        raise SystemExit(f"sync failed: {report.failure}")
    return report.applied, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--postgres", default=None, metavar="URL_PREFIX",
                        help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/ (two "
                             "databases, bench_peer and bench_puller, must exist and be empty)")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        urls = ([f"{args.postgres}bench_peer", f"{args.postgres}bench_puller"] if args.postgres
                else [f"sqlite:///{folder / 'peer.db'}", f"sqlite:///{folder / 'puller.db'}"])
        peer, puller = node(urls[0], PEER_BASE, folder), node(urls[1], PULLER_BASE, folder)
        started = time.perf_counter()
        load(peer, [hub(i) for i in range(args.resources)])
        ingest_s = time.perf_counter() - started
        with unit(peer) as service:
            token, _ = tokens.create_token(service.ctx.conn, role="peer", name="bench")
        with unit(puller) as service:
            peers.add(service, "peer", PEER_BASE, None, token)
        served, serve_s = serve_rate(peer, token)
        applied, pull_s = pull(puller, peer)
        load(peer, [{**hub(i), "name": f"Hub {i} (renamed)"} for i in range(args.changes)])
        changed, incremental_s = pull(puller, peer)
    serve_r, pull_r = served / serve_s, applied / pull_s
    ingest_r = args.resources / ingest_s
    floor = min(serve_r, ingest_r)
    print(f"peer serves its history   {served:>8} resources  {serve_r:>9.0f} /s")
    print(f"local ingest (pipeline)   {args.resources:>8} resources  {ingest_r:>9.0f} /s")
    print(f"first pull applies        {applied:>8} resources  {pull_r:>9.0f} /s  "
          f"({100 * pull_r / floor:.0f} % of the slower of the two; target >= 50 %)")
    print(f"incremental pull          {changed:>8} changes    {incremental_s:>9.2f} s   "
          f"(target < 1 s)")


if __name__ == "__main__":
    main()
