"""The watchdog: rules over the access trail that raise alerts for auditors (SPEC §5).

Every read on the trail was allowed; the watchdog looks for the patterns of allowed reads that are
misuse all the same: an officer reading far more than the others of the same post, residents outside
their grids, reads at night, the same resident again and again, break-glass becoming routine. Each rule
is a module of :mod:`ledger.watchdog.rules` with its threshold in the settings (``watchdog_*``).

A node runs the rules over its own trail; the auditor body's node over every node's, mirrored from
their ``/node/watchdog/events`` (:mod:`ledger.watchdog.mirror`). The rules read what the chain held at
each event's block (:class:`ledger.audit.history.ChainHistory`): the reader's post and grids, the
subject's grid. Auditors acknowledge or escalate an alert on-chain (``AccessTrail.reviewAlert``).
"""
