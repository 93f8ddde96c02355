"""The demo consortium of the local system, built idempotently on a deployed chain.

A subdistrict office founds the consortium; two residents' committees, the civil affairs
and public security departments and an auditor are admitted by M-of-N votes of the
bodies already in. Every account is one of the local node's WELL-KNOWN DEVELOPMENT KEYS
(``ledger.local.devkeys``): public, for the local demo only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account import Account
from eth_utils import keccak

from ledger.chain.bodies import BodyProfile
from ledger.chain.deploy import Contracts
from ledger.crypto.subjects import check_character
from ledger.ids import BodyKind, Role, code_id, code_name, text_hash
from ledger.local.devkeys import dev_account
from ledger.network.registry import format_endpoint, published_api

if TYPE_CHECKING:
    from ledger.chain.client import Actor
    from ledger.records.store import RecordStore
    from ledger.store.directory import Directory

#: Record categories: (code, requires consent, field names). Field names are schema, not data.
CATEGORIES: tuple[tuple[str, bool, tuple[str, ...]], ...] = (
    ("household", False, ("head_of_household", "address", "members", "phone", "housing_type", "income_band")),
    ("social_assistance", True, ("programme", "amount", "start_date", "status", "bank_account", "caseworker_notes")),
    ("health", True, ("conditions", "medications", "disability_level", "doctor", "insurance_no", "notes")),
    ("elderly_care", False, ("care_level", "caregiver", "living_alone", "services", "emergency_contact", "notes")),
    ("housing", False, ("property_type", "tenure", "area_m2", "subsidy", "inspection_date", "notes")),
    ("grid_events", False, ("event_type", "grid_cell", "reported_at", "status", "handler", "notes")),
)

#: Purpose codes accepted for access requests.
PURPOSES: tuple[str, ...] = (
    "subsistence_review",
    "elderly_care",
    "public_health",
    "public_security",
    "housing_assistance",
    "social_insurance",
    "grid_management",
    "statistics",
    "emergency_response",
)

#: The consortium's post codes (``Posts.sol``): what a member is assigned to, and so what they may read.
POSTS: tuple[str, ...] = ("committee_head", "community_officer", "grid_worker", "subsistence_caseworker")

FOUNDER = "subdistrict"
DEPLOYER = 0


@dataclass(frozen=True)
class DemoBody:
    code: str
    name: str
    kind: BodyKind
    admins: tuple[int, int]
    members: tuple[tuple[int, Role, str], ...]  # (dev account index, roles, label)
    emergency: bool = False
    sealing: bool = False  # the founder lets it seal its own reads (Seals.setSealer)
    parent: str = ""
    grids: tuple[tuple[str, str], ...] = ()  # (code, name): places, never people
    posts: tuple[tuple[int, str, tuple[str, ...]], ...] = ()  # (dev account index, post, grids; none: whole body)

    @property
    def id(self) -> bytes:
        return code_id(self.code)

    def profile(self) -> BodyProfile:
        parent = code_id(self.parent) if self.parent else b"\0" * 32
        return BodyProfile(self.kind, parent, text_hash(self.name), self.emergency, b"", "")


BODIES: tuple[DemoBody, ...] = (
    DemoBody(
        FOUNDER,
        "Demo Subdistrict Office",
        BodyKind.SUBDISTRICT_OFFICE,
        (1, 2),
        ((3, Role.OFFICER, "officer"), (20, Role.ANCHOR, "node")),
    ),
    DemoBody(
        "rc-east",
        "East Gate Residents' Committee",
        BodyKind.RESIDENTS_COMMITTEE,
        (4, 5),
        (
            (6, Role.OFFICER, "officer"),
            (21, Role.ANCHOR, "node"),
            (26, Role.OFFICER, "grid-1 worker"),
            (30, Role.OFFICER, "grid-2 worker"),
        ),
        parent=FOUNDER,
        grids=(("grid-1", "Grid 1: East Gate Lane"), ("grid-2", "Grid 2: Market Street")),
        posts=(
            (4, "committee_head", ()),
            (6, "community_officer", ()),
            (26, "grid_worker", ("grid-1",)),
            (30, "grid_worker", ("grid-2",)),
        ),
    ),
    DemoBody(
        "rc-west",
        "West Lake Residents' Committee",
        BodyKind.RESIDENTS_COMMITTEE,
        (7, 8),
        ((9, Role.OFFICER, "officer"), (22, Role.ANCHOR, "node")),
        parent=FOUNDER,
    ),
    DemoBody(
        "civil-affairs",
        "Civil Affairs Bureau",
        BodyKind.DEPARTMENT,
        (10, 11),
        ((12, Role.OFFICER, "officer"), (23, Role.ANCHOR, "node"), (31, Role.OFFICER, "caseworker")),
        posts=((12, "subsistence_caseworker", ()), (31, "subsistence_caseworker", ())),
    ),
    DemoBody(
        "public-security",
        "Public Security Bureau",
        BodyKind.DEPARTMENT,
        (13, 14),
        ((15, Role.OFFICER | Role.EMERGENCY, "officer (emergency)"), (24, Role.ANCHOR, "node")),
        emergency=True,
        sealing=True,
    ),
    DemoBody(
        "auditor",
        "Discipline Inspection Office",
        BodyKind.AUDITOR,
        (16, 17),
        ((18, Role.AUDITOR, "auditor"), (25, Role.ANCHOR, "node")),
    ),
    DemoBody(
        "procuratorate",
        "District Procuratorate",
        BodyKind.OVERSIGHT,
        (33, 34),
        ((35, Role.OFFICER, "prosecutor"), (36, Role.ANCHOR, "node")),
    ),
)


@dataclass
class DemoReport:
    steps_done: list[str] = field(default_factory=list)
    steps_skipped: int = 0


def founder_body() -> DemoBody:
    return BODIES[0]


def build(contracts: Contracts, *, progress: Callable[[str], None] = lambda _: None) -> DemoReport:
    """Brings the chain to the demo state; steps already done are skipped."""
    chain, bodies, records, access = contracts.chain, contracts.bodies, contracts.records, contracts.access
    report = DemoReport()

    def step(label: str, done: bool, action: Callable[[], object]) -> None:
        if done:
            report.steps_skipped += 1
            return
        progress(label)
        action()
        report.steps_done.append(label)

    founder_admin = chain.direct(dev_account(BODIES[0].admins[0]))
    for code, consent, fields in CATEGORIES:
        cid = code_id(code)
        step(
            f"define category {code}",
            records.get_category(cid).defined,
            partial(records.define_category, founder_admin, cid, consent, list(fields)),
        )
    for purpose in PURPOSES:
        pid = code_id(purpose)
        step(f"define purpose {purpose}", access.is_purpose(pid), partial(access.define_purpose, founder_admin, pid))

    admitted = [BODIES[0]]
    for body in BODIES[1:]:

        def admit(body: DemoBody = body) -> None:
            deadline = chain.timestamp() + 7 * 24 * 3600
            admins: list[str] = [dev_account(i).address for i in body.admins]
            proposal = bodies.propose_admission(
                chain.direct(dev_account(admitted[0].admins[0])), body.id, body.profile(), admins, deadline
            )
            for voter in admitted[1:]:
                if bodies.get_proposal(proposal).executed:
                    break
                bodies.vote(chain.direct(dev_account(voter.admins[0])), proposal)

        step(f"admit {body.code} by vote", bodies.is_active(body.id), admit)
        admitted.append(body)

    for body in BODIES:
        admin = chain.direct(dev_account(body.admins[0]))
        for index, roles, _label in body.members:
            account = dev_account(index).address
            member_body, _ = bodies.member_of(account)
            step(
                f"add {body.code} member {account}",
                member_body == body.id,
                partial(bodies.add_member, admin, account, roles),
            )
    for body in BODIES:
        if body.sealing:
            step(
                f"let {body.code} seal its reads",
                contracts.seals.is_sealer(body.id),
                partial(contracts.seals.set_sealer, founder_admin, body.id, True),
            )
    _posts(contracts, step)
    return report


#: How long the demo's post assignments run.
ASSIGNMENT_DAYS = 365


def _posts(contracts: Contracts, step: Callable[[str, bool, Callable[[], object]], None]) -> None:
    """The consortium's post codes, the committees' grids and who holds which post."""
    chain, bodies = contracts.chain, contracts.bodies
    founder_admin = chain.direct(dev_account(BODIES[0].admins[0]))
    for post in POSTS:
        step(f"define post {post}", bodies.is_post(code_id(post)), partial(bodies.define_post, founder_admin, code_id(post)))
    for body in BODIES:
        admin = chain.direct(dev_account(body.admins[0]))
        have = {code for code, _ in bodies.grids_of(body.id)}
        for code, name in body.grids:
            step(
                f"publish {body.code} {code}", code_id(code) in have, partial(bodies.define_grid, admin, code_id(code), name)
            )
        for index, post, grids in body.posts:
            account = dev_account(index).address
            current = bodies.assignment_of(account)

            def assign(
                account: str = account, post: str = post, grids: tuple[str, ...] = grids, admin: Actor = admin
            ) -> None:
                now = chain.timestamp()
                bodies.assign_post(
                    admin, account, code_id(post), [code_id(g) for g in grids], now - 60, now + ASSIGNMENT_DAYS * 86_400
                )

            step(f"assign {account} to {post} at {body.code}", bool(current) and bodies.assignment_in_force(current), assign)


#: Demo records: (body, officer account index, category, first 17 digits of a synthetic ID, fields).
#: Every name, address and number here is invented.
RECORDS: tuple[tuple[str, int, str, str, dict[str, object]], ...] = (
    (
        "rc-east",
        6,
        "household",
        "11010519600101123",
        {
            "head_of_household": "Zhang Wei",
            "address": "East Gate Lane 3, unit 12",
            "members": 3,
            "phone": "+86 10 5550 0101",
            "housing_type": "rented",
            "income_band": "low",
        },
    ),
    (
        "rc-east",
        6,
        "elderly_care",
        "11010519400315224",
        {
            "care_level": 2,
            "caregiver": "daughter",
            "living_alone": False,
            "services": ["meals", "visits"],
            "emergency_contact": "+86 10 5550 0102",
            "notes": None,
        },
    ),
    (
        "rc-east",
        6,
        "social_assistance",
        "11010519600101123",
        {
            "programme": "subsistence_allowance",
            "amount": 980,
            "start_date": "2026-03-01",
            "status": "active",
            "bank_account": "6222 0000 0000 0001",
            "caseworker_notes": "annual review due",
        },
    ),
    (
        "rc-west",
        9,
        "household",
        "11010619751120335",
        {
            "head_of_household": "Li Na",
            "address": "West Lake Road 18",
            "members": 4,
            "phone": None,
            "housing_type": "owned",
            "income_band": "middle",
        },
    ),
    (
        "rc-west",
        9,
        "housing",
        "11010619751120335",
        {
            "property_type": "apartment",
            "tenure": "owned",
            "area_m2": 72.5,
            "subsidy": None,
            "inspection_date": "2026-06-12",
            "notes": None,
        },
    ),
)


#: The demo's invented residents, by the first 17 digits of their synthetic national ID: (name, the committee
#: that registers them first, and so enrols them on-chain).
RESIDENTS: dict[str, tuple[str, str]] = {
    "11010519600101123": ("Zhang Wei", "rc-east"),
    "11010519400315224": ("Wang Xiuying", "rc-east"),
    "11010619751120335": ("Li Na", "rc-west"),
}


@dataclass(frozen=True)
class DemoResident:
    name: str
    national_id: str
    committee: str
    records: list[tuple[str, str]]  # (category, record id)


def residents(stores: dict[str, RecordStore]) -> list[DemoResident]:
    """The invented residents, the committee each belongs to on-chain (``ResidentRegistry``: the one that
    registered them first, or the one they moved to), and their records in the demo bodies' stores."""
    out = []
    for first17, (name, registered_by) in RESIDENTS.items():
        nid = first17 + check_character(first17)
        found = [r for store in stores.values() for r in store.records_of_subject(nid)]
        committee = registered_by
        if registered_by in stores:
            store = stores[registered_by]
            on_chain = store.c.residents.committee_of(store.subject_of(nid))
            committee = code_name(on_chain) if on_chain != b"\0" * 32 else "(none)"
        out.append(DemoResident(name, nid, committee, [(r.category, r.record_id) for r in found]))
    return out


