"""What a model call needs from the run it belongs to."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from warehouse import Warehouse


@dataclass
class ModelContext:
    """The call log and cache (`wh`), the run id stamped on every call, and whether to ignore
    cached calls and make them again (`refresh_cache`)."""

    wh: Warehouse
    run_id: str
    refresh_cache: bool = False
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("synthfoundry"))
