"""The warehouse as a Dagster resource; `home` switches environments (default: $SYNTHFOUNDRY_HOME)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from warehouse.connection import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    home: str | None = Field(
        default=None, description="SynthFoundry home; default $SYNTHFOUNDRY_HOME or ./.synthfoundry"
    )
    lock_timeout_s: float = Field(default=900.0, gt=0)

    def get(self) -> Warehouse:
        return Warehouse(self.home, lock_timeout_s=self.lock_timeout_s)