def demo_record_id(index: int) -> bytes:
    """The demo's records have fixed ids (so that the walkthrough's commands work as written); real
    records get random ones."""
    return keccak(f"civic-ledger/demo-record@1:{index}".encode())


def node_account(body: str) -> int | None:
    """Dev account index of a demo body's node (its relay and anchoring account), if it is a demo body."""
    for b in BODIES:
        if b.code == body:
            return next((i for i, roles, _ in b.members if roles & Role.ANCHOR), None)
    return None


def record_keepers() -> list[str]:
    """Bodies that keep demo records in their own store."""
    return sorted({body for body, *_ in RECORDS})


def node_bodies() -> list[str]:
    """Every demo body runs a node: the record keepers first (their ports stay rc-east :8000 and
    rc-west :8001), then the others in the order they joined."""
    keepers = record_keepers()
    return keepers + [b.code for b in BODIES if b.code not in keepers]


def publish_endpoints(contracts: Contracts, urls: dict[str, str]) -> list[str]:
    """Each body's first admin publishes its node's API address in the registry (``updateProfile``),
    where it is not the one published already; the bodies that published now."""
    done = []
    for body in BODIES:
        url = urls.get(body.code)
        if url is None or published_api(contracts, body.id) == url.rstrip("/"):
            continue
        key = contracts.bodies.get_body(body.id).encryption_key
        contracts.bodies.update_profile(
            contracts.chain.direct(dev_account(body.admins[0])), key, format_endpoint(url.rstrip("/"), None)
        )
        done.append(body.code)
    return done


