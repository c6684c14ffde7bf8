"""Batch input files kept in a local folder, for providers without a Files API (vLLM's
offline runner reads them; Anthropic's Message Batches take the requests inline, and the file
is what a re-run rebuilds the batch from)."""

from __future__ import annotations

from pathlib import Path

from assets.models.backends.openai_batch_api import BatchAPIError
from warehouse.connection import synthfoundry_home


class LocalBatchFiles:
    def __init__(self, folder: str | None, provider: str):
        self.provider = provider
        default = synthfoundry_home() / "batches" / provider
        self.folder = Path(folder or default).resolve()

    def upload(self, name: str, content: bytes) -> str:
        """Write the file whole, then rename it into place (a reader never sees half of it);
        its name is its id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(content)
        partial.replace(self.folder / name)
        return name

    def content(self, file_id: str) -> bytes:
        return self.path(file_id).read_bytes()

    def path(self, file_id: str) -> Path:
        path = (self.folder / file_id).resolve()
        if path.parent != self.folder:
            raise BatchAPIError(f"{self.provider}: {file_id!r} is not a file of {self.folder}")
        return path
