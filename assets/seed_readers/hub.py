"""Hugging Face Hub datasets as seed sources: optional, and a clear error when offline."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

from pydantic import Field

from assets.seed_readers.result import SeedSourceError
from warehouse.settings import Strict


class HubSource(Strict):
    """A Hugging Face Hub dataset; needs network access or a filled local HF cache."""

    hf_dataset: str
    split: str = "train"
    config: str | None = None
    revision: str | None = None
    max_rows: int | None = Field(default=None, gt=0)


def _patterns(source: HubSource) -> list[str]:
    """Where the Hub keeps a split's Parquet files: `[dir/][config/]split-*.parquet` or
    `[dir/][config/]split/*.parquet`."""
    config = f"{source.config}/" if source.config else ""
    in_root = [f"{config}{source.split}-*.parquet", f"{config}{source.split}/*.parquet"]
    return in_root + [f"*/{pattern}" for pattern in in_root]


def download_parquet_files(source: HubSource, cache_dir: Path) -> tuple[list[Path], str]:
    """The split's Parquet files and the revision they came from: from the Hub, or from the
    local cache when the Hub cannot be reached."""
    from huggingface_hub import snapshot_download  # imported here: only Hub sources need it

    def fetch(local_only: bool) -> str:
        return snapshot_download(
            repo_id=source.hf_dataset,
            repo_type="dataset",
            revision=source.revision,
            allow_patterns=_patterns(source),
            cache_dir=str(cache_dir),
            local_files_only=local_only,
        )

    try:
        local = fetch(local_only=False)
    # The client raises errors from several HTTP and hub layers; all mean the same here.
    except Exception as online_error:  # noqa: BLE001
        try:
            local = fetch(local_only=True)
        except Exception:  # noqa: BLE001
            detail = str(online_error).splitlines()[0] if str(online_error) else "no detail"
            raise SeedSourceError(
                f"hf_dataset {source.hf_dataset}: cannot reach the Hugging Face Hub and the "
                f"dataset is not in the local cache {cache_dir} ({type(online_error).__name__}: "
                f"{detail}). Run where the Hub is reachable, or download the data and use a "
                "file source instead."
            ) from None
    patterns = _patterns(source)
    files = sorted(
        path
        for path in Path(local).rglob("*.parquet")
        if any(fnmatch(path.relative_to(local).as_posix(), p) for p in patterns)
    )
    if not files:
        raise SeedSourceError(
            f"hf_dataset {source.hf_dataset}: no Parquet files for split {source.split!r} in {local}"
        )
    return files, Path(local).name
