"""Resolve the recipe's seed sources to files and read them all."""

from __future__ import annotations

import glob
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path, PurePath
from typing import Literal

import polars as pl
from pydantic import Field

from assets.paths import BUNDLED_PREFIX, HOME_PREFIX, bundled_path, resolve_path
from assets.seed_readers.files import read_file_batches
from assets.seed_readers.hub import HubSource, download_parquet_files
from assets.seed_readers.result import SeedReadResult, SeedSourceError
from warehouse.seed_files import SeedFiles
from warehouse.settings import Strict


class FileSource(Strict):
    """Local JSONL, Parquet or CSV files: a path or a glob. `bundled:` and `home:` prefixes
    resolve into the package's data folder and `$SYNTHFOUNDRY_HOME`."""

    path: str
    format: Literal["auto", "jsonl", "parquet", "csv"] = "auto"
    required: bool | None = Field(
        default=None,
        description="Whether the source must name at least one file. Default: yes for a plain "
        "path (a missing file is an error); for a glob, matching nothing is normal (a folder "
        "files are dropped into) and only a warning when the current seed version has rows "
        "from files it matched. `true` makes an empty glob an error, `false` a missing path "
        "a warning and an empty glob never one.",
    )


class SeedConfig(Strict):
    sources: list[FileSource | HubSource] = Field(min_length=1)
    max_text_chars: int = Field(default=20_000, gt=0)


def glob_matches(pattern: str, path: str) -> bool:
    """Whether `glob.glob(pattern, recursive=True)` would list `path` (`*`, `?` and `[...]`
    within one folder name, `**` across folders). Python 3.11 has no glob matcher for a path
    that no longer exists."""
    return _parts_match(PurePath(pattern).parts, PurePath(path).parts)


def _parts_match(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_parts_match(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatchcase(path[0], head) and _parts_match(rest, path[1:])


def expand(
    source: FileSource, home: Path, previous: SeedFiles | None = None
) -> tuple[list[Path], list[str]]:
    """Files a source names, and a warning when it names none but need not (see
    `FileSource.required`; `previous`: the files of the current seed version); an error
    when it names none and must."""
    pattern = resolve_path(source.path, home)
    is_glob = glob.has_magic(str(pattern))
    if is_glob:
        files = sorted(
            Path(p) for p in glob.glob(str(pattern), recursive=True) if Path(p).is_file()
        )
    else:
        files = [pattern] if pattern.is_file() else []
    if files:
        return files, []
    required = source.required if source.required is not None else not is_glob
    problem = (
        f"seed source {source.path!r}: no file matches {pattern}"
        if is_glob
        else f"seed source {source.path!r}: no such file {pattern}"
    )
    if required:
        raise SeedSourceError(problem)
    if not is_glob:
        return [], [f"{problem}; nothing read from it"]
    # An empty glob is a drop folder waiting for files, unless files it matched went away.
    if previous is None or source.required is False:
        return [], []
    earlier = _matched(previous, source, home)
    if not earlier:
        return [], []
    shown = ", ".join(earlier[:3]) + (f" and {len(earlier) - 3} more" if len(earlier) > 3 else "")
    return [], [
        f"{problem}; nothing read from it, though seed v{previous.version} has rows from "
        f"{len(earlier)} file{'s' if len(earlier) != 1 else ''} it matched ({shown}), which "
        "the new version leaves out"
    ]


def _matched(previous: SeedFiles, source: FileSource, home: Path) -> list[str]:
    """The files of `previous` that `source`'s glob names."""
    pattern = str(resolve_path(source.path, home))
    return [name for name in previous.files if glob_matches(pattern, str(resolve_path(name, home)))]


def lineage_name(path: Path, source: FileSource, home: Path) -> str:
    """The file as the recipe names it (`bundled:…`, `home:…` or the path as given), so the
    generator id of a seed file does not depend on where a checkout or home lives."""
    for prefix, root in ((BUNDLED_PREFIX, bundled_path("")), (HOME_PREFIX, home)):
        if source.path.startswith(prefix):
            return prefix + path.relative_to(root).as_posix()
    return str(path)


def read_sources(
    config: SeedConfig, home: Path, previous: SeedFiles | None = None
) -> SeedReadResult:
    """Every source read whole, as one result."""
    return SeedReadResult.combined(stream_sources(config, home, previous=previous))


def stream_sources(
    config: SeedConfig,
    home: Path,
    batch_rows: int | None = None,
    previous: SeedFiles | None = None,
) -> Iterator[SeedReadResult]:
    """Every source in order, `batch_rows` records at a time (`read_file_batches`). Each
    source's first result counts the files it named (`source_files`), none included;
    `previous` (the current seed version's files) decides whether an empty glob warns."""
    for source in config.sources:
        if isinstance(source, HubSource):
            files, revision = download_parquet_files(source, home / "cache" / "hub")
            yield SeedReadResult(
                rows=pl.DataFrame(), source_files={f"hf://datasets/{source.hf_dataset}": len(files)}
            )
            remaining = source.max_rows
            for path in files:
                name = f"hf://datasets/{source.hf_dataset}@{revision}/{path.name}"
                for result in read_file_batches(
                    path, "parquet", config.max_text_chars, name, batch_rows
                ):
                    if remaining is not None:
                        result.rows = result.rows.head(remaining)
                        remaining -= result.rows.height
                    yield result
                if remaining == 0:
                    break
        else:
            files, warnings = expand(source, home, previous)
            yield SeedReadResult(
                rows=pl.DataFrame(), warnings=warnings, source_files={source.path: len(files)}
            )
            for path in files:
                yield from read_file_batches(
                    path,
                    source.format,
                    config.max_text_chars,
                    lineage_name(path, source, home),
                    batch_rows,
                )
