"""``registry node``, ``registry peer`` and ``registry sync``: trust between nodes and pulls.

``registry sync --watch SECONDS`` stops cleanly on SIGINT or SIGTERM (what systemd sends): the
page being applied is finished (it is one transaction either way), no further page or peer is
started, and the command exits 0 with one line on stderr.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from adapters.fhir_peer import Timeouts
from registry.cli.common import base_url, database, node, one_line_errors, system_unit
from registry.errors import RegistryError
from registry.services.federation import duplicates, keys, peers, review, trust
from registry.services.federation.readonly import SYNC_CALLER
from registry.services.federation.sync import Syncer
from registry.storage.values import instant


@click.group("node", help="This node's identity towards its peers.")
def node_group() -> None:
    pass


@node_group.command("jwks", help="Print this node's public JWKS (the key is made on first use).")
@with_appcontext
@one_line_errors
def jwks() -> None:
    click.echo(json.dumps(_node_key().jwks(), indent=2))


def _node_key() -> keys.NodeKey:
    path = node().key_path
    if path is None:
        raise click.ClickException("no node key path is configured (REGISTRY_NODE_KEY)")
    try:
        return keys.load_or_create(path)
    except keys.NodeKeyError as bad:
        raise click.ClickException(str(bad)) from None


@click.group("peer", help="Pullers this node trusts, and peers it pulls from.")
def peer_group() -> None:
    pass


@peer_group.command("trust", help="Trust a puller's key; prints its client id as the last line.")
@click.argument("name")
@click.option("--jwks", "jwks_file", required=True, type=click.Path(dir_okay=False,
              path_type=Path), help="The puller's public JWKS (its `registry node jwks`).")
@with_appcontext
@one_line_errors
def trust_peer(name: str, jwks_file: Path) -> None:
    try:
        document = json.loads(jwks_file.read_text())
    except (OSError, ValueError) as bad:
        raise click.ClickException(f"{jwks_file}: cannot read a JSON JWKS ({bad})") from None
    with system_unit("peer-trust", write=True) as service:
        client_id = trust.trust(service.ctx.conn, name, document)
    click.echo(f"trusted {name}; its client id (for its `registry peer add --client-id`):",
               err=True)
    click.echo(client_id)


@peer_group.command("distrust", help="Stop trusting a puller (its tokens lapse within 5 min).")
@click.argument("name")
@with_appcontext
@one_line_errors
def distrust_peer(name: str) -> None:
    with system_unit("peer-distrust", write=True) as service:
        trust.distrust(service.ctx.conn, name)
    click.echo(f"{name} is no longer trusted")


@peer_group.command("add", help="Add a peer to pull from.")
@click.argument("name")
@click.option("--base", required=True, help="The peer's FHIR base URL.")
@click.option("--client-id", default=None, help="This node's client id at the peer (SMART).")
@click.option("--token", default=None, help="A static peer token the peer issued instead.")
@with_appcontext
@one_line_errors
def add_peer(name: str, base: str, client_id: str | None, token: str | None) -> None:
    with system_unit("peer-add", write=True) as service:
        peers.add(service, name, base, client_id, token)
    click.echo(f"peer {name} added; pull with `registry sync --peer {name}`")


@peer_group.command("list", help="Peers with cursor, last success, last error, records held.")
@with_appcontext
def list_peers() -> None:
    with system_unit("peer-list", write=False) as service:
        found = peers.statuses(service.ctx)
    for status in found:
        p = status.peer
        held = ", ".join(f"{t} {n}" for t, n in status.held.items()) or "nothing"
        success = instant(p.last_success) if p.last_success else "never"
        auth = "smart" if p.client_id else "token"
        click.echo(f"{p.name}\t{p.base}\t{auth}\tcursor {p.cursor or '-'}\t"
                   f"last success {success}\tlast error {p.last_error or '-'}\t"
                   f"errors {status.errors}\tholds {held}")


@peer_group.command("errors", help="The latest sync errors of a peer, newest first.")
@click.argument("name")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
@one_line_errors
def peer_errors(name: str, limit: int) -> None:
    with system_unit("peer-errors", write=False) as service:
        found = peers.errors(service.ctx, name, limit)
    for e in found:
        click.echo(f"{instant(e.at)}\t{e.stage}\t{e.remote or '-'}\t{e.reason}")


@peer_group.command("remove", help="Remove a peer and delete the mirrors pulled from it.")
@click.argument("name")
@with_appcontext
@one_line_errors
def remove_peer(name: str) -> None:
    with system_unit(SYNC_CALLER, write=True) as service:
        removed = peers.remove(service, name)
    click.echo(f"peer {name} removed; {removed} mirrored records deleted")


@click.group("duplicates", help="Suspected duplicates across nodes, waiting for review.")
def duplicates_group() -> None:
    pass


@duplicates_group.command("list", help="One line per pair waiting: PAIR, then A and B "
                                       "(reference, identifiers, origin).")
@with_appcontext
def list_duplicates() -> None:
    with system_unit("duplicates-list", write=False) as service:
        lines = []
        for task in review.pending(service):
            a, b = duplicates.pair_of(task)
            (a_keys, a_origin), (b_keys, b_origin) = (review.describe(service, a),
                                                      review.describe(service, b))
            lines.append(f"{task['id']}\tA {a} {a_keys} {a_origin}\tB {b} {b_keys} {b_origin}")
    for line in lines:
        click.echo(line)


@duplicates_group.command("resolve", help="Resolve a pair: keep A, B, or both (distinct).")
@click.argument("pair")
@click.option("--keep", required=True, type=click.Choice(["A", "B", "both"]))
@with_appcontext
@one_line_errors
def resolve_duplicate(pair: str, keep: str) -> None:
    with system_unit("duplicates-resolve", write=True) as service:
        review.resolve(service, pair, keep, time.time_ns() // 1000)
    click.echo(f"{pair} resolved: keep {keep}")


@peer_group.command("sync", help="Pull from one peer (same as `registry sync --peer NAME`).")
@click.argument("name")
@with_appcontext
def sync_one(name: str) -> None:
    _sync_and_exit(name)


@click.command("sync", help="Pull from every peer (or one); one line per peer.")
@click.option("--peer", "name", default=None, help="Only this peer.")
@click.option("--watch", default=None, type=click.IntRange(1, 86_400), metavar="SECONDS",
              help="Keep pulling every SECONDS until SIGINT or SIGTERM.")
@with_appcontext
def sync(name: str | None, watch: int | None) -> None:
    if watch is None:
        _sync_and_exit(name)
        return
    stop = threading.Event()
    received: list[str] = []

    def stopping(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stopping)
    while not stop.is_set():
        _sync_all(name, stop.is_set)
        stop.wait(watch)
    click.echo(f"sync stopped ({received[0]}); the cursor of each peer is where its last "
               f"applied page left it", err=True)


def _sync_and_exit(name: str | None) -> None:
    sys.exit(0 if _sync_all(name) else 1)


def _sync_all(name: str | None, stopped: Callable[[], bool] = lambda: False) -> bool:
    """Sync each peer; True when every one succeeded. Failures are also lines on stderr."""
    with system_unit("sync-plan", write=False) as service:
        try:
            chosen = [peers.find(service.ctx, name)] if name else \
                [s.peer for s in peers.statuses(service.ctx)]
        except RegistryError as bad:
            raise click.ClickException(str(bad)) from None
    settings = current_app.config["REGISTRY"]
    timeouts = Timeouts(settings.sync_connect_timeout_seconds, settings.sync_read_timeout_seconds)
    syncer = Syncer(database(), node(), base_url(), timeouts=timeouts, progress=_progress,
                    stopped=stopped)
    ok = True
    for peer in chosen:
        if stopped():
            break
        report = syncer.sync(peer)
        _end_progress()
        click.echo(report.line())
        if report.failure:
            ok = False
            click.echo(f"Error: sync from {report.peer} failed: {report.failure}", err=True)
    return ok


def _progress(peer: str, pulled: int) -> None:
    if sys.stderr.isatty():
        click.echo(f"\r{peer}: {pulled} pulled", nl=False, err=True)


def _end_progress() -> None:
    if sys.stderr.isatty():
        click.echo("", err=True)

