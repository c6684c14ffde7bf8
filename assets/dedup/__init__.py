"""Exact and near deduplication: MinHash/LSH clustering with in-process and Spark backends."""
