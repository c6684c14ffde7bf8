"""Document-grounded question answering: QA pairs written from passages of source documents.

Documents are split into passages of about `passage_words` words on sentence boundaries. Each
pair is kept only if its passage supports it: the cosine of the (question + answer) embedding
and the passage embedding (all-MiniLM-L6-v2, cached in the warehouse) must reach
`min_support`, and, when a `judge` is configured, the judge's support score must reach
`judge_min_score`. Rows hold the question as `instruction`, the passage as `input`, the
answer as `response`, and the passage's document and character offsets in `attributes`.
"""

from __future__ import annotations

import json
import re
from typing import Literal

import numpy as np
import polars as pl
from pydantic import Field

from assets.embeddings import Embedder
from assets.models.backends import build_backend
from assets.models.call_cache import CachedModel
from assets.models.generator_identity import model_generator
from assets.models.output_screens import rejection, screen
from assets.models.prompt_templates import load_template
from assets.models.rubric_judge import RubricJudge
from assets.recipe.generators import GeneratorConfig, LocalModel, Sampling
from assets.synthesis.context import (
    SOURCES_DESCRIPTION,
    MethodOutput,
    SynthesisContext,
    rows_from_records,
)
from warehouse.settings import Strict


class GroundedQA(Strict):
    """Question-answer pairs grounded in passages of seed documents, kept only when the answer
    is supported by its passage (embedding similarity, and optionally a judge)."""

    method: Literal["grounded_qa"]
    generator: GeneratorConfig = LocalModel()
    judge: GeneratorConfig | None = Field(
        default=None, description="A judge model that also rates support; off by default."
    )
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    max_documents: int | None = Field(default=None, gt=0)
    passage_words: int = Field(
        default=120, ge=20, description="Passages hold about this many words."
    )
    max_passages_per_document: int = Field(default=4, gt=0)
    questions_per_passage: int = Field(default=1, ge=1, le=16)
    min_support: float = Field(
        default=0.45,
        ge=-1.0,
        le=1.0,
        description="Cosine of (question + answer) and the passage, all-MiniLM-L6-v2.",
    )
    judge_min_score: float = Field(default=3.0, ge=1.0)
    judge_scale: Literal[5, 10] = 5
    sampling: Sampling = Sampling(temperature=0.5, max_tokens=128)
    judge_sampling: Sampling = Sampling(temperature=0.0, max_tokens=32)
    template: str = "grounded_qa"
    judge_template: str = "grounded_qa_judge"


_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n+|$)")
_QA = re.compile(
    r"(?is)\bquestion\s*\d*\s*[:：]\s*(.+?)\s*\banswer\s*\d*\s*[:：]\s*(.+?)(?=\bquestion\s*\d*\s*[:：]|$)"
)


def split_passages(text: str, max_words: int) -> list[tuple[int, int]]:
    """(start, end) character spans of consecutive sentences, each about `max_words` words;
    a passage ends at the sentence that brings it to `max_words`."""
    spans: list[tuple[int, int]] = []
    start, count = None, 0
    for match in _SENTENCE.finditer(text):
        n = len(match.group(0).split())
        if n == 0:
            continue
        if start is None:
            start = match.start()
        count += n
        if count >= max_words:
            spans.append((start, match.end()))
            start, count = None, 0
    if start is not None:
        spans.append((start, len(text)))
    return [
        (
            s + len(text[s:e]) - len(text[s:e].lstrip()),
            e - (len(text[s:e]) - len(text[s:e].rstrip())),
        )
        for s, e in spans
    ]


def parse_qa(raw: str) -> tuple[str, str] | None:
    """The first "Question: ... Answer: ..." pair of a model's output."""
    match = _QA.search(raw)
    if match is None:
        return None
    question, answer = match.group(1).strip(), match.group(2).strip()
    return (question, answer) if question and answer else None


