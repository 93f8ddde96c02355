"""The chain index: the contracts' events followed into SQL (:mod:`.indexer`, its tables in :mod:`.models`)."""
