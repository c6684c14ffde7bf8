"""Publishing the current decontaminated version as a Hugging Face dataset: Parquet shards,
a dataset card and Croissant metadata, written locally (dry run) and optionally pushed."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import polars as pl

from assets.export.croissant import croissant
from assets.export.dataset_card import PublishConfig, card_header, card_markdown
from quality.funnel import chain_funnel
from warehouse.connection import Warehouse
from warehouse.corpora import read_version
from warehouse.errors import UserError
from warehouse.lineage import record_publication
from warehouse.reports import contamination, generators_of, seed_sources

CORPUS = "decontaminated"
TOKEN_ENV = "HF_TOKEN"
OWN_FILES = ("README.md", "croissant.json")
# A Hub download cache path holds `datasets--<org>--<name>`.
_HUB_CACHE = re.compile(r"datasets--(?P<org>[^/]+?)--(?P<name>[^/]+)")


class PublishedRecipe(Protocol):
    """What publishing reads of the recipe (assets.recipe.root.Recipe); named here because the
    recipe assembles the exporters' configuration, so the exporters do not import it."""

    @property
    def name(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def publish(self) -> PublishConfig: ...


class PublishError(UserError, RuntimeError):
    """Publishing cannot go on; the message says why and what to do."""

    readme_section = "Quality reports and publishing"


@dataclass
class Bundle:
    """A publication written to `folder`: exactly the files a push uploads."""

    folder: Path
    version: int
    rows: int
    files: list[str]
    sha256: dict[str, str]
    repo_id: str
    manifest: dict = field(default_factory=dict)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seed_source_entries(sources: pl.DataFrame) -> list[dict]:
    """Card and provenance entries for seed sources, never exposing local absolute paths."""
    entries = []
    for source, rows in sources.iter_rows():
        hub = _HUB_CACHE.search(source or "")
        if hub:
            dataset = f"{hub['org']}/{hub['name']}"
            entries.append(
                {
                    "id": dataset,
                    "name": dataset,
                    "url": f"https://huggingface.co/datasets/{dataset}",
                    "rows": rows,
                    "card": f"extended|{dataset}",
                }
            )
        else:
            # Seed files are named as the recipe names them (`bundled:x.jsonl`, `home:inbox/y`).
            name = Path((source or "unknown").split(":", 1)[-1]).name
            entries.append(
                {"id": name, "name": name, "url": None, "rows": rows, "card": "original"}
            )
    return entries


def _prepare_folder(folder: Path) -> None:
    """Empty a publication folder of our own files; refuse a folder holding anything else."""
    if folder.exists():
        foreign = [p.name for p in folder.iterdir() if p.name not in (*OWN_FILES, "data", ".cache")]
        if foreign:
            raise PublishError(
                f"{folder}: not a publication folder (it holds {', '.join(sorted(foreign)[:5])}); "
                "choose an empty or new --out"
            )
        shutil.rmtree(folder / "data", ignore_errors=True)
        for name in OWN_FILES:
            (folder / name).unlink(missing_ok=True)
    (folder / "data").mkdir(parents=True, exist_ok=True)


def build_bundle(
    wh: Warehouse, recipe: PublishedRecipe, folder: Path, repo_id: str | None
) -> Bundle:
    config = recipe.publish
    try:
        version, rows = read_version(wh, CORPUS)
    except LookupError as exc:
        raise PublishError(f"{exc}: run the flow (synthfoundry run) first") from None
    repo = repo_id or config.repo_id or f"synthfoundry/{recipe.name}"
    rows = rows.sort("row_id")
    _prepare_folder(folder)

    shards = max(1, math.ceil(rows.height / config.max_rows_per_shard))
    shard_files = []
    for index in range(shards):
        name = f"data/train-{index:05d}-of-{shards:05d}.parquet"
        part = rows.slice(index * config.max_rows_per_shard, config.max_rows_per_shard)
        part.write_parquet(folder / name, compression="zstd")
        shard_files.append(name)
    sha = {name: _sha256(folder / name) for name in shard_files}

    # Local file sources name their path as the model; a public card shows only the file name.
    generators = generators_of(wh, CORPUS, version).with_columns(
        pl.when(pl.col("model").str.starts_with("/"))
        .then(pl.col("model").str.extract(r"([^/]+)$"))
        .otherwise(pl.col("model"))
        .alias("model")
    )
    sources = seed_source_entries(seed_sources(wh, version))
    funnel = chain_funnel(wh, CORPUS, version)
    decontam = contamination(wh, version)
    pretty_name = config.pretty_name or f"SynthFoundry {recipe.name}"
    description = config.description or (
        f"Synthetic instruction data grown from {len(sources)} seed source(s) by the "
        f"SynthFoundry recipe `{recipe.name}`, filtered and decontaminated."
    )
    header = card_header(
        license=config.license,
        license_name=config.license_name,
        license_link=config.license_link,
        language=config.language,
        pretty_name=pretty_name,
        rows=rows.height,
        task_types=rows["task_type"].unique().to_list(),
        kinds=rows["kind"].unique().to_list(),
        source_datasets=sorted({s["card"] for s in sources}) or ["original"],
        data_glob="data/train-*.parquet",
    )
    lineage = {
        "rows": rows.height,
        "rows_with_seed_lineage": int((rows["seed_ids"].list.len() > 0).sum()),
        "distinct_seed_rows": rows["seed_ids"].explode().drop_nulls().n_unique(),
        "seed_sources": len(sources),
        "generators": rows["generator_id"].n_unique(),
        "methods": rows["method"].n_unique(),
    }
    card = card_markdown(
        header,
        description=description,
        corpus_version=f"{CORPUS} v{version}",
        methods=rows.group_by("method", "task_type").len("rows").sort("method", "task_type"),
        generators=generators,
        funnel=funnel.stages.drop("label"),
        drops=funnel.reasons,
        contamination=decontam,
        lineage=lineage,
        files=[*shard_files, "croissant.json"],
    )
    (folder / "README.md").write_text(card, encoding="utf-8")
    document = croissant(
        name=pretty_name,
        description=description,
        license=config.license,
        url=f"https://huggingface.co/datasets/{repo}",
        version=f"{version}.0.0",
        date_published=datetime.now(UTC).date().isoformat(),
        shards=[
            {"path": n, "sha256": sha[n], "bytes": (folder / n).stat().st_size} for n in shard_files
        ],
        schema=rows.schema,
        seed_sources=sources,
        generators=generators,
    )
    (folder / "croissant.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    files = ["README.md", "croissant.json", *shard_files]
    sha.update({n: _sha256(folder / n) for n in ("README.md", "croissant.json")})
    manifest = {
        "repo_id": repo,
        "files": {n: sha[n] for n in files},
        "lineage": lineage,
        "recipe": {"name": recipe.name, "sha256": recipe.sha256},
    }
    return Bundle(folder, version, rows.height, files, sha, repo, manifest)


def push_bundle(bundle: Bundle, *, private: bool) -> str:
    """Upload the bundle's files; the token comes from $HF_TOKEN and is never shown."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise PublishError(
            f"pushing to the Hugging Face Hub needs a write token in the {TOKEN_ENV} environment "
            "variable (nothing was uploaded; without --push, publish writes the files locally)"
        )
    from huggingface_hub import HfApi  # imported only when pushing

    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    api = HfApi(endpoint=endpoint, token=token)
    try:
        api.create_repo(bundle.repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=bundle.repo_id,
            repo_type="dataset",
            folder_path=str(bundle.folder),
            allow_patterns=bundle.files,
            commit_message=f"SynthFoundry: {CORPUS} v{bundle.version}",
        )
    except Exception as exc:  # every Hub or network failure becomes one clear message
        reason = str(exc).replace(token, "***").splitlines()[0][:300] if str(exc) else ""
        raise PublishError(
            f"pushing {bundle.repo_id} to {endpoint} failed ({type(exc).__name__}: {reason}); "
            f"the files are in {bundle.folder}"
        ) from None
    return str(getattr(commit, "commit_url", None) or f"{endpoint}/datasets/{bundle.repo_id}")


def publish(
    wh: Warehouse,
    recipe: PublishedRecipe,
    *,
    folder: Path | None = None,
    repo_id: str | None = None,
    push: bool = False,
    private: bool | None = None,
) -> tuple[Bundle, str]:
    """Write the publication (and push it when asked); record it in the warehouse.
    Returns the bundle and where it went (a folder, or the Hub commit URL)."""
    version = None
    try:
        version, _ = read_version(wh, CORPUS, columns=["row_id"])
    except LookupError as exc:
        raise PublishError(f"{exc}: run the flow (synthfoundry run) first") from None
    target = folder or wh.home / "publish" / f"{CORPUS}-v{version}"
    bundle = build_bundle(wh, recipe, target, repo_id)
    where = str(bundle.folder)
    if push:
        where = push_bundle(bundle, private=recipe.publish.private if private is None else private)
    record_publication(
        wh,
        CORPUS,
        bundle.version,
        where,
        bundle.rows,
        {**bundle.manifest, "mode": "push" if push else "dry-run", "folder": str(bundle.folder)},
        None,
    )
    return bundle, where
