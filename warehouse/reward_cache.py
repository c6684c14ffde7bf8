"""The reward-score cache: a reward model's score per (model digest, pair sha256)."""

from __future__ import annotations

import polars as pl

from warehouse.connection import Warehouse
from warehouse.corpora import now

CACHED_REWARDS_SQL = """
SELECT pair_sha256, score
FROM reward_cache
WHERE model = ? AND list_contains(?::VARCHAR[], pair_sha256)
"""

INSERT_REWARDS_SQL = """
INSERT INTO reward_cache
SELECT ? AS model, pair_sha256, score, ?::TIMESTAMP AS created_at
FROM new_rewards
ON CONFLICT DO NOTHING
"""


def cached_rewards(wh: Warehouse, model: str, keys: list[str]) -> dict[str, float]:
    """Cached scores for those of `keys` that have one."""
    if not keys:
        return {}
    with wh.reader() as con:
        found = con.sql(CACHED_REWARDS_SQL, params=[model, keys]).pl()
    return dict(zip(found["pair_sha256"].to_list(), found["score"].to_list(), strict=True))


def store_rewards(wh: Warehouse, model: str, scores: dict[str, float]) -> None:
    if not scores:
        return
    frame = pl.DataFrame(
        {"pair_sha256": list(scores), "score": list(scores.values())},
        schema={"pair_sha256": pl.String, "score": pl.Float64},
    )
    with wh.writer() as con:
        con.register("new_rewards", frame.to_arrow())
        con.execute(INSERT_REWARDS_SQL, [model, now()])
