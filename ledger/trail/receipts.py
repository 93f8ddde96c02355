"""What a node signs about its trail (EIP-712, by its anchor account).

* ``AccessReceipt``: the read's event is in the trail with this sequence number and hash,
  and will be anchored by ``anchorBy`` (Unix seconds).
* ``TrailHead``: a subject's trail at this node ends at ``lastSeq`` with ``count`` events,
  as of ``issuedAt``; a bundle that leaves out the subject's latest events contradicts it.

Anyone checks the signer against the chain: it must hold the anchor role of ``custodian``.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from ledger.chain.forwarder import EIP712_DOMAIN

DOMAIN_NAME = "CivicLedgerTrail"
DOMAIN_VERSION = "1"

TYPES: dict[str, list[dict[str, str]]] = {
    "AccessReceipt": [
        {"name": "custodian", "type": "bytes32"},
        {"name": "seq", "type": "uint64"},
        {"name": "eventHash", "type": "bytes32"},
        {"name": "anchorBy", "type": "uint64"},
    ],
    "TrailHead": [
        {"name": "custodian", "type": "bytes32"},
        {"name": "subject", "type": "bytes32"},
        {"name": "lastSeq", "type": "uint64"},
        {"name": "count", "type": "uint64"},
        {"name": "issuedAt", "type": "uint64"},
    ],
}


def typed(primary: str, message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    return {"types": {"EIP712Domain": EIP712_DOMAIN, primary: TYPES[primary]}, "primaryType": primary,
            "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
                       "verifyingContract": verifying_contract},
            "message": message}


def sign(account: LocalAccount, primary: str, message: dict[str, Any], *, chain_id: int,
         verifying_contract: str) -> str:
    data = typed(primary, message, chain_id=chain_id, verifying_contract=verifying_contract)
    return "0x" + bytes(account.sign_message(encode_typed_data(full_message=data)).signature).hex()


def signer(primary: str, message: dict[str, Any], signature: str, *, chain_id: int, verifying_contract: str) -> str:
    """The account that signed ``message``; raises ValueError on a malformed signature."""
    data = typed(primary, message, chain_id=chain_id, verifying_contract=verifying_contract)
    return str(Account.recover_message(encode_typed_data(full_message=data), signature=bytes(HexBytes(signature))))
