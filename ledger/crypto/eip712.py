"""EIP-712, once: every domain and struct Civic Ledger signs, declared here and nowhere else.

Each :class:`Struct` gives both forms a caller needs: the typed data a wallet signs
(``eth_signTypedData_v4``) and the digest itself, computed directly (``hashStruct`` of the
declared fields, about ten times faster than ``eth_account``'s generic encoder: the audit hashes
every event's read request, a node signs a receipt per read). A test holds each digest equal to
``eth_account``'s, and the portal's and ``examples/verify.mjs``' type tables equal to these.

Domains: ``CivicLedger`` (the ERC-2771 forwarder, what people sign to act on-chain),
``CivicLedgerRead`` (read requests), ``CivicLedgerTrail`` (what a node signs about its trail),
``CivicLedgerNode`` (node-to-node requests). Each is ``(name, version, chainId, verifyingContract)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import coincurve
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from typing_extensions import TypedDict  # pydantic reads it as a model on Python 3.11

from ledger.crypto.keccak import keccak

#: The EIP-712 domain fields of every typed request Civic Ledger asks people (or nodes) to sign.
EIP712_DOMAIN: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _uint(bits: int) -> Callable[[Any], bytes]:
    def encode(value: Any) -> bytes:
        n = int(value)
        if isinstance(value, bool) or not 0 <= n < 1 << bits:
            raise ValueError(f"{value!r} is not a uint{bits}")
        return n.to_bytes(32, "big")

    return encode


def _fixed(size: int) -> Callable[[Any], bytes]:
    def encode(value: Any) -> bytes:
        if isinstance(value, bytes | bytearray):
            raw = bytes(value)
        else:
            if not str(value).startswith("0x"):
                raise ValueError(f"{value!r} is not {size} bytes of 0x hex")
            raw = bytes(HexBytes(str(value)))
        if len(raw) != size:
            raise ValueError(f"{value!r} is not {size} bytes of 0x hex")
        return raw.rjust(32, b"\0")

    return encode


def _bool(value: Any) -> bytes:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a bool")
    return int(value).to_bytes(32, "big")


def _string(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    return keccak(value.encode())


def _bytes(value: Any) -> bytes:
    return keccak(bytes(value) if isinstance(value, bytes | bytearray) else bytes(HexBytes(str(value))))


def _strings(value: Any) -> bytes:
    if not isinstance(value, list):
        raise ValueError("a string[] is a list of strings")
    return keccak(b"".join(_string(v) for v in value))


_ENCODERS: dict[str, Callable[[Any], bytes]] = {
    "address": _fixed(20),
    "bytes32": _fixed(32),
    "bool": _bool,
    "string": _string,
    "bytes": _bytes,
    "string[]": _strings,
    **{f"uint{b}": _uint(b) for b in (48, 64, 256)},
}


@dataclass(frozen=True)
class Struct:
    """One EIP-712 struct type of atomic fields (and ``string[]``), in its declared order."""

    name: str
    fields: tuple[tuple[str, str], ...]
    typehash: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = [t for _, t in self.fields if t not in _ENCODERS]
        assert not unknown, f"{self.name}: no encoder for {unknown}"
        signature = f"{self.name}({','.join(f'{t} {n}' for n, t in self.fields)})"
        object.__setattr__(self, "typehash", keccak(signature.encode()))

    @property
    def types(self) -> list[dict[str, str]]:
        """The struct's entry of ``types`` in typed data."""
        return [{"name": n, "type": t} for n, t in self.fields]

    def hash(self, message: Mapping[str, Any]) -> bytes:
        """``hashStruct(message)``; raises ValueError unless the message has exactly the declared fields."""
        if set(message) != {n for n, _ in self.fields}:
            raise ValueError(f"a {self.name} has exactly the fields {', '.join(sorted(n for n, _ in self.fields))}")
        return keccak(self.typehash + b"".join(_ENCODERS[t](message[n]) for n, t in self.fields))


class TypedDomain(TypedDict):
    name: str
    version: str
    chainId: int
    verifyingContract: str


class TypedData(TypedDict):
    """What ``eth_signTypedData_v4`` signs: the types, the primary type, the domain and the message."""

    types: dict[str, list[dict[str, str]]]
    primaryType: str
    domain: TypedDomain
    message: dict[str, Any]


@dataclass(frozen=True)
class Domain:
    name: str
    version: str = "1"

    def separator(self, chain_id: int, verifying_contract: str) -> bytes:
        return _separator(self.name, self.version, int(chain_id), str(verifying_contract).lower())

    def typed_data(self, struct: Struct, message: dict[str, Any], *, chain_id: int, verifying_contract: str) -> TypedData:
        """The typed data to sign with ``eth_signTypedData_v4``."""
        return {
            "types": {"EIP712Domain": EIP712_DOMAIN, struct.name: struct.types},
            "primaryType": struct.name,
            "domain": {
                "name": self.name,
                "version": self.version,
                "chainId": chain_id,
                "verifyingContract": verifying_contract,
            },
            "message": message,
        }

    def digest(self, struct: Struct, message: Mapping[str, Any], *, chain_id: int, verifying_contract: str) -> bytes:
        """The 32 bytes that are signed: keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))."""
        return keccak(b"\x19\x01" + self.separator(chain_id, verifying_contract) + struct.hash(message))

    def digest_of(self, typed: Mapping[str, Any], struct: Struct) -> bytes:
        """The digest of typed data that must be ``struct`` in this domain (ValueError otherwise)."""
        if (
            typed.get("types") != {"EIP712Domain": EIP712_DOMAIN, struct.name: struct.types}
            or typed.get("primaryType") != struct.name
        ):
            raise ValueError(f"not a {struct.name}")
        d = typed["domain"]
        if set(d) != {"name", "version", "chainId", "verifyingContract"} or (d["name"], d["version"]) != (
            self.name,
            self.version,
        ):
            raise ValueError(f"not the {self.name} domain")
        return self.digest(struct, typed["message"], chain_id=d["chainId"], verifying_contract=d["verifyingContract"])


