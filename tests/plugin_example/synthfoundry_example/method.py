"""A synthesis method: seed instructions restated with a fixed prefix ("Answer briefly: ..."),
keeping the seed's response. No model call; a template generator in lineage."""

from __future__ import annotations

import hashlib
from typing import Literal

import polars as pl
from pydantic import Field

from assets.synthesis.context import MethodOutput, SynthesisContext, rows_from_records
from warehouse.lineage import GeneratorRecord
from warehouse.settings import Strict


class InstructionPrefix(Strict):
    method: Literal["instruction_prefix"]
    prefix: str = Field(default="Answer briefly: ", min_length=1)
    max_rows: int = Field(default=5, gt=0)


class InstructionPrefixMethod:
    name = "instruction_prefix"
    Config = InstructionPrefix

    def __init__(self, config: InstructionPrefix):
        self.config = config

    def generator(self) -> GeneratorRecord:
        return GeneratorRecord(
            backend="template",
            model=self.name,
            template_name=self.name,
            template_version="1",
            template_sha256=hashlib.sha256(self.config.prefix.encode()).hexdigest(),
            template_text=self.config.prefix,
            params={"prefix": self.config.prefix},
        )

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        generator = self.generator()
        sources = ctx.source_instructions(["seed"], seeds, None, self.config.max_rows)
        records = [
            {
                "kind": "instruction",
                "task_type": row["task_type"],
                "instruction": self.config.prefix + row["instruction"],
                "input": row["input"],
                "response": row["response"],
                "seed_ids": row["origin_seed_ids"],
                "parent_ids": [row["row_id"]],
                "call_ids": [],
                "generator_id": generator.generator_id,
                "method": self.name,
            }
            for row in sources.iter_rows(named=True)
        ]
        return MethodOutput.made(rows_from_records(records, ctx), [], [generator])
