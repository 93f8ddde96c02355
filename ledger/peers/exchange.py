"""Node-to-node exchange, on X-Road's model with the consortium's own keys.

A person works with their own body's node only. When what they ask concerns a record another body
keeps, their node forwards the request to the custodian's node (its address from the registry:
:func:`ledger.network.registry.parse_endpoint`). The custodian enforces the grant and logs the
access event, as for a read at its own node; the reader's node keeps its own record of what it
fetched (:class:`ledger.store.models.FetchedRead`).

Nodes authenticate each other with signed requests, not mutual TLS: a node signs every request with
its body's node account (the on-chain member with the ``ANCHOR`` role that already signs its receipts
and anchors), as EIP-712 typed data ``NodeRequest(from, to, method, path, bodyHash, nonce, issuedAt)``
in the domain ``CivicLedgerNode`` v1 of the BodyRegistry. The receiving node recovers the signer and
asks the chain, at its head, whether the signer is the named body's node account: keys are the
registry's, so admitting, removing or rotating a node is a vote or a member change, with no
certificate authority or certificate distribution beside the chain; TLS (a reverse proxy's, or the
network's) still protects the content in transit. A request is accepted once (its nonce is kept),
within two minutes of its time, and only for the node it names.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from ledger.crypto import eip712
from ledger.crypto.eip712 import recover_digest
from ledger.crypto.keccak import keccak
from ledger.errors import NodeUnauthenticated, NodeUnavailable
from ledger.ids import Role, code_name

DOMAIN_NAME, DOMAIN_VERSION = eip712.NODES.name, eip712.NODES.version
#: How far a node request's time may be from this node's clock, seconds.
SKEW = 120
HEADERS = ("x-node-from", "x-node-nonce", "x-node-issued-at", "x-node-signature")
TIMEOUT = 15.0


def digest(
    *,
    chain_id: int,
    registry: str,
    from_body: bytes,
    to_body: bytes,
    method: str,
    path: str,
    body: bytes,
    nonce: bytes,
    issued_at: int,
) -> bytes:
    """The EIP-712 digest of a ``NodeRequest`` (what ``eth_signTypedData_v4`` signs)."""
    return eip712.NODES.digest(
        eip712.NODE_REQUEST,
        {
            "from": from_body,
            "to": to_body,
            "method": method.upper(),
            "path": path,
            "bodyHash": keccak(body),
            "nonce": nonce,
            "issuedAt": issued_at,
        },
        chain_id=chain_id,
        verifying_contract=registry,
    )


@dataclass(frozen=True)
class NodeIdentity:
    """This node: its body, and the key of its body's node account."""

    body: bytes
    key: bytes  # the node account's private key
    chain_id: int
    registry: str

    def headers(self, to_body: bytes, method: str, path: str, body: bytes) -> dict[str, str]:
        nonce, issued_at = os.urandom(32), int(time.time())
        d = digest(
            chain_id=self.chain_id,
            registry=self.registry,
            from_body=self.body,
            to_body=to_body,
            method=method,
            path=path,
            body=body,
            nonce=nonce,
            issued_at=issued_at,
        )
        return {
            "X-Node-From": "0x" + self.body.hex(),
            "X-Node-Nonce": "0x" + nonce.hex(),
            "X-Node-Issued-At": str(issued_at),
            "X-Node-Signature": eip712.sign_digest(self.key, d),
        }


@dataclass(frozen=True)
class Caller:
    """A node request that passed :func:`authenticate`: the body whose node sent it, and that node's account."""

    body: bytes
    account: str


def authenticate(
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
    body: bytes,
    own_body: bytes,
    chain_id: int,
    registry: str,
    member_of: Callable[[str], tuple[bytes, int]],
    accept_nonce: Callable[[str, str], bool],
    now: float | None = None,
) -> Caller:
    """The calling node, or :class:`NodeUnauthenticated`: unsigned, malformed, stale, signed by anyone
    but the named body's node account (asked of the chain with ``member_of``), or replayed
    (``accept_nonce`` stores a nonce and says False if it was there)."""
    values = {h: headers.get(h) for h in HEADERS}
    if any(v is None for v in values.values()):
        raise NodeUnauthenticated(
            "a node request must be signed by the calling node (X-Node-From, X-Node-Nonce, "
            "X-Node-Issued-At, X-Node-Signature)",
            reason="unsigned",
        )
    try:
        from_body, nonce = _bytes32(str(values["x-node-from"])), _bytes32(str(values["x-node-nonce"]))
        issued_at = int(str(values["x-node-issued-at"]))
        signature = str(values["x-node-signature"])
        if issued_at < 0 or issued_at >= 1 << 64:
            raise ValueError("issued-at out of range")
        d = digest(
            chain_id=chain_id,
            registry=registry,
            from_body=from_body,
            to_body=own_body,
            method=method,
            path=path,
            body=body,
            nonce=nonce,
            issued_at=issued_at,
        )
        signer = recover_digest(d, signature)
    except (ValueError, TypeError) as exc:
        raise NodeUnauthenticated(f"a malformed node request: {exc}", reason="malformed") from None
    if abs((time.time() if now is None else now) - issued_at) > SKEW:
        raise NodeUnauthenticated(f"the node request's time is more than {SKEW} s from this node's clock", reason="stale")
    member_body, roles = member_of(signer)
    if member_body != from_body or not Role(roles) & Role.ANCHOR:
        raise NodeUnauthenticated(
            f"the node request is not signed by the node account of {code_name(from_body)} "
            f"(signed by {to_checksum_address(signer)})",
            reason="signer",
        )
    if not accept_nonce("0x" + nonce.hex(), "0x" + from_body.hex()):
        raise NodeUnauthenticated("this node request was received before (replay)", reason="replay")
    return Caller(from_body, to_checksum_address(signer))


def _bytes32(value: str) -> bytes:
    raw = bytes(HexBytes(value)) if value.startswith("0x") else b""
    if len(raw) != 32:
        raise ValueError(f"{value!r} is not 32 bytes of 0x hex")
    return raw


class NodeClient:
    """Calls other bodies' nodes as this node (signed requests), at the address each body published."""

    def __init__(
        self,
        identity: NodeIdentity,
        endpoint_of: Callable[[bytes], str | None],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.identity = identity
        self.endpoint_of = endpoint_of
        self.http = httpx.Client(timeout=TIMEOUT, transport=transport)

    def post(self, to_body: bytes, path: str, payload: Any, *, timeout: float = TIMEOUT) -> tuple[int, Any]:
        """POSTs ``payload`` (JSON) to ``to_body``'s node; its status and JSON answer, whatever the status
        (a refusal is the custodian's to word). :class:`NodeUnavailable` if it has no address or does
        not answer within ``timeout`` seconds."""
        name = code_name(to_body)
        url = self.endpoint_of(to_body)
        if not url:
            raise NodeUnavailable(
                f"{name} has published no node address in the registry; its records cannot be reached from here"
            )
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **self.identity.headers(to_body, "POST", path, body)}
        try:
            r = self.http.post(url.rstrip("/") + path, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise NodeUnavailable(
                f"the node of {name} ({url}) does not answer ({type(exc).__name__}); its records "
                "cannot be read until it is back"
            ) from None
        try:
            return r.status_code, r.json()
        except ValueError:
            raise NodeUnavailable(f"the node of {name} answered {r.status_code} without JSON") from None
