"""What a node signs about its trail (EIP-712, by its anchor account).

* ``AccessReceipt``: the read's event is in the trail with this sequence number and hash,
  and will be anchored by ``anchorBy`` (Unix seconds).
* ``TrailHead``: a subject's trail at this node ends at ``lastSeq`` with ``count`` events,
  as of ``issuedAt``; a bundle that leaves out the subject's latest events contradicts it.
* ``AuditResult``: this node audited itself for the auditor's request ``request`` (its nonce): the
  report hashing (RFC 8785, keccak-256) to ``reportHash`` says ``ok``, over ``records`` records
  and the trail the chain anchors through ``anchoredThrough``.

Anyone checks the signer against the chain: it must hold the anchor role of ``custodian``.
"""

from __future__ import annotations

import functools
from typing import Any

import coincurve
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
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
    "AuditResult": [
        {"name": "body", "type": "bytes32"},
        {"name": "request", "type": "bytes32"},
        {"name": "ok", "type": "bool"},
        {"name": "reportHash", "type": "bytes32"},
        {"name": "records", "type": "uint64"},
        {"name": "anchoredThrough", "type": "uint64"},
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
    if primary == "AccessReceipt":  # one per read: hashed and signed directly, as eth-account would
        return sign_receipt(account, message, chain_id=chain_id, verifying_contract=verifying_contract)
    data = typed(primary, message, chain_id=chain_id, verifying_contract=verifying_contract)
    return "0x" + bytes(account.sign_message(encode_typed_data(full_message=data)).signature).hex()


_DOMAIN_TYPEHASH = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_RECEIPT_TYPEHASH = keccak(b"AccessReceipt(bytes32 custodian,uint64 seq,bytes32 eventHash,uint64 anchorBy)")


@functools.lru_cache(maxsize=16)
def _domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    return keccak(_DOMAIN_TYPEHASH + keccak(DOMAIN_NAME.encode()) + keccak(DOMAIN_VERSION.encode())
                  + chain_id.to_bytes(32, "big") + bytes.fromhex(verifying_contract[2:]).rjust(32, b"\0"))


@functools.lru_cache(maxsize=16)
def _signing_key(key: bytes) -> coincurve.PrivateKey:
    return coincurve.PrivateKey(key)


def receipt_digest(message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> bytes:
    """The EIP-712 digest of an ``AccessReceipt`` (what ``encode_typed_data`` hashes, computed directly)."""
    struct = keccak(_RECEIPT_TYPEHASH + bytes.fromhex(message["custodian"][2:]).rjust(32, b"\0")
                    + int(message["seq"]).to_bytes(32, "big") + bytes.fromhex(message["eventHash"][2:]).rjust(32, b"\0")
                    + int(message["anchorBy"]).to_bytes(32, "big"))
    return keccak(b"\x19\x01" + _domain_separator(chain_id, verifying_contract.lower()) + struct)


def sign_receipt(account: LocalAccount, message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> str:
    """The receipt signed with libsecp256k1 (coincurve): RFC 6979 nonces and low s, so the very signature
    eth-account makes, about ten times faster."""
    digest = receipt_digest(message, chain_id=chain_id, verifying_contract=verifying_contract)
    raw = _signing_key(bytes(account.key)).sign_recoverable(digest, hasher=None)
    return "0x" + raw[:64].hex() + f"{raw[64] + 27:02x}"


def signer(primary: str, message: dict[str, Any], signature: str, *, chain_id: int, verifying_contract: str) -> str:
    """The account that signed ``message``; raises ValueError on a malformed signature."""
    data = typed(primary, message, chain_id=chain_id, verifying_contract=verifying_contract)
    return str(Account.recover_message(encode_typed_data(full_message=data), signature=bytes(HexBytes(signature))))
