"""Which seed files the current seed version was read from, so the next read can tell a
source that used to match files from one that never did."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.connection import Warehouse
from warehouse.queries import scalar

_CURRENT_SEED = "SELECT version FROM current_versions WHERE corpus = 'seed'"
_SOURCES_OF = "SELECT DISTINCT source FROM corpus_seed WHERE version = ? ORDER BY source"


@dataclass(frozen=True)
class SeedFiles:
    """A seed version and the files its rows came from, as the recipe named them
    (`bundled:…`, `home:…` or the path given)."""

    version: int
    files: tuple[str, ...]


def current_seed_files(wh: Warehouse) -> SeedFiles | None:
    """The files of the current seed version; None before the first one is promoted."""
    with wh.reader() as con:
        version = scalar(con, _CURRENT_SEED)
        if version is None:
            return None
        names = [row[0] for row in con.execute(_SOURCES_OF, [version]).fetchall()]
    return SeedFiles(int(version), tuple(name for name in names if name is not None))
