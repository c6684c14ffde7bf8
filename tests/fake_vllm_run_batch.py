"""A stand-in for `python -m vllm.entrypoints.openai.run_batch -i IN -o OUT` in tests: reads
the OpenAI batch-format input file and writes the output file in vLLM's format, one line per
request (`custom_id`, `response: {status_code, body}`, `error`), each answer the fake
servers' deterministic echo (`tests.servers.completion_body`). `--fail` exits 1 without
writing anything, as a runner that crashes does."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tests.servers import completion_body


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-i", "--input-file", required=True)
    parser.add_argument("-o", "--output-file", required=True)
    parser.add_argument("--fail", action="store_true")
    args = parser.parse_args(argv)
    if args.fail:
        print("CUDA out of memory (injected)", file=sys.stderr)
        return 1
    lines = []
    for raw in Path(args.input_file).read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        request = json.loads(raw)
        body = request["body"]
        prompt = "\n\n".join(m["content"] for m in body["messages"])
        answer = {
            "id": f"vllm-{request['custom_id'][:8]}",
            "custom_id": request["custom_id"],
            "response": {
                "status_code": 200,
                "request_id": f"vllm-batch-{request['custom_id'][:8]}",
                "body": json.loads(completion_body(prompt, body)),
            },
            "error": None,
        }
        lines.append(json.dumps(answer) + "\n")
    Path(args.output_file).write_text("".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
