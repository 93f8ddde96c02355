"""Records: the custodian's encrypted store (:mod:`.store`), its anchoring outbox (:mod:`.outbox`) and backlog imports
(:mod:`.imports`).
"""
