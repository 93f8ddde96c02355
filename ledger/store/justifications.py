"""Free texts whose salted hashes are on-chain (justifications, denial reasons, consent evidence,
emergency reasons, review outcomes), kept encrypted at the custodian's node.

The chain holds ``keccak256(salt ‖ text)`` only; this node keeps the text and its salt, sealed
with its own data key under the body's KEK (envelope encryption, as records are), looked up by
that hash. Whoever is shown a text is also shown its salt, so they can recompute the on-chain
hash themselves: the node cannot show one justification and have signed another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ledger.crypto.envelope import Keyring, Sealed
from ledger.ids import salted_hash
from ledger.store.models import FreeText

KINDS = ("justification", "reason", "evidence", "outcome", "note", "case")


def _aad(body: str, text_hash: str) -> bytes:
    return b"civic-ledger/text@1\0" + body.encode() + b"\0" + text_hash.encode()


@dataclass(frozen=True)
class KeptText:
    text: str
    salt: str  # 0x hex
    kind: str
    author: str


class FreeTexts:
    def __init__(self, engine: Engine, body: bytes, keyring: Keyring) -> None:
        self.engine = engine
        self.body = "0x" + body.hex()
        self.keyring = keyring

    def keep(self, *, kind: str, text: str, salt: bytes, author: str) -> bytes:
        """Stores ``text`` sealed with its ``salt``, by its salted hash (returned), as it goes on-chain."""
        assert kind in KINDS, kind
        digest, _ = salted_hash(text, salt)
        text_hash = "0x" + digest.hex()
        plain = json.dumps({"text": text, "salt": "0x" + salt.hex()}).encode()
        sealed = self.keyring.seal(plain, _aad(self.body, text_hash))
        with Session(self.engine) as s, s.begin():
            s.merge(
                FreeText(
                    text_hash=text_hash,
                    body=self.body,
                    kind=kind,
                    author=author,
                    kek_id=sealed.kek_id,
                    wrapped_key=sealed.wrapped_key,
                    ciphertext=sealed.ciphertext,
                )
            )
        return digest

    def get(self, text_hash: str) -> KeptText | None:
        """The text kept under ``text_hash``, or None (never written here, or the hash is zero)."""
        with Session(self.engine) as s:
            row = s.get(FreeText, text_hash.lower())
        if row is None or row.body != self.body:
            return None
        plain = json.loads(
            self.keyring.open(Sealed(row.ciphertext, row.wrapped_key, row.kek_id), _aad(self.body, row.text_hash))
        )
        return KeptText(text=plain["text"], salt=plain["salt"], kind=row.kind, author=row.author)
