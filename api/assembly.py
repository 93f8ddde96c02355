"""The node assembled from its settings: every part built once, by keyword, and the background work
(indexing, anchoring) that one process of the node runs."""

from __future__ import annotations

import logging
import threading
from functools import partial
from zoneinfo import ZoneInfo

from api.deps import Node
from api.metrics import Metrics
from api.settings import ApiSettings
from api.workers import sole
from ledger.access.reads import ReadService
from ledger.chain.client import Relayer
from ledger.chain.deploy import Contracts
from ledger.chain.head import follow_chain
from ledger.errors import BadArgument
from ledger.ids import code_id
from ledger.index.indexer import Indexer
from ledger.notify.delivery import Delivery
from ledger.notify.outbox import BATCH, Outbox, Windows
from ledger.peers.exchange import NodeClient, NodeIdentity
from ledger.peers.gather import published_api_at
from ledger.peers.people import People
from ledger.store.directory import Directory
from ledger.store.justifications import FreeTexts
from ledger.store.trail import Trail
from ledger.trail.anchor import TrailAnchorer
from ledger.trail.seals import SealWatch

log = logging.getLogger(__name__)


def build_node(*, settings: ApiSettings, metrics: Metrics) -> Node:
    """One body's node: its chain connection, store, trail, index and peers, as the settings say."""
    from ledger.local import demo
    from ledger.local.system import open_chain, open_store

    if settings.body is None:
        raise BadArgument("set LEDGER_BODY: the body whose node this API is")
    chain = open_chain(settings)
    store = open_store(settings, chain, settings.body)
    contracts = Contracts.of(chain)
    trail = Trail(store.engine, store.body)
    relayer = Relayer(chain, settings.relayer_account())
    anchorer = TrailAnchorer(
        trail,
        contracts,
        relayer.account,
        mode=settings.trail_mode,
        batch_size=settings.trail_batch_size,
        interval=settings.trail_batch_interval,
        stuck_after=settings.tx_stuck_after,
    )
    indexer = Indexer(
        store.engine, chain, from_block=chain.manifest.deploy_block if chain.manifest else 0, depth=settings.index_depth
    )
    questions = follow_chain(chain, interval=settings.head_interval, shared=settings.home / "api" / f"{settings.body}.head")
    directory = Directory(store.engine)
    if settings.environment == "development" and demo.node_account(settings.body) is not None:
        demo.describe_staff(directory, settings.body)  # the demo's invented staff of this body, by name and post
    metrics.watch(
        outbox_pending=store.anchorer.pending_count,
        events=trail.last_seq,
        events_last=trail.last_seq,
        anchor=anchorer.status,
        overdue=lambda: anchorer.overdue(settings.trail_anchor_grace),
        index_rewinds=lambda: indexer.rewinds,
        head=questions,
    )
    metrics.watch_commits(trail.writer)
    seals = SealWatch(questions)
    outbox = Outbox(
        store.engine,
        store.body,
        sensitive=settings.notify_sensitive,
        windows=Windows(settings.notify_digest_seconds, ZoneInfo(settings.watchdog_timezone)),
        choice_of=lambda subject, category: contracts.residents.notice_choice(bytes.fromhex(subject[2:]), code_id(category)),
        sealed_now=seals.sealed_now,
        standing=contracts.access.standing,
    )
    delivery = (
        Delivery(
            store.engine,
            store.body,
            webhook=settings.notify_webhook,
            secret=settings.notify_secret.get_secret_value().encode() if settings.notify_secret else b"",
            link=settings.notify_link or settings.api_uri.rstrip("/") + "/resident",
        )
        if settings.notify_webhook
        else None
    )
    metrics.watch_notices(outbox, delivery)
    peers = NodeClient(
        NodeIdentity(store.body, bytes(relayer.account.key), chain.chain_id, contracts.bodies.handle.address),
        endpoint_of=partial(published_api_at, questions),
    )
    return Node(
        settings=settings,
        chain=chain,
        contracts=contracts,
        engine=store.engine,
        relayer=relayer,
        store=store,
        trail=trail,
        reads=ReadService(store=store, trail=trail, questions=questions),
        metrics=metrics,
        anchorer=anchorer,
        indexer=indexer,
        texts=FreeTexts(store.engine, store.body, store.keyring),
        directory=directory,
        questions=questions,
        peers=peers,
        people=People(directory, questions, peers, store.body),
        outbox=outbox,
        delivery=delivery,
        seals=seals,
    )


def background(node: Node, stop: threading.Event) -> None:
    """Indexing and anchoring, in one process of a body's node: with several uvicorn workers, the one holding
    the lock; another takes over when it dies."""
    settings = node.settings
    with sole(settings.home / "api" / f"{node.body}.background.lock", stop):
        if stop.is_set():
            return
        inner = [
            threading.Thread(target=lambda: node.indexer.follow(stop, settings.index_interval), name="indexer", daemon=True)
        ]
        if settings.trail_anchoring:
            inner.append(threading.Thread(target=node.anchorer.run, args=(stop,), name="anchorer", daemon=True))
        inner.append(threading.Thread(target=watchdog_runs, args=(node, stop), name="watchdog", daemon=True))
        inner.append(threading.Thread(target=notify_runs, args=(node, stop), name="notify", daemon=True))
        for t in inner:
            t.start()
        for t in inner:
            t.join()


def watchdog_runs(node: Node, stop: threading.Event) -> None:
    """The watchdog over this node's trail (and, at the auditor body's node, every node's) each
    ``watchdog_interval`` seconds, so that ``/metrics`` says its alerts without anyone asking."""
    from api.services.watchdog import alerts_out, is_auditors_node

    while not stop.wait(node.settings.watchdog_interval):
        try:
            alerts_out(node, None, 14, consortium=False)
            if is_auditors_node(node):
                alerts_out(node, None, 14, consortium=True)
        except Exception:  # noqa: BLE001 - a failed run is logged and the next one tries again
            log.exception("the watchdog's run failed; the next one is in %s s", node.settings.watchdog_interval)


def notify_runs(node: Node, stop: threading.Event) -> None:
    """The outbox follows the trail, and (with a gateway) sends what is due, every ``notify_interval``."""
    while not stop.is_set():
        try:
            while node.outbox.follow() >= BATCH and not stop.is_set():
                pass
            node.outbox.release_held()
            if node.delivery is not None:
                node.delivery.run_once()
        except Exception:  # noqa: BLE001 - the database or the gateway is away: the next pass tries again
            log.exception("the notices' pass failed; the next one is in %s s", node.settings.notify_interval)
        stop.wait(node.settings.notify_interval)
