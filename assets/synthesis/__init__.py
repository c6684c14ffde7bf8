"""Synthesis methods and the model backends they call."""
