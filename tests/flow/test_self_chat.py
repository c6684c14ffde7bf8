"""self_chat against a loopback OpenAI-compatible server whose simulator and assistant
answers are scripted: conversations run for `turns` exchanges, a refused reply or a repeated
user turn stops one (kept up to its last full exchange, the failed call rejected with the
turn), personas reach the simulator, and every generated turn names its call."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.self_chat import SelfChat, SelfChatMethod
from tests.servers import Fault, fault_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

PASSAGE = "Honey bees dance to tell their hive where flowers are."
RAINBOW = "A rainbow is sunlight split into its colours by raindrops, an effect called dispersion."


def _reply(prompt: str) -> str:
    if "Write the first message" in prompt:
        return "How do bees share where flowers are?"
    if "follow-up question" in prompt:
        if "Name a prime number." in prompt:
            return "Name a prime number."  # a repeat of the opening: stops the chat
        return "Why does that work so well?"
    # The assistant: refuses the bees' follow-up, answers everything else.
    if "Why does that work so well?" in prompt and "bees" in prompt:
        return "I'm sorry, I can't help with that."
    return f"Here is my answer ({prompt.count('User:')})."


def _answer(prompt: str, attempt: int) -> Fault:
    body = {
        "choices": [{"message": {"content": _reply(prompt)}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 5},
    }
    return Fault(body=json.dumps(body).encode())


def test_self_chat_turns_stops_and_lineage(home):
    seeds = with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["instruction", "instruction", "document"],
                    "task_type": ["open_qa", "math", "science"],
                    "instruction": ["Explain what a rainbow is.", "Name a prime number.", None],
                    "text": [None, None, PASSAGE],
                    "response": [RAINBOW, None, None],
                    "answer": [None, "7", None],
                }
            )
        )
    )
    with fault_server(_answer) as server:
        generator = OpenAICompatibleModel(
            backend="openai", base_url=server.base_url, model="stub", max_retries=0
        )
        sampling = Sampling(temperature=0.0, max_tokens=32)
        method = SelfChatMethod(
            SelfChat(
                method="self_chat",
                user_generator=generator,
                assistant_generator=generator,
                turns=2,
                personas=["a beekeeper"],
                user_sampling=sampling,
                assistant_sampling=sampling,
            )
        )
        ctx = SynthesisContext(
            wh=Warehouse(home), run_id="r1", created_at=datetime(2026, 1, 1), random_seed=0
        )
        output = method.run(seeds, ctx)
        prompts = [r.prompt for r in server.requests]
    assert all("You are a beekeeper" in p for p in prompts if "follow-up" in p)
    rows = {r["task_type"]: r for r in output.rows.to_dicts()}
    assert set(rows) == {"open_qa", "math", "science"}

    rainbow = json.loads(rows["open_qa"]["messages"])
    assert [m["role"] for m in rainbow] == ["user", "assistant", "user", "assistant"]
    assert rainbow[0]["content"] == "Explain what a rainbow is."
    attributes = json.loads(rows["open_qa"]["attributes"])
    assert attributes["stop_reason"] == "turns" and attributes["persona"] == "a beekeeper"
    # The seed's turn has no call; each generated turn names its call and generator.
    assert attributes["turn_calls"][0] is None and all(attributes["turn_calls"][1:])
    assert rows["open_qa"]["call_ids"] == attributes["turn_calls"][1:]
    user_gen, assistant_gen = {g.template_name: g.generator_id for g in output.generators}.values()
    assert attributes["turn_generators"] == [None, assistant_gen, user_gen, assistant_gen]
    assert rows["open_qa"]["generator_id"] == assistant_gen

    bees = json.loads(rows["science"]["messages"])
    assert [m["content"] for m in bees][:1] == ["How do bees share where flowers are?"]
    assert len(bees) == 2 and json.loads(rows["science"]["attributes"])["stop_reason"] == "refusal"
    prime = json.loads(rows["math"]["attributes"])
    assert prime["stop_reason"] == "repeated_turn" and len(prime["turn_calls"]) == 2

    rejected = {r["rule"]: json.loads(r["evidence"]) for r in output.rejections.to_dicts()}
    assert set(rejected) == {"turn_refusal", "turn_repeated_turn"}
    assert rejected["turn_refusal"]["turn"] == 4 and rejected["turn_refusal"]["role"] == "assistant"
    assert rejected["turn_repeated_turn"]["turn"] == 3
    assert rows["science"]["seed_ids"] == [seeds["row_id"][2]]

    # The seed's reference answer rides on the row (filters.garbled_term reads it): its
    # `answer`, else the response it was written with; a passage opens no question of its own.
    assert rows["open_qa"]["answer"] == RAINBOW
    assert rows["math"]["answer"] == "7"
    assert rows["science"]["answer"] is None
