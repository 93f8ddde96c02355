"""The chain port and its web3.py implementation.

:class:`ChainPort` is what the rest of Civic Ledger needs from a chain; :class:`Chain`
implements it over web3.py for any JSON-RPC node. Writes go through an :class:`Actor`:
the person either sends the transaction (:class:`DirectActor`) or signs an EIP-712
request that their body's node relays through the forwarder (:class:`RelayedActor`).
Either way the contracts record the person as the actor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD as _DISCARD
from web3.types import TxReceipt

from ledger.chain import forwarder as fwd
from ledger.chain.blocks import Blocks
from ledger.chain.compiler import Build
from ledger.chain.manifest import Manifest
from ledger.chain.revert import ErrorDecoder, abi_type
from ledger.chain.transactions import KeyedLocks, Sender
from ledger.crypto.eip712 import TypedData
from ledger.errors import ContractRevert, ForwardRequestInvalid, ManifestError, TransactionFailed

#: Gas the forwarder itself uses around the relayed call (signature check, nonce, call).
FORWARDER_OVERHEAD = 60_000


class ChainPort(Protocol):
    """What Civic Ledger needs from a chain, whatever the node."""

    @property
    def chain_id(self) -> int: ...

    def block_number(self) -> int: ...

    def timestamp(self) -> int: ...

    def contract(self, name: str) -> ContractHandle: ...


class Actor(Protocol):
    """A person acting on the chain with their own key."""

    @property
    def address(self) -> str: ...

    def send(self, handle: ContractHandle, fn: str, *args: Any) -> TxReceipt: ...

    def simulate(self, handle: ContractHandle, fn: str, *args: Any) -> None:
        """Runs the call as this person without sending it; a refusal raises its domain error."""
        ...


@dataclass
class ContractHandle:
    """One deployed contract: encodes calls, runs views, sends through an actor, reads events."""

    chain: Chain
    name: str
    contract: Contract

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def encode(self, fn: str, *args: Any) -> bytes:
        return bytes(Web3.to_bytes(hexstr=self.contract.encode_abi(fn, args=list(args))))

    def view(self, fn: str, *args: Any, sender: str | None = None, block: Any = "latest") -> Any:
        func = getattr(self.contract.functions, fn)(*args)
        tx: dict[str, Any] = {"to": self.address, "data": self.encode(fn, *args)}
        if sender:
            tx["from"] = sender
        raw = self.chain.sender.call(tx, block)  # type: ignore[arg-type]
        outputs = func.abi["outputs"]
        out = self.chain.w3.codec.decode([abi_type(o) for o in outputs], raw)
        values = tuple(_checksummed(p, v) for p, v in zip(outputs, out, strict=True))
        return values[0] if len(values) == 1 else values

    def events(self, receipt: TxReceipt, event: str) -> list[dict[str, Any]]:
        ev = getattr(self.contract.events, event)()
        return [dict(e["args"]) for e in ev.process_receipt(receipt, errors=_DISCARD)]

    def logs(self, event: str, *, from_block: int = 0, **filters: Any) -> list[dict[str, Any]]:
        """Past ``event`` logs matching indexed-argument ``filters``, each with its tx hash and block."""
        ev = getattr(self.contract.events, event)
        found = self.chain.sender.rpc(lambda: ev.get_logs(from_block=from_block, argument_filters=filters or None))
        return [
            {
                **dict(e["args"]),
                "transactionHash": e["transactionHash"],
                "blockNumber": e["blockNumber"],
                "logIndex": e["logIndex"],
            }
            for e in found
        ]

    def one_event(self, receipt: TxReceipt, event: str) -> dict[str, Any]:
        found = self.events(receipt, event)
        if len(found) != 1:
            raise ManifestError(f"expected one {event} event from {self.name}, found {len(found)}")
        return found[0]


def jsonable(value: Any) -> Any:
    """A decoded ABI value as JSON: bytes as 0x hex, tuples as lists."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _checksummed(param: dict[str, Any], value: Any) -> Any:
    """Decoded ABI value with every address in checksum form (as web3's own calls return them)."""
    t = param["type"]
    if t.endswith("]"):
        inner = {**param, "type": t[: t.rindex("[")]}
        return [_checksummed(inner, v) for v in value]
    if t == "tuple":
        return tuple(_checksummed(c, v) for c, v in zip(param["components"], value, strict=True))
    if t == "address":
        return Web3.to_checksum_address(value)
    return value


class Chain:
    """A deployed Civic Ledger on one JSON-RPC chain."""

    def __init__(
        self,
        w3: Web3,
        build: Build,
        manifest: Manifest | None = None,
        *,
        poll_interval: float = 0.05,
        receipt_timeout: float = 120.0,
        fixed_gas: int | None = None,
    ) -> None:
        self.w3 = w3
        self.build = build
        self.decoder = ErrorDecoder(build.all_abis())
        self.sender = Sender(
            w3, self.decoder, poll_interval=poll_interval, receipt_timeout=receipt_timeout, fixed_gas=fixed_gas
        )
        self.manifest = manifest
        #: Forwarded requests of one person run one at a time: the forwarder takes each
        #: signer's nonces strictly in order.
        self.forward_locks = KeyedLocks()
        self._handles: dict[str, ContractHandle] = {}
        self.blocks = Blocks(self)

    @property
    def chain_id(self) -> int:
        return self.sender.chain_id

    def block_number(self) -> int:
        return int(self.sender.rpc(lambda: self.w3.eth.block_number))

    def timestamp(self) -> int:
        return int(self.sender.rpc(lambda: self.w3.eth.get_block("latest"))["timestamp"])

    def attach(self, manifest: Manifest) -> None:
        if manifest.chain_id != self.chain_id:
            raise ManifestError(f"manifest is for chain {manifest.chain_id}, node is chain {self.chain_id}")
        self.manifest = manifest
        self._handles.clear()

    def contract(self, name: str) -> ContractHandle:
        if name not in self._handles:
            if self.manifest is None or name not in self.manifest.contracts:
                raise ManifestError(f"{name} is not deployed on this chain (no manifest entry); run `ledger deploy`")
            address = self.manifest.contracts[name]
            c = self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=self.build[name].abi)
            self._handles[name] = ContractHandle(self, name, c)
        return self._handles[name]

    def direct(self, account: LocalAccount) -> DirectActor:
        return DirectActor(self, account)

    def relayed(self, account: LocalAccount, relayer: LocalAccount, *, ttl: int = 600) -> RelayedActor:
        return RelayedActor(Relayer(self, relayer), account, ttl=ttl)


