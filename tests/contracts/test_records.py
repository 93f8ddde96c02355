"""RecordRegistry behaviour: categories, registration, versions, erasure, field proofs."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from ledger.chain.records import RecordStatus
from ledger.ids import code_id, text_hash
from tests.support import HOUSEHOLD_FIELDS, Consortium, random_bytes32, reverts

ZERO = b"\0" * 32


def test_category_taxonomy(k: Consortium) -> None:
    r = k.c.records
    cat = r.get_category(k.health)
    assert cat.defined and cat.requires_consent
    assert cat.field_hashes[0] == text_hash("conditions")
    assert r.handle.view("categoryFieldCount", k.household) == len(HOUSEHOLD_FIELDS)
    office = k.actor("office_admin")
    receipt = r.add_category_fields(office, k.household, ["vehicle"])
    ev = r.handle.one_event(receipt, "CategoryFieldsAdded")
    assert (ev["firstIndex"], ev["fieldNames"]) == (6, ["vehicle"])
    assert r.get_category(k.household).field_hashes[6] == text_hash("vehicle")
    assert r.set_category_consent(office, k.household, True) is True
    assert r.set_category_consent(office, k.household, True) is False
    assert r.get_category(k.household).requires_consent
    assert not r.get_category(code_id("nothing")).defined


def test_category_refusals(k: Consortium) -> None:
    r = k.c.records
    office = k.actor("office_admin")
    # Only admins of the founding body manage the taxonomy.
    for who in ("rc_admin", "rc_officer", "outsider"):
        with reverts("RecordRegistryUnauthorized", account=k.addr(who), neededRoles=1):
            r.define_category(k.actor(who), code_id("pets"), False, ["name"])
    with reverts("RecordRegistryUnauthorized", account=k.addr("rc_admin"), neededRoles=1):
        r.add_category_fields(k.actor("rc_admin"), k.household, ["x"])
    with reverts("RecordRegistryUnauthorized", account=k.addr("dept_officer"), neededRoles=1):
        r.set_category_consent(k.actor("dept_officer"), k.household, True)
    with reverts("RecordRegistryCategoryExists", category=k.household):
        r.define_category(office, k.household, False, ["a"])
    with reverts("RecordRegistryZeroValue"):
        r.define_category(office, ZERO, False, ["a"])
    with reverts("RecordRegistryDuplicateField", category=code_id("pets"), fieldNameHash=text_hash("a")):
        r.define_category(office, code_id("pets"), False, ["a", "a"])
    with reverts("RecordRegistryZeroValue"):
        r.add_category_fields(office, k.household, [""])
    with reverts("RecordRegistryUnknownCategory", category=code_id("pets")):
        r.add_category_fields(office, code_id("pets"), ["a"])
    with reverts("RecordRegistryTooManyFields", category=code_id("big"), count=257):
        r.define_category(office, code_id("big"), False, [f"f{i}" for i in range(257)])
    assert not r.get_category(code_id("pets")).defined


def test_register_update_erase(k: Consortium) -> None:
    r = k.c.records
    officer = k.actor("rc_officer")
    rid, subject, c1, c2 = (random_bytes32() for _ in range(4))
    receipt = r.register(officer, rid, subject, k.household, c1)
    ev = r.handle.one_event(receipt, "RecordRegistered")
    assert (ev["recordId"], ev["subject"], ev["custodian"], ev["commitment"], ev["by"]) == (
        rid,
        subject,
        k.rc,
        c1,
        k.addr("rc_officer"),
    )
    state = r.get_record(rid)
    assert (state.custodian, state.version, state.status, state.commitment) == (k.rc, 1, RecordStatus.ACTIVE, c1)
    r.update(officer, rid, 2, c2)
    assert r.get_record(rid).commitment == c2
    assert r.commitment_of(rid, 1) == c1 and r.commitment_of(rid, 2) == c2
    with reverts("RecordRegistryVersionMismatch", recordId=rid, expected=3, given=2):
        r.update(officer, rid, 2, c2)  # a replayed update
    with reverts("RecordRegistryUnknownVersion", recordId=rid, version=3):
        r.commitment_of(rid, 3)
    with reverts("RecordRegistryUnauthorized", account=k.addr("rc_officer"), neededRoles=1):
        r.erase(officer, rid)  # erasure is for admins
    receipt = r.erase(k.actor("rc_admin"), rid)
    assert r.handle.one_event(receipt, "RecordErased")["version"] == 2
    state = r.get_record(rid)
    assert state.status == RecordStatus.ERASED and state.commitment == c2  # commitment stays
    with reverts("RecordRegistryRecordErased", recordId=rid):
        r.update(officer, rid, 3, c1)
    with reverts("RecordRegistryRecordErased", recordId=rid):
        r.erase(k.actor("rc_admin"), rid)


def test_record_refusals(k: Consortium) -> None:
    r = k.c.records
    officer = k.actor("rc_officer")
    rid = random_bytes32()
    with reverts("RecordRegistryUnauthorized", account=k.addr("outsider"), neededRoles=3):
        r.register(k.actor("outsider"), rid, random_bytes32(), k.household, random_bytes32())
    with reverts("RecordRegistryUnauthorized", account=k.addr("rc_node"), neededRoles=3):
        r.register(k.actor("rc_node"), rid, random_bytes32(), k.household, random_bytes32())
    with reverts("RecordRegistryRecordExists", recordId=k.record_id):
        r.register(officer, k.record_id, random_bytes32(), k.household, random_bytes32())
    with reverts("RecordRegistryUnknownCategory", category=code_id("pets")):
        r.register(officer, rid, random_bytes32(), code_id("pets"), random_bytes32())
    for args in ((ZERO, random_bytes32(), random_bytes32()), (rid, ZERO, random_bytes32()), (rid, random_bytes32(), ZERO)):
        with reverts("RecordRegistryZeroValue"):
            r.register(officer, args[0], args[1], k.household, args[2])
    with reverts("RecordRegistryNotCustodian", account=k.addr("dept_officer"), custodian=k.rc):
        r.update(k.actor("dept_officer"), k.record_id, 2, random_bytes32())
    with reverts("RecordRegistryNotCustodian", account=k.addr("dept_admin"), custodian=k.rc):
        r.erase(k.actor("dept_admin"), k.record_id)
    with reverts("RecordRegistryZeroValue"):
        r.update(officer, k.record_id, 2, ZERO)
    with reverts("RecordRegistryUnknownRecord", recordId=rid):
        r.get_record(rid)
    with reverts("RecordRegistryUnknownRecord", recordId=rid):
        r.update(officer, rid, 2, random_bytes32())
    assert r.get_record(k.record_id).version == 1


def _leaf(salt: bytes, name: str, value_hash: bytes) -> bytes:
    # OpenZeppelin StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(...))))
    return keccak(keccak(encode(["bytes32", "string", "bytes32"], [salt, name, value_hash])))


def test_verify_field_against_commitment(k: Consortium) -> None:
    r = k.c.records
    salts = [random_bytes32(), random_bytes32()]
    values = [keccak(b'"Li Wei"'), keccak(b'"3 Garden Rd"')]
    leaves = [_leaf(salts[0], "head_of_household", values[0]), _leaf(salts[1], "address", values[1])]
    root = keccak(b"".join(sorted(leaves)))  # two leaves: the root hashes the sorted pair
    rid = random_bytes32()
    r.register(k.actor("rc_officer"), rid, random_bytes32(), k.household, root)
    assert r.verify_field(rid, 1, salts[0], "head_of_household", values[0], [leaves[1]])
    assert r.verify_field(rid, 1, salts[1], "address", values[1], [leaves[0]])
    assert not r.verify_field(rid, 1, salts[1], "head_of_household", values[0], [leaves[1]])  # wrong salt
    assert not r.verify_field(rid, 1, salts[0], "address", values[0], [leaves[1]])  # wrong name
    assert not r.verify_field(rid, 1, salts[0], "head_of_household", values[1], [leaves[1]])  # wrong value
    with reverts("RecordRegistryUnknownVersion", recordId=rid, version=2):
        r.verify_field(rid, 2, salts[0], "head_of_household", values[0], [leaves[1]])
