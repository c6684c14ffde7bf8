"""A SynthFoundry home as a new user first finds it: an empty `inbox/` folder waits for seed
files (the `new_seed_files` sensor watches it; the demo recipe reads `home:inbox/*`)."""

from __future__ import annotations

from pathlib import Path

INBOX = "inbox"


def prepare_home(home: str | Path) -> Path:
    """Create `home` and its `inbox/` where missing; the home."""
    path = Path(home)
    (path / INBOX).mkdir(parents=True, exist_ok=True)
    return path
