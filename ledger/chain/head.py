"""The chain head as this node knows it, and chain questions answered once per block.

A read asks the chain two things: is the reader a member of a body, and does the access rule
allow this read. Both answers are fixed once a block is fixed, so the node asks each question
at most once per (question, block) and every read of that block shares the answer:

1. :class:`ChainHead` follows the head with one poller (``eth_blockNumber`` every
   ``interval`` seconds), not one call per read. A transaction this node saw confirmed moves
   the head at once (:meth:`ChainHead.observe`), so a revocation relayed by this node binds the
   very next read. A head older than ``2 × interval`` is refreshed before it is used: a read
   never uses a decision older than the head the node could know.
2. :class:`Questions` answers ``eth_call`` questions at a block from a cache that holds only
   the current head block's answers; concurrent askers of the same question wait for the one
   call in flight. The questions a cache misses go to the node in **one JSON-RPC batch**
   (raw HTTP, ABI-encoded with eth-abi; not web3's per-call layers), so a read costs at most
   one round trip to the chain, and none once its block's answers are known.

The event of a read names the block its decision was taken at, so the audit re-checks it
there, unchanged.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from ledger.chain.revert import abi_type
from ledger.errors import ChainUnavailable, LedgerError


class JsonRpc:
    """Raw JSON-RPC over HTTP(S): one kept-alive connection per thread, batches in one round trip."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an HTTP JSON-RPC URL: {url}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._local = threading.local()
        self._ids = itertools.count(1)

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
        return conn

    def _post(self, payload: bytes) -> Any:
        for attempt in (1, 2):  # a kept-alive connection the node closed while idle is opened again once
            conn = self._connection()
            try:
                conn.request("POST", self._path, payload, {"Content-Type": "application/json"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    raise ChainUnavailable(f"the chain node answered HTTP {response.status}")
                return json.loads(body)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise ChainUnavailable(f"the chain node is unreachable: {exc}") from exc
        raise AssertionError("unreachable")

    def call(self, method: str, params: list[Any]) -> Any:
        out = self._post(json.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}).encode())
        if "error" in out:
            raise RpcError(out["error"])
        return out["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results (or :class:`RpcError` instances) of ``calls``, in order, from one HTTP request."""
        if not calls:
            return []
        ids = [next(self._ids) for _ in calls]
        out = self._post(
            json.dumps(
                [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, calls, strict=True)]
            ).encode()
        )
        if not isinstance(out, list):  # a node that refuses batches answers one error object
            raise ChainUnavailable(f"the chain node refused a JSON-RPC batch: {out.get('error') if out else out}")
        by_id = {r.get("id"): r for r in out}
        return [RpcError(by_id[i]["error"]) if "error" in by_id.get(i, {}) else by_id[i]["result"] for i in ids]


class RpcError(Exception):
    """An error object a JSON-RPC node answered (a revert carries its data)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "JSON-RPC error"))
        self.error = error

    @property
    def data(self) -> str | None:
        data = self.error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        return data if isinstance(data, str) else None


class ChainHead:
    """The latest block number, followed by one poller; see the module doc."""

    def __init__(self, read_head: Any, *, interval: float = 0.25, shared: Path | None = None) -> None:
        self._read_head = read_head  # () -> int
        # The worker processes of one node share the highest block any of them saw confirmed (8 bytes in a
        # file), so a revocation relayed by one binds the next read at every one.
        self._shared: int | None = None
        if shared is not None:
            shared.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._shared = os.open(shared, os.O_RDWR | os.O_CREAT, 0o600)
            os.ftruncate(self._shared, 0)  # a hint of this run only: the chain may have been reset since
        self.interval = interval
        self._number: int | None = None
        self._seen_at = 0.0  # monotonic time of the last successful poll
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self.polls = 0
        self.last_error: str | None = None

    @property
    def number(self) -> int | None:
        return self._number

    @property
    def age(self) -> float | None:
        """Seconds since the node last heard the head from the chain (None: never)."""
        return None if self._number is None else time.monotonic() - self._seen_at

    def observe(self, block: int) -> None:
        """A transaction was seen confirmed in ``block``: the head is at least there."""
        with self._lock:
            if self._number is None or block > self._number:
                self._number = block
            if self._shared is not None and block > self._peer_block():
                os.pwrite(self._shared, block.to_bytes(8, "big"), 0)

    def _peer_block(self) -> int:
        raw = os.pread(self._shared, 8, 0) if self._shared is not None else b""
        return int.from_bytes(raw, "big") if len(raw) == 8 else 0

    def refresh(self) -> int:
        """Asks the chain for its head now."""
        try:
            number = int(self._read_head())
        except LedgerError as exc:
            self.last_error = type(exc).__name__
            raise
        except Exception as exc:
            self.last_error = type(exc).__name__
            raise ChainUnavailable(f"the chain node is unreachable: {exc}") from exc
        with self._lock:
            # a rewound development chain goes back: follow it (the decisions cache is per block)
            if self._number is None or number != self._number:
                self._number = number
            if self._shared is not None and self._peer_block() > number:  # a block the chain no longer has
                os.pwrite(self._shared, number.to_bytes(8, "big"), 0)
            self._seen_at = time.monotonic()
            self.polls += 1
            self.last_error = None
        return number

    def current(self) -> int:
        """The head to take decisions at: the followed head while fresh, else asked now."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        with self._refreshing:  # one refresh at a time; those who waited use its answer
            fresh = self._fresh()
            return fresh if fresh is not None else self.refresh()

    def _fresh(self) -> int | None:
        number, age = self._number, self.age
        if number is None or age is None or age > 2 * self.interval:
            return None
        if self._shared is not None:
            peer = self._peer_block()
            if peer > number:  # another worker of this node saw a later block confirmed
                with self._lock:
                    self._number = number = max(peer, self._number or 0)
        return number

    def follow(self, stop: threading.Event) -> None:
        """The poller (a worker thread of the node): one ``eth_blockNumber`` per interval."""
        while not stop.is_set():
            try:
                self.refresh()
            except LedgerError:
                pass  # said in /health (lastError, age); reads refresh before using a stale head
            stop.wait(self.interval)