@functools.lru_cache(maxsize=64)
def _separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    return keccak(
        _DOMAIN_TYPE.typehash
        + keccak(name.encode())
        + keccak(version.encode())
        + _uint(256)(chain_id)
        + _fixed(20)(verifying_contract)
    )


_DOMAIN_TYPE = Struct("EIP712Domain", tuple((f["name"], f["type"]) for f in EIP712_DOMAIN))

# ---------------------------------------------------------------- the domains and structs

FORWARDER = Domain("CivicLedger")
READS = Domain("CivicLedgerRead")
TRAIL = Domain("CivicLedgerTrail")
NODES = Domain("CivicLedgerNode")

FORWARD_REQUEST = Struct(
    "ForwardRequest",
    (
        ("from", "address"),
        ("to", "address"),
        ("value", "uint256"),
        ("gas", "uint256"),
        ("nonce", "uint256"),
        ("deadline", "uint48"),
        ("data", "bytes"),
    ),
)
READ_REQUEST = Struct(
    "ReadRequest",
    (
        ("reader", "address"),
        ("custodian", "bytes32"),
        ("recordId", "bytes32"),
        ("fields", "string[]"),
        ("purpose", "bytes32"),
        ("grantId", "uint256"),
        ("emergencyId", "uint256"),
        ("nonce", "bytes32"),
        ("deadline", "uint64"),
    ),
)
ACCESS_RECEIPT = Struct(
    "AccessReceipt", (("custodian", "bytes32"), ("seq", "uint64"), ("eventHash", "bytes32"), ("anchorBy", "uint64"))
)
TRAIL_HEAD = Struct(
    "TrailHead",
    (("custodian", "bytes32"), ("subject", "bytes32"), ("lastSeq", "uint64"), ("count", "uint64"), ("issuedAt", "uint64")),
)
AUDIT_RESULT = Struct(
    "AuditResult",
    (
        ("body", "bytes32"),
        ("request", "bytes32"),
        ("ok", "bool"),
        ("reportHash", "bytes32"),
        ("records", "uint64"),
        ("anchoredThrough", "uint64"),
        ("issuedAt", "uint64"),
    ),
)
NODE_REQUEST = Struct(
    "NodeRequest",
    (
        ("from", "bytes32"),
        ("to", "bytes32"),
        ("method", "string"),
        ("path", "string"),
        ("bodyHash", "bytes32"),
        ("nonce", "bytes32"),
        ("issuedAt", "uint64"),
    ),
)

#: Every struct by domain, as the portal's and the examples' type tables must declare them.
SIGNED: dict[str, tuple[Struct, ...]] = {
    FORWARDER.name: (FORWARD_REQUEST,),
    READS.name: (READ_REQUEST,),
    TRAIL.name: (ACCESS_RECEIPT, TRAIL_HEAD, AUDIT_RESULT),
    NODES.name: (NODE_REQUEST,),
}

# ---------------------------------------------------------------- signing and recovery


@functools.lru_cache(maxsize=16)
def _signing_key(key: bytes) -> coincurve.PrivateKey:
    return coincurve.PrivateKey(key)


def sign_digest(key: bytes, digest: bytes) -> str:
    """A 65-byte signature (r ‖ s ‖ v, v 27 or 28) of ``digest``, with libsecp256k1: RFC 6979 nonces and low s,
    so the very signature eth-account makes."""
    raw = _signing_key(bytes(key)).sign_recoverable(digest, hasher=None)
    return "0x" + raw[:64].hex() + f"{raw[64] + 27:02x}"


def recover_digest(signed: bytes, signature: str | bytes) -> str:
    """The account whose 65-byte signature (r ‖ s ‖ v) signed the 32-byte digest ``signed``; ValueError if
    the signature is malformed or recovers nothing."""
    raw = bytes(signature) if isinstance(signature, bytes | bytearray) else bytes(HexBytes(signature))
    if len(raw) != 65:
        raise ValueError("a signature is 65 bytes")
    v = raw[64] - 27 if raw[64] >= 27 else raw[64]
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    if v not in (0, 1) or not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N) or len(signed) != 32:
        raise ValueError("not a valid signature")
    try:
        public = coincurve.PublicKey.from_signature_and_message(raw[:64] + bytes([v]), signed, hasher=None)
    except Exception as exc:  # noqa: BLE001 — coincurve raises a bare Exception for an unrecoverable signature
        raise ValueError(f"not a valid signature: {exc}") from None
    return to_checksum_address(keccak(public.format(compressed=False)[1:])[-20:])
