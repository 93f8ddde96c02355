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

from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.crypto import eip712

DOMAIN_NAME, DOMAIN_VERSION = eip712.TRAIL.name, eip712.TRAIL.version
STRUCTS = {s.name: s for s in eip712.SIGNED[eip712.TRAIL.name]}
TYPES: dict[str, list[dict[str, str]]] = {name: s.types for name, s in STRUCTS.items()}


def typed(primary: str, message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> eip712.TypedData:
    return eip712.TRAIL.typed_data(STRUCTS[primary], message, chain_id=chain_id, verifying_contract=verifying_contract)


def digest(primary: str, message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> bytes:
    return eip712.TRAIL.digest(STRUCTS[primary], message, chain_id=chain_id, verifying_contract=verifying_contract)


def receipt_digest(message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> bytes:
    """The EIP-712 digest of an ``AccessReceipt``."""
    return digest("AccessReceipt", message, chain_id=chain_id, verifying_contract=verifying_contract)


def sign(account: LocalAccount, primary: str, message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> str:
    """``message`` signed by the node's account (libsecp256k1: the very signature eth-account makes)."""
    return eip712.sign_digest(
        bytes(account.key), digest(primary, message, chain_id=chain_id, verifying_contract=verifying_contract)
    )


def signer(primary: str, message: dict[str, Any], signature: str, *, chain_id: int, verifying_contract: str) -> str:
    """The account that signed ``message``; raises ValueError on a malformed message or signature."""
    return eip712.recover_digest(
        digest(primary, message, chain_id=chain_id, verifying_contract=verifying_contract), signature
    )
