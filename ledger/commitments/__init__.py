"""Commitments: a record's fields as a StandardMerkleTree (:mod:`.record`, :mod:`.merkle`) and selective disclosure
against it (:mod:`.disclosure`).
"""
