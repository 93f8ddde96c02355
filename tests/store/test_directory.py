"""The members' directory under concurrency: several worker processes of one node describe the
demo's staff at start-up at the same moment, and an admin's description must survive it."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from ledger.local.devkeys import dev_account
from ledger.store.directory import Directory

ADMIN, OFFICER = dev_account(1).address, dev_account(14).address


def test_concurrent_descriptions_of_one_account_neither_fail_nor_duplicate(engine: Engine) -> None:
    directory, barrier, errors = Directory(engine), threading.Barrier(8), []

    def describe(i: int) -> None:
        barrier.wait()
        try:
            directory.describe(account=OFFICER, body="public-security", name=f"Song Jie {i}", post="Deputy chief", by=ADMIN)
        except Exception as exc:  # noqa: BLE001 (any failure is the finding)
            errors.append(exc)

    threads = [threading.Thread(target=describe, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    person = directory.people([OFFICER])[OFFICER]
    assert person.name is not None and person.name.startswith("Song Jie ") and person.post == "Deputy chief"


def test_keep_leaves_an_admins_description_and_fills_a_missing_one(engine: Engine) -> None:
    directory = Directory(engine)
    directory.describe(account=OFFICER, body="public-security", name="Song Jie", post="Chief", by=ADMIN)
    directory.describe(account=OFFICER, body="public-security", name="Demo name", post="Demo post", by=ADMIN, keep=True)
    directory.describe(account=ADMIN, body="rc-east", name="Wang Fang", post=None, by=ADMIN, keep=True)
    people = directory.people([OFFICER, ADMIN])
    assert (people[OFFICER].name, people[OFFICER].post) == ("Song Jie", "Chief")
    assert (people[ADMIN].name, people[ADMIN].post) == ("Wang Fang", None)
    directory.describe(account=OFFICER, body="public-security", name=None, post="Inspector", by=ADMIN)
    assert (directory.people([OFFICER])[OFFICER].name, directory.people([OFFICER])[OFFICER].post) == (None, "Inspector")


def test_a_nodes_answer_names_only_the_accounts_it_was_asked_for() -> None:
    """Another body's node is asked only for the accounts the chain says are its members: anything else in its
    answer, or anything malformed, is not believed."""
    from ledger.peers.people import _believed

    asked, other = "0x" + "11" * 20, "0x" + "22" * 20
    answer = {
        "people": [
            {"account": asked, "name": "王芳", "post": "低保专干", "body": "rc-east"},
            {"account": other, "name": "Someone else", "post": None},  # not asked of this node
            {"account": "not an address", "name": "x", "post": None},
            {"account": asked.upper().replace("0X", "0x"), "name": 7, "post": None},  # not text
            "nonsense",
        ]
    }
    from eth_utils import to_checksum_address

    believed = _believed(answer, b"civil-affairs".ljust(32, b"\0"), {to_checksum_address(asked)})
    assert list(believed) == [to_checksum_address(asked)]
    person = believed[to_checksum_address(asked)]
    # the body is the one asked, whatever the answer says
    assert (person.name, person.post, person.body) == ("王芳", "低保专干", "civil-affairs")
    assert _believed({"people": "all of them"}, b"x".ljust(32, b"\0"), {asked}) == {}
