"""JSON-RPC connections to any Ethereum node (anvil, Hardhat, Ganache, Besu, py-evm)."""

from __future__ import annotations

import time

import requests
from web3 import EthereumTesterProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware

from ledger.errors import ChainUnavailable


def connect(rpc_url: str, *, poa: bool | None = None, timeout: float = 10.0) -> Web3:
    """A Web3 over HTTP JSON-RPC at ``rpc_url``.

    PoA/BFT chains (Besu QBFT, Clique) put more than 32 bytes in a header's extraData;
    web3 needs ``ExtraDataToPOAMiddleware`` to read their blocks. ``poa=None`` detects it
    from the latest block.
    """
    # Per call, web3 would ask the node its chain id (to validate eth_call) and requests would
    # scan the environment for proxies: together over half the time of a read's RPC calls.
    # The chain id of an endpoint does not change, and proxies are resolved once, here.
    session = requests.Session()
    session.trust_env = False
    proxies = requests.utils.get_environ_proxies(rpc_url)
    w3 = Web3(
        Web3.HTTPProvider(
            rpc_url,
            request_kwargs={"timeout": timeout, "proxies": proxies},
            session=session,
            cache_allowed_requests=True,
            cacheable_requests={"eth_chainId"},
        )
    )
    try:
        latest = w3.eth.get_block("latest") if poa is None else None
    except Exception as exc:
        if poa is None and "extraData" in str(exc):
            latest, poa = None, True
        else:
            raise ChainUnavailable(f"no Ethereum node answers at {rpc_url}: {exc}") from exc
    if poa is None and latest is not None:
        poa = len(latest.get("extraData", b"")) > 32
    if poa:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def in_process() -> Web3:
    """An in-process EVM (eth-tester over py-evm): instant blocks, funded test accounts."""
    return Web3(EthereumTesterProvider())


def wait_for_rpc(rpc_url: str, *, timeout: float = 30.0) -> int:
    """Wait until a node answers ``eth_chainId`` at ``rpc_url``; returns the chain id."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            r = requests.post(rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=2)
            return int(r.json()["result"], 16)
        except Exception as exc:  # noqa: BLE001 — not up yet
            last = exc
            time.sleep(0.1)
    raise ChainUnavailable(f"no node answered at {rpc_url} within {timeout:.0f}s: {last}")
