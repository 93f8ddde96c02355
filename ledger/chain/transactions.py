"""Signing and sending transactions: local keys, safe nonces, receipts on slow chains.

* Transactions are signed locally with eth-account (fast with ``coincurve``) and sent raw:
  one RPC call a transaction instead of the ~8 of ``transact()``.
* Nonces come from :class:`NonceManager`: one lock per account held from nonce choice to
  send, so concurrent senders never collide and a failed send leaves no gap. After any
  send error, or in a new process after a crash, the next nonce is re-read from the node's
  pending count; so it is whenever the cached nonce is ahead of that count (the chain lost
  transactions: a rewound development node), which would leave a transaction queued for ever.
* Gas is estimated first; a revert there is decoded into a domain exception before anything
  is sent, so a refused action changes nothing.
* Receipts are polled, so chains that mine every few seconds (QBFT) work; a transaction
  mined with status 0 is replayed with ``eth_call`` at its block to name the reason.
"""

from __future__ import annotations

import ast
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import Nonce, RPCEndpoint, TxParams, TxReceipt, Wei

from ledger.chain.revert import ErrorDecoder
from ledger.errors import ChainUnavailable, LedgerError, TransactionFailed

GAS_HEADROOM = 1.2


class KeyedLocks:
    """One lock per account address, created on first use."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)

    def lock(self, address: str) -> threading.Lock:
        with self._guard:
            return self._locks[address]


class NonceManager:
    """Hands out consecutive nonces per account, safe across threads."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._locks = KeyedLocks()
        self._next: dict[str, int] = {}

    def lock(self, address: str) -> threading.Lock:
        return self._locks.lock(address)

    def peek(self, address: str) -> int:
        """The next nonce; the caller holds :meth:`lock` for ``address``."""
        if address not in self._next:
            self._next[address] = self._w3.eth.get_transaction_count(address, "pending")  # type: ignore[arg-type]
        return self._next[address]

    def advance(self, address: str) -> None:
        self._next[address] += 1

    def reset(self) -> None:
        """Forget every cached nonce (after a chain snapshot was reverted, for example)."""
        self._next.clear()

    def check_gap(self, address: str) -> None:
        """Re-reads the node's pending count when the cached nonce runs ahead of it: the chain lost
        transactions this process saw (a development node restarted from an older state), and a
        transaction sent with the cached nonce would wait in the node's queue for ever."""
        cached = self._next.get(address)
        if cached is not None:
            on_chain = self._w3.eth.get_transaction_count(address, "pending")  # type: ignore[arg-type]
            if cached > on_chain:
                self._next[address] = on_chain

    def resync(self, address: str) -> None:
        """Forget the cached nonce; the next :meth:`peek` re-reads the node's pending count."""
        self._next.pop(address, None)


def _is_revert(exc: BaseException) -> bool:
    # eth-tester (the in-process EVM) raises its own TransactionFailed instead of web3's errors.
    return isinstance(exc, (ContractLogicError, Web3RPCError)) or type(exc).__name__ == "TransactionFailed"


def revert_data(exc: BaseException) -> str | None:
    """The revert data hex string carried by a web3 (or eth-tester) error, if any."""
    if type(exc).__name__ == "TransactionFailed":
        seen: BaseException | None = exc
        while seen is not None:
            if seen.args and isinstance(seen.args[0], bytes):
                return "0x" + seen.args[0].hex()
            text = str(seen.args[0]) if seen.args else ""
            if text.startswith("execution reverted: b"):  # eth-tester's eth_call: the bytes' repr
                literal = ast.literal_eval(text.removeprefix("execution reverted: "))
                if isinstance(literal, bytes):
                    return "0x" + literal.hex()
            seen = seen.__cause__ or seen.__context__
        return None
    data: Any = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if data is None and isinstance(exc, Web3RPCError) and isinstance(exc.rpc_response, dict):
        err: Any = exc.rpc_response.get("error") or {}
        data = err.get("data") if isinstance(err, dict) else None
        if isinstance(data, dict):
            data = data.get("data")
    return data if isinstance(data, str) else None


