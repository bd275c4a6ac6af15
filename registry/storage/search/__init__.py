"""Search over the index tables: the query model and its SQL."""
