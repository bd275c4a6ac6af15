"""``starts_with``: a prefix range the index serves, estimated like a prefix on PostgreSQL."""

from __future__ import annotations

import json

import sqlalchemy as sa

from registry.storage.database import create_engine, starts_with
from registry.storage.values import prefix_upper_bound

WORDS = sa.table("prefix_words", sa.column("value", sa.String))


def condition(estimate_as_prefix: bool = True) -> sa.ColumnElement[bool]:
    return starts_with(WORDS.c.value, sa.bindparam("low"), sa.bindparam("high"),
                       estimate_as_prefix=estimate_as_prefix)


def test_matches_exactly_the_values_that_start_with_the_prefix(database_url: str) -> None:
    engine = create_engine(database_url)
    collation = ' COLLATE "C"' if engine.dialect.name == "postgresql" else ""
    words = ["ab", "abc", "abd", "abzzz", "aa", "ac", "b", "", "xab"]
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TEMPORARY TABLE prefix_words (value VARCHAR(64)"
                             f"{collation})"))
        conn.execute(WORDS.insert(), [{"value": w} for w in words])
        for prefix in ("ab", "abc", "a", "z", ""):
            for hinted in (True, False):
                found = conn.execute(sa.select(WORDS.c.value).where(condition(hinted)),
                                     {"low": prefix, "high": prefix_upper_bound(prefix)})
                assert sorted(row.value for row in found) == sorted(
                    w for w in words if w.startswith(prefix)), prefix
        conn.execute(sa.text("DROP TABLE prefix_words"))
    engine.dispose()


def test_the_generic_plan_estimates_a_prefix_not_half_a_percent_of_the_rows(
        database_url: str) -> None:
    """A prepared statement's generic plan guesses 0.5 % of the rows for a range of unknown
    bounds; that guess made PostgreSQL re-plan a chained search on every execution. The
    repeated ``^@`` test (for a chain's targets only) brings the generic estimate down to a
    few rows."""
    engine = create_engine(database_url)
    sql = str(condition().compile(dialect=engine.dialect))
    assert "^@" not in str(condition(estimate_as_prefix=False).compile(dialect=engine.dialect))
    if engine.dialect.name != "postgresql":
        assert "^@" not in sql
        return
    with engine.begin() as conn:
        conn.execute(sa.text('CREATE TEMPORARY TABLE prefix_words (value VARCHAR(64) '
                             'COLLATE "C")'))
        conn.execute(sa.text("INSERT INTO prefix_words SELECT md5(g::text) "
                             "FROM generate_series(1, 20000) AS g"))
        conn.execute(sa.text("ANALYZE prefix_words"))
        conn.execute(sa.text("SET LOCAL plan_cache_mode = force_generic_plan"))
        estimates = {}
        for name, where in (("range", "value >= $1 AND value < $2"),
                            ("starts_with", sql.replace("%(low)s", "$1")
                             .replace("%(high)s", "$2"))):
            conn.execute(sa.text(f"PREPARE {name} (text, text) AS "
                                 f"SELECT value FROM prefix_words WHERE {where}"))
            plan = conn.execute(sa.text(f"EXPLAIN (FORMAT JSON) EXECUTE {name} ('ab', "
                                        f"'ab' || chr(1114111))")).scalar_one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            estimates[name] = plan[0]["Plan"]["Plan Rows"]
            conn.execute(sa.text(f"DEALLOCATE {name}"))
        conn.execute(sa.text("DROP TABLE prefix_words"))
    engine.dispose()
    assert estimates["range"] >= 100  # 0.5 % of 20,000
    assert estimates["starts_with"] <= 2, estimates
