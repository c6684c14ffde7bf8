"""Row filters for the filtered stage: heuristics, then exact deduplication."""
