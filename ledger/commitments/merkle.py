"""OpenZeppelin's StandardMerkleTree, in Python.

Follows ``@openzeppelin/merkle-tree`` (``src/standard.ts``, ``src/core.ts``) exactly, so
roots and proofs equal the npm package's and verify with ``MerkleProof.sol``:

1. A leaf is ``keccak256(keccak256(abi.encode(types, value)))`` — hashed twice so that no
   leaf can be mistaken for an inner node (a second-preimage defence).
2. Leaf hashes are sorted ascending; the tree is an array of ``2n - 1`` nodes with the
   sorted leaves stored from the end backwards (leaf ``i`` at ``len - 1 - i``).
3. An inner node at ``i`` hashes its children ``2i + 1`` and ``2i + 2`` as a sorted pair:
   ``keccak256(min(a, b) ‖ max(a, b))`` (``MerkleProof.sol``'s commutative hash).
4. A proof lists the siblings from the leaf up to the root.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import encode

from ledger.crypto.keccak import keccak


def leaf_hash(types: Sequence[str], value: Sequence[Any]) -> bytes:
    return keccak(
        keccak(_encode_static(types, value) if all(t in _WORDS for t in types) else encode(list(types), list(value)))
    )


# ABI encoding of static one-word types is their words side by side: done directly (ten times faster
# than eth_abi), the other types go through eth_abi. tests/store/test_canonical_and_merkle.py
# compares both ways.
_WORDS = {f"uint{n}" for n in range(8, 257, 8)} | {"bytes32"}


def _encode_static(types: Sequence[str], value: Sequence[Any]) -> bytes:
    if len(types) != len(value):
        raise ValueError("one value per type")
    out = []
    for t, v in zip(types, value, strict=True):
        if t == "bytes32":
            if not isinstance(v, (bytes, bytearray)) or len(v) != 32:
                raise ValueError(f"{v!r} is not 32 bytes")
            out.append(bytes(v))
        else:
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1 << int(t[4:]):
                raise ValueError(f"{v!r} is not a {t}")
            out.append(v.to_bytes(32, "big"))
    return b"".join(out)


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a <= b else keccak(b + a)


def _sibling(i: int) -> int:
    return i + 1 if i % 2 == 1 else i - 1


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a proof leads to from ``leaf`` (``MerkleProof.processProof``)."""
    node = leaf
    for step in proof:
        node = hash_pair(node, step)
    return node


class StandardMerkleTree:
    """A tree over ``values`` of ABI ``types``, leaves sorted (``sortLeaves: true``)."""

    def __init__(self, values: Sequence[Sequence[Any]], types: Sequence[str]) -> None:
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        self.types = list(types)
        self.values = [list(v) for v in values]
        hashed = sorted(((leaf_hash(types, v), i) for i, v in enumerate(values)), key=lambda t: t[0])
        n = len(hashed)
        self.tree: list[bytes] = [b""] * (2 * n - 1)
        self._tree_index = [0] * n
        for position, (h, value_index) in enumerate(hashed):
            self.tree[len(self.tree) - 1 - position] = h
            self._tree_index[value_index] = len(self.tree) - 1 - position
        for i in range(len(self.tree) - 1 - n, -1, -1):
            self.tree[i] = hash_pair(self.tree[2 * i + 1], self.tree[2 * i + 2])

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def leaf(self, value_index: int) -> bytes:
        return self.tree[self._tree_index[value_index]]

    def proof(self, value_index: int) -> list[bytes]:
        """Sibling hashes from the leaf of ``values[value_index]`` up to the root."""
        i = self._tree_index[value_index]
        steps = []
        while i > 0:
            steps.append(self.tree[_sibling(i)])
            i = (i - 1) // 2
        return steps

    def verify(self, value: Sequence[Any], proof: Sequence[bytes]) -> bool:
        return process_proof(leaf_hash(self.types, value), proof) == self.root
