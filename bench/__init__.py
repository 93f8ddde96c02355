"""Benchmarks and fault drills (``ledger bench ...``): each runs a system of its own and prints its figures beside a
baseline of the same run. The library never imports this package; the ``ledger bench`` command does, when it runs.
"""