@dataclass
class DirectActor:
    """The person signs and sends the transaction."""

    chain: Chain
    account: LocalAccount

    @property
    def address(self) -> str:
        return str(self.account.address)

    def send(self, handle: ContractHandle, fn: str, *args: Any) -> TxReceipt:
        return self.chain.sender.transact(self.account, handle.address, handle.encode(fn, *args))

    def simulate(self, handle: ContractHandle, fn: str, *args: Any) -> None:
        self.chain.sender.call({"from": self.address, "to": handle.address, "data": handle.encode(fn, *args)})


@dataclass
class Relayer:
    """A body's node account that submits people's signed requests to the forwarder."""

    chain: Chain
    account: LocalAccount

    @property
    def forwarder(self) -> ContractHandle:
        return self.chain.contract("CivicForwarder")

    def prepare(
        self, sender: str, handle: ContractHandle, fn: str, *args: Any, ttl: int = 600, gas: int | None = None
    ) -> TypedData:
        """The EIP-712 typed data ``sender`` must sign to have ``fn(*args)`` run as them.

        The inner call is simulated first (as the forwarder would make it), so a call the
        contract would refuse raises its domain error here and nothing is signed.
        """
        data = handle.encode(fn, *args)
        inner = self.simulate_as(sender, handle.address, data)
        nonce = int(self.forwarder.view("nonces", sender))
        deadline = self.chain.timestamp() + ttl
        return fwd.typed_data(
            forwarder=self.forwarder.address,
            chain_id=self.chain.chain_id,
            sender=sender,
            to=handle.address,
            data=data,
            gas=gas or inner,
            nonce=nonce,
            deadline=deadline,
        )

    def simulate_as(self, sender: str, to: str, data: bytes) -> int:
        """Runs ``data`` on ``to`` as the forwarder would for ``sender``; returns the gas to allow."""
        # ERC-2771: the forwarder appends the 20-byte signer address to the call data.
        tx = {"from": self.forwarder.address, "to": to, "data": data + bytes.fromhex(sender[2:]), "gasPrice": 0}
        return int(self.chain.sender.estimate(tx) * 1.2) + 10_000  # type: ignore[arg-type]

    def relay(self, request: fwd.ForwardRequest) -> TxReceipt:
        """Checks ``request`` (signer, nonce, deadline) and the inner call, then submits it.

        The forwarder reports any refused inner call as ``FailedCall``; the inner call is
        then simulated to name the contract's real reason.
        """
        data = self.forwarder.encode("execute", request.as_tuple())
        tx = {"from": self.account.address, "to": self.forwarder.address, "data": data}
        try:
            self.chain.sender.call(tx)  # type: ignore[arg-type]  # invalid signer, replay, expiry
        except ContractRevert as exc:
            if exc.error == "FailedCall":
                self.simulate_as(request.sender, request.to, request.data)
            raise
        receipt = self.chain.sender.transact(
            self.account, self.forwarder.address, data, gas=request.gas + FORWARDER_OVERHEAD + 16 * len(request.data)
        )
        executed = self.forwarder.events(receipt, "ExecutedForwardRequest")
        if not executed or not executed[0]["success"]:
            raise ForwardRequestInvalid("the forwarded call did not succeed", error="FailedCall")
        return receipt


@dataclass
class RelayedActor:
    """The person signs an EIP-712 request; their body's node relays it.

    The forwarder takes each person's requests in strict nonce order, so one person's
    requests are prepared, signed and relayed one at a time; different people's go through
    the same relayer concurrently.
    """

    relayer: Relayer
    account: LocalAccount
    ttl: int = 600

    @property
    def address(self) -> str:
        return str(self.account.address)

    def simulate(self, handle: ContractHandle, fn: str, *args: Any) -> None:
        self.relayer.simulate_as(self.address, handle.address, handle.encode(fn, *args))

    def send(self, handle: ContractHandle, fn: str, *args: Any) -> TxReceipt:
        with self.relayer.chain.forward_locks.lock(self.address):
            typed = self.relayer.prepare(self.address, handle, fn, *args, ttl=self.ttl)
            return self.relayer.relay(fwd.sign(self.account, typed))


@dataclass
class PendingSigner:
    """A person who signs later, through prepare → sign → submit: calls are simulated as them, never sent."""

    relayer: Relayer
    address: str

    def simulate(self, handle: ContractHandle, fn: str, *args: Any) -> None:
        self.relayer.simulate_as(self.address, handle.address, handle.encode(fn, *args))

    def send(self, handle: ContractHandle, fn: str, *args: Any) -> TxReceipt:
        raise TransactionFailed(f"{self.address} signs their own actions; the node cannot send {fn} for them")


def now() -> int:
    return int(time.time())
