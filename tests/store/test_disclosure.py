"""Selective disclosure bundles: 2 of 6 fields verify against the chain alone; any change fails."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from ledger.commitments.disclosure import build_bundle, verify_bundle
from ledger.errors import DisclosureInvalid
from ledger.ids import unhex32
from ledger.records.store import RecordStore
from tests.store.conftest import national_id
from tests.store.test_store import HOUSEHOLD
from tests.support import Consortium

DISCLOSED = ["address", "members"]


@pytest.fixture
def bundle(store: RecordStore, ke: Consortium) -> dict[str, Any]:
    rec = store.add(actor=ke.actor("rc_officer"), category="household", national_id=national_id(), fields=HOUSEHOLD)
    return build_bundle(store.read(unhex32(rec.record_id)), DISCLOSED, chain=ke.chain)


def test_two_of_six_fields_verify_and_reveal_nothing_else(
    bundle: dict[str, Any], store: RecordStore, ke: Consortium
) -> None:
    verified = verify_bundle(json.loads(json.dumps(bundle)), ke.c)  # as received, over the wire
    assert verified.fields == {"address": HOUSEHOLD["address"], "members": HOUSEHOLD["members"]}
    assert not verified.erased
    text = json.dumps(bundle)
    content = store.read(unhex32(bundle["recordId"]))
    for name in set(HOUSEHOLD) - set(DISCLOSED):  # neither the name nor the JSON value ("B" is in addresses)
        assert name not in text and json.dumps(HOUSEHOLD[name]) not in text
        assert content.commitment.salts[name].hex() not in text


def _set_value(b: dict[str, Any]) -> None:
    b["fields"][1]["value"] = 5


def _set_salt(b: dict[str, Any]) -> None:
    b["fields"][0]["salt"], b["fields"][1]["salt"] = b["fields"][1]["salt"], b["fields"][0]["salt"]


def _set_proof(b: dict[str, Any]) -> None:
    step = b["fields"][0]["proof"][0]
    b["fields"][0]["proof"][0] = step[:-1] + ("0" if step[-1] != "0" else "1")


def _set_version(b: dict[str, Any]) -> None:
    b["version"] = 2


def _set_name(b: dict[str, Any]) -> None:
    b["fields"][1]["name"] = "phone"


def _set_commitment(b: dict[str, Any]) -> None:
    b["commitment"] = "0x" + "11" * 32


def _set_anchor(b: dict[str, Any]) -> None:
    b["anchor"]["transactionHash"] = "0x" + "22" * 32


@pytest.mark.parametrize(
    "tamper,reason",
    [
        (_set_value, "field"),
        (_set_salt, "field"),
        (_set_proof, "field"),
        (_set_version, "unknown_version"),
        (_set_name, "field"),
        (_set_commitment, "commitment"),
        (_set_anchor, "anchor"),
    ],
)
def test_any_change_makes_the_bundle_fail(
    bundle: dict[str, Any], ke: Consortium, tamper: Callable[[dict[str, Any]], None], reason: str
) -> None:
    changed = copy.deepcopy(bundle)
    tamper(changed)
    with pytest.raises(DisclosureInvalid) as info:
        verify_bundle(changed, ke.c)
    assert info.value.reason == reason


def test_a_newer_version_does_not_vouch_for_old_values(store: RecordStore, ke: Consortium, bundle: dict[str, Any]) -> None:
    rid = unhex32(bundle["recordId"])
    store.update(actor=ke.actor("rc_officer"), record_id=rid, fields={**HOUSEHOLD, "members": 6})
    assert verify_bundle(bundle, ke.c).fields["members"] == 4  # still true of version 1
    claimed = copy.deepcopy(bundle)
    claimed["version"] = 2
    claimed["commitment"] = "0x" + ke.c.records.commitment_of(rid, 2).hex()
    with pytest.raises(DisclosureInvalid):
        verify_bundle(claimed, ke.c)


def test_unknown_fields_cannot_be_disclosed(store: RecordStore, ke: Consortium) -> None:
    rec = store.add(actor=ke.actor("rc_officer"), category="household", national_id=national_id(), fields=HOUSEHOLD)
    content = store.read(unhex32(rec.record_id))
    with pytest.raises(DisclosureInvalid, match="no field"):
        build_bundle(content, ["religion"], chain=ke.chain)
