"""What a model call needs from the run it belongs to."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from assets.models.budget import Budget
from warehouse import Warehouse


@dataclass
class ModelContext:
    """The call log and cache (`wh`), the run id stamped on every call, whether to ignore
    cached calls and make them again (`refresh_cache`), and the spending limit every call
    this context sends is checked against first (`budget`; None: none). A batch backend's
    calls either wait for their batches in this process (`wait_for_batches`) or, submitted and
    polled once, end the call with `BatchesPending` (the synthesized step's default: its
    version waits, pending, for the `pending_batches` sensor)."""

    wh: Warehouse
    run_id: str
    refresh_cache: bool = False
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("synthfoundry"))
    budget: Budget | None = None
    wait_for_batches: bool = True
