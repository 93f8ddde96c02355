"""Where the store's secrets come from: key-encryption keys and the consortium secret.

In order: the environment (``LEDGER_KEK``, ``LEDGER_CONSORTIUM_SECRET``); a key file
(``LEDGER_KEK_FILE`` with ``LEDGER_KEK_PASSWORD``); and, for the local demo only, the
files ``ledger up`` generates in ``<home>/secrets`` (mode 0600, outside the repository).
"""

from __future__ import annotations

import os
import secrets as _random
from pathlib import Path

from ledger.config import Settings, body_file_name
from ledger.crypto.envelope import Keyring
from ledger.crypto.subjects import MIN_SECRET_BYTES
from ledger.errors import KeyringError
from ledger.files import replace_private


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def dev_kek_path(settings: Settings, body: str) -> Path:
    return settings.secrets_dir / f"{body_file_name(body)}.kek"


def load_keyring(settings: Settings, body: str) -> Keyring:
    if settings.kek is not None:
        return Keyring.from_env(settings.kek.get_secret_value())
    if settings.kek_file is not None:
        if settings.kek_password is None:
            raise KeyringError("set LEDGER_KEK_PASSWORD to unlock LEDGER_KEK_FILE")
        return Keyring.load(settings.kek_file, settings.kek_password.get_secret_value())
    dev = dev_kek_path(settings, body)
    if dev.is_file():
        return Keyring.from_env(dev.read_text().strip())
    raise KeyringError(
        f"no key-encryption key for {body}: set LEDGER_KEK, or LEDGER_KEK_FILE and "
        "LEDGER_KEK_PASSWORD (create one with `ledger keys kek-new`)"
    )


def save_rotated(settings: Settings, body: str, rotated: Keyring) -> str:
    """Stores a rotated keyring where it came from; returns where."""
    if settings.kek is not None:
        raise KeyringError("the keyring comes from LEDGER_KEK: add the new key there (id:base64, first = active)")
    if settings.kek_file is not None:
        assert settings.kek_password is not None
        rotated.save(settings.kek_file, settings.kek_password.get_secret_value())
        return str(settings.kek_file)
    path = dev_kek_path(settings, body)
    replace_private(path, (rotated.to_env() + "\n").encode())
    return str(path)


def load_consortium_secret(settings: Settings) -> bytes:
    if settings.consortium_secret is not None:
        raw = settings.consortium_secret.get_secret_value()
    else:
        path = settings.secrets_dir / "consortium.key"
        if not path.is_file():
            raise KeyringError("no consortium secret: set LEDGER_CONSORTIUM_SECRET (hex, at least 32 bytes)")
        raw = path.read_text().strip()
    try:
        secret = bytes.fromhex(raw.removeprefix("0x"))
    except ValueError:
        raise KeyringError("the consortium secret must be hex") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise KeyringError(f"the consortium secret must have at least {MIN_SECRET_BYTES} bytes")
    return secret


def ensure_dev_secrets(settings: Settings, bodies: list[str]) -> list[str]:
    """Generates the local demo's secrets that are missing; returns the files written."""
    written = []
    consortium = settings.secrets_dir / "consortium.key"
    if settings.consortium_secret is None and not consortium.exists():
        _write_private(consortium, _random.token_hex(32) + "\n")
        written.append(str(consortium))
    for body in bodies:
        path = dev_kek_path(settings, body)
        if settings.kek is None and settings.kek_file is None and not path.exists():
            _write_private(path, Keyring.generate(f"{body}-kek-1").to_env() + "\n")
            written.append(str(path))
    return written
