SELECT version, writer FROM corpus_versions WHERE corpus = ? AND status = 'writing'
