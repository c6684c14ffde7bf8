"""What each corpus materialization reports; kept apart from quality/materialization.py so the
recipe, which assembles this model, does not import Dagster."""

from __future__ import annotations

from pydantic import Field

from warehouse.settings import Strict


class ReportConfig(Strict):
    """What each corpus materialization reports in Dagster and `synthfoundry report` shows."""

    sample_rows: int = Field(
        default=5,
        ge=0,
        le=100,
        description="kept rows, and dropped rows per rule, shown as tables in the metadata",
    )
    plots: bool = Field(
        default=True,
        description="length and score histograms saved under $SYNTHFOUNDRY_HOME/reports/",
    )
    inline_plot_max_kb: int = Field(
        default=200,
        ge=0,
        description="plots up to this size are also shown in the UI as markdown images "
        "(data URIs); 0 attaches file paths only",
    )
    embedding_sample: int = Field(
        default=2000,
        ge=0,
        description="rows (a deterministic sample: the smallest row ids) whose embeddings "
        "measure dispersion; 0 turns it off",
    )
    embedding_new_rows: int = Field(
        default=128,
        ge=0,
        description="per materialization, at most this many rows of the sample are encoded "
        "now; the rest of it counts only where the warehouse's embedding cache holds its vector "
        "(semantic dedup and decontamination fill it), so the cost is bounded at any size",
    )
    embedding_in_metadata: bool = Field(
        default=True,
        description="measure embedding dispersion on every materialization; loading the "
        "embedding model costs about 15 s per step process the first time",
    )
