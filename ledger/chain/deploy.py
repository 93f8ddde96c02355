"""Deploy the Civic Ledger contracts to any JSON-RPC chain and write the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address, to_checksum_address
from web3 import Web3

from ledger.chain.access import AccessRegistry
from ledger.chain.bodies import BodyProfile, BodyRegistry
from ledger.chain.client import Chain
from ledger.chain.compiler import CONTRACTS
from ledger.chain.manifest import Manifest
from ledger.chain.records import RecordRegistry
from ledger.chain.residents import ResidentRegistry
from ledger.chain.seals import Seals
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
    residents: ResidentRegistry
    seals: Seals

    @classmethod
    def of(cls, chain: Chain) -> Contracts:
        return cls(
            chain,
            BodyRegistry(chain),
            RecordRegistry(chain),
            AccessRegistry(chain),
            AccessTrail(chain),
            ResidentRegistry(chain),
            Seals(chain),
        )


def _constructor_data(chain: Chain, name: str, *args: Any) -> bytes:
    art = chain.build[name]
    factory = chain.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    return bytes(chain.w3.to_bytes(hexstr=factory.constructor(*args).data_in_transaction))


def get_create_address(sender: str, nonce: int) -> str:
    """The address of the contract ``sender`` creates with transaction ``nonce`` (Yellow Paper, eq. 86)."""
    return str(to_checksum_address(keccak(rlp.encode([to_canonical_address(sender), nonce]))[12:]))


def deploy(
    chain: Chain,
    deployer: LocalAccount,
    *,
    founder: bytes,
    founder_profile: BodyProfile,
    founder_admins: list[str],
    quorum_bps: int = 5001,
    rpc_url: str = "",
) -> Manifest:
    """Deploys forwarder, body registry, resident registry, record registry, access registry, trail and seals.

    The founding body and its admins are set in the body registry's constructor; the
    deployer holds no role afterwards. The resident registry accepts enrolments only from the
    record registry, whose address it is given before that is created: the deployer's next
    contract address (``keccak256(rlp([deployer, nonce]))``), checked once it exists.
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
    nonce = int(chain.sender.rpc(lambda: chain.w3.eth.get_transaction_count(deployer.address, "pending")))
    predicted = get_create_address(deployer.address, nonce + 1)
    residents = create("ResidentRegistry", fwd, bodies, predicted)
    records = create("RecordRegistry", fwd, bodies, residents)
    if records.lower() != predicted.lower():
        raise ManifestError(
            f"the record registry was created at {records}, not at {predicted} as the resident "
            "registry was told: another transaction of the deployer came in between; deploy again"
        )
    access = create("AccessRegistry", fwd, bodies, records, residents)
    create("AccessTrail", fwd, bodies)
    create("Seals", fwd, bodies, access)
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
