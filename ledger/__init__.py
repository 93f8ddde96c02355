"""Civic Ledger: a permissioned ledger of resident-record commitments, grants and access trails."""

import os as _os

# keccak256 is on every read (commitments, event hashes, EIP-712): pysha3's C code hashes about seven
# times faster than pycryptodome's, which eth-hash would choose first.
_os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

__version__ = "0.1.0"
