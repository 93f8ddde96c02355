"""Envelope encryption of record content (AES-256-GCM, ``cryptography``).

* Each record version is encrypted with a fresh 256-bit data key (DEK).
* The DEK is wrapped (AES-256-GCM) by the custodian body's key-encryption key (KEK).
* Both encryptions bind the body, record id and version as associated data, so a
  ciphertext or a wrapped key copied to another row fails authentication instead of
  decrypting into someone else's record.
* KEKs live in a :class:`Keyring`: from an scrypt-encrypted key file or from the
  environment, never from the repository. Rotating adds a new active KEK; re-wrapping a
  DEK under it leaves the record ciphertext untouched.
* The record store wraps its data keys one level further down, under *epoch keys* that an
  erasure destroys (:mod:`ledger.store.epochs`), so that no old copy of the database can yield
  an erased record's key; the KEKs here wrap those epoch keys and the free texts' data keys.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ledger.errors import IntegrityFailure, KeyringError
from ledger.files import replace_private

KEY_BYTES = 32
NONCE_BYTES = 12
KEYRING_SCHEMA = "civic-ledger/keyring@1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


def binding(body: bytes, record_id: bytes, version: int) -> bytes:
    """Associated data tying a ciphertext to its row: body, record id, version."""
    return b"civic-ledger/record@1\0" + body + record_id + version.to_bytes(4, "big")


def _wrap_aad(kek_id: str, aad: bytes) -> bytes:
    return b"dek\0" + kek_id.encode() + b"\0" + aad


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes  # nonce ‖ AES-GCM(DEK) output
    wrapped_key: bytes  # nonce ‖ AES-GCM(KEK) output of the DEK
    kek_id: str


class Keyring:
    """A body's key-encryption keys by id; new data keys are wrapped by the active one."""

    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise KeyringError(f"the active key {active!r} is not in the keyring")
        for kid, key in keys.items():
            if len(key) != KEY_BYTES:
                raise KeyringError(f"key {kid!r} must be {KEY_BYTES} bytes")
        self._keys = dict(keys)
        self.active = active

    @classmethod
    def generate(cls, kek_id: str = "kek-1") -> Keyring:
        return cls({kek_id: secrets.token_bytes(KEY_BYTES)}, kek_id)

    @property
    def ids(self) -> list[str]:
        return list(self._keys)

    def rotated(self, kek_id: str | None = None) -> Keyring:
        """A keyring with a new active KEK; the old ones stay to unwrap existing keys."""
        kek_id = kek_id or f"kek-{len(self._keys) + 1}"
        if kek_id in self._keys:
            raise KeyringError(f"key id {kek_id!r} is already in the keyring")
        return Keyring({**self._keys, kek_id: secrets.token_bytes(KEY_BYTES)}, kek_id)

    def without(self, kek_id: str) -> Keyring:
        """A keyring without a retired KEK (after every data key was re-wrapped)."""
        if kek_id == self.active:
            raise KeyringError("cannot retire the active key")
        return Keyring({k: v for k, v in self._keys.items() if k != kek_id}, self.active)

    def _kek(self, kek_id: str) -> AESGCM:
        try:
            return AESGCM(self._keys[kek_id])
        except KeyError:
            raise KeyringError(f"key-encryption key {kek_id!r} is not in the keyring") from None

    # ------------------------------------------------------------------ sealing

    def seal(self, plaintext: bytes, aad: bytes) -> Sealed:
        dek = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = nonce + AESGCM(dek).encrypt(nonce, plaintext, aad)
        return Sealed(ciphertext, self._wrap(dek, self.active, aad), self.active)

    def open(self, sealed: Sealed, aad: bytes) -> bytes:
        """Decrypts; tampering, or a row moved elsewhere, raises :class:`IntegrityFailure`."""
        dek = self._unwrap(sealed.wrapped_key, sealed.kek_id, aad)
        try:
            return AESGCM(dek).decrypt(sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:], aad)
        except (InvalidTag, ValueError):
            raise IntegrityFailure("the record ciphertext failed authentication (altered or moved)") from None

    def rewrap(self, wrapped_key: bytes, kek_id: str, aad: bytes) -> tuple[bytes, str]:
        """The same data key wrapped by the active KEK; the ciphertext is not touched."""
        return self._wrap(self._unwrap(wrapped_key, kek_id, aad), self.active, aad), self.active

    def wrap_key(self, key: bytes, aad: bytes) -> tuple[bytes, str]:
        """``key`` wrapped by the active KEK (the store's epoch keys are kept so)."""
        return self._wrap(key, self.active, aad), self.active

    def export(self, kek_id: str) -> bytes:
        """One key's raw bytes, for keeping it wrapped under another keyring (the store's epoch keys)."""
        try:
            return self._keys[kek_id]
        except KeyError:
            raise KeyringError(f"key-encryption key {kek_id!r} is not in the keyring") from None

    def unwrap_key(self, wrapped: bytes, kek_id: str, aad: bytes) -> bytes:
        return self._unwrap(wrapped, kek_id, aad)

    def _wrap(self, dek: bytes, kek_id: str, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._kek(kek_id).encrypt(nonce, dek, _wrap_aad(kek_id, aad))

    def _unwrap(self, wrapped: bytes, kek_id: str, aad: bytes) -> bytes:
        try:
            return self._kek(kek_id).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(kek_id, aad))
        except (InvalidTag, ValueError):
            raise IntegrityFailure("the wrapped data key failed authentication (altered or moved)") from None

    # ------------------------------------------------------------------ storage

    def to_env(self) -> str:
        """``LEDGER_KEK`` form: ``id:base64`` pairs, the active one first."""
        order = [self.active] + [k for k in self._keys if k != self.active]
        return ",".join(f"{k}:{base64.b64encode(self._keys[k]).decode()}" for k in order)

    @classmethod
    def from_env(cls, value: str) -> Keyring:
        keys: dict[str, bytes] = {}
        try:
            for item in value.split(","):
                kid, b64 = item.strip().split(":", 1)
                keys[kid] = base64.b64decode(b64, validate=True)
        except ValueError:
            raise KeyringError("LEDGER_KEK must be id:base64 pairs separated by commas") from None
        return cls(keys, next(iter(keys)))

    def save(self, path: Path, password: str) -> None:
        """Writes the keyring encrypted under ``password`` (scrypt, AES-256-GCM), mode 0600."""
        if len(password) < 12:
            raise KeyringError("a keyring password must have at least 12 characters")
        salt, nonce = os.urandom(16), os.urandom(NONCE_BYTES)
        plain = json.dumps({"active": self.active, "keys": {k: v.hex() for k, v in self._keys.items()}}).encode()
        sealed = AESGCM(_derive(password, salt)).encrypt(nonce, plain, KEYRING_SCHEMA.encode())
        doc = {
            "schema": KEYRING_SCHEMA,
            "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": salt.hex()},
            "nonce": nonce.hex(),
            "ciphertext": sealed.hex(),
        }
        replace_private(path, json.dumps(doc).encode())

    @classmethod
    def load(cls, path: Path, password: str) -> Keyring:
        try:
            doc = json.loads(path.read_text())
            if doc.get("schema") != KEYRING_SCHEMA:
                raise KeyringError(f"{path} is not a Civic Ledger keyring")
            kdf = doc["kdf"]
            key = _derive(password, bytes.fromhex(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
            plain = AESGCM(key).decrypt(
                bytes.fromhex(doc["nonce"]), bytes.fromhex(doc["ciphertext"]), KEYRING_SCHEMA.encode()
            )
        except OSError as exc:
            raise KeyringError(f"cannot read the keyring {path}: {exc.strerror}") from None
        except InvalidTag:
            raise KeyringError(f"wrong password for the keyring {path}") from None
        except (KeyError, ValueError, TypeError) as exc:
            raise KeyringError(f"{path} is not a valid keyring: {exc}") from None
        data = json.loads(plain)
        return cls({k: bytes.fromhex(v) for k, v in data["keys"].items()}, data["active"])


def _derive(password: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(password.encode())
