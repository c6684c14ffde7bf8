"""The embedding cache: vectors keyed by (model, sha256 of the text)."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from warehouse.connection import Warehouse
from warehouse.corpora import now

CACHED_EMBEDDINGS_SQL = """
SELECT text_sha256, vector
FROM embedding_cache
WHERE model = ? AND list_contains(?::VARCHAR[], text_sha256)
"""

INSERT_EMBEDDINGS_SQL = """
INSERT INTO embedding_cache
SELECT ? AS model, text_sha256, ? AS dim, vector, ?::TIMESTAMP AS created_at
FROM new_embeddings
ON CONFLICT DO NOTHING
"""


def text_key(text: str) -> str:
    """A text's key in the cache: the sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_embeddings(wh: Warehouse, model: str, keys: list[str]) -> dict[str, np.ndarray]:
    """Cached vectors for those of `keys` that have one."""
    if not keys:
        return {}
    with wh.reader() as con:
        found = con.sql(CACHED_EMBEDDINGS_SQL, params=[model, keys]).pl()
    if found.is_empty():
        return {}
    vectors = found["vector"].cast(pl.Array(pl.Float32, len(found["vector"][0]))).to_numpy()
    return dict(zip(found["text_sha256"].to_list(), vectors, strict=True))


def store_embeddings(wh: Warehouse, model: str, keys: list[str], vectors: np.ndarray) -> None:
    if not keys:
        return
    frame = pl.DataFrame(
        {
            "text_sha256": pl.Series(keys, dtype=pl.String),
            "vector": pl.Series(np.ascontiguousarray(vectors, dtype=np.float32)).cast(
                pl.List(pl.Float32)
            ),
        }
    )
    with wh.writer() as con:
        con.register("new_embeddings", frame.to_arrow())
        con.execute(INSERT_EMBEDDINGS_SQL, [model, int(vectors.shape[1]), now()])
