SELECT coalesce(max(version), 0) + 1 FROM corpus_versions WHERE corpus = ?
