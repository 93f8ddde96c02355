"""The production network: Besu QBFT genesis and node files (:mod:`.besu`, :mod:`.qbft`), allowlists and published
endpoints (:mod:`.registry`).
"""
