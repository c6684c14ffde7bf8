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
        description="rows (a deterministic sample) embedded for dispersion; 0 turns it off",
    )
    embedding_in_metadata: bool = Field(
        default=True,
        description="measure embedding dispersion on every materialization; loading the "
        "embedding model costs about 15 s per step process the first time",
    )
