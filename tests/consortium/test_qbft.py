"""QBFT extraData and genesis against the values Besu publishes (issue 12, item 1).

Vectors:
- Besu's documentation, "Configure QBFT consensus" (besu-docs, docs/private-networks/how-to/configure/
  consensus/qbft.md): the genesis of four validators (block header validator selection), and the
  extraData with no validators (contract validator selection);
- Besu's own codec test (hyperledger/besu, consensus/qbft/src/test/.../QbftExtraDataCodecTest.java,
  ``RAW_HEX_ENCODING_STRING``): a vanity of 0x01..0x20, validators 0x…01 and 0x…02, a vote to add
  0x…01, round 0xFEDCBA and two committed seals (r=1, s=10, v=0) and (r=10, s=1, v=0).
"""

from __future__ import annotations

import random

import pytest
from eth_utils import to_checksum_address

from ledger.errors import BadArgument
from ledger.network.besu import Consortium, genesis
from ledger.network.qbft import ExtraData, Vote, decode, encode, genesis_extra_data

DOC_VALIDATORS = [
    "0x64a702e6263b7297a96638cac6ae65e6541f4169",
    "0x3923390ad55e90c237593b3b0e401f3b08a03185",
    "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
]
DOC_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a96638"
    "cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f6370c2f6"
    "9294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0"
)
DOC_CONTRACT_EXTRA_DATA = "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0"
BESU_CODEC_VECTOR = (
    "0xf8f0a00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20ea940000000000000000"
    "000000000000000000000001940000000000000000000000000000000000000002d7940000000000000000"
    "00000000000000000000000181ff83fedcbaf886b841000000000000000000000000000000000000000000"
    "0000000000000000000001000000000000000000000000000000000000000000000000000000000000000a"
    "00b841000000000000000000000000000000000000000000000000000000000000000a0000000000000000"
    "00000000000000000000000000000000000000000000000100"
)
ONE, TWO = to_checksum_address("0x" + "00" * 19 + "01"), to_checksum_address("0x" + "00" * 19 + "02")


def _seal(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


BESU_CODEC_DECODED = ExtraData(
    validators=(ONE, TWO),
    vanity=bytes(range(1, 33)),
    vote=Vote(ONE, add=True),
    round=0xFEDCBA,
    seals=(_seal(1, 10, 0), _seal(10, 1, 0)),
)


def test_genesis_extra_data_of_the_documented_validators_is_the_documented_value() -> None:
    assert genesis_extra_data(DOC_VALIDATORS) == DOC_EXTRA_DATA
    assert encode(ExtraData(validators=())) == bytes.fromhex(DOC_CONTRACT_EXTRA_DATA[2:])


def test_besus_codec_vector_encodes_and_decodes() -> None:
    assert "0x" + encode(BESU_CODEC_DECODED).hex() == BESU_CODEC_VECTOR
    assert decode(BESU_CODEC_VECTOR) == BESU_CODEC_DECODED
    documented = decode(DOC_EXTRA_DATA)
    assert documented.validators == tuple(to_checksum_address(v) for v in DOC_VALIDATORS)
    assert (documented.vanity, documented.vote, documented.round, documented.seals) == (b"\0" * 32, None, 0, ())


def test_rlp_round_trips() -> None:
    rng = random.Random(12)
    for _ in range(200):
        validators = tuple(to_checksum_address(rng.randbytes(20)) for _ in range(rng.randrange(0, 30)))
        vote = rng.choice([None, Vote(to_checksum_address(rng.randbytes(20)), rng.random() < 0.5)])
        extra = ExtraData(
            validators,
            rng.randbytes(32),
            vote,
            rng.randrange(0, 1 << 32),
            tuple(rng.randbytes(65) for _ in range(rng.randrange(0, 5))),
        )
        assert decode(encode(extra)) == extra
        assert decode("0x" + encode(extra).hex()) == extra


@pytest.mark.parametrize(
    "bad",
    [
        "0x",
        "0xzz",
        DOC_EXTRA_DATA[:-2],  # empty, not hex, truncated
        "0xe4" + "9f" + "00" * 31 + "c0c080c0",  # a 31-byte vanity
        "0xe8a0" + "00" * 32 + "c0c08300dcbac0",  # round with a leading zero (Besu refuses it too)
        "0xe5a0" + "00" * 32 + "c1" + "01" + "80c0",  # a vote that is not [address, 0xff | empty]
    ],
)
def test_what_is_not_a_qbft_extra_data_is_refused(bad: str) -> None:
    with pytest.raises(BadArgument):
        decode(bad)


def test_genesis_extra_data_refuses_no_validator_a_duplicate_or_a_bad_address() -> None:
    for validators in ([], [DOC_VALIDATORS[0], DOC_VALIDATORS[0].upper().replace("0X", "0x")], ["0x1234"]):
        with pytest.raises(BadArgument):
            genesis_extra_data(validators)


def test_genesis_of_the_documented_network_has_the_documented_consensus_fields() -> None:
    c = Consortium(chain_id=1337, block_period=5, epoch_length=30_000, request_timeout=10, gas_limit=0x29B92700, bodies=())
    g = genesis(c, DOC_VALIDATORS)
    # the documented genesis, "Block header validator selection"
    assert g["config"]["chainId"] == 1337 and g["config"]["berlinBlock"] == 0
    assert g["config"]["qbft"] == {"epochlength": 30000, "blockperiodseconds": 5, "requesttimeoutseconds": 10}
    assert g["extraData"] == DOC_EXTRA_DATA
    assert (g["gasLimit"], g["difficulty"], g["nonce"]) == ("0x29b92700", "0x1", "0x0")
    assert g["mixHash"] == "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
    assert g["coinbase"] == "0x" + "00" * 20 and g["config"]["zeroBaseFee"] is True
