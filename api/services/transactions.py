"""Prepare → sign → submit: typed data for the person to sign, then relayed by this node.

An action is simulated as the person before it is prepared, so a call the contract would refuse
is refused now; the free texts it hashes are kept only once the simulation has passed."""

from __future__ import annotations

from typing import Any

from api.deps import CurrentActor, Node
from api.schemas.tx import EventOut, Prepared
from ledger.chain.client import ContractHandle, jsonable


def prepare(
    node: Node,
    actor: CurrentActor,
    handle: ContractHandle,
    fn: str,
    *args: Any,
    summary: str,
    salts: dict[str, bytes] | None = None,
    texts: dict[str, tuple[str, str]] | None = None,
) -> Prepared:
    """Typed data for ``fn(*args)`` as ``actor``; a call the contract would refuse raises its error now.

    ``texts`` names, for each salted hash in the call, the free text and its kind: kept (encrypted) at this
    node only once the simulation has passed, so a refused call leaves nothing behind."""
    typed = node.relayer.prepare(actor.address, handle, fn, *args)
    for name, (kind, text) in (texts or {}).items():
        node.texts.keep(kind=kind, text=text, salt=(salts or {})[name], author=actor.address)
    return Prepared(typedData=typed, summary=summary, salts={k: "0x" + v.hex() for k, v in (salts or {}).items()})


def _events(handle: ContractHandle, receipt: Any) -> list[EventOut]:
    found = []
    for item in handle.contract.abi:
        if item.get("type") == "event":
            name = str(item.get("name"))
            found += [
                EventOut(event=name, args={k: jsonable(v) for k, v in args.items()}) for args in handle.events(receipt, name)
            ]
    return found
