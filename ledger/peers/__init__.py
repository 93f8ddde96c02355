"""Node-to-node exchange: requests signed by a body's node account (:mod:`.exchange`) and questions put to every node
(:mod:`.gather`).
"""
