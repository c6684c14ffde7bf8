"""`synthfoundry report`: one self-contained HTML file describing a corpus version."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import polars as pl

from quality.diversity import Embed, diversity
from quality.funnel import chain_funnel
from quality.plots import funnel_plot, length_plot, score_frame, score_plot
from warehouse.connection import Warehouse
from warehouse.corpora import CORPORA, current_version, list_versions, version_info
from warehouse.errors import UserError
from warehouse.reports import (
    category_counts,
    contamination,
    decision_scores,
    generator_yield,
    version_sample,
)

DEFAULT_EMBEDDING_SAMPLE = 2000
# Plots and diversity read this many rows (the smallest row ids, a pseudo-random sample); counts
# come from the whole version in SQL, so the report never holds a version in memory.
REPORT_SAMPLE_ROWS = 10_000


class ReportError(UserError, ValueError):
    """The report cannot be built: unknown corpus or version."""

    readme_section = "Quality reports and publishing"


def _png(png: bytes | None) -> str | None:
    return None if png is None else "data:image/png;base64," + base64.b64encode(png).decode()


def _table(frame: pl.DataFrame) -> dict:
    return {"columns": frame.columns, "rows": [list(r) for r in frame.iter_rows()]}


def build_context(
    wh: Warehouse,
    corpus: str,
    version: int | None,
    embedding_sample: int,
    embed: Embed | None,
) -> dict:
    if corpus not in CORPORA:
        raise ReportError(f"unknown corpus {corpus!r}; expected one of {', '.join(CORPORA)}")
    if version is None:
        version = current_version(wh, corpus)
        if version is None:
            raise ReportError(f"{corpus} has no current version yet: run the flow first")
    info = version_info(wh, corpus, version)
    if info is None:
        known = _known_versions(wh, corpus)
        raise ReportError(f"{corpus} v{version} does not exist (known versions: {known or 'none'})")
    if info["status"] == "pruned":
        raise ReportError(f"{corpus} v{version} was pruned by the retention policy")
    rows = version_sample(wh, corpus, version, REPORT_SAMPLE_ROWS)
    funnel = chain_funnel(wh, corpus, version)
    plots = {
        "funnel": _png(funnel_plot(funnel.stages, "rows in and out per version")),
        "lengths": _png(length_plot(rows, f"{corpus} v{version}: text lengths")),
        "scores": _png(
            score_plot(
                score_frame(rows, decision_scores(wh, corpus, version, REPORT_SAMPLE_ROWS)),
                f"{corpus} v{version}: scores",
            )
        ),
    }
    chain = funnel.stages.select("corpus", "version").rows()
    decontaminated = [v for c, v in chain if c == "decontaminated"]
    counts = {c: category_counts(wh, corpus, version, c) for c in ("task_type", "method")}
    measures = diversity(rows, embed, embedding_sample=embedding_sample, counts=counts)
    row_count = int(info["row_count"] if info.get("row_count") is not None else rows.height)
    measures.update(rows=row_count, sampled_rows=rows.height)
    return {
        "title": f"SynthFoundry report: {corpus} v{version}",
        "corpus": corpus,
        "version": version,
        "status": info["status"],
        "created_at": str(info["created_at"]),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": row_count,
        "stages": _table(funnel.stages.drop("label")),
        "reasons": _table(funnel.reasons),
        "plots": plots,
        "diversity": measures,
        "diversity_json": json.dumps(measures, indent=2),
        "contamination": _table(contamination(wh, decontaminated[0])) if decontaminated else None,
        "yield": _table(generator_yield(wh)),
    }


def _known_versions(wh: Warehouse, corpus: str) -> str:
    return ", ".join(str(v) for v in list_versions(wh, corpus)["version"].to_list())


def render(context: dict) -> str:
    import jinja2

    template = files("quality").joinpath("templates", "report.html.j2").read_text("utf-8")
    return (
        jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
        .from_string(template)
        .render(**context)
    )


def write_report(
    wh: Warehouse,
    corpus: str = "decontaminated",
    version: int | None = None,
    out: Path | None = None,
    embedding_sample: int = DEFAULT_EMBEDDING_SAMPLE,
    embed: Embed | None = None,
) -> Path:
    """Write the report; `embed` (texts to unit vectors) adds embedding dispersion."""
    context = build_context(wh, corpus, version, embedding_sample, embed)
    target = out or wh.home / "reports" / corpus / f"v{context['version']}" / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(context), encoding="utf-8")
    return target
