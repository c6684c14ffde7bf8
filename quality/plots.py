"""PNG plots of a corpus version: text length and score distributions (matplotlib, Agg)."""

from __future__ import annotations

import io

import polars as pl

LENGTH_COLUMNS = ("instruction", "input", "response", "text")
# Panels a row in a histogram grid.
HISTOGRAM_COLUMNS = 4
# Numeric columns that are bookkeeping, not scores.
NOT_SCORES = {"version", "source_line"}


def _figure(width: float, height: float):
    """A bare Agg figure: no pyplot, no GUI backend, nothing global to close."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # heavy: only when drawing
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _png(fig, *, fit: bool = True) -> bytes:
    buffer = io.BytesIO()
    if fit:
        fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def length_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """Characters per row of each text column that has any text (long form: column, chars)."""
    present = [c for c in LENGTH_COLUMNS if c in rows.columns]
    if not present or rows.is_empty():
        return pl.DataFrame(schema={"column": pl.String, "chars": pl.Int64})
    return (
        rows.select([pl.col(c).str.len_chars().cast(pl.Int64).alias(c) for c in present])
        .unpivot(variable_name="column", value_name="chars")
        .drop_nulls()
        .filter(pl.col("chars") > 0)
    )


def score_frame(rows: pl.DataFrame, decision_scores: pl.DataFrame) -> pl.DataFrame:
    """Every score present (long form: name, score): numeric row columns such as
    `judge_score`, and decision scores per rule."""
    numeric = [
        c
        for c, dtype in rows.schema.items()
        if dtype.is_numeric() and c not in NOT_SCORES and rows[c].drop_nulls().len()
    ]
    frames = []
    if numeric:
        frames.append(
            rows.select([pl.col(c).cast(pl.Float64) for c in numeric])
            .unpivot(variable_name="name", value_name="score")
            .drop_nulls()
        )
    if not decision_scores.is_empty():
        frames.append(
            decision_scores.select(
                (pl.lit("decision: ") + pl.col("rule")).alias("name"),
                pl.col("score").cast(pl.Float64),
            )
        )
    if not frames:
        return pl.DataFrame(schema={"name": pl.String, "score": pl.Float64})
    return pl.concat(frames)


def _histograms(frame: pl.DataFrame, key: str, value: str, title: str, xlabel: str) -> bytes:
    groups = frame.partition_by(key, as_dict=True, maintain_order=True)
    # A grid, not one row: a filtered stage has a score per defect rule (20 and more), and
    # one row of them is wider than any screen the metadata panel shows it on.
    columns = min(HISTOGRAM_COLUMNS, len(groups))
    grid_rows = -(-len(groups) // columns)
    fig = _figure(3.2 * columns, 2.4 * grid_rows + 0.75)
    panels = list(fig.subplots(grid_rows, columns, squeeze=False).flat)
    for ax, ((name,), group) in zip(panels, groups.items(), strict=False):
        values = group[value].to_numpy()
        ax.hist(values, bins=min(30, max(5, len(values) // 3)), color="#4f6bed")
        ax.set_title(f"{name} (n={len(values)})", fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in panels[len(groups) :]:
        ax.set_visible(False)
    height = fig.get_figheight()
    fig.suptitle(title, fontsize=10, y=1 - 0.12 / height, va="top")
    # Fixed margins (inches, whatever the grid): tight_layout draws the figure once more to measure it, about 40% of
    # a many-panel plot's time.
    fig.subplots_adjust(
        left=0.06,
        right=0.98,
        bottom=0.5 / height,
        top=1 - 0.75 / height,
        hspace=0.75,
        wspace=0.3,
    )
    return _png(fig, fit=False)


def length_plot(rows: pl.DataFrame, title: str) -> bytes | None:
    frame = length_frame(rows)
    if frame.is_empty():
        return None
    return _histograms(frame, "column", "chars", title, "characters")


def score_plot(scores: pl.DataFrame, title: str) -> bytes | None:
    if scores.is_empty():
        return None
    return _histograms(scores, "name", "score", title, "score")


def funnel_plot(stages: pl.DataFrame, title: str) -> bytes | None:
    """Bars of rows in and rows out per corpus version (columns label, rows_in, rows_out)."""
    if stages.is_empty():
        return None
    labels = stages["label"].to_list()
    positions = range(len(labels))
    fig = _figure(1.6 * len(labels) + 2, 2.8)
    ax = fig.subplots()
    ax.bar([p - 0.2 for p in positions], stages["rows_in"].to_list(), 0.4, label="rows in")
    ax.bar([p + 0.2 for p in positions], stages["rows_out"].to_list(), 0.4, label="rows out")
    ax.set_xticks(list(positions), labels, fontsize=8)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _png(fig)


def coverage_plot(shares: pl.DataFrame, title: str) -> bytes | None:
    """Realized against target share of each sampled value (`warehouse.audit.
    attribute_shares`), one colour per method and attribute, with the diagonal where they
    agree: a scatter reads the same for 3 values or 100 personas."""
    shares = shares.filter(pl.col("target_share").is_not_null())
    if shares.is_empty():
        return None
    fig = _figure(4.2, 4.0)
    ax = fig.subplots()
    top = max(float(shares["target_share"].max()), float(shares["realized_share"].max())) * 1.05
    ax.plot([0, top], [0, top], color="grey", linewidth=0.8, linestyle="--")
    for (method, attribute), group in shares.group_by(["method", "attribute"], maintain_order=True):
        ax.scatter(
            group["target_share"].to_list(),
            group["realized_share"].to_list(),
            s=14,
            label=f"{method}.{attribute}",
        )
    ax.set_xlabel("target share", fontsize=8)
    ax.set_ylabel("realized share", fontsize=8)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=10)
    return _png(fig)
