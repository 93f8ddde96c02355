"""QBFT ``extraData``: the header field in which Besu keeps a block's validators, vote, round and seals.

RLP of ``[vanity (32 bytes), [validator addresses], vote, round, [committed seals]]`` where the vote is
``[]`` or ``[address, 0xff (add) | empty (drop)]`` and the round an integer scalar (0 is the empty
string). A genesis block has a zero vanity, no vote, round 0 and no seals: exactly what
``besu operator generate-blockchain-config`` writes (Besu's ``QbftExtraDataCodec.encodeFromAddresses``).
The validators keep the order they are given in; Besu does not sort them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import rlp
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from ledger.errors import BadArgument

VANITY = b"\0" * 32
ADD, DROP = True, False
_ADD_BYTE = b"\xff"


@dataclass(frozen=True)
class Vote:
    recipient: str
    add: bool


@dataclass(frozen=True)
class ExtraData:
    validators: tuple[str, ...]
    vanity: bytes = VANITY
    vote: Vote | None = None
    round: int = 0
    seals: tuple[bytes, ...] = field(default=())


def _address(value: str) -> bytes:
    raw = bytes(HexBytes(value)) if isinstance(value, str) and value.startswith("0x") else b""
    if len(raw) != 20:
        raise BadArgument(f"{value!r} is not a 20-byte 0x address")
    return raw


def encode(extra: ExtraData) -> bytes:
    if len(extra.vanity) != 32:
        raise BadArgument("the vanity is 32 bytes")
    if extra.round < 0 or extra.round >= 1 << 32:
        raise BadArgument("the round is a 32-bit unsigned integer")
    vote: list[bytes] = [] if extra.vote is None else [_address(extra.vote.recipient), _ADD_BYTE if extra.vote.add else b""]
    return bytes(rlp.encode([extra.vanity, [_address(v) for v in extra.validators], vote, extra.round, list(extra.seals)]))


def decode(data: bytes | str) -> ExtraData:
    """The fields of a QBFT ``extraData``; :class:`BadArgument` if it is not one."""
    try:
        raw = bytes(HexBytes(data)) if isinstance(data, str) else data
        items = rlp.decode(raw)
        vanity, validators, vote, round_, seals = items
        if (
            not isinstance(vanity, bytes)
            or len(vanity) != 32
            or not isinstance(validators, list)
            or not isinstance(vote, list)
            or not isinstance(round_, bytes)
            or not isinstance(seals, list)
        ):
            raise ValueError("not [vanity, validators, vote, round, seals]")
        if round_[:1] == b"\0":
            raise ValueError("the round has a leading zero byte")
        if vote and (len(vote) != 2 or len(vote[0]) != 20 or vote[1] not in (_ADD_BYTE, b"")):
            raise ValueError("the vote is not [address, 0xff | empty]")
        if any(not isinstance(v, bytes) or len(v) != 20 for v in validators):
            raise ValueError("a validator is not 20 bytes")
    except (ValueError, TypeError, rlp.exceptions.DecodingError) as exc:
        raise BadArgument(f"not a QBFT extraData: {exc}") from None
    return ExtraData(
        validators=tuple(to_checksum_address(v) for v in validators),
        vanity=vanity,
        vote=Vote(to_checksum_address(vote[0]), vote[1] == _ADD_BYTE) if vote else None,
        round=int.from_bytes(round_, "big"),
        seals=tuple(seals),
    )


def genesis_extra_data(validators: Sequence[str]) -> str:
    """The genesis ``extraData`` for ``validators``, 0x hex (``ledger consortium extradata``)."""
    if not validators:
        raise BadArgument("a QBFT network needs at least one validator")
    if len({v.lower() for v in validators}) != len(validators):
        raise BadArgument("a validator is listed twice")
    return "0x" + encode(ExtraData(validators=tuple(validators))).hex()
