"""Ids read a bounded number at a time: a statement's ``IN (...)`` binds one parameter per id, and
PostgreSQL refuses a statement of more than 65,535 parameters (SQLite: 32,766). An integrity finding
may name every attempt of a crowd, an exam every unit of the city, a readiness export every person."""

#: ids bound by one statement
IN_BATCH = 3000


def batches(ids):
    """``ids`` (any iterable) as lists of at most ``IN_BATCH``; none for no ids."""
    ids = list(ids)
    for start in range(0, len(ids), IN_BATCH):
        yield ids[start : start + IN_BATCH]
