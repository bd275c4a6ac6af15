"""``one_of``: a list-membership condition, one array parameter on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from registry.storage.database import create_engine, one_of, transaction
from registry.storage.tables import resource


def test_one_list_parameter_on_postgresql_and_an_expanding_in_on_sqlite(database_url: str
                                                                         ) -> None:
    engine = create_engine(database_url)
    dialect = engine.dialect.name
    statement = sa.select(sa.literal_column("1")).where(one_of(resource.c.res_id, "ids", dialect))
    sql = str(statement.compile(dialect=engine.dialect))
    assert ("ANY" in sql) == (dialect == "postgresql")
    with transaction(engine, write=True) as conn:
        conn.execute(resource.insert(), [
            {"res_type": "Basic", "res_id": f"one-of-{i}", "version": 1, "last_updated": 1,
             "deleted": False, "content": "{}"} for i in range(5)])
        picked = sa.select(resource.c.res_id).where(one_of(resource.c.res_id, "ids", dialect))
        for wanted in (["one-of-1"], ["one-of-0", "one-of-3", "missing"], []):
            found = {row.res_id for row in conn.execute(picked, {"ids": wanted})}
            assert found == set(wanted) - {"missing"}
        conn.execute(resource.delete().where(resource.c.res_id.like("one-of-%")))
    engine.dispose()
