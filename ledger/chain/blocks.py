"""Blocks, logs and transactions as the rest of the library asks for them: the chain port's raw side.

The index, the trail's anchoring worker and the records' outbox ask the chain about blocks and
transactions; they ask here, so web3 and its exceptions stay inside :mod:`ledger.chain`. Every
call goes through the sender's retry and error mapping (a node that does not answer is
:class:`~ledger.errors.ChainUnavailable`); "not there" is None, not an exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import BlockNotFound, TransactionNotFound
from web3.types import TxReceipt

from ledger.errors import IndexerError

if TYPE_CHECKING:
    from ledger.chain.client import Chain

__all__ = ["Blocks", "Block", "TxReceipt"]
#: Blocks asked for in one JSON-RPC batch.
BATCH = 500


@dataclass(frozen=True)
class Block:
    number: int
    hash: str  # 0x hex
    timestamp: int


class Blocks:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    def _rpc(self, call: Any) -> Any:
        return self.chain.sender.rpc(call)

    def head(self) -> int:
        return int(self._rpc(lambda: self.chain.w3.eth.block_number))

    def block(self, number: int) -> Block | None:
        """Block ``number``, or None if the chain does not hold it (now)."""
        try:
            b = self._rpc(lambda: self.chain.w3.eth.get_block(number))
        except BlockNotFound:
            return None
        return Block(number, "0x" + bytes(b["hash"]).hex(), int(b["timestamp"]))

    def timestamps(self, numbers: list[int]) -> Iterator[tuple[int, int]]:
        """The timestamps of blocks ``numbers``, asked in JSON-RPC batches (a range can hold a thousand);
        :class:`IndexerError` if one is no longer on the chain."""
        for start in range(0, len(numbers), BATCH):
            part = numbers[start : start + BATCH]
            batch = [("eth_getBlockByNumber", [hex(n), False]) for n in part]
            answers = self._rpc(partial(self.chain.w3.provider.make_batch_request, batch))  # type: ignore[attr-defined]
            for n, answer in zip(part, sorted(answers, key=lambda a: a["id"]), strict=True):
                if not answer.get("result"):
                    raise IndexerError(f"block {n} is not on the chain (any more)")
                yield n, int(answer["result"]["timestamp"], 16)

    def logs(self, start: int, end: int, addresses: Iterable[str]) -> list[Any]:
        """The logs of blocks ``start``..``end`` emitted by ``addresses``."""
        filters = {"fromBlock": start, "toBlock": end, "address": [to_checksum_address(a) for a in addresses]}
        return list(self._rpc(lambda: self.chain.w3.eth.get_logs(filters)))  # type: ignore[arg-type]

    def receipt(self, tx_hash: str) -> TxReceipt | None:
        """The transaction's receipt, or None if it is not mined (or unknown)."""
        try:
            return self._rpc(lambda: self.chain.w3.eth.get_transaction_receipt(HexBytes(tx_hash)))  # type: ignore[no-any-return]
        except TransactionNotFound:
            return None

    def known(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction at all (mined or pending)."""
        try:
            self._rpc(lambda: self.chain.w3.eth.get_transaction(HexBytes(tx_hash)))
            return True
        except TransactionNotFound:
            return False

    def in_flight(self, account: str) -> bool:
        """Whether ``account`` has transactions sent but not mined."""
        eth = self.chain.w3.eth
        return bool(
            self._rpc(
                lambda: (
                    eth.get_transaction_count(account, "pending")  # type: ignore[arg-type]
                    != eth.get_transaction_count(account, "latest")  # type: ignore[arg-type]
                )
            )
        )
