"""The Hugging Face dataset card (README.md): YAML header the Hub validates, and a body."""

from __future__ import annotations

import json

import polars as pl
import yaml
from pydantic import Field

from warehouse.settings import Strict


class PublishConfig(Strict):
    """`synthfoundry publish`: the Hub dataset repository and what its card declares."""

    repo_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*$")
    private: bool = False
    license: str = Field(
        default="other",
        pattern=r"^[a-z0-9][a-z0-9.\-]*$",
        description="Hub license id; synthetic rows inherit the terms of their seeds and of the "
        "models that wrote them, so the default `other` makes you state them (license_name)",
    )
    license_name: str | None = None
    license_link: str | None = None
    language: list[str] = Field(default=["en"], min_length=1)
    pretty_name: str | None = None
    description: str | None = None
    max_rows_per_shard: int = Field(default=100_000, gt=0)


# Task types of the bundled seeds (and common ones) -> Hub task categories.
TASK_CATEGORIES = {
    "open_qa": "question-answering",
    "closed_qa": "question-answering",
    "qa": "question-answering",
    "question_answering": "question-answering",
    "summarization": "summarization",
    "translation": "translation",
    "classification": "text-classification",
}
DEFAULT_TASK_CATEGORY = "text-generation"
# The Hub's size buckets: (upper bound exclusive, label).
SIZE_BUCKETS = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
)


def size_category(rows: int) -> str:
    for bound, label in SIZE_BUCKETS:
        if rows < bound:
            return label
    return "n>1T"


# Row kinds -> the Hub category and tags they add: chat data is text generation (the Hub has
# no conversational category; `conversational` is its tag), tool calls add `tool-calling`.
KIND_CATEGORIES = {"conversation": "text-generation"}
KIND_TAGS = {"conversation": ["conversational"]}
TASK_TYPE_TAGS = {"tool_use": ["tool-calling", "function-calling"]}


def task_categories(task_types: list[str | None], kinds: list[str] | None = None) -> list[str]:
    found = {TASK_CATEGORIES.get(t or "", DEFAULT_TASK_CATEGORY) for t in task_types}
    found |= {KIND_CATEGORIES[k] for k in kinds or [] if k in KIND_CATEGORIES}
    return sorted(found or {DEFAULT_TASK_CATEGORY})


def card_tags(task_types: list[str | None], kinds: list[str] | None = None) -> list[str]:
    extra = {tag for k in kinds or [] for tag in KIND_TAGS.get(k, [])}
    extra |= {tag for t in task_types for tag in TASK_TYPE_TAGS.get(t or "", [])}
    return ["synthetic", "synthfoundry", *sorted(extra)]


def card_header(
    *,
    license: str,
    license_name: str | None,
    license_link: str | None,
    language: list[str],
    pretty_name: str,
    rows: int,
    task_types: list[str | None],
    source_datasets: list[str],
    data_glob: str,
    kinds: list[str] | None = None,
) -> dict:
    header: dict = {
        "license": license,
        "language": language,
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated"],
        "multilinguality": ["monolingual"] if len(language) == 1 else ["multilingual"],
        "source_datasets": source_datasets,
        "size_categories": [size_category(rows)],
        "task_categories": task_categories(task_types, kinds),
        "pretty_name": pretty_name,
        "tags": card_tags(task_types, kinds),
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": data_glob}]}
        ],
    }
    if license == "other":
        header["license_name"] = license_name or "see-dataset-card"
        if license_link:
            header["license_link"] = license_link
    return header


def _table(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "_none_\n"
    cells = [[str(v).replace("|", "\\|").replace("\n", " ") for v in row] for row in frame.rows()]
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def card_markdown(
    header: dict,
    *,
    description: str,
    corpus_version: str,
    methods: pl.DataFrame,
    generators: pl.DataFrame,
    funnel: pl.DataFrame,
    drops: pl.DataFrame,
    contamination: pl.DataFrame,
    lineage: dict,
    files: list[str],
) -> str:
    generators_shown = generators.select(
        "generator_id",
        "method",
        "backend",
        "model",
        "template_name",
        "template_version",
        pl.col("params").map_elements(
            lambda p: json.dumps(json.loads(p), sort_keys=True) if p else "", pl.String
        ),
        "rows",
    )
    return (
        "---\n"
        + yaml.safe_dump(header, sort_keys=False, allow_unicode=True)
        + "---\n\n"
        + f"# {header['pretty_name']}\n\n{description}\n\n"
        + f"Built by SynthFoundry from **{corpus_version}**: every row was machine-generated "
        "(or passed through from a seed set) and carries its lineage: `seed_ids`, `parent_ids`, "
        "`generator_id`, `method`, `run_id`, `created_at`.\n\n"
        + "## Methods\n\n"
        + _table(methods)
        + "\n## Generators\n\nModel, prompt template and sampling parameters of every "
        "generator that contributed rows.\n\n"
        + _table(generators_shown)
        + "\n## Filtering funnel\n\n"
        + _table(funnel)
        + "\n## Filters and their drop counts\n\n"
        + _table(drops)
        + "\n## Decontamination\n\nRows removed because they overlap a benchmark item.\n\n"
        + _table(contamination)
        + "\n## Lineage\n\n"
        + "\n".join(f"- {k.replace('_', ' ')}: {v}" for k, v in lineage.items())
        + "\n\n## Files\n\n"
        + "\n".join(f"- `{f}`" for f in files)
        + "\n\n`croissant.json` describes the files, fields and provenance in the MLCommons "
        "Croissant 1.0 format with PROV-O links to the seed sources and generator activities.\n"
    )
