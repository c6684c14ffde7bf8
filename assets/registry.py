"""Registries of what a recipe can name: synthesis methods, filters, dedup steps, scores,
decontamination detectors and benchmark sources.

Each built-in is one line below (`name = "module:attribute"`, imported on first use); the
stages run built-in steps in the order they are listed here. A user's package adds its own
methods, filters and benchmarks through Python entry points, without editing SynthFoundry:

    [project.entry-points."synthfoundry.methods"]
    my_method = "my_package.methods:MyMethod"

A method is a class with a `name` and a pydantic `Config` model whose `method:
Literal["<name>"]` key selects it (`assets.synthesis.methods.base`). A benchmark is a function
`(home: Path) -> pl.DataFrame` of `benchmark, item_id, text`. A tool (group
`synthfoundry.tools`) is a class with `name`, `description`, `parameters` (a JSON schema) and
`run(arguments) -> str` (`assets.tools.base`); `tool_use` recipes name it in `tools`.

Every step class (filters, dedup steps, scores, detectors), built-in or plug-in, is built one
way (assets/steps.py): it declares `Config` (a pydantic model; `warehouse.settings.Strict` is a
good base), `config_key` (its key under the stage's recipe section) and the classmethod
`from_config(config, run) -> list[Step]` (`run` is the `RunContext`: model context, benchmark
items, Spark settings). The recipe's `filters`, `dedup` and `decontamination` sections are
assembled from these registries (assets/recipe/sections.py): each class's `Config` under its
`config_key`, built-ins in the order listed here, then plug-ins.

Plug-in dedup steps (group `synthfoundry.dedup`), scores (`synthfoundry.scores`) and detectors
(`synthfoundry.detectors`) run after the built-ins of their kind; each is configured under its
`config_key` in `dedup`, `filters` and `decontamination`. A detector adds the columns it
declares in `columns`, among them a boolean column named after itself (whether it fires; the
verdict rule uses that name), and the verdict's evidence carries its other columns.

A plug-in filter (group `synthfoundry.filters`) is such a class whose `Config` has a
`step: Literal["<name>"]` key: the recipe lists it under `filters.steps` (`- {step: <name>,
...}`), and the filtered stage runs the listed filters in that order, after the built-in rule
sets and before dedup. The default `from_config` builds `cls(config)`. Subclass
`assets.steps.RowFilter` and implement `flag(rows) -> row_id, rule, score, evidence` for a rule
that judges each row on its own (it then runs on any batch of rows), or `CorpusFilter` for one
that compares rows across the whole version (then declare its per-row `state`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from warehouse.errors import UserError


class RegistryError(UserError, LookupError):
    """A registered name that cannot be used: unknown, clashing or not importable."""

    readme_section = "Extending"


@dataclass
class Registry:
    """Named implementations of one kind, built-ins first, then installed plug-ins."""

    kind: str
    group: str | None  # the entry point group of plug-ins; None: built-ins only
    builtins: dict[str, str]
    _loaded: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def _load(self) -> dict[str, Any]:
        if self._loaded is None:
            loaded = {
                name: _import(target, self.kind, name) for name, target in self.builtins.items()
            }
            for entry in entry_points(group=self.group) if self.group else ():
                if entry.name in loaded:
                    raise RegistryError(
                        f"plug-in {self.kind} {entry.name!r} ({entry.value}) clashes with a "
                        f"{self.kind} of that name already registered"
                    )
                try:
                    loaded[entry.name] = entry.load()
                except Exception as exc:  # a broken plug-in names itself, then stops the load
                    raise RegistryError(
                        f"plug-in {self.kind} {entry.name!r} ({entry.value}) cannot be "
                        f"loaded: {type(exc).__name__}: {exc}"
                    ) from exc
            self._loaded = loaded
        return self._loaded

    def names(self) -> list[str]:
        return list(self._load())

    def get(self, name: str) -> Any:
        loaded = self._load()
        if name not in loaded:
            raise RegistryError(
                f"no {self.kind} named {name!r} (registered: {', '.join(loaded) or 'none'})"
            )
        return loaded[name]

    def configs(self) -> list[type]:
        """The `Config` models of every registered implementation that has one."""
        return [entry.Config for entry in self._load().values() if hasattr(entry, "Config")]

    def plugins(self) -> list[str]:
        return [name for name in self._load() if name not in self.builtins]

    def built_in(self) -> list[Any]:
        """The built-in implementations, in the order they are listed."""
        return [self.get(name) for name in self.builtins]

    def classes(self) -> list[Any]:
        """Every implementation: built-ins in the order they are listed, then plug-ins."""
        return list(self._load().values())


def _import(target: str, kind: str, name: str) -> Any:
    module, _, attribute = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"built-in {kind} {name!r} ({target}) cannot be imported") from exc


METHODS = Registry(
    "synthesis method",
    "synthfoundry.methods",
    {
        "seed_passthrough": "assets.synthesis.methods.seed_passthrough:SeedPassthroughMethod",
        "programmatic_math": "assets.synthesis.methods.programmatic_math:ProgrammaticMathMethod",
        "self_instruct": "assets.synthesis.methods.self_instruct:SelfInstructMethod",
        "evol_instruct": "assets.synthesis.methods.evol_instruct:EvolInstructMethod",
        "rephrase": "assets.synthesis.methods.rephrase:RephraseMethod",
        "verified_cot": "assets.synthesis.methods.verified_cot:VerifiedCoTMethod",
        "grounded_qa": "assets.synthesis.methods.grounded_qa:GroundedQAMethod",
        "preference_pairs": "assets.synthesis.methods.preference_pairs:PreferencePairsMethod",
        "back_translation": "assets.synthesis.methods.back_translation:BackTranslationMethod",
        "tool_use": "assets.synthesis.methods.tool_use:ToolUseMethod",
        "self_chat": "assets.synthesis.methods.self_chat:SelfChatMethod",
        "magpie": "assets.synthesis.methods.magpie:MagpieMethod",
        "code_instruct": "assets.synthesis.methods.code_instruct:CodeInstructMethod",
        "program_of_thought": "assets.synthesis.methods.program_of_thought:ProgramOfThoughtMethod",
        "constrained_instruct": (
            "assets.synthesis.methods.constrained_instruct:ConstrainedInstructMethod"
        ),
        "critique_revise": "assets.synthesis.methods.critique_revise:CritiqueReviseMethod",
    },
)

# The filtered stage runs, in this order: these built-in filters (each first rule that catches
# a row names its decision), plug-in filters in recipe order (`filters.steps`), DEDUP, SCORES.
FILTERS = Registry(
    "filter",
    "synthfoundry.filters",
    {
        "pii": "assets.filters.pii:PiiRedaction",
        "language_id": "assets.filters.language:LanguageIdentification",
        "empty_response": "assets.filters.heuristics:EmptyResponse",
        "truncated_response": "assets.filters.heuristics:TruncatedResponse",
        "length_bounds": "assets.filters.heuristics:LengthBounds",
        "refusal": "assets.filters.heuristics:Refusal",
        "echoes_instruction": "assets.filters.echo:EchoesInstruction",
        "non_printable": "assets.filters.heuristics:NonPrintable",
        "repeated_lines": "assets.filters.heuristics:RepeatedLines",
        "repeated_ngrams": "assets.filters.heuristics:RepeatedNgrams",
        "self_instruct": "assets.filters.instruction_rules:SelfInstructRejection",
        "language": "assets.filters.language:LanguageFilter",
        # A row that fails its own verifiable constraints is dropped for that before any
        # defect rule speaks of it; rows without constraints cost one substring test.
        "constraint_verify": "assets.filters.constraint_verify:ConstraintVerify",
        # A response whose final answer is not the row's own numeric reference answer.
        "reference_answer": "assets.filters.reference_answer:ReferenceAnswer",
        # A named term of the row's reference text (`answer`) garbled in its answer.
        "garbled_term": "assets.filters.reference_terms:GarbledTerm",
        # Defects of model-written rows (assets/filters/defects): artifacts first, then the
        # request, then the answer; the costlier per-field checks last.
        "chat_token_leak": "assets.filters.defects.artifacts:ChatTokenLeak",
        "template_leak": "assets.filters.defects.artifacts:TemplateLeak",
        "placeholder": "assets.filters.defects.artifacts:Placeholder",
        "ai_disclaimer": "assets.filters.defects.artifacts:AiDisclaimer",
        "role_flip": "assets.filters.defects.roles:RoleFlip",
        "not_a_task": "assets.filters.defects.requests:NotATask",
        "empty_question": "assets.filters.defects.requests:EmptyQuestion",
        "unseen_reference": "assets.filters.defects.requests:UnseenReference",
        "truncated_text": "assets.filters.defects.answers:TruncatedText",
        "announced_missing": "assets.filters.defects.answers:AnnouncedMissing",
        "empty_list": "assets.filters.defects.answers:EmptyListItems",
        "needless_clarification": "assets.filters.defects.answers:NeedlessClarification",
        "repeated_sentences": "assets.filters.defects.answers:RepeatedSentences",
        "self_contradiction": "assets.filters.defects.contradictions:SelfContradiction",
        "code_stub": "assets.filters.defects.code_stubs:CodeStub",
        "response_language": "assets.filters.defects.response_language:ResponseLanguage",
        "gopher_quality": "assets.filters.gopher:GopherQuality",
        "gopher_repetition": "assets.filters.gopher:GopherRepetition",
        "c4": "assets.filters.c4:C4",
        # Embeds only the answers that share few words with their request.
        "off_topic": "assets.filters.defects.relevance:OffTopic",
        # Last of the rules: the sandbox runs only code the cheap rules kept.
        "code_verify": "assets.filters.code_verify:CodeVerify",
    },
)

# Exact before near, so near dedup compares fewer rows and exact copies keep their exact-match
# evidence; semantic last (it embeds rows) on what the cheap steps left.
DEDUP = Registry(
    "dedup step",
    "synthfoundry.dedup",
    {
        "exact": "assets.dedup.exact:ExactDedup",
        "near": "assets.dedup.near:NearDedup",
        "semantic": "assets.dedup.semantic:SemanticDedup",
    },
)

# Last in the filtered stage: their paid model calls go only to rows every other step kept.
SCORES = Registry(
    "score",
    "synthfoundry.scores",
    {
        "judge": "assets.filters.judge_score:JudgeScores",
        "reward": "assets.filters.reward_score:RewardScores",
    },
)

# The decontaminated stage runs the configured detectors in this order, then the verdict;
# these names are the words of a verdict rule (`decontamination.rule`).
DETECTORS = Registry(
    "detector",
    "synthfoundry.detectors",
    {
        "ngram": "assets.decontamination.ngram:NgramOverlap",
        "embedding": "assets.decontamination.embedding:EmbeddingNearest",
        "lexical": "assets.decontamination.lexical:LexicalNearest",
        "judge": "assets.decontamination.judge:PairJudge",
    },
)

BENCHMARKS = Registry(
    "benchmark",
    "synthfoundry.benchmarks",
    {"humaneval": "assets.decontamination.benchmarks:humaneval_items"},
)

# Verifiable constraints (assets/constraints): a `ConstraintKind` with `name`, its
# `Params` model, a pure `check(response, params) -> Verdict`, `describe(params)` (the sentence
# that asks for it), `draw(rng)` and the kinds it `conflicts` with. Plug-ins add kinds under
# `synthfoundry.constraints`; recipes name them in a method's `constraints.kinds`.
_CONSTRAINT_KINDS = {
    "length": ["word_count", "sentence_count", "paragraph_count", "char_count"],
    "keywords": ["keywords_include", "keywords_exclude", "keyword_frequency", "letter_frequency"],
    "structure": [
        "json_schema", "bullet_count", "section_count", "highlighted_sections",
        "placeholder_count", "title", "quoted", "postscript", "two_responses",
    ],
    "style": [
        "lowercase", "uppercase", "capital_words", "no_commas", "start_phrase", "end_phrase",
        "response_language",
    ],
}  # fmt: skip
CONSTRAINTS = Registry(
    "constraint kind",
    "synthfoundry.constraints",
    {
        name: f"assets.constraints.{module}:{name.upper()}"
        for module, names in _CONSTRAINT_KINDS.items()
        for name in names
    },
)

# Tools a `tool_use` row may call (assets/tools/base.py): a class with `name`, `description`,
# `parameters` (the JSON schema of its arguments) and `run(arguments) -> str`.
TOOLS = Registry(
    "tool",
    "synthfoundry.tools",
    {
        "calculator": "assets.tools.calculator:Calculator",
        "convert_units": "assets.tools.units:UnitConversion",
        "date_arithmetic": "assets.tools.dates:DateArithmetic",
        "planet_table": "assets.tools.table_query:PlanetTable",
        "search_documents": "assets.tools.document_search:DocumentSearch",
    },
)
