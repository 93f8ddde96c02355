"""Civic Ledger: a permissioned ledger of resident-record commitments, grants and access trails."""

__version__ = "0.1.0"
