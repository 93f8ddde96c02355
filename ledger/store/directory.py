"""The members' directory: a name or a post for an account, kept off-chain by the node.

Residents are shown who read their data by name or post, not by a bare account; the chain
knows only accounts. A body's admins describe their own body's members (at any node), and
the demo describes its invented staff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eth_utils import to_checksum_address
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ledger.store.models import DirectoryEntry, utcnow


@dataclass(frozen=True)
class Person:
    account: str
    body: str
    name: str | None
    post: str | None


class Directory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self, *, account: str, body: str, name: str | None, post: str | None, by: str, keep: bool = False) -> None:
        """Sets an account's entry in one statement (an upsert), so two processes describing the same
        account at once cannot collide; ``keep`` leaves an existing entry as it is."""
        row = {
            "account": to_checksum_address(account),
            "body": body,
            "name": name,
            "post": post,
            "updated_by": by,
            "updated_at": utcnow(),
        }
        insert = (postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert)(DirectoryEntry)
        statement = insert.values(**row)
        statement = (
            statement.on_conflict_do_nothing(index_elements=["account"])
            if keep
            else statement.on_conflict_do_update(
                index_elements=["account"], set_={k: v for k, v in row.items() if k != "account"}
            )
        )
        with self.engine.begin() as conn:
            conn.execute(statement)

    def people(self, accounts: Iterable[str]) -> dict[str, Person]:
        """Entries of ``accounts`` (checksummed keys), for those described."""
        wanted = {to_checksum_address(a) for a in accounts}
        if not wanted:
            return {}
        with Session(self.engine) as s:
            rows = s.exec(select(DirectoryEntry).where(col(DirectoryEntry.account).in_(wanted))).all()
        return {r.account: Person(r.account, r.body, r.name, r.post) for r in rows}

    def of_body(self, body: str) -> dict[str, Person]:
        with Session(self.engine) as s:
            rows = s.exec(select(DirectoryEntry).where(DirectoryEntry.body == body)).all()
        return {r.account: Person(r.account, r.body, r.name, r.post) for r in rows}