@dataclass(frozen=True)
class Question:
    """One view call: a contract's function with its arguments (ABI-encoded only when asked of the chain)."""

    to: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    outputs: tuple[dict[str, Any], ...]
    args: tuple[Any, ...]

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.to, self.selector, *self.args)

    @property
    def data(self) -> bytes:
        return self.selector + encode(list(self.input_types), list(self.args))


@dataclass
class _Block:
    number: int
    answers: dict[tuple[Any, ...], Future[bytes]] = field(default_factory=dict)


class Questions:
    """View calls asked at most once per (question, block) and batched; see the module doc."""

    def __init__(self, chain: Any, head: ChainHead, rpc: JsonRpc | None) -> None:
        self.chain = chain  # ledger.chain.client.Chain
        self.head = head
        self.rpc = rpc  # None: an in-process chain, asked through web3
        self._lock = threading.Lock()
        self._block = _Block(-1)
        self._abis: dict[tuple[str, str], tuple[bytes, tuple[str, ...], tuple[str, ...], tuple[dict[str, Any], ...]]] = {}
        self.asked = 0  # eth_calls sent
        self.answered = 0  # questions answered (from the cache or the chain)

    def question(self, contract: str, fn: str, *args: Any) -> Question:
        handle = self.chain.contract(contract)
        key = (contract, fn)
        if key not in self._abis:
            abi = next(a for a in handle.contract.abi if a.get("type") == "function" and a["name"] == fn)
            inputs = tuple(abi_type(p) for p in abi["inputs"])
            self._abis[key] = (
                function_signature_to_4byte_selector(f"{fn}({','.join(inputs)})"),
                inputs,
                tuple(abi_type(p) for p in abi["outputs"]),
                tuple(abi["outputs"]),
            )
        selector, inputs, outputs, params = self._abis[key]
        return Question(handle.address, selector, inputs, outputs, params, args)

    def ask(self, block: int, *questions: Question) -> list[Any]:
        """The decoded answers of ``questions`` at ``block`` (one batch for those not known yet)."""
        keyed = [(q, q.key) for q in questions]
        mine: list[tuple[Question, Future[bytes]]] = []
        with self._lock:
            if block > self._block.number:
                self._block = _Block(block)
            cached = self._block if block == self._block.number else _Block(block)  # older block: not kept
            futures = []
            for q, key in keyed:
                fut = cached.answers.get(key)
                if fut is None:
                    fut = Future()
                    cached.answers[key] = fut
                    mine.append((q, fut))
                futures.append(fut)
        if mine:
            self._send(block, mine, cached)
        self.answered += len(questions)
        return [_decode(q, fut.result()) for q, fut in zip(questions, futures, strict=True)]

    def _send(self, block: int, mine: list[tuple[Question, Future[bytes]]], cached: _Block) -> None:
        self.asked += len(mine)
        try:
            if self.rpc is not None:
                results = self.rpc.batch(
                    [("eth_call", [{"to": q.to, "data": "0x" + q.data.hex()}, hex(block)]) for q, _ in mine]
                )
            else:
                results = [self._web3_call(q.to, q.data, block) for q, _ in mine]
        except BaseException as exc:
            with self._lock:  # nothing is cached from a failed round trip
                for q, fut in mine:
                    cached.answers.pop(q.key, None)
                    fut.set_exception(exc)
            raise
        for (q, fut), result in zip(mine, results, strict=True):
            if isinstance(result, RpcError):
                with self._lock:
                    cached.answers.pop(q.key, None)
                fut.set_exception(self.chain.decoder.to_exception(result.data, fallback=str(result)))
            else:
                fut.set_result(bytes.fromhex(str(result)[2:]))

    def _web3_call(self, to: str, data: bytes, block: int) -> Any:
        try:
            return "0x" + self.chain.sender.call({"to": to, "data": data}, block).hex()
        except LedgerError:
            raise
        except Exception as exc:  # noqa: BLE001 — reported to the asker like a node's error
            return RpcError({"message": str(exc)})

    def report(self) -> dict[str, Any]:
        age = self.head.age
        return {
            "head": self.head.number,
            "headAgeSeconds": None if age is None else round(age, 3),
            "pollInterval": self.head.interval,
            "lastError": self.head.last_error,
            "questionsAnswered": self.answered,
            "questionsAsked": self.asked,
        }


def _decode(q: Question, raw: bytes) -> Any:
    values = decode(list(q.output_types), raw)
    out = tuple(to_checksum_address(v) if p["type"] == "address" else v for p, v in zip(q.outputs, values, strict=True))
    return out[0] if len(out) == 1 else out


def follow_chain(chain: Any, *, interval: float = 0.25, shared: Path | None = None) -> Questions:
    """The head of ``chain`` and its questions: raw JSON-RPC batches over an HTTP node, web3 calls on
    an in-process chain. Confirmations this process sees move the head at once (and, through the file
    ``shared``, the other worker processes' heads)."""
    endpoint = getattr(chain.w3.provider, "endpoint_uri", None)
    rpc = JsonRpc(str(endpoint)) if endpoint and str(endpoint).startswith(("http://", "https://")) else None
    head = ChainHead(
        (lambda: int(rpc.call("eth_blockNumber", []), 16)) if rpc else chain.block_number, interval=interval, shared=shared
    )
    chain.sender.on_confirmed.append(head.observe)
    return Questions(chain, head, rpc)
