"""Failures of generation backends that a user fixes: a server that fails for good, a model
or package that is missing from the configuration."""

from __future__ import annotations

from warehouse.errors import UserError


class BackendError(UserError, RuntimeError):
    """A model call that failed for good: not retryable, or out of retries or budget."""

    readme_section = "Generation backends"


class BackendConfigError(BackendError, FileNotFoundError):
    """A backend that cannot start as configured: its model file or package is missing."""
