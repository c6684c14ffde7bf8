"""Readers that turn seed sources (files, Hub datasets) into seed rows plus quarantined rows."""

from assets.seed_readers.result import SeedReadResult, SeedSourceError
from assets.seed_readers.sources import read_sources, stream_sources

__all__ = ["SeedReadResult", "SeedSourceError", "read_sources", "stream_sources"]
