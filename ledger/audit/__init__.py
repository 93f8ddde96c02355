"""The audit: of one body's node (:mod:`.node`), a resident's history (:mod:`.history`), its HTML report
(:mod:`.report`), and of the whole consortium from the auditor's node (:mod:`.consortium`).
"""
