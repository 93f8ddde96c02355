"""docs/FORMATS.md: every worked example on the page recomputes, from its own inputs, to the values the
page shows — by the project's code and, where a second implementation exists, by it too (eth-account's
EIP-712 and EIP-191 encoders, the RFC 8785 package, and for the Merkle roots the npm
@openzeppelin/merkle-tree through Node)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import keccak

from tests.formats_examples import EXAMPLES, direct_read_digest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "FORMATS.md"


def blocks() -> dict[str, dict[str, Any]]:
    found = {}
    for raw in re.findall(r"```json\n(.*?)\n```", PAGE.read_text(encoding="utf-8"), re.S):
        doc = json.loads(raw)
        if isinstance(doc, dict) and "example" in doc:
            found[doc["example"]] = doc
    return found


def test_the_page_shows_every_example_as_the_code_computes_it() -> None:
    shown = blocks()
    assert set(shown) == set(EXAMPLES)
    for name, make in EXAMPLES.items():
        assert shown[name] == json.loads(json.dumps(make())), f"{name}: the page differs from the code"


@pytest.mark.parametrize("name", ["forward-request", "read-request", "access-receipt", "trail-head"])
def test_typed_data_examples_recompute_with_eth_account(name: str) -> None:
    b = blocks()[name]
    signable = encode_typed_data(full_message=b["typedData"])
    assert Account.recover_message(signable, signature=b["signature"]) == b["signer"]
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert "0x" + digest.hex() == b["digest"]
    if name == "read-request":
        assert direct_read_digest(b) == b["digest"]  # the audit's direct encoder agrees


def test_the_sign_in_message_recomputes() -> None:
    b = blocks()["siwe"]
    text = b["message"]
    prefixed = b"\x19Ethereum Signed Message:\n" + str(len(text.encode())).encode() + text.encode()
    assert "0x" + keccak(prefixed).hex() == b["digest"]
    assert Account.recover_message(encode_defunct(text=text), signature=b["signature"]) == b["signer"]


def test_hashed_values_recompute_independently() -> None:
    import rfc8785

    page = blocks()
    event = page["event-hash"]
    assert rfc8785.dumps(event["content"]).decode() == event["canonical"]
    assert "0x" + keccak(event["canonical"].encode()).hex() == event["eventHash"]
    text = page["salted-text"]
    assert "0x" + keccak(bytes.fromhex(text["salt"][2:]) + text["text"].encode()).hex() == text["hash"]
    sub = page["subject-id"]
    mac = hmac.new(bytes.fromhex(sub["consortiumSecret"][2:]), sub["nationalId"].encode(), hashlib.sha256)
    assert "0x" + mac.hexdigest() == sub["subjectId"]
    record = page["record-commitment"]
    for name, value in record["fields"].items():
        assert rfc8785.dumps(value).decode() == record["canonicalValues"][name]
        assert "0x" + keccak(record["canonicalValues"][name].encode()).hex() == record["valueHashes"][name]


NODE_SCRIPT = """
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const [record, batch] = JSON.parse(require("fs").readFileSync(0, "utf8"));
const names = Object.keys(record.fields).sort();
const t = StandardMerkleTree.of(names.map((n) => [record.salts[n], n, record.valueHashes[n]]),
                                ["bytes32", "string", "bytes32"]);
const b = StandardMerkleTree.of(batch.leaves.map((l) => [l.seq, l.eventHash]), ["uint64", "bytes32"]);
console.log(JSON.stringify({
  commitment: t.root,
  addressOk: StandardMerkleTree.verify(record.commitment, ["bytes32", "string", "bytes32"],
    [record.salts.address, "address", record.valueHashes.address], record.proofOfAddress),
  root: b.root,
  seq1Ok: StandardMerkleTree.verify(batch.root, ["uint64", "bytes32"], [1, batch.leaves[0].eventHash], batch.proofOfSeq1),
}));
"""


def test_merkle_examples_match_the_npm_package() -> None:
    page = blocks()
    out = subprocess.run(
        ["node", "-e", NODE_SCRIPT],
        input=json.dumps([page["record-commitment"], page["trail-batch"]]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    got = json.loads(out.stdout)
    assert got == {
        "commitment": page["record-commitment"]["commitment"],
        "addressOk": True,
        "root": page["trail-batch"]["root"],
        "seq1Ok": True,
    }
