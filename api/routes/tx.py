"""Prepare → sign → submit: chain actions signed by the person, relayed by this node.

An action endpoint (e.g. ``POST /bodies/mine/members``) checks the caller's rights,
simulates the call as them, and returns EIP-712 typed data (an ERC-2771 ``ForwardRequest``).
The person signs it with their own key; ``POST /tx/submit`` relays it. The chain records the
person as the actor; the node only pays for the transaction and can neither forge nor
replay it (the forwarder checks signature, nonce and deadline).
"""

from __future__ import annotations

from eth_abi.exceptions import EncodingError
from fastapi import APIRouter
from hexbytes import HexBytes

from api.deps import CurrentActor, NodeDep
from api.schemas.tx import SubmitIn, SubmitOut
from api.services.transactions import _events
from ledger.chain import forwarder as fwd
from ledger.chain.compiler import CONTRACTS
from ledger.errors import BadArgument, LedgerError, NotAuthorized

router = APIRouter(prefix="/tx", tags=["transactions"])
#: Most gas a relayed request may ask for: more than any of our calls needs, less than a block holds.
MAX_GAS = 30_000_000
TARGETS = tuple(c for c in CONTRACTS if c != "CivicForwarder")


@router.post(
    "/submit",
    response_model=SubmitOut,
    summary="Relay a signed forward request",
    responses={
        403: {"description": "Signed by another account than the token's"},
        422: {"description": "Malformed, foreign, expired or replayed request"},
    },
)
def submit(body: SubmitIn, actor: CurrentActor, node: NodeDep) -> SubmitOut:
    typed = body.typedData
    try:
        domain, message = typed["domain"], typed["message"]
        if typed.get("primaryType") != "ForwardRequest" or typed.get("types") != fwd.FORWARD_REQUEST_TYPES:
            raise BadArgument("typedData must be a ForwardRequest as /tx prepared it")
        forwarder = node.chain.contract("CivicForwarder").address
        if (
            int(domain["chainId"]) != node.chain.chain_id
            or str(domain["verifyingContract"]).lower() != forwarder.lower()
            or domain.get("name") != fwd.DOMAIN_NAME
            or domain.get("version") != fwd.DOMAIN_VERSION
        ):
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
    return SubmitOut(
        transactionHash=receipt["transactionHash"].to_0x_hex(),
        blockNumber=int(receipt["blockNumber"]),
        events=list(dict.fromkeys(e.event for e in logs)),
        logs=logs,
    )
