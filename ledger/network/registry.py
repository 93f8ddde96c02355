"""What the on-chain BodyRegistry says about the network: who may send transactions, which nodes may
connect. Besu 25 dropped its on-chain permissioning contracts, so the allowlists of each node's
``permissions_config.toml`` are generated from our registry (SPEC §6) and regenerated after each
admission or removal vote (``ledger consortium allowlists --rpc URL``).

A body publishes its node's addresses in its profile's ``endpoint`` (``updateProfile``): its Civic
Ledger node's URL and its chain node's enode URL, separated by a space, e.g.
``https://ledger.rc-east.example:8443 enode://<128 hex>@10.0.0.2:30303``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eth_utils import to_checksum_address

from ledger.chain.deploy import Contracts
from ledger.errors import BadArgument

ENODE = re.compile(r"^enode://(?P<key>[0-9a-f]{128})@(?P<host>[A-Za-z0-9.\-_\[\]:]+):(?P<port>\d{1,5})$")


@dataclass(frozen=True)
class NodeAddresses:
    api: str | None
    enode: str | None


def parse_endpoint(endpoint: str) -> NodeAddresses:
    """A body's published ``endpoint``: its node's API URL and its chain node's enode (either may be
    missing); :class:`BadArgument` for anything else in it."""
    api = enode = None
    for part in endpoint.split():
        if part.startswith("enode://"):
            if not ENODE.match(part) or enode is not None:
                raise BadArgument(f"{part!r} is not one enode URL (enode://<128 lowercase hex>@host:port)")
            enode = part
        elif part.startswith(("https://", "http://")):
            if api is not None:
                raise BadArgument("an endpoint names one API URL")
            api = part.rstrip("/")
        else:
            raise BadArgument(f"{part!r} is neither an http(s) URL nor an enode URL")
    return NodeAddresses(api, enode)


def published_api(contracts: Contracts, body: bytes) -> str | None:
    """The API URL of ``body``'s node as its profile publishes it (None: none, or unreadable)."""
    return api_of(contracts.bodies.get_body(body).endpoint)


def api_of(endpoint: str) -> str | None:
    """The API URL in a published ``endpoint`` (None: none, or unreadable)."""
    try:
        return parse_endpoint(endpoint).api
    except BadArgument:
        return None


def format_endpoint(api: str | None, enode: str | None) -> str:
    text = " ".join(p for p in (api, enode) if p)
    parse_endpoint(text)  # refuses what could not be read back
    return text


@dataclass(frozen=True)
class Allowlists:
    accounts: tuple[str, ...]  # checksummed, sorted
    nodes: tuple[str, ...]  # enode URLs, sorted
    bodies: tuple[str, ...]  # the active bodies they come from (bytes32 hex)
    unreadable: tuple[str, ...] = ()  # bodies whose published endpoint could not be read: no node of theirs


def from_registry(contracts: Contracts, *, accounts: tuple[str, ...] = (), nodes: tuple[str, ...] = ()) -> Allowlists:
    """The allowlists as the chain's BodyRegistry holds them now: every member of an active body
    (admins, officers, auditors, node accounts) may send transactions, and the node each active body
    published may connect; ``accounts`` and ``nodes`` are added (the consortium file's bootstrap
    entries: the deployer, the validators before any body published its node)."""
    registry = contracts.bodies
    handle = registry.handle
    start = contracts.chain.manifest.deploy_block if contracts.chain.manifest else 0
    bodies = {bytes(log["body"]) for log in handle.logs("BodyAdmitted", from_block=start)} | {registry.founder()}
    active = sorted(b for b in bodies if registry.is_active(b))
    members = {to_checksum_address(log["account"]) for log in handle.logs("MemberAdded", from_block=start)}
    allowed_accounts = {to_checksum_address(a) for a in accounts}
    for account in members:  # the registry's view now: a removed member or a removed body's is not listed
        body, roles = registry.member_of(account)
        if int(roles) and body in active:
            allowed_accounts.add(account)
    enodes, unreadable = set(nodes), []
    for body in active:
        try:
            published = parse_endpoint(registry.get_body(body).endpoint).enode
        except BadArgument:
            unreadable.append("0x" + body.hex())
            continue
        if published:
            enodes.add(published)
    return Allowlists(
        tuple(sorted(allowed_accounts)), tuple(sorted(enodes)), tuple("0x" + b.hex() for b in active), tuple(unreadable)
    )
