"""Prepare → sign → submit: chain actions signed by the person, relayed by this node.

An action endpoint (e.g. ``POST /bodies/mine/members``) checks the caller's rights,
simulates the call as them, and returns EIP-712 typed data (an ERC-2771 ``ForwardRequest``).
The person signs it with their own key; ``POST /tx/submit`` relays it. The chain records the
person as the actor; the node only pays for the transaction and can neither forge nor
replay it (the forwarder checks signature, nonce and deadline).
"""

from __future__ import annotations

from typing import Any

from eth_abi.exceptions import EncodingError
from fastapi import APIRouter
from hexbytes import HexBytes
from pydantic import BaseModel, Field

from api.deps import CurrentActor, Node, NodeDep
from ledger.chain import forwarder as fwd
from ledger.chain.client import ContractHandle, jsonable
from ledger.chain.compiler import CONTRACTS
from ledger.errors import BadArgument, LedgerError, NotAuthorized

router = APIRouter(prefix="/tx", tags=["transactions"])
#: Most gas a relayed request may ask for: more than any of our calls needs, less than a block holds.
MAX_GAS = 30_000_000
TARGETS = tuple(c for c in CONTRACTS if c != "CivicForwarder")


class Prepared(BaseModel):
    """EIP-712 typed data to sign (``eth_signTypedData_v4``), then to post to ``/tx/submit``."""

    typedData: dict[str, Any]
    summary: str = Field(examples=["add 0x976E…0aa9 to rc-east as officer"])
    salts: dict[str, str] = Field(default_factory=dict, description="For each free text hashed on-chain "
                                  "(justification, reason, evidence, outcome): the salt of its hash, "
                                  "keccak256(salt ‖ text). Keep it with the text to prove the text later.")


class SubmitIn(BaseModel):
    typedData: dict[str, Any]
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class EventOut(BaseModel):
    event: str = Field(examples=["GrantCreated"])
    args: dict[str, Any] = Field(description="bytes as 0x hex, numbers as integers",
                                 examples=[{"grantId": 3, "expiresAt": 1798000000}])


class SubmitOut(BaseModel):
    transactionHash: str
    blockNumber: int
    events: list[str] = Field(examples=[["MemberAdded"]])
    logs: list[EventOut] = Field(default_factory=list, description="The events with their arguments")


def prepare(node: Node, actor: CurrentActor, handle: ContractHandle, fn: str, *args: Any, summary: str,
            salts: dict[str, bytes] | None = None, texts: dict[str, tuple[str, str]] | None = None) -> Prepared:
    """Typed data for ``fn(*args)`` as ``actor``; a call the contract would refuse raises its error now.

    ``texts`` names, for each salted hash in the call, the free text and its kind: kept (encrypted) at this
    node only once the simulation has passed, so a refused call leaves nothing behind."""
    typed = node.relayer.prepare(actor.address, handle, fn, *args)
    for name, (kind, text) in (texts or {}).items():
        node.texts.keep(kind=kind, text=text, salt=(salts or {})[name], author=actor.address)
    return Prepared(typedData=typed, summary=summary, salts={k: "0x" + v.hex() for k, v in (salts or {}).items()})


@router.post("/submit", response_model=SubmitOut, summary="Relay a signed forward request",
             responses={403: {"description": "Signed by another account than the token's"},
                        422: {"description": "Malformed, foreign, expired or replayed request"}})
def submit(body: SubmitIn, actor: CurrentActor, node: NodeDep) -> SubmitOut:
    typed = body.typedData
    try:
        domain, message = typed["domain"], typed["message"]
        if typed.get("primaryType") != "ForwardRequest" or typed.get("types") != fwd.FORWARD_REQUEST_TYPES:
            raise BadArgument("typedData must be a ForwardRequest as /tx prepared it")
        forwarder = node.chain.contract("CivicForwarder").address
        if (int(domain["chainId"]) != node.chain.chain_id or str(domain["verifyingContract"]).lower() != forwarder.lower()
                or domain.get("name") != fwd.DOMAIN_NAME or domain.get("version") != fwd.DOMAIN_VERSION):
            raise BadArgument("the request is for another chain or forwarder")
        if not 0 < int(message["gas"]) <= MAX_GAS:  # bounded before anything encodes them (uint256, uint48)
            raise BadArgument(f"gas must be between 1 and {MAX_GAS}")
        if not 0 < int(message["deadline"]) < 2**48:
            raise BadArgument("deadline must be a uint48 (Unix seconds)")
        if not 0 <= int(message["nonce"]) < 2**256:
            raise BadArgument("nonce must be a uint256")
        targets = {node.chain.contract(name).address.lower(): name for name in TARGETS}
        if str(message["to"]).lower() not in targets or int(message["value"]) != 0:
            raise BadArgument("this node relays only value-free calls to the Civic Ledger contracts")
        signature = bytes(HexBytes(body.signature))
        signer = fwd.recover(typed, signature)
        request = fwd.from_typed(typed, signature)
    except (KeyError, TypeError, ValueError, OverflowError, EncodingError) as exc:
        raise BadArgument(f"malformed typedData: {exc}") from None
    if signer != actor.address or request.sender != actor.address:
        raise NotAuthorized("the request must be signed by the signed-in account, for itself", error="WrongSigner")
    receipt = node.relayer.relay(request)
    name = targets[str(message["to"]).lower()]
    if name == "RecordRegistry":  # the person's own signature anchored a staged record change
        node.store.anchorer.settle(actor.address)
    try:  # the index shows the change to whoever lists next (the indexer's own poll would, a moment later)
        node.indexer.sync(to_block=int(receipt["blockNumber"]))
    except LedgerError:
        pass  # reported by the indexer's worker in /health; the change is on-chain either way
    logs = _events(node.chain.contract(name), receipt)
    return SubmitOut(transactionHash=receipt["transactionHash"].to_0x_hex(), blockNumber=int(receipt["blockNumber"]),
                     events=list(dict.fromkeys(e.event for e in logs)), logs=logs)


def _events(handle: ContractHandle, receipt: Any) -> list[EventOut]:
    found = []
    for item in handle.contract.abi:
        if item.get("type") == "event":
            name = str(item.get("name"))
            found += [EventOut(event=name, args={k: jsonable(v) for k, v in args.items()})
                      for args in handle.events(receipt, name)]
    return found

