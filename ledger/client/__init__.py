"""The Python client of a Civic Ledger node (:mod:`.api_client`), over the HTTP plumbing of :mod:`.http`."""
