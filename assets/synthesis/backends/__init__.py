"""Model backends behind one interface; heavy libraries load on first use only."""

from assets.synthesis.backends.base import Backend, Completion

__all__ = ["Backend", "Completion"]
