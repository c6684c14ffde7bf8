"""Attribute samplers (`synthesis.samplers`): categories, conditional subcategories, number
ranges, personas, topic taxonomies and seed fields, drawn deterministically per row so a
method can be steered to cover a grid of attributes (config.py: the recipe models; draw.py:
the draws; records.py: the persona and taxonomy files)."""
