"""Synthesis methods, one module each, registered by name in `assets.registry.METHODS`."""
