"""The consortium's vocabulary, read from the chain: record categories with their fields (in bit
order, as grants' field masks use them) and the purpose codes requests may name."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import NodeDep
from ledger.ids import code_name

router = APIRouter(tags=["catalog"])
TTL = 30.0  # seconds a catalogue is reused before the chain is asked again


class CategoryOut(BaseModel):
    code: str = Field(examples=["household"])
    requiresConsent: bool
    fields: list[str] = Field(description="Field names; a field's index is its bit in a grant's field mask")


class CatalogOut(BaseModel):
    categories: list[CategoryOut]
    purposes: list[str] = Field(examples=[["subsistence_review", "public_health"]])


class ContractOut(BaseModel):
    name: str = Field(examples=["AccessTrail"])
    address: str
    chainId: int
    abi: list[dict[str, Any]] = Field(description="The contract's ABI (solc output)")
    generatedBy: str = Field(description="The compiler and sources it was generated from")


@router.get(
    "/contracts",
    response_model=list[ContractOut],
    summary="The consortium's contracts on this chain: address and ABI of each (as `ledger deploy` writes them)",
)
def contracts(node: NodeDep) -> list[ContractOut]:
    manifest = node.chain.manifest
    assert manifest is not None
    return [ContractOut(**c) for c in manifest.contract_abis(node.chain.build.abis())]


@router.get("/catalog", response_model=CatalogOut, summary="Categories with their fields, and purpose codes")
def catalog(node: NodeDep, request: Request) -> CatalogOut:
    cached = getattr(request.app.state, "catalog", None)
    if cached is not None and cached[0] > time.monotonic():
        out: CatalogOut = cached[1]
        return out
    records, access = node.contracts.records, node.contracts.access
    start = node.chain.manifest.deploy_block if node.chain.manifest else 0
    codes = records.categories(from_block=start)
    categories = [
        CategoryOut(
            code=code_name(c),
            requiresConsent=records.get_category(c).requires_consent,
            fields=node.store.schema(code_name(c)),
        )
        for c in codes
    ]
    purposes = access.purposes(from_block=start)
    out = CatalogOut(categories=categories, purposes=[code_name(p) for p in purposes if access.is_purpose(p)])
    request.app.state.catalog = (time.monotonic() + TTL, out)
    return out
