"""Hugging Face Hub datasets as seed sources: optional, and a clear error when offline."""

from __future__ import annotations

from pathlib import Path

from assets.recipe import HubSource
from assets.seed_readers.result import SeedSourceError


def download_parquet_files(source: HubSource, cache_dir: Path) -> tuple[list[Path], str]:
    """The dataset split's Parquet files (Hub's parquet conversion or the repo's own files)
    and the revision they came from."""
    try:
        from huggingface_hub import HfApi, snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
    except ImportError as exc:  # pragma: no cover - huggingface-hub is a dependency
        raise SeedSourceError(
            f"hf_dataset {source.hf_dataset}: huggingface-hub is not installed ({exc})"
        ) from None
    try:
        info = HfApi().dataset_info(source.hf_dataset, revision=source.revision)
        revision = info.sha or source.revision or "main"
        split_glob = f"*{source.config or ''}*/{source.split}*.parquet"
        local = snapshot_download(
            repo_id=source.hf_dataset,
            repo_type="dataset",
            revision=revision,
            allow_patterns=[
                split_glob,
                f"**/{source.split}-*.parquet",
                f"**/{source.split}/*.parquet",
            ],
            cache_dir=str(cache_dir),
        )
    except (OfflineModeIsEnabled, HfHubHTTPError, OSError) as exc:
        raise SeedSourceError(
            f"hf_dataset {source.hf_dataset}: cannot reach the Hugging Face Hub "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}). "
            "Run where the Hub is reachable, or download the data and use a file source instead."
        ) from None
    files = sorted(Path(local).rglob("*.parquet"))
    if not files:
        raise SeedSourceError(
            f"hf_dataset {source.hf_dataset}: no Parquet files for split {source.split!r} at revision {revision}"
        )
    return files, revision
