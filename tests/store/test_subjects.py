"""Subject ids: national ID validation (GB 11643 check character) and the keyed hash."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ledger.crypto.subjects import check_character, normalise_national_id, subject_id
from ledger.errors import InvalidNationalId, KeyringError

SECRET = bytes(range(32))


def test_check_character_of_a_published_example() -> None:
    # GB 11643-1999's worked example: 11010519491231002 -> X
    assert check_character("11010519491231002") == "X"
    assert normalise_national_id("11010519491231002X") == "11010519491231002X"


def test_normalisation_trims_and_upper_cases() -> None:
    assert normalise_national_id("  11010519491231002x\n") == "11010519491231002X"
    assert subject_id(" 11010519491231002x", SECRET) == subject_id("11010519491231002X", SECRET)


@pytest.mark.parametrize(
    "raw,message",
    [
        ("110105194912310021", "check digit"),
        ("11010519491331002" + check_character("11010519491331002"), "birth date"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100XX", "18 characters"),
        ("", "18 characters"),
    ],
)
def test_invalid_ids_are_refused_without_echoing_them(raw: str, message: str) -> None:
    with pytest.raises(InvalidNationalId, match=message) as info:
        subject_id(raw, SECRET)
    assert raw.strip() == "" or raw not in info.value.message


def test_subject_id_is_hmac_sha256_keyed_by_the_consortium_secret() -> None:
    nid = "11010519491231002X"
    assert subject_id(nid, SECRET) == hmac.new(SECRET, nid.encode(), hashlib.sha256).digest()
    assert subject_id(nid, SECRET) != subject_id(nid, bytes(32))  # another consortium cannot link residents
    assert subject_id(nid, SECRET) != hashlib.sha256(nid.encode()).digest()
    with pytest.raises(KeyringError):
        subject_id(nid, b"short")