def add_records(
    store: RecordStore, body: str, report: DemoReport, *, progress: Callable[[str], None] = lambda _: None
) -> None:
    """Registers ``body``'s demo records unless its store already holds records."""
    mine = [r for r in RECORDS if r[0] == body]
    if store.count() > 0:
        report.steps_skipped += len(mine)
        return
    for _, officer, category, first17, fields in mine:
        label = f"register a {category} record at {body}"
        progress(label)
        store.add(
            actor=store.c.chain.direct(dev_account(officer)),
            category=category,
            national_id=first17 + check_character(first17),
            fields=fields,
            record_id=demo_record_id(RECORDS.index((body, officer, category, first17, fields))),
        )
        report.steps_done.append(label)


#: Where the demo's residents live: (first 17 digits of their synthetic ID, their committee's grid).
PLACES: tuple[tuple[str, str], ...] = (("11010519600101123", "grid-1"), ("11010519400315224", "grid-2"))


def place_residents(
    store: RecordStore, body: str, report: DemoReport, *, progress: Callable[[str], None] = lambda _: None
) -> None:
    """Places ``body``'s demo residents in its grids (by its first admin), where they are not placed yet."""
    found = [b for b in BODIES if b.code == body and b.grids]
    if not found:
        return
    residents, admin = store.c.residents, store.c.chain.direct(dev_account(found[0].admins[0]))
    for first17, grid in PLACES:
        subject = store.subject_of(first17 + check_character(first17))
        if residents.committee_of(subject) != found[0].id or residents.grid_of(subject) == code_id(grid):
            report.steps_skipped += 1
            continue
        label = f"place a resident of {body} in {grid}"
        progress(label)
        residents.place_in_grid(admin, subject, code_id(grid))
        report.steps_done.append(label)


