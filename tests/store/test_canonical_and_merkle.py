"""RFC 8785 canonical JSON (the RFC's own examples) and the commitment tree against the npm
``@openzeppelin/merkle-tree`` and ``MerkleProof.sol``."""

from __future__ import annotations

import json
import os
import struct
import subprocess

import pytest
from eth_abi import encode

from ledger.commitments.merkle import StandardMerkleTree, _encode_static, leaf_hash
from ledger.commitments.record import LEAF_TYPES, canonical_json, commit, field_leaf, value_hash
from ledger.errors import InvalidRecord
from ledger.toolchain import project_root
from tests.support import Consortium

# RFC 8785 Appendix B: IEEE-754 doubles (as hex) and their canonical serialisation.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize("bits,expected", RFC8785_NUMBERS)
def test_rfc8785_number_serialisation(bits: str, expected: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical_json(value) == expected.encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000"])  # NaN, Infinity: not JSON
def test_rfc8785_rejects_non_finite_numbers(bits: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    with pytest.raises(InvalidRecord):
        canonical_json(value)


def test_rfc8785_section_3_2_2_example() -> None:
    source = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], '
        r'"string": "\u20ac$\u000F\u000aA'
        "'"
        r'\u0042\u0022\u005c\\\"\/", '
        '"literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(source) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_property_order() -> None:
    source = json.loads(
        r'{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",'
        r' "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",'
        r' "\u00f6": "Latin Small Letter O With Diaeresis"}'
    )
    out = json.loads(canonical_json(source))
    assert list(out.values()) == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]


NODE_TREE = """
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const values = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tree = StandardMerkleTree.of(values, ["bytes32", "string", "bytes32"]);
console.log(JSON.stringify({ root: tree.root, proofs: values.map((_, i) => tree.getProof(i)) }));
"""


def _npm_tree(values: list[tuple[bytes, str, bytes]]) -> dict[str, object]:
    data = json.dumps([["0x" + s.hex(), n, "0x" + h.hex()] for s, n, h in values])
    out = subprocess.run(
        ["node", "-e", NODE_TREE], input=data, capture_output=True, text=True, check=True, cwd=project_root()
    )
    return dict(json.loads(out.stdout))


@pytest.mark.parametrize("size", [1, 2, 3, 6, 17])
def test_roots_and_proofs_equal_the_npm_merkle_tree(size: int) -> None:
    values = [(os.urandom(32), f"field_{i}", value_hash({"n": i})) for i in range(size)]
    ours = StandardMerkleTree(values, LEAF_TYPES)
    theirs = _npm_tree(values)
    assert "0x" + ours.root.hex() == theirs["root"]
    assert [["0x" + p.hex() for p in ours.proof(i)] for i in range(size)] == theirs["proofs"]


NODE_BATCH_TREE = NODE_TREE.replace('["bytes32", "string", "bytes32"]', '["uint64", "bytes32"]')


def test_trail_batch_roots_equal_the_npm_merkle_tree_and_eth_abi() -> None:
    """The trail's leaves (uint64 seq, bytes32 event hash) are encoded without eth_abi: the same bytes,
    the same root as the npm package."""
    values = [(int.from_bytes(os.urandom(8), "big"), os.urandom(32)) for _ in range(9)] + [(0, b"\0" * 32)]
    ours = StandardMerkleTree(values, ["uint64", "bytes32"])
    out = subprocess.run(
        ["node", "-e", NODE_BATCH_TREE],
        input=json.dumps([[str(q), "0x" + h.hex()] for q, h in values]),
        capture_output=True,
        text=True,
        check=True,
        cwd=project_root(),
    )
    assert "0x" + ours.root.hex() == json.loads(out.stdout)["root"]
    for seq, h in values:
        assert _encode_static(["uint64", "bytes32"], [seq, h]) == encode(["uint64", "bytes32"], [seq, h])
    for bad in ([1 << 64, b"\0" * 32], [-1, b"\0" * 32], [True, b"\0" * 32], [1, b"\0" * 31], [1, "0x00"]):
        with pytest.raises(ValueError):
            leaf_hash(["uint64", "bytes32"], bad)


def test_commitment_proofs_verify_on_chain(ke: Consortium) -> None:
    fields = {
        "head_of_household": "Wang Fang",
        "address": {"street": "East Gate 3", "unit": 12},
        "members": 4,
        "phone": None,
        "housing_type": "rented",
        "income_band": 2.5,
    }
    c = commit(fields, {n: os.urandom(32) for n in fields})
    rc_officer = ke.actor("rc_officer")
    record_id = os.urandom(32)
    ke.c.records.register(rc_officer, record_id, ke.subject, ke.household, c.root)
    for name, value in fields.items():
        salt, proof = c.salts[name], c.proof(name)
        assert ke.c.records.verify_field(record_id, 1, salt, name, value_hash(value), proof)
        assert c.tree.leaf(c.order.index(name)) == field_leaf(salt, name, value)
    # A changed value, or another field's salt, does not verify.
    assert not ke.c.records.verify_field(record_id, 1, c.salts["members"], "members", value_hash(5), c.proof("members"))
    assert not ke.c.records.verify_field(record_id, 1, c.salts["phone"], "members", value_hash(4), c.proof("members"))
