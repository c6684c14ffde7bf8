"""Keyword search over the bundled demo documents (`assets/data/demo_documents.jsonl`): the
passages sharing most query words, weighted by how rare each word is (BM25)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import cache
from importlib.resources import files
from typing import Any, ClassVar

from assets.tools.base import Example, ToolError

DOCUMENTS_FILE = "demo_documents.jsonl"
MAX_QUERY_CHARS = 200
MAX_RESULTS = 3
SNIPPET_CHARS = 400
_WORD = re.compile(r"\w+")
# BM25's usual constants.
K1, B = 1.2, 0.75


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@cache
def _index() -> tuple[list[str], list[Counter[str]], dict[str, float], float]:
    """The documents' texts, their word counts, each word's IDF and the mean length (a few
    bundled documents: built once, kept)."""
    lines = files("assets").joinpath("data", DOCUMENTS_FILE).read_text(encoding="utf-8")
    texts = [json.loads(line)["text"] for line in lines.splitlines() if line.strip()]
    counts = [Counter(words(text)) for text in texts]
    frequency = Counter(word for count in counts for word in count)
    idf = {word: math.log(1 + (len(texts) - n + 0.5) / (n + 0.5)) for word, n in frequency.items()}
    mean_length = sum(sum(c.values()) for c in counts) / max(len(counts), 1)
    return texts, counts, idf, mean_length


def search(query: str, limit: int) -> list[dict[str, Any]]:
    """The best `limit` documents for `query` with a score; none when no word matches."""
    texts, counts, idf, mean_length = _index()
    terms = set(words(query))
    scored = []
    for number, count in enumerate(counts):
        length = sum(count.values())
        score = sum(
            idf[t] * count[t] * (K1 + 1) / (count[t] + K1 * (1 - B + B * length / mean_length))
            for t in terms
            if t in count
        )
        if score > 0:
            scored.append((score, number))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [
        {"document": number + 1, "score": round(score, 3), "text": texts[number][:SNIPPET_CHARS]}
        for score, number in scored[:limit]
    ]


class DocumentSearch:
    name: ClassVar[str] = "search_documents"
    description: ClassVar[str] = (
        "Search the bundled reference documents by keywords; returns the best passages."
    )
    examples: ClassVar[list[Example]] = [
        ("What do the documents say about volcanoes?", {"query": "volcanoes"}),
    ]
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
        },
        "required": ["query"],
        "additionalProperties": False,
    }

    def mismatch(self, task: str, arguments: dict[str, Any]) -> str | None:
        """Every word of the query must come from the task (not from an example)."""
        foreign = sorted(set(words(str(arguments["query"]))) - set(words(task)))
        return f"the query's {', '.join(foreign)} not in the task" if foreign else None

    def run(self, arguments: dict[str, Any]) -> str:
        query = str(arguments["query"])[:MAX_QUERY_CHARS]
        if not words(query):
            raise ToolError("the query has no words")
        found = search(query, int(arguments.get("limit", 1)))
        if not found:
            raise ToolError(f"no document mentions {query!r}")
        return json.dumps(found)