#: Invented staff of the demo bodies, by dev account index: (name, post), for the members' directory.
#: The demo's invented staff, by name and post as their bodies would enter them: in Chinese. The portal's
#: English catalogue gives each an English form ("name.王芳": "Wang Fang", "post.低保专干": ...).
#: Grid 2's worker is described by post alone, as a committee may choose: residents see "Grid worker of Grid 2:
#: Market Street" where they would see a name.
STAFF: dict[int, tuple[str | None, str]] = {
    1: ("周敏", "街道办主任"),
    2: ("孙浩", "街道办副主任"),
    3: ("胡静", "网格协调员"),
    4: ("陈丽", "居委会主任"),
    5: ("高燕", "居委会副主任"),
    6: ("刘洋", "社区专干"),
    7: ("赵磊", "居委会主任"),
    8: ("马琳", "居委会副主任"),
    9: ("何平", "网格员"),
    10: ("郭强", "科长"),
    11: ("林雪", "副科长"),
    12: ("王芳", "低保专干"),
    13: ("徐涛", "派出所所长"),
    14: ("宋杰", "派出所副所长"),
    15: ("邓凯", "社区民警"),
    16: ("罗红", "督查组长"),
    17: ("谢宁", "督查员"),
    18: ("唐宇", "数据审计员"),
    26: ("吴刚", "网格员"),
    30: (None, "网格员"),
    31: ("钱坤", "低保专干"),
    33: ("冯敏", "检察长"),
    34: ("韩冰", "副检察长"),
    35: ("曹阳", "检察官"),
}
#: The English forms, for the portal's English catalogue (tests/portal checks both stay in step).
STAFF_EN: dict[int, tuple[str | None, str]] = {
    1: ("Zhou Min", "Subdistrict director"),
    2: ("Sun Hao", "Deputy subdistrict director"),
    3: ("Hu Jing", "Grid coordinator"),
    4: ("Chen Li", "Committee director"),
    5: ("Gao Yan", "Deputy committee director"),
    6: ("Liu Yang", "Community officer"),
    7: ("Zhao Lei", "Committee director"),
    8: ("Ma Lin", "Deputy committee director"),
    9: ("He Ping", "Grid worker"),
    10: ("Guo Qiang", "Section chief"),
    11: ("Lin Xue", "Deputy section chief"),
    12: ("Wang Fang", "Subsistence caseworker"),
    13: ("Xu Tao", "Police station chief"),
    14: ("Song Jie", "Deputy police station chief"),
    15: ("Deng Kai", "Community police officer"),
    16: ("Luo Hong", "Chief inspector"),
    17: ("Xie Ning", "Inspector"),
    18: ("Tang Yu", "Data auditor"),
    26: ("Wu Gang", "Grid worker"),
    30: (None, "Grid worker"),
    31: ("Qian Kun", "Subsistence caseworker"),
    33: ("Feng Min", "Chief procurator"),
    34: ("Han Bing", "Deputy chief procurator"),
    35: ("Cao Yang", "Procurator"),
}
KEYSTORE_PASSWORD = "demo"  # of the demo's keystore files: WELL-KNOWN DEVELOPMENT KEYS, for the local demo only


