"""The Civic Ledger HTTP API (FastAPI) of one body's node."""
