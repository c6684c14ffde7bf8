"""Exporting corpus versions to files."""
