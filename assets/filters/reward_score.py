"""Reward scores: a reward model reads each kept row's request and answer and gives one number
(`reward_score`); rows under `min_score` are dropped with a `reward.min_score` decision.

The model is a sentence-transformers `CrossEncoder` (or any sequence-classification model
folder it loads, e.g. a reward model with one output) given by a local path: never
downloaded at run time. Like the judge it runs last, on the rows every other step kept. Scores
are cached in the warehouse by the model and the pair's text, so a re-run pays nothing twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from pydantic import Field, model_validator

from assets.filters.defects.units import units
from assets.run_context import RunContext
from assets.steps import STEP_DECISION_SCHEMA, RowStep, StepOutput, merge_stats, no_decisions
from warehouse.connection import Warehouse
from warehouse.reward_cache import cached_rewards, store_rewards
from warehouse.settings import Strict


class RewardScoring(Strict):
    """A reward model scores each kept row (column `reward_score`). Off by default: it needs a
    model you give by path."""

    enabled: bool = False
    model_path: str | None = Field(
        default=None,
        description="A local CrossEncoder or sequence-classification model folder.",
    )
    kinds: list[str] = Field(
        default=["instruction", "preference", "conversation"],
        description="Row kinds scored; others get null.",
    )
    min_score: float | None = Field(
        default=None, description="Rows whose reward_score is below this are dropped."
    )
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=512, ge=16, description="Tokens of a pair the model reads.")

    @model_validator(mode="after")
    def _model_given(self) -> RewardScoring:
        if self.enabled and not self.model_path:
            raise ValueError("reward scoring needs `model_path` (a local model folder)")
        return self


class RewardModelError(ValueError):
    """A reward model that cannot be loaded from its path."""


@cache
def load_reward_model(path: str, max_length: int) -> Any:
    """The CrossEncoder in the folder at `path`, loaded once per process, never downloaded."""
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise RewardModelError(
            f"reward model {path!r}: no model folder there (expected config.json); give the "
            "path of a CrossEncoder or sequence-classification model saved on this machine"
        )
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(folder), max_length=max_length, local_files_only=True)


def predict_rewards(
    path: str, max_length: int, pairs: list[tuple[str, str]], batch_size: int
) -> list[float]:
    """The model's score of each (request, answer) pair: its last output (a one-output reward
    head's only one; a classifier's last class)."""
    scores = load_reward_model(path, max_length).predict(
        [list(pair) for pair in pairs], batch_size=batch_size, show_progress_bar=False
    )
    return [float(v) for v in scores.reshape(len(pairs), -1)[:, -1]]


def model_digest(path: str) -> str:
    """A digest of the model's weights and config: the cache key's model part."""
    digest = hashlib.sha256()
    folder = Path(path).expanduser()
    for file in sorted(folder.rglob("*")):
        if file.is_file() and file.suffix in {".json", ".safetensors", ".bin"}:
            digest.update(file.name.encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _pairs(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, request, answer`: an instruction (with its input) and its response, or a
    conversation's last assistant turn and everything said before it."""
    flat = rows.filter(pl.col("kind") != "conversation").select(
        "row_id",
        pl.concat_str(["instruction", "input"], separator="\n\n", ignore_nulls=True)
        .fill_null("")
        .str.strip_chars()
        .alias("request"),
        pl.col("response").fill_null("").alias("answer"),
    )
    turns = units(rows, ("messages",), ("assistant",))
    last = turns.sort("row_id", "turn").unique("row_id", keep="last", maintain_order=True)
    chats = last.select(
        "row_id",
        pl.concat_str(["context", "prompt"], separator="\n\n", ignore_nulls=True)
        .str.strip_chars()
        .alias("request"),
        pl.col("text").alias("answer"),
    )
    return pl.concat([flat, chats])


def pair_keys(requests: list[str], answers: list[str]) -> list[str]:
    return [
        hashlib.sha256(f"{q}\x1f{a}".encode()).hexdigest()[:32]
        for q, a in zip(requests, answers, strict=True)
    ]


@dataclass
class RewardScores(RowStep):
    """`rows` with `reward_score` (null where not scored), minus rows under the floor."""

    config: RewardScoring
    wh: Warehouse | None = None
    name: str = "reward"
    Config: ClassVar[type[Strict]] = RewardScoring
    config_key: ClassVar[str] = "reward"
    _totals: dict[str, Any] = field(default_factory=dict, init=False)

    @classmethod
    def from_config(cls, config: RewardScoring, run: RunContext) -> list[RewardScores]:
        if not config.enabled:
            return []
        return [cls(config, run.ctx.wh if run.ctx is not None else None)]

    def scores(self, requests: list[str], answers: list[str]) -> list[float]:
        """The model's score of each pair, from the cache where it has them."""
        path = str(self.config.model_path)
        model_id = model_digest(path)
        keys = pair_keys(requests, answers)
        known = cached_rewards(self.wh, model_id, sorted(set(keys))) if self.wh else {}
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            first = dict(zip(keys, zip(requests, answers, strict=True), strict=True))
            fresh = predict_rewards(
                path,
                self.config.max_length,
                [first[k] for k in missing],
                self.config.batch_size,
            )
            new = dict(zip(missing, fresh, strict=True))
            if self.wh is not None:
                store_rewards(self.wh, model_id, new)
            known.update(new)
        self._totals = merge_stats(
            self._totals, {"new_scores": len(missing), "cached_scores": len(keys) - len(missing)}
        )
        return [known[k] for k in keys]

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        if rows.is_empty():
            return StepOutput(rows.with_columns(pl.lit(None, pl.Float64).alias("reward_score")))
        pairs = _pairs(rows.filter(pl.col("kind").is_in(self.config.kinds)))
        scored = pairs.select("row_id").with_columns(
            pl.Series(
                "reward_score",
                self.scores(pairs["request"].to_list(), pairs["answer"].to_list()),
                dtype=pl.Float64,
            )
        )
        decisions = self._floor(scored)
        kept = rows.join(scored, on="row_id", how="left").join(
            decisions.select("row_id"), on="row_id", how="anti"
        )
        self._totals = merge_stats(
            self._totals,
            {
                "scored_rows": scored.height,
                "score_sum": float(scored["reward_score"].sum() or 0.0),
                "dropped": decisions.height,
            },
        )
        return StepOutput(kept, decisions)

    def _floor(self, scored: pl.DataFrame) -> pl.DataFrame:
        floor = self.config.min_score
        if floor is None or scored.is_empty():
            return no_decisions()
        return (
            scored.filter(pl.col("reward_score") < floor)
            .select(
                "row_id",
                pl.lit("reward.min_score").alias("rule"),
                pl.lit("drop").alias("action"),
                pl.col("reward_score").alias("score"),
                pl.struct(
                    pl.col("reward_score"),
                    pl.lit(floor).alias("min_score"),
                    pl.lit(Path(str(self.config.model_path)).name).alias("model"),
                )
                .struct.json_encode()
                .alias("evidence"),
            )
            .select(STEP_DECISION_SCHEMA.keys())
            .cast(STEP_DECISION_SCHEMA)
        )

    def stats(self) -> dict[str, Any]:
        if not self._totals:
            return {}
        totals = self._totals
        scored = totals.get("scored_rows", 0)
        return {
            "reward": {
                "model": Path(str(self.config.model_path)).name,
                "scored_rows": scored,
                "mean_reward_score": totals.get("score_sum", 0.0) / scored if scored else None,
                "dropped": totals.get("dropped", 0),
                "new_scores": totals.get("new_scores", 0),
                "cached_scores": totals.get("cached_scores", 0),
            }
        }
