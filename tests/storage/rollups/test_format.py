"""The rollup format: the SQL bucket expression matches `bucket_index`, and percentiles read back
from a histogram stay within one bucket (25 %) of the exact nearest rank."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from storage.database import Store
from storage.reads.queries import nearest_rank
from storage.rollups.format import BUCKET_BOUNDS_US, bucket_index, bucket_sql, histogram_percentile


def test_bucket_sql_matches_bucket_index(sqlite_store: Store) -> None:
    values = [0, 1, *(b + d for b in BUCKET_BOUNDS_US for d in (-1, 0, 1)), 10**9]
    expr = bucket_sql("v")
    with sqlite_store.engine.connect() as conn:
        for v in values:
            got = conn.execute(sa.text(f"SELECT {expr} FROM (SELECT :v AS v) x"), {"v": v})
            assert got.scalar_one() == bucket_index(v), v


def test_histogram_percentile_is_close_to_exact() -> None:
    values = [20_000 + (i * 7919) % 380_000 for i in range(500)]
    hist = Counter(str(bucket_index(v)) for v in values)
    for q in (50, 95, 99):
        exact = nearest_rank(values, q)
        approx = histogram_percentile(dict(hist), q, min(values), max(values))
        assert exact is not None and approx is not None
        assert exact <= approx <= exact * 1.25