class GroundedQAMethod:
    name = "grounded_qa"
    Config = GroundedQA

    def __init__(self, config: GroundedQA):
        self.config = config
        self.template = load_template(config.template)

    def _passages(self, documents: pl.DataFrame) -> list[dict]:
        passages = []
        for doc in documents.iter_rows(named=True):
            text = doc["text"]
            spans = split_passages(text, self.config.passage_words)
            for index, (start, end) in enumerate(spans[: self.config.max_passages_per_document]):
                passages.append(
                    {
                        "doc": doc,
                        "index": index,
                        "start": start,
                        "end": end,
                        "text": text[start:end],
                    }
                )
        return passages

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        documents = (
            ctx.source_rows(self.config.sources, seeds)
            .filter((pl.col("kind") == "document") & (pl.col("text").fill_null("") != ""))
            .sort("row_id")
        )
        if self.config.max_documents is not None:
            documents = documents.head(self.config.max_documents)
        backend = build_backend(self.config.generator)
        generator = model_generator(
            backend,
            [self.template],
            {
                "sampling": self.config.sampling.model_dump(),
                "passage_words": self.config.passage_words,
                "min_support": self.config.min_support,
            },
        )
        model = CachedModel(backend, generator.generator_id, ctx)
        passages = self._passages(documents)
        prompts = [
            (self.template.render(passage=p["text"]), sample)
            for p in passages
            for sample in range(self.config.questions_per_passage)
        ]
        calls = model.complete_many(prompts, self.config.sampling)
        owners = [p for p in passages for _ in range(self.config.questions_per_passage)]

        rejected: list[dict] = []
        candidates: list[dict] = []
        for passage, call in zip(owners, calls, strict=True):
            where = {"document_row_id": passage["doc"]["row_id"], "passage_index": passage["index"]}
            rule = screen(call, call.text)
            parsed = parse_qa(call.text) if rule is None else None
            if rule is None and parsed is None:
                rule = "unparseable_qa"
            if rule:
                rejected.append(rejection(call, rule, **where))
                continue
            candidates.append({"passage": passage, "call": call, "qa": parsed, "where": where})

        if candidates:
            embedder = Embedder()
            pairs = embedder.embed(ctx.wh, [f"{c['qa'][0]} {c['qa'][1]}" for c in candidates])
            texts = embedder.embed(ctx.wh, [c["passage"]["text"] for c in candidates])
            support = np.einsum("ij,ij->i", pairs, texts)
        else:
            support = np.zeros(0)
        supported = []
        for candidate, score in zip(candidates, support.tolist(), strict=True):
            candidate["support"] = score
            if score < self.config.min_support:
                rejected.append(
                    rejection(
                        candidate["call"],
                        "unsupported_answer",
                        score=score,
                        question=candidate["qa"][0],
                        answer=candidate["qa"][1],
                        min_support=self.config.min_support,
                        **candidate["where"],
                    )
                )
            else:
                supported.append(candidate)

        generators, callers = [generator], [model]
        if self.config.judge is not None and supported:
            judge = RubricJudge(
                self.config.judge,
                self.config.judge_template,
                self.config.judge_scale,
                self.config.judge_sampling,
            )
            generators.append(judge.record)
            verdicts = judge.score(
                ctx,
                [
                    {"passage": c["passage"]["text"], "question": c["qa"][0], "answer": c["qa"][1]}
                    for c in supported
                ],
            )
            callers.append(judge)
            kept = []
            for candidate, verdict in zip(supported, verdicts, strict=True):
                candidate["judge"] = verdict
                rule = (
                    "judge_unparseable"
                    if verdict.score is None
                    else "judge_unsupported"
                    if verdict.score < self.config.judge_min_score
                    else None
                )
                if rule:
                    rejected.append(
                        rejection(
                            candidate["call"],
                            rule,
                            score=verdict.score,
                            judge_call_id=verdict.call_id,
                            judge_output=verdict.call.text[:500],
                            **candidate["where"],
                        )
                    )
                else:
                    kept.append(candidate)
            supported = kept

        records = []
        for candidate in supported:
            passage, call, verdict = candidate["passage"], candidate["call"], candidate.get("judge")
            records.append(
                {
                    "kind": "instruction",
                    "task_type": "grounded_qa",
                    "instruction": candidate["qa"][0],
                    "input": passage["text"],
                    "response": candidate["qa"][1],
                    "attributes": json.dumps(
                        {
                            "passage": {
                                "document_row_id": passage["doc"]["row_id"],
                                "index": passage["index"],
                                "start": passage["start"],
                                "end": passage["end"],
                            },
                            "support_score": candidate["support"],
                            "judge_score": verdict.score if verdict else None,
                            "finish_reason": call.finish_reason,
                        }
                    ),
                    "seed_ids": passage["doc"]["origin_seed_ids"],
                    "parent_ids": [passage["doc"]["row_id"]],
                    "call_ids": [call.request_hash, *([verdict.call_id] if verdict else [])],
                    "generator_id": generator.generator_id,
                    "method": self.name,
                }
            )
        return MethodOutput.made(
            rows_from_records(records, ctx), rejected, generators, callers=callers
        )
