"""An example SynthFoundry plug-in package (see tests/test_plugins.py)."""
