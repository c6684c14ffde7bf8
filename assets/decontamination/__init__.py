"""Benchmark decontamination for the decontaminated stage."""
