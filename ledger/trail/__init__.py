"""The access trail beyond the database: anchoring on-chain, receipts, proofs, trail bundles.

* :mod:`ledger.trail.anchor` anchors the events (batched Merkle roots, or one event per
  transaction), exactly once, from the chain's last anchored sequence number.
* :mod:`ledger.trail.receipts` signs what the node promises: a read's receipt, a trail's head.
* :mod:`ledger.trail.proofs` builds a batch's tree, an event's inclusion proof, and a
  subject's trail bundle, and verifies bundles against the chain alone.

Events are the rows of :mod:`ledger.store.trail`.
"""
