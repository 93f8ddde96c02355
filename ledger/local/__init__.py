"""The local development system: the chain node run from node_modules, the API processes, the demo consortium and its
well-known development keys.
"""
