"""Document-grounded question answering: QA pairs written from passages of source documents.

Documents are split into passages of about `passage_words` words on sentence boundaries. Each
pair is kept only if its passage supports it: the cosine of the (question + answer) embedding
and the passage embedding (all-MiniLM-L6-v2, cached in the warehouse) must reach
`min_support`, and, when a `judge` is configured, the judge's support score must reach
`judge_min_score`. The generator's output is held to `QA_SCHEMA`, `{"question", "answer"}`.
Rows hold the question as `instruction`, the passage as `input`, the
answer as `response`, and the passage's document and character offsets in `attributes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.embeddings import pair_cosines
from assets.models.call_cache import CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.json_schema import JsonSchema, SchemaMismatch
from assets.models.prompt_templates import load_template
from assets.models.rubric_judge import Judgement
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.synthesis.samplers.draw import Value


class GroundedQA(Steerable):
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
# Lengths bound what a grammar lets a small model ramble on with before it must close the JSON.
QA_SCHEMA = JsonSchema(
    "grounded_qa",
    {
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": 200},
            "answer": {"type": "string", "minLength": 1, "maxLength": 400},
        },
        "required": ["question", "answer"],
        "additionalProperties": False,
    },
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


def document_passages(documents: pl.DataFrame, max_words: int, per_document: int) -> list[dict]:
    """The first `per_document` passages of each document: the document row, the passage's
    index, character span and text."""
    passages = []
    for doc in documents.iter_rows(named=True):
        text = doc["text"]
        for index, (start, end) in enumerate(split_passages(text, max_words)[:per_document]):
            passages.append(
                {"doc": doc, "index": index, "start": start, "end": end, "text": text[start:end]}
            )
    return passages


def parse_qa(raw: str) -> tuple[str, str]:
    """The (question, answer) of a model's output; `SchemaMismatch` when it does not match
    `QA_SCHEMA` or either is blank."""
    value = QA_SCHEMA.parse(raw)
    question, answer = value["question"].strip(), value["answer"].strip()
    if not (question and answer):
        raise SchemaMismatch(QA_SCHEMA, "blank question or answer", raw)
    return question, answer


@dataclass
class _Candidate:
    passage: dict
    call: CallResult
    question: str
    answer: str
    where: dict  # the passage (and the sampled attributes), as rejection evidence
    sampled: dict[str, Value]
    support: float = 0.0
    judgement: Judgement | None = None


class GroundedQAMethod:
    name = "grounded_qa"
    Config = GroundedQA
    # The placeholders the method fills; any other in its template is an attribute. The judge
    # is not steered: it rates support the same way for every question.
    template_values: ClassVar[dict[str, frozenset[str]]] = {"template": frozenset({"passage"})}

    def __init__(self, config: GroundedQA):
        self.config = config
        self.template = load_template(config.template)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, config, ctx)
        model = run.model(
            config.generator,
            [self.template],
            {
                "sampling": config.sampling.model_dump(),
                "passage_words": config.passage_words,
                "min_support": config.min_support,
                **attributes.params(),
            },
            QA_SCHEMA,
        )
        with_text = (pl.col("kind") == "document") & (pl.col("text").fill_null("") != "")
        documents = ctx.select_sources(config.sources, seeds, with_text, config.max_documents)
        passages = document_passages(
            documents, config.passage_words, config.max_passages_per_document
        )
        asks = [(p, sample) for p in passages for sample in range(config.questions_per_passage)]
        # Drawn per question: the questions about one passage may each be steered otherwise.
        sampled = [
            attributes.draw(f"{p['doc']['row_id']}:{p['index']}:{sample}", p["doc"])
            for p, sample in asks
        ]
        calls = model.complete_many(
            [
                (render(self.template, values, passage=p["text"]), sample)
                for (p, sample), values in zip(asks, sampled, strict=True)
            ],
            config.sampling,
        )
        candidates: list[_Candidate] = []
        for (passage, _), values, call in zip(asks, sampled, calls, strict=True):
            where = {
                "document_row_id": passage["doc"]["row_id"],
                "passage_index": passage["index"],
                **MethodAttributes.row(values),
            }
            if not run.screen(call, call.text, **where):
                continue
            try:
                parsed = parse_qa(call.text)
            except SchemaMismatch as mismatch:
                run.reject(call, "unparseable_qa", problem=mismatch.reason, **where)
                continue
            candidates.append(_Candidate(passage, call, *parsed, where, values))
        support = pair_cosines(
            ctx.wh,
            [f"{c.question} {c.answer}" for c in candidates],
            [c.passage["text"] for c in candidates],
        )
        supported = []
        for c, score in zip(candidates, support, strict=True):
            c.support = score
            if score < config.min_support:
                run.reject(
                    c.call,
                    "unsupported_answer",
                    score=score,
                    question=c.question,
                    answer=c.answer,
                    min_support=config.min_support,
                    **c.where,
                )
            else:
                supported.append(c)
        if config.judge is not None and supported:
            judge = run.judge(
                config.judge, config.judge_template, config.judge_scale, config.judge_sampling
            )
            verdicts = run.judged(
                judge,
                [c.call for c in supported],
                [
                    {"passage": c.passage["text"], "question": c.question, "answer": c.answer}
                    for c in supported
                ],
                [c.where for c in supported],
                floor=config.judge_min_score,
                floor_rule="judge_unsupported",
            )
            for c, verdict in zip(supported, verdicts, strict=True):
                c.judgement = verdict
            supported = [c for c in supported if c.judgement is not None]
        for c in supported:
            run.keep(
                model,
                [c.call, *([c.judgement.call] if c.judgement else [])],
                Lineage.of(c.passage["doc"]),
                task_type="grounded_qa",
                instruction=c.question,
                input=c.passage["text"],
                response=c.answer,
                attributes={
                    "passage": {
                        "document_row_id": c.passage["doc"]["row_id"],
                        "index": c.passage["index"],
                        "start": c.passage["start"],
                        "end": c.passage["end"],
                    },
                    "support_score": c.support,
                    "judge_score": c.judgement.score if c.judgement else None,
                    "finish_reason": c.call.finish_reason,
                    **MethodAttributes.row(c.sampled),
                },
            )
        return run.output()
