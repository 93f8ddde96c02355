"""EIP-712, written once (:mod:`ledger.crypto.eip712`): its digests are eth-account's, its types are the ones the
portal's verifier and the independent JavaScript client declare, and no other module encodes a domain."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from ledger.crypto import eip712

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID, CONTRACT = 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _sample(struct: eip712.Struct) -> dict[str, object]:
    values: dict[str, object] = {
        "address": "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
        "bytes32": "0x" + os.urandom(32).hex(),
        "bool": True,
        "string": "POST /node/reads",
        "bytes": "0x" + os.urandom(40).hex(),
        "string[]": ["address", "income_band"],
        "uint48": 2**47,
        "uint64": 2**63 + 5,
        "uint256": 2**200 + 7,
    }
    return {name: values[kind] for name, kind in struct.fields}


@pytest.mark.parametrize(
    "domain,struct",
    [(eip712.Domain(d), s) for d, ss in eip712.SIGNED.items() for s in ss],
    ids=lambda v: getattr(v, "name", ""),
)
def test_each_struct_hashes_and_signs_as_eth_account_does(domain: eip712.Domain, struct: eip712.Struct) -> None:
    message = _sample(struct)
    typed = domain.typed_data(struct, message, chain_id=CHAIN_ID, verifying_contract=CONTRACT)
    expected = encode_typed_data(full_message=typed)
    digest = domain.digest(struct, message, chain_id=CHAIN_ID, verifying_contract=CONTRACT)
    assert digest == domain.digest_of(typed, struct)
    account = Account.create()
    signed = account.sign_message(expected)
    assert eip712.sign_digest(bytes(account.key), digest) == "0x" + bytes(signed.signature).hex()
    assert eip712.recover_digest(digest, signed.signature) == account.address


def test_a_message_with_a_field_more_less_or_out_of_range_is_refused() -> None:
    message = _sample(eip712.ACCESS_RECEIPT)
    for bad in (
        {**message, "extra": 1},
        {k: v for k, v in message.items() if k != "seq"},
        {**message, "seq": 2**64},
        {**message, "seq": True},
        {**message, "custodian": "0x12"},
    ):
        with pytest.raises(ValueError):
            eip712.TRAIL.digest(eip712.ACCESS_RECEIPT, bad, chain_id=CHAIN_ID, verifying_contract=CONTRACT)


def _js_types(text: str, name: str) -> list[tuple[str, str]]:
    block = re.search(name + r": \[(.*?)\]\s*,?\s*\}", text, re.S)
    assert block, f"{name} is not declared"
    return re.findall(r'\{ name: "(\w+)", type: "([\w\[\]]+)" \}', block.group(1))


@pytest.mark.parametrize("path", ["api/portal/static/js/verify.js", "examples/verify.mjs"])
def test_the_javascript_verifiers_declare_the_same_types(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    for struct in (eip712.READ_REQUEST, eip712.TRAIL_HEAD):
        assert _js_types(text, struct.name) == list(struct.fields), f"{path}: {struct.name} differs from Python's"


def test_no_other_module_encodes_an_eip712_domain_or_digest() -> None:
    own = ROOT / "ledger" / "crypto" / "eip712.py"
    found = []
    for folder in ("ledger", "api", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path != own and (re.search(r"\\x19\\x01", text) or "EIP712Domain(string" in text):
                found.append(str(path.relative_to(ROOT)))
    assert found == []
