"""The node's flows: each route parses, calls one function here, and shapes the answer.

The node-to-node endpoints (``/node/...``) call the same functions as the routes people use,
so a forwarded request is checked and answered exactly as one made at this node's door.
"""