def describe_staff(directory: Directory, own: str) -> None:
    """Puts the invented staff of the node's own body ``own`` in its members' directory, where it has no
    entry for them yet (an admin's later description stays). Other bodies' staff are theirs to describe,
    at their nodes: this node asks them (:mod:`ledger.peers.people`)."""
    known = directory.people(dev_account(i).address for i in STAFF)
    for body in (b for b in BODIES if b.code == own):
        for index in (*body.admins, *(i for i, _, _ in body.members)):
            if index in STAFF and dev_account(index).address not in known:
                name, post = STAFF[index]
                directory.describe(
                    account=dev_account(index).address,
                    body=body.code,
                    name=name,
                    post=post,
                    by=dev_account(body.admins[0]).address,
                    keep=True,
                )


def keystore_names() -> dict[int, str]:
    """The file name (without .json) of each demo person's keystore, by dev account index."""
    names = {}
    for body in BODIES:
        for n, index in enumerate(body.admins):
            names[index] = f"{body.code}-admin{'' if n == 0 else n + 1}"
        for index, roles, label in body.members:
            if not roles & Role.ANCHOR:
                names[index] = f"{body.code}-{label.split(' ')[0]}"
    return names


def write_keystores(folder: Path) -> list[Path]:
    """Keystore V3 files of the demo's people, for signing in to the portal (password ``demo``).

    They hold the local node's WELL-KNOWN DEVELOPMENT KEYS (public): for the local demo only. Scrypt is
    lighter than eth-account's default (n = 2^14) so that a browser opens them in a moment."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index, name in keystore_names().items():
        path = folder / f"{name}.json"
        if not path.exists():
            path.write_text(
                json.dumps(Account.encrypt(dev_account(index).key, KEYSTORE_PASSWORD, kdf="scrypt", iterations=2**14))
            )
        written.append(path)
    return written


def summary_rows() -> list[tuple[str, str, str, str]]:
    """(body, kind, role, account) for every demo account."""
    rows: list[tuple[str, str, str, str]] = []
    for body in BODIES:
        for i in body.admins:
            rows.append((body.code, body.kind.name.lower(), "admin", str(dev_account(i).address)))
        for i, _roles, label in body.members:
            rows.append((body.code, body.kind.name.lower(), label, str(dev_account(i).address)))
    return rows
