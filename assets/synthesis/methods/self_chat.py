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
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field, model_validator

from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.output_screens import screen
from assets.models.prompt_templates import PromptTemplate, load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.synthesis.samplers.draw import Value
from assets.synthesis.similarity import rouge_l
from warehouse.conversations import encode, message

DEFAULT_PERSONA = "a curious person"


class SelfChat(Steerable):
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
        "source row's id); none: a curious person. An attribute `persona` (e.g. from a persona "
        "sampler) takes its place.",
    )
    max_passage_chars: int = Field(default=800, ge=100)
    max_repeat_rouge_l: float = Field(default=0.8, ge=0.0, le=1.0)
    user_sampling: Sampling = Sampling(temperature=0.8, max_tokens=64)
    assistant_sampling: Sampling = Sampling(temperature=0.3, max_tokens=160)
    opening_template: str = "self_chat_opening"
    user_template: str = "self_chat_user"
    assistant_template: str = "self_chat_assistant"
    added_keys: ClassVar[tuple[str, ...]] = (
        "opening_template",
        "user_template",
        "assistant_template",
    )

    @model_validator(mode="after")
    def _one_source_of_personas(self) -> SelfChat:
        if self.personas and "persona" in self.attributes:
            raise ValueError(
                "personas and the attribute `persona` both say who the user simulator is: "
                "give one of them"
            )
        return self


@dataclass
class Chat:
    """One conversation in the making."""

    source: dict[str, Any]
    persona: str
    passage: str | None
    sampled: dict[str, Value] = field(default_factory=dict)
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

    def values(self) -> dict[str, Value]:
        """What the templates are filled with beside the turn's own values: the sampled
        attributes and the persona (a sampled `persona` is that persona)."""
        return {**self.sampled, "persona": self.persona}


def persona_of(row_id: str, personas: list[str]) -> str:
    """A persona picked by the row id: the same source always gets the same one."""
    if not personas:
        return DEFAULT_PERSONA
    return personas[int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % len(personas)]


def reference_of(source: dict[str, Any]) -> str | None:
    """A source instruction's reference answer: its `answer`, else the response it was
    written with (a seed's hand-written answer); a document opens no question of its own."""
    if source["kind"] != "instruction":
        return None
    answer = source.get("answer")
    if answer is not None and str(answer).strip():
        return str(answer)
    return source.get("response") or None


class SelfChatMethod:
    name = "self_chat"
    Config = SelfChat
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "opening_template": frozenset({"persona", "passage"}),
        "user_template": frozenset({"persona", "history"}),
        "assistant_template": frozenset({"context", "history"}),
    }

    @classmethod
    def attribute_templates(cls, config: SelfChat) -> list[tuple[PromptTemplate, frozenset[str]]]:
        """The three templates with the placeholders the method fills; `$persona` is an
        attribute's when one is called so."""
        taken = {"persona"} & set(config.attributes)
        return [
            (load_template(getattr(config, field)), own - taken)
            for field, own in cls.template_values.items()
        ]

    def __init__(self, config: SelfChat):
        self.config = config
        self.opening = load_template(config.opening_template)
        self.follow_up = load_template(config.user_template)
        self.reply = load_template(config.assistant_template)

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
            run.reject(
                call, f"turn_{rule}", role="user", **where, **MethodAttributes.row(chat.sampled)
            )
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
                **MethodAttributes.row(chat.sampled),
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
        attributes = MethodAttributes.of(self.name, config, ctx)
        params = {"turns": config.turns, "personas": config.personas, **attributes.params()}
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
        # Drawn per source row: every turn of its conversation is steered alike.
        for row in attributes.attach(self._sources(seeds, ctx).to_dicts()):
            is_document = row["kind"] == "document"
            sampled = row.pop("sampled")
            chat = Chat(
                source=row,
                persona=str(sampled.get("persona") or persona_of(row["row_id"], config.personas)),
                passage=row["text"][: config.max_passage_chars] if is_document else None,
                sampled=sampled,
            )
            if not is_document:
                chat.add("user", row["instruction"], None, None)
            chats.append(chat)
        openers = [c for c in chats if c.passage is not None]
        calls = user.complete_many(
            [(render(self.opening, c.values(), passage=c.passage), 0) for c in openers],
            config.user_sampling,
        )
        for chat, call in zip(openers, calls, strict=True):
            self._user_turn(run, chat, call, user)
        for exchange in range(config.turns):
            if exchange > 0:
                asking = [c for c in chats if c.active]
                calls = user.complete_many(
                    [(render(self.follow_up, c.values(), history=c.history()), 0) for c in asking],
                    config.user_sampling,
                )
                for chat, call in zip(asking, calls, strict=True):
                    self._user_turn(run, chat, call, user)
            answering = [c for c in chats if c.active]
            calls = assistant.complete_many(
                [
                    (
                        render(
                            self.reply,
                            c.sampled,
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
            # The seed's answer to the opening question: the filtered stage holds the turns to
            # its named terms (filters.garbled_term), as reference_answer holds numbers.
            answer=reference_of(chat.source),
            attributes={
                "persona": chat.persona,
                "topic_kind": chat.source["kind"],
                "stop_reason": chat.stop,
                "turn_calls": [c.request_hash if c else None for c in chat.calls],
                "turn_generators": chat.generators,
                **MethodAttributes.row(chat.sampled),
            },
        )
