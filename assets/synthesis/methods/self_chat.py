"""Multi-turn conversations by self-chat: a user simulator and an assistant, each its own
generator, talk for `turns` exchanges about a seed instruction (its first user turn) or a
passage of a seed document (the simulator opens with a question about it), the simulator
optionally speaking as one of the recipe's `personas`.

Every turn is screened as it is made (empty, cut off, refusal) and a user turn that repeats
an earlier one (ROUGE-L F1 at or above `max_repeat_rouge_l`) stops the conversation too. A
stopped conversation keeps the exchanges made before the failed turn, whose call is rejected
with a decision (`turn_<rule>`); one with no complete exchange yields no row. Kept rows are
`conversation`s whose attributes name the call and generator of each turn, the persona and
why the conversation ended.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl
from pydantic import Field

from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.output_screens import screen
from assets.models.prompt_templates import load_template
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.synthesis.similarity import rouge_l
from warehouse.conversations import encode, message
from warehouse.settings import Strict

DEFAULT_PERSONA = "a curious person"


class SelfChat(Strict):
    """Multi-turn conversations between a user simulator and an assistant about seed
    instructions or passages of seed documents."""

    method: Literal["self_chat"]
    user_generator: GeneratorConfig = LocalModel()
    assistant_generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    kinds: list[Literal["instruction", "document"]] = Field(
        default=["instruction", "document"], min_length=1, description="What a chat is about."
    )
    task_types: list[str] | None = Field(
        default=None, description="Only instructions of these task types (None: any)."
    )
    max_conversations: int | None = Field(default=None, gt=0)
    turns: int = Field(default=2, ge=1, le=8, description="User-assistant exchanges at most.")
    personas: list[str] = Field(
        default=[],
        description="Who the user simulator speaks as, one per conversation (picked by the "
        "source row's id); none: a curious person.",
    )
    max_passage_chars: int = Field(default=800, ge=100)
    max_repeat_rouge_l: float = Field(default=0.8, ge=0.0, le=1.0)
    user_sampling: Sampling = Sampling(temperature=0.8, max_tokens=64)
    assistant_sampling: Sampling = Sampling(temperature=0.3, max_tokens=160)


@dataclass
class Chat:
    """One conversation in the making."""

    source: dict[str, Any]
    persona: str
    passage: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: list[CallResult | None] = field(default_factory=list)
    generators: list[str | None] = field(default_factory=list)
    stop: str = "turns"
    active: bool = True

    def add(self, role: str, text: str, call: CallResult | None, model: CachedModel | None):
        self.messages.append(message(role, text))
        self.calls.append(call)
        self.generators.append(model.generator_id if model else None)

    def history(self) -> str:
        return "\n\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in self.messages)


def persona_of(row_id: str, personas: list[str]) -> str:
    """A persona picked by the row id: the same source always gets the same one."""
    if not personas:
        return DEFAULT_PERSONA
    return personas[int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % len(personas)]


class SelfChatMethod:
    name = "self_chat"
    Config = SelfChat

    def __init__(self, config: SelfChat):
        self.config = config
        self.opening = load_template("self_chat_opening")
        self.follow_up = load_template("self_chat_user")
        self.reply = load_template("self_chat_assistant")

    def _sources(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> pl.DataFrame:
        is_instruction = (pl.col("kind") == "instruction") & pl.col("instruction").is_not_null()
        if self.config.task_types is not None:
            is_instruction = is_instruction & pl.col("task_type").is_in(self.config.task_types)
        is_document = (pl.col("kind") == "document") & pl.col("text").is_not_null()
        where = pl.lit(False)
        if "instruction" in self.config.kinds:
            where = where | is_instruction
        if "document" in self.config.kinds:
            where = where | is_document
        return ctx.select_sources(self.config.sources, seeds, where, self.config.max_conversations)

    def _user_turn(self, run: ModelRun, chat: Chat, call: CallResult, user: CachedModel) -> None:
        text = call.text.strip()
        where = {"source_row_id": chat.source["row_id"], "turn": len(chat.messages) + 1}
        rule = screen(call, text)
        if rule is None:
            earlier = [m["content"] for m in chat.messages if m["role"] == "user"]
            if any(rouge_l(text, e) >= self.config.max_repeat_rouge_l for e in earlier):
                rule = "repeated_turn"
        if rule is not None:
            run.reject(call, f"turn_{rule}", role="user", **where)
            chat.active, chat.stop = False, rule
            return
        chat.add("user", text, call, user)

    def _assistant_turn(
        self, run: ModelRun, chat: Chat, call: CallResult, assistant: CachedModel
    ) -> None:
        text = call.text.strip()
        rule = screen(call, text)
        if rule is not None:
            run.reject(
                call,
                f"turn_{rule}",
                role="assistant",
                source_row_id=chat.source["row_id"],
                turn=len(chat.messages) + 1,
            )
            # The user's unanswered turn goes with it: a conversation ends on a reply.
            chat.messages, chat.calls, chat.generators = (
                chat.messages[:-1],
                chat.calls[:-1],
                chat.generators[:-1],
            )
            chat.active, chat.stop = False, rule
            return
        chat.add("assistant", text, call, assistant)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        run = ModelRun(self.name, ctx)
        params = {"turns": config.turns, "personas": config.personas}
        user = run.model(
            config.user_generator,
            [self.opening, self.follow_up],
            {**params, "sampling": config.user_sampling.model_dump()},
        )
        assistant = run.model(
            config.assistant_generator,
            [self.reply],
            {**params, "sampling": config.assistant_sampling.model_dump()},
        )
        chats = []
        for row in self._sources(seeds, ctx).iter_rows(named=True):
            is_document = row["kind"] == "document"
            chat = Chat(
                source=row,
                persona=persona_of(row["row_id"], config.personas),
                passage=row["text"][: config.max_passage_chars] if is_document else None,
            )
            if not is_document:
                chat.add("user", row["instruction"], None, None)
            chats.append(chat)
        openers = [c for c in chats if c.passage is not None]
        calls = user.complete_many(
            [(self.opening.render(persona=c.persona, passage=c.passage), 0) for c in openers],
            config.user_sampling,
        )
        for chat, call in zip(openers, calls, strict=True):
            self._user_turn(run, chat, call, user)
        for exchange in range(config.turns):
            if exchange > 0:
                asking = [c for c in chats if c.active]
                calls = user.complete_many(
                    [
                        (self.follow_up.render(persona=c.persona, history=c.history()), 0)
                        for c in asking
                    ],
                    config.user_sampling,
                )
                for chat, call in zip(asking, calls, strict=True):
                    self._user_turn(run, chat, call, user)
            answering = [c for c in chats if c.active]
            calls = assistant.complete_many(
                [
                    (
                        self.reply.render(
                            context=f"\n\nReference passage:\n{c.passage}" if c.passage else "",
                            history=c.history(),
                        ),
                        0,
                    )
                    for c in answering
                ],
                config.assistant_sampling,
            )
            for chat, call in zip(answering, calls, strict=True):
                self._assistant_turn(run, chat, call, assistant)
        for chat in chats:
            self._keep(run, chat, user, assistant)
        return run.output()

    def _keep(self, run: ModelRun, chat: Chat, user: CachedModel, assistant: CachedModel) -> None:
        if not any(m["role"] == "assistant" for m in chat.messages):
            return  # the failed turn's call already holds the decision
        run.keep(
            assistant,
            [c for c in chat.calls if c is not None],
            Lineage.of(chat.source),
            kind="conversation",
            task_type=chat.source["task_type"],
            messages=encode(chat.messages),
            attributes={
                "persona": chat.persona,
                "topic_kind": chat.source["kind"],
                "stop_reason": chat.stop,
                "turn_calls": [c.request_hash if c else None for c in chat.calls],
                "turn_generators": chat.generators,
            },
        )
