"""Batch request files: each line is the online request under its request hash, and 120,000
requests are cut into files within the provider's limits on lines and bytes, in order."""

from __future__ import annotations

import json
import time

import pytest

from assets.models.batch.request_files import request_body, request_line, split_lines
from assets.models.generators import Sampling
from assets.models.rubric_judge import score_schema


def test_a_line_is_the_online_request_under_its_hash():
    sampling = Sampling(temperature=0.3, max_tokens=20, seed=7)
    line = json.loads(request_line("h" * 64, request_body("m", "hello", sampling, 2, None)))
    assert line["custom_id"] == "h" * 64 and line["url"] == "/v1/chat/completions"
    assert line["body"]["messages"] == [{"role": "user", "content": "hello"}]
    assert line["body"]["seed"] == 9 and line["body"]["max_tokens"] == 20
    schema = score_schema(5)
    held = request_body("m", [{"role": "user", "content": "x"}], sampling, 0, schema)
    assert held["response_format"]["json_schema"]["schema"] == schema.schema


def test_120000_requests_split_within_line_and_byte_limits():
    sampling = Sampling()
    lines = [
        request_line(f"{n:064x}", request_body("m", "word " * (n % 50), sampling, 0, None))
        for n in range(120_000)
    ]
    total = sum(map(len, lines))
    started = time.perf_counter()
    files = list(split_lines(lines, max_lines=50_000, max_bytes=10_000_000))
    seconds = time.perf_counter() - started
    assert [line for f in files for line in f] == lines  # nothing lost, nothing reordered
    assert all(len(f) <= 50_000 and sum(map(len, f)) <= 10_000_000 for f in files)
    # Each file but the last is full: at the line cap, or the next line would pass the bytes.
    for current, following in zip(files, files[1:], strict=False):
        assert len(current) == 50_000 or sum(map(len, current)) + len(following[0]) > 10_000_000
    assert len(files) >= -(-total // 10_000_000)
    assert seconds < 5
    by_lines = list(split_lines(lines, max_lines=50_000, max_bytes=200_000_000))
    assert [len(f) for f in by_lines] == [50_000, 50_000, 20_000]


def test_a_request_larger_than_a_file_is_an_error():
    with pytest.raises(ValueError, match="over max_bytes_per_file=100"):
        list(split_lines([b"x" * 101], max_lines=10, max_bytes=100))
