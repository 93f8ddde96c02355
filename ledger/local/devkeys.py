"""The local development node's well-known accounts.

WELL-KNOWN DEVELOPMENT KEYS — PUBLIC, NEVER FOR REAL USE. They derive from the mnemonic
that anvil, Hardhat and (configured so here) Ganache all fund by default; anyone can sign
with them. They exist only so the local demo consortium works out of the box.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

DEV_MNEMONIC = "test test test test test test test test test test test junk"  # well-known, public
DEV_ACCOUNTS = 37


@cache
def dev_account(index: int) -> LocalAccount:
    """Well-known development account ``index`` (m/44'/60'/0'/0/index)."""
    from eth_account import Account  # imported here: eth-account takes half a second to load

    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account
