"""The read request's EIP-712 digest, computed directly for speed, equals eth_account's
generic encoding, and recovery from it finds the signer; malformed input is refused."""

from __future__ import annotations

import os
import random

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from ledger.access.reads import digest, message_digest, recover, typed_data


def _request(rng: random.Random, reader: str) -> dict:
    return typed_data(
        chain_id=rng.choice([1, 31337, 2**40]),
        verifying_contract="0x" + os.urandom(20).hex(),
        reader=reader,
        custodian=os.urandom(32),
        record_id=os.urandom(32),
        fields=rng.sample(["address", "members", "phone", "income_band", "名前", ""], rng.randint(1, 4)),
        purpose=os.urandom(32),
        grant_id=rng.choice([0, 1, 2**200]),
        emergency_id=rng.choice([0, 7]),
        nonce=os.urandom(32),
        deadline=rng.randint(0, 2**64 - 1),
    )


def test_direct_digest_and_recovery_match_eth_account() -> None:
    rng = random.Random(1)
    for _ in range(40):
        account = Account.create()
        typed = _request(rng, account.address)
        signable = encode_typed_data(full_message=typed)
        assert digest(typed) == bytes.fromhex(account.sign_message(signable).message_hash.hex().removeprefix("0x"))
        signature = "0x" + bytes(account.sign_message(signable).signature).hex()
        assert recover(typed, signature) == account.address


@pytest.mark.parametrize(
    "change",
    [
        {"reader": "0x1234"},
        {"recordId": "0x" + "00" * 31},
        {"deadline": 2**64},
        {"grantId": -1},
        {"fields": "address"},
        {"extra": 1},
        {"nonce": "ab" * 32},
    ],
)
def test_malformed_requests_are_refused(change: dict) -> None:
    typed = _request(random.Random(2), Account.create().address)
    with pytest.raises(ValueError):
        message_digest({**typed["message"], **change}, chain_id=1, verifying_contract="0x" + "11" * 20)


def test_a_malformed_signature_is_refused() -> None:
    typed = _request(random.Random(3), Account.create().address)
    for bad in ("0x" + "00" * 65, "0x" + "ff" * 64 + "1b", "0x1234"):
        with pytest.raises(ValueError):
            recover(typed, bad)