@dataclass
class Sender:
    """Sends contract calls as signed raw transactions and waits for their receipts."""

    w3: Web3
    decoder: ErrorDecoder
    poll_interval: float = 0.05
    receipt_timeout: float = 120.0
    #: Skip gas estimation: check with eth_call, then send with this limit. For py-evm,
    #: whose estimate is a slow binary search; real nodes estimate.
    fixed_gas: int | None = None
    #: Told the block of each transaction seen confirmed (a local anvil saves its state then; the
    #: node's chain head moves there at once).
    on_confirmed: list[Callable[[int], None]] = field(default_factory=list)
    nonces: NonceManager = field(init=False)
    _chain_id: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.nonces = NonceManager(self.w3)

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.rpc(lambda: self.w3.eth.chain_id)
        return self._chain_id

    def rpc(self, fn: Callable[[], Any]) -> Any:
        """Runs a read, turning connection failures into :class:`ChainUnavailable`."""
        try:
            return fn()
        except (ConnectionError, OSError) as exc:
            raise ChainUnavailable(f"the chain node is unreachable: {exc}") from exc
        except Exception as exc:
            if type(exc).__name__ in {"ConnectionError", "ReadTimeout", "ConnectTimeout"}:
                raise ChainUnavailable(f"the chain node is unreachable: {exc}") from exc
            raise

    def call(self, tx: TxParams, block: Any = "latest") -> bytes:
        """``eth_call``; a revert raises the decoded domain exception."""
        try:
            return bytes(self.rpc(lambda: self.w3.eth.call(tx, block)))
        except Exception as exc:
            if _is_revert(exc):
                raise self._decoded(exc) from exc
            raise

    def estimate(self, tx: TxParams) -> int:
        try:
            return int(self.rpc(lambda: self.w3.eth.estimate_gas(tx)))
        except Exception as exc:
            if _is_revert(exc):
                raise self._decoded(exc) from exc
            raise

    def gas_for(self, tx: TxParams) -> int:
        """Gas limit for ``tx``; a call the contract refuses raises its domain error here."""
        if self.fixed_gas is not None and "to" in tx:  # contract creation always estimates
            self.call(tx)
            return self.fixed_gas
        return int(self.estimate(tx) * GAS_HEADROOM)

    def _decoded(self, exc: Exception) -> LedgerError:
        return self.decoder.to_exception(revert_data(exc), fallback=str(exc))

    def fees(self) -> dict[str, int]:
        block = self.rpc(lambda: self.w3.eth.get_block("latest"))
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": int(self.rpc(lambda: self.w3.eth.gas_price))}
        tip = int(self.rpc(lambda: self.w3.eth.max_priority_fee)) if base else 0
        return {"maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip}

    def submit(
        self,
        signer: LocalAccount,
        to: str | None,
        data: bytes | str,
        *,
        gas: int | None = None,
        fees: dict[str, int] | None = None,
        check_gap: bool = True,
    ) -> HexBytes:
        """Signs and sends one transaction; returns its hash without waiting. A pipeline of one sender's
        transactions checks the nonce gap for its first only (``check_gap``)."""
        sender = signer.address
        tx: TxParams = {"from": sender, "data": HexBytes(data), "value": Wei(0), "chainId": self.chain_id}
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        if gas is None:
            gas = self.gas_for(tx)
        tx["gas"] = gas
        tx.update(fees or self.fees())  # type: ignore[typeddict-item]
        with self.nonces.lock(sender):
            if check_gap:
                self.rpc(lambda: self.nonces.check_gap(sender))
            for attempt in (1, 2):
                tx["nonce"] = Nonce(self.nonces.peek(sender))
                raw = signer.sign_transaction(tx).raw_transaction  # type: ignore[arg-type]
                try:
                    tx_hash = self.rpc(partial(self.w3.eth.send_raw_transaction, raw))
                except (Web3RPCError, ValueError) as exc:
                    self.nonces.resync(sender)
                    if attempt == 1 and _nonce_problem(exc):
                        continue
                    raise TransactionFailed(f"the node refused the transaction: {exc}") from exc
                except ChainUnavailable:
                    self.nonces.resync(sender)
                    raise
                self.nonces.advance(sender)
                return HexBytes(tx_hash)
        raise AssertionError("unreachable")

    def submit_many(
        self, signer: LocalAccount, calls: Sequence[tuple[str, bytes, int]], fees: dict[str, int]
    ) -> list[HexBytes]:
        """Signs ``calls`` (to, data, gas) with consecutive nonces and sends them back to back; their
        hashes, in order. A node refusing one raises :class:`TransactionFailed` after the nonces are re-read
        (those it took stay pending and are mined; the outbox finds them on the chain)."""
        sender = signer.address
        with self.nonces.lock(sender):
            self.rpc(lambda: self.nonces.check_gap(sender))
            first = self.nonces.peek(sender)
            raws = []
            for i, (to, data, gas) in enumerate(calls):
                tx: TxParams = {
                    "from": sender,
                    "to": Web3.to_checksum_address(to),
                    "data": HexBytes(data),
                    "value": Wei(0),
                    "chainId": self.chain_id,
                    "gas": gas,
                    "nonce": Nonce(first + i),
                    **fees,  # type: ignore[typeddict-item]
                }
                raws.append(signer.sign_transaction(tx).raw_transaction)  # type: ignore[arg-type]
            # One after another, in nonce order: a JSON-RPC batch is answered concurrently by anvil, whose
            # instant miner then leaves the transactions that arrived before their predecessor unmined
            # (foundry-rs/foundry#10122). Each send is one small HTTP exchange on a kept-alive connection.
            hashes: list[HexBytes] = []
            for raw in raws:
                try:
                    answer = self.rpc(
                        lambda raw=raw: self.w3.provider.make_request(  # type: ignore[misc]
                            RPCEndpoint("eth_sendRawTransaction"), [raw.to_0x_hex()]
                        )
                    )
                except ChainUnavailable:
                    self.nonces.resync(sender)
                    raise
                if "error" in answer:
                    self.nonces.resync(sender)
                    raise TransactionFailed(f"the node refused a transaction: {answer['error']}")
                self.nonces.advance(sender)
                hashes.append(HexBytes(answer["result"]))
        return hashes

    def wait_many(self, hashes: Sequence[HexBytes]) -> list[TxReceipt | LedgerError]:
        """Polls the receipts of ``hashes`` together (one JSON-RPC batch a poll); each receipt, or the decoded
        reason its transaction reverted."""
        deadline = time.monotonic() + self.receipt_timeout
        found: dict[int, Any] = {}
        while len(found) < len(hashes):
            waiting = [i for i in range(len(hashes)) if i not in found]
            batch = [("eth_getTransactionReceipt", [hashes[i].to_0x_hex()]) for i in waiting]
            answers = self.rpc(partial(self.w3.provider.make_batch_request, batch))  # type: ignore[attr-defined]
            for i, answer in zip(waiting, sorted(answers, key=lambda a: a["id"]), strict=True):
                if answer.get("result"):
                    found[i] = answer["result"]
            if len(found) < len(hashes):
                if time.monotonic() > deadline:
                    raise TransactionFailed(
                        f"{len(hashes) - len(found)} transactions were not mined within {self.receipt_timeout:.0f}s"
                    )
                time.sleep(self.poll_interval)
        out: list[TxReceipt | LedgerError] = []
        for i, h in enumerate(hashes):
            raw = found[i]
            receipt = cast(
                TxReceipt,
                {
                    **raw,
                    "status": int(raw["status"], 16),
                    "blockNumber": int(raw["blockNumber"], 16),
                    "gasUsed": int(raw["gasUsed"], 16),
                    "transactionHash": HexBytes(h),
                },
            )
            out.append(receipt if receipt["status"] == 1 else self._replay_failure(h, receipt))
        if found:
            self.confirmed(max(int(r["blockNumber"], 16) for r in found.values()))
        return out

    def replace(self, signer: LocalAccount, stuck: str, to: str, data: bytes | str, *, gas: int) -> HexBytes:
        """Sends ``data`` again in place of the pending transaction ``stuck``: with its nonce and fees a
        quarter higher, so the node's pool takes it instead (only one of the two can ever be mined) —
        or, when the stuck one waits behind a nonce the chain never reached, with the chain's next
        nonce, filling the gap."""
        sender = signer.address
        try:
            old = self.rpc(lambda: self.w3.eth.get_transaction(HexBytes(stuck)))
        except TransactionNotFound:
            old = None
        with self.nonces.lock(sender):
            latest = int(self.rpc(lambda: self.w3.eth.get_transaction_count(sender, "latest")))
            nonce = min(int(old["nonce"]), latest) if old is not None else latest
            fees = self.fees()
            if old is not None:
                for key in fees:
                    fees[key] = max(fees[key], int(int(old.get(key) or 0) * 1.25) + 1)
            tx: TxParams = {
                "from": sender,
                "to": Web3.to_checksum_address(to),
                "data": HexBytes(data),
                "value": 0,
                "chainId": self.chain_id,
                "gas": gas,
                "nonce": nonce,
                **fees,  # type: ignore[typeddict-item]
            }
            raw = signer.sign_transaction(tx).raw_transaction  # type: ignore[arg-type]
            try:
                tx_hash = self.rpc(lambda: self.w3.eth.send_raw_transaction(raw))
            except (Web3RPCError, ValueError) as exc:
                raise TransactionFailed(f"the node refused the replacement transaction: {exc}") from exc
            finally:
                self.nonces.resync(sender)
        return HexBytes(tx_hash)

    def wait(self, tx_hash: HexBytes) -> TxReceipt:
        """Polls for the receipt; a reverted transaction raises its decoded reason."""
        deadline = time.monotonic() + self.receipt_timeout
        while True:
            try:
                receipt = self.rpc(lambda: self.w3.eth.get_transaction_receipt(tx_hash))
                break
            except TransactionNotFound:
                pass
            if time.monotonic() > deadline:
                raise TransactionFailed(f"transaction {tx_hash.hex()} was not mined within {self.receipt_timeout:.0f}s")
            time.sleep(self.poll_interval)
        if receipt["status"] != 1:
            raise self._replay_failure(tx_hash, receipt)
        self.confirmed(int(receipt["blockNumber"]))
        return cast(TxReceipt, receipt)

    def confirmed(self, block: int) -> None:
        """A transaction was seen confirmed in ``block``: whoever keeps the chain's state is told."""
        for listener in self.on_confirmed:
            self.rpc(lambda listener=listener: listener(block))  # type: ignore[misc]

    def _replay_failure(self, tx_hash: HexBytes, receipt: TxReceipt) -> LedgerError:
        original = self.w3.eth.get_transaction(tx_hash)
        replay: TxParams = {
            "from": original["from"],
            "to": original["to"],
            "data": original["input"],
            "gas": original["gas"],
        }
        try:
            self.w3.eth.call(replay, receipt["blockNumber"] - 1)
        except Exception as exc:
            if _is_revert(exc):
                return self._decoded(exc)
            raise
        return TransactionFailed(f"transaction {tx_hash.hex()} reverted (gas used {receipt['gasUsed']})")

    def transact(self, signer: LocalAccount, to: str | None, data: bytes | str, *, gas: int | None = None) -> TxReceipt:
        """Sends one transaction and waits for it to be mined."""
        return self.wait(self.submit(signer, to, data, gas=gas))

    def transact_many(self, signer: LocalAccount, calls: Sequence[tuple[str, bytes]], *, gas: int) -> list[TxReceipt]:
        """Sends several transactions back to back, then waits for all (one fee look-up)."""
        fees = self.fees()
        hashes = [self.submit(signer, to, data, gas=gas, fees=fees) for to, data in calls]
        return [self.wait(h) for h in hashes]


def _nonce_problem(exc: Exception) -> bool:
    text = str(exc).lower()
    return "nonce" in text or "already known" in text or "replacement transaction" in text
