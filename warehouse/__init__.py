"""The DuckDB warehouse: versioned corpora, lineage, the model-call log and decisions."""

from warehouse.connection import Warehouse, WarehouseLockTimeout
from warehouse.corpora import CORPORA, ParentVersion

__all__ = ["CORPORA", "ParentVersion", "Warehouse", "WarehouseLockTimeout"]
