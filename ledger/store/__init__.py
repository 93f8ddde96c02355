"""The off-chain record store of one custodian body: encrypted records, their versions,
wrapped data keys and the anchoring outbox, in SQLite or PostgreSQL (SQLModel, Alembic)."""
