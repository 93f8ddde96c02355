"""EIP-712 forward requests for OpenZeppelin's ERC2771Forwarder (``CivicForwarder``).

A person signs a ``ForwardRequest`` naming the target contract, the call data, a gas limit,
their forwarder nonce and a deadline; their body's node relays it. The target contracts
trust the forwarder and read the person (not the node) as the actor. The forwarder refuses
a replayed request (the nonce moved on), an expired one, and one whose signature is not
the ``from`` account's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from ledger.crypto import eip712
from ledger.crypto.eip712 import TypedData

DOMAIN_NAME, DOMAIN_VERSION = eip712.FORWARDER.name, eip712.FORWARDER.version
EIP712_DOMAIN = eip712.EIP712_DOMAIN
FORWARD_REQUEST_TYPES = {"EIP712Domain": EIP712_DOMAIN, "ForwardRequest": eip712.FORWARD_REQUEST.types}


@dataclass(frozen=True)
class ForwardRequest:
    """A signed request, in the field order of ``ERC2771Forwarder.ForwardRequestData``."""

    sender: str
    to: str
    value: int
    gas: int
    deadline: int
    data: bytes
    signature: bytes

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.sender, self.to, self.value, self.gas, self.deadline, self.data, self.signature)


def typed_data(
    *, forwarder: str, chain_id: int, sender: str, to: str, data: bytes, gas: int, nonce: int, deadline: int, value: int = 0
) -> TypedData:
    """The EIP-712 typed data a person signs (what a wallet or the API shows them)."""
    message = {
        "from": sender,
        "to": to,
        "value": value,
        "gas": gas,
        "nonce": nonce,
        "deadline": deadline,
        "data": "0x" + bytes(data).hex(),
    }
    return eip712.FORWARDER.typed_data(eip712.FORWARD_REQUEST, message, chain_id=chain_id, verifying_contract=forwarder)


def sign(account: LocalAccount, typed: TypedData) -> ForwardRequest:
    """Signs ``typed`` (from :func:`typed_data`) with ``account``."""
    signature = account.sign_message(encode_typed_data(full_message=dict(typed))).signature
    return from_typed(typed, signature)


def from_typed(typed: Mapping[str, Any], signature: bytes) -> ForwardRequest:
    m = typed["message"]
    return ForwardRequest(
        m["from"], m["to"], int(m["value"]), int(m["gas"]), int(m["deadline"]), bytes(HexBytes(m["data"])), bytes(signature)
    )


def recover(typed: Mapping[str, Any], signature: bytes) -> str:
    """The account that signed ``typed``."""
    return str(Account.recover_message(encode_typed_data(full_message=dict(typed)), signature=signature))
