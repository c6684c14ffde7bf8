"""Chat exports: the Hugging Face `messages` file loads with `datasets` and renders through
SmolLM2's own chat template (read from its GGUF); the OpenAI fine-tuning file carries `tools`
and `tool_calls`, and every tool call validates against its tool's schema."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
import polars as pl
import pyarrow.json
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from assets.export.dataset_card import card_header
from assets.export.files import CHAT_FILES, export_version
from assets.models.backends.local_llama import default_model_path
from assets.registry import TOOLS
from assets.tools.base import spec
from warehouse.conversations import canonical_messages, encode, message, tool_call
from warehouse.rows import conform, with_row_ids

CALCULATOR = TOOLS.get("calculator")()


def corpus() -> pl.DataFrame:
    chat = encode(
        canonical_messages(
            [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Name a colour."},
                {"role": "assistant", "content": "Red."},
                {"role": "user", "content": "Another?"},
                {"role": "assistant", "content": "Blue."},
            ]
        )
    )
    tools = encode(
        [
            message("user", "What is 6 times 7?"),
            message(
                "assistant",
                None,
                tool_calls=[tool_call("call_1", "calculator", {"expression": "6*7"})],
            ),
            message("tool", "42", name="calculator", tool_call_id="call_1"),
            message("assistant", "6 times 7 is 42."),
        ]
    )
    return with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["conversation", "conversation", "instruction", "document"],
                    "task_type": [None, "tool_use", "open_qa", None],
                    "messages": [chat, tools, None, None],
                    "instruction": [None, None, "Say hi.", None],
                    "response": [None, None, "Hi!", None],
                    "text": [None, None, None, "A document has no turns."],
                    "attributes": [None, json.dumps({"tools": [spec(CALCULATOR)]}), None, None],
                }
            )
        )
    )


def load_rows(path: Path) -> list[dict]:
    """The file as `datasets` loads it (a dependency of text-dedup, so normally installed);
    without it, as Arrow reads JSON lines, which is what `datasets` does underneath."""
    try:
        import datasets
    except ImportError:
        return pyarrow.json.read_json(path).to_pylist()
    loaded = datasets.load_dataset("json", data_files=str(path), split="train")
    return list(loaded)


@cache
def smollm2_template() -> tuple[str, str, str]:
    """SmolLM2's chat template and its BOS/EOS tokens, from the GGUF's metadata (vocab only)."""
    llm = Llama(model_path=str(default_model_path()), vocab_only=True, verbose=False)
    metadata = llm.metadata
    tokens = [llm.detokenize([llm.token_bos()]), llm.detokenize([llm.token_eos()])]
    bos, eos = (t.decode("utf-8", errors="replace") for t in tokens)
    return metadata["tokenizer.chat_template"], bos, eos


def test_messages_load_with_datasets_and_render_through_smollm2s_template(tmp_path: Path):
    written = export_version(corpus(), tmp_path / "v1", ["messages"], {"corpus": "test"})
    assert written["messages"].name == CHAT_FILES["messages"]
    loaded = load_rows(written["messages"])
    assert len(loaded) == 3  # the document has no turns
    by_kind = {row["kind"]: row for row in loaded}
    assert [m["role"] for m in by_kind["instruction"]["messages"]] == ["user", "assistant"]
    template, bos, eos = smollm2_template()
    formatter = Jinja2ChatFormatter(template=template, bos_token=bos, eos_token=eos)
    for row in loaded:
        prompt = formatter(messages=row["messages"]).prompt
        # ChatML: every turn opens with its role and closes with <|im_end|>.
        for turn in row["messages"]:
            assert f"<|im_start|>{turn['role']}\n{turn['content']}<|im_end|>" in prompt
    chat = [r for r in loaded if r["task_type"] is None and r["kind"] == "conversation"][0]
    rendered = formatter(messages=chat["messages"]).prompt
    assert rendered.index("Red.") < rendered.index("Another?") < rendered.index("Blue.")


def test_openai_finetuning_rows_carry_tools_and_valid_tool_calls(tmp_path: Path):
    written = export_version(corpus(), tmp_path / "v1", ["openai"], {"corpus": "test"})
    lines = [json.loads(line) for line in written["openai"].read_text().splitlines()]
    assert len(lines) == 3
    with_tools = [line for line in lines if "tools" in line]
    assert len(with_tools) == 1
    record = with_tools[0]
    assert record["tools"] == [spec(CALCULATOR)]
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in record["tools"]}
    calls = [c for m in record["messages"] for c in m.get("tool_calls", [])]
    assert calls, "the tool row keeps its tool call"
    for call in calls:
        jsonschema.validate(
            json.loads(call["function"]["arguments"]), schemas[call["function"]["name"]]
        )
    tool_turn = record["messages"][2]
    assert tool_turn == {
        "role": "tool",
        "content": "42",
        "name": "calculator",
        "tool_call_id": "call_1",
    }
    # Keys without a value are left out, as OpenAI's format expects.
    assert record["messages"][0] == {"role": "user", "content": "What is 6 times 7?"}


def test_the_dataset_card_declares_chat_and_tool_calling_data():
    header = card_header(
        license="mit",
        license_name=None,
        license_link=None,
        language=["en"],
        pretty_name="t",
        rows=3,
        task_types=["open_qa", "tool_use"],
        kinds=["conversation", "instruction"],
        source_datasets=["original"],
        data_glob="data/*.parquet",
    )
    assert header["task_categories"] == ["question-answering", "text-generation"]
    assert {"conversational", "tool-calling"} <= set(header["tags"])
    plain = card_header(
        license="mit",
        license_name=None,
        license_link=None,
        language=["en"],
        pretty_name="t",
        rows=3,
        task_types=["open_qa"],
        kinds=["instruction"],
        source_datasets=["original"],
        data_glob="data/*.parquet",
    )
    assert plain["task_categories"] == ["question-answering"]
    assert "conversational" not in plain["tags"]
