"""Subject ids: the only way a resident appears on-chain.

A subject id is HMAC-SHA-256, keyed with the consortium secret, of the normalised national
ID number. Without the secret the id cannot be linked to a person, not even by trying all
ID numbers (an unkeyed hash of an 18-character ID would fall to a dictionary in minutes).

The ID is the 18-character resident identity number of GB 11643-1999: 17 digits (region,
birth date, sequence) and a check character computed with ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from ledger.errors import InvalidNationalId, KeyringError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
MIN_SECRET_BYTES = 32


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=False)) % 11]


def normalise_national_id(raw: str) -> str:
    """Upper-cased and trimmed; raises :class:`InvalidNationalId` unless it is a valid 18-character ID.

    The message never repeats the number: errors end up in logs.
    """
    if not isinstance(raw, str):
        raise InvalidNationalId("the national ID number must be a string")
    value = raw.strip().upper()
    if not _SHAPE.match(value):
        raise InvalidNationalId("a national ID number has 17 digits and a check digit or X (18 characters)")
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidNationalId("the national ID number's birth date (characters 7-14) is not a date") from None
    if check_character(value[:17]) != value[17]:
        raise InvalidNationalId("the national ID number's check digit does not match (mistyped?)")
    return value


def subject_id(national_id: str, secret: bytes) -> bytes:
    """The 32-byte subject id of a resident: HMAC-SHA-256(secret, normalised ID)."""
    if len(secret) < MIN_SECRET_BYTES:
        raise KeyringError(f"the consortium secret must have at least {MIN_SECRET_BYTES} bytes")
    return hmac.new(secret, normalise_national_id(national_id).encode("ascii"), hashlib.sha256).digest()
