"""Software-defined assets for each corpus stage, and the transforms they call."""
