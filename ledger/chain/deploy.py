"""Deploy the Civic Ledger contracts to any JSON-RPC chain and write the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain.access import AccessRegistry
from ledger.chain.bodies import BodyProfile, BodyRegistry
from ledger.chain.client import Chain
from ledger.chain.compiler import CONTRACTS
from ledger.chain.manifest import Manifest
from ledger.chain.records import RecordRegistry
from ledger.chain.trail import AccessTrail
from ledger.errors import ManifestError


@dataclass
class Contracts:
    """Typed wrappers of every deployed contract of one chain."""

    chain: Chain
    bodies: BodyRegistry
    records: RecordRegistry
    access: AccessRegistry
    trail: AccessTrail

    @classmethod
    def of(cls, chain: Chain) -> Contracts:
        return cls(chain, BodyRegistry(chain), RecordRegistry(chain), AccessRegistry(chain), AccessTrail(chain))


def _constructor_data(chain: Chain, name: str, *args: Any) -> bytes:
    art = chain.build[name]
    factory = chain.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    return bytes(chain.w3.to_bytes(hexstr=factory.constructor(*args).data_in_transaction))


def deploy(chain: Chain, deployer: LocalAccount, *, founder: bytes, founder_profile: BodyProfile,
           founder_admins: list[str], quorum_bps: int = 5001, rpc_url: str = "") -> Manifest:
    """Deploys forwarder, body registry, record registry, access registry and trail.

    The founding body and its admins are set in the body registry's constructor; the
    deployer holds no role afterwards.
    """
    if len(founder_admins) < 2:
        raise ManifestError("the founding body needs at least two admins")
    addresses: dict[str, str] = {}
    first_block: int | None = None

    def create(name: str, *args: Any) -> str:
        nonlocal first_block
        receipt = chain.sender.transact(deployer, None, _constructor_data(chain, name, *args))
        if first_block is None:
            first_block = int(receipt["blockNumber"])
        addresses[name] = str(receipt["contractAddress"])
        return addresses[name]

    fwd = create("CivicForwarder")
    bodies = create("BodyRegistry", fwd, quorum_bps, founder, founder_profile.as_tuple(), founder_admins)
    records = create("RecordRegistry", fwd, bodies)
    create("AccessRegistry", fwd, bodies, records)
    create("AccessTrail", fwd, bodies)
    assert tuple(addresses) == CONTRACTS
    manifest = Manifest(
        chain_id=chain.chain_id,
        contracts=addresses,
        deploy_block=first_block or 0,
        compiler_version=chain.build.compiler_version,
        source_hash=chain.build.source_hash,
        deployer=deployer.address,
        founder="0x" + founder.hex(),
        rpc_url=rpc_url,
    )
    chain.attach(manifest)
    return manifest


def is_deployed(chain: Chain, manifest: Manifest) -> bool:
    """Whether ``manifest`` is this build, on this chain, with code at every address.

    Runtime code cannot be compared byte for byte: immutables (the forwarder and registry
    addresses) are written into it at deployment.
    """
    if manifest.chain_id != chain.chain_id or manifest.source_hash != chain.build.source_hash:
        return False
    def code(address: str) -> int:
        return len(chain.sender.rpc(lambda: chain.w3.eth.get_code(Web3.to_checksum_address(address))))

    return all(code(a) > 0 for a in manifest.contracts.values())
