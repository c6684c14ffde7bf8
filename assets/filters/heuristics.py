"""Heuristic quality filters: length bounds, empty or truncated responses, refusals,
non-printable characters, repeated lines and repeated word n-grams. All vectorized."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from pydantic import Field, model_validator

from assets.filters.asked import (
    ASKS_FOR_ANY_HARM,
    ASKS_FOR_BLANKS,
    ASKS_TO_RENDER,
    ASKS_WHAT_THE_ASSISTANT_IS,
    REFUSES_THE_RENDERING,
    REPEATS_BY_FORM,
    requests,
    turn_texts,
    unless_asked,
)
from assets.filters.defects.requests import ASKED_TO_REPEAT
from assets.filters.ngrams import ngram_numbers, word_hashes
from assets.filters.text import body
from assets.models.output_screens import REFUSAL_PATTERNS
from assets.run_context import RunContext
from assets.steps import RowFilter
from warehouse.settings import Strict

# Control, format, private-use and unassigned characters, except ordinary whitespace.
_NON_PRINTABLE = r"[\p{Cc}\p{Cf}\p{Co}\p{Cn}--[\n\r\t]]"
_NGRAM_WORD = r"\w{2,}"
_LIST_NUMBER = r"^\s*\d{1,3}[.):]\s+"
# A generation stuck on a word or a short phrase: the same one to four words this many times
# in a row ("very very very very very", "so good so good so good so good").
_LOOP_TIMES = 5
_LOOP_PERIODS = (1, 2, 3, 4)
# A longer phrase looping needs fewer turns to be a loop: five to eight words three times in
# a row ("and the museum and the gallery and the museum and the gallery and the museum ...").
_LONG_LOOP_TIMES = 3
_LONG_LOOP_PERIODS = (5, 6, 7, 8)
# ... which repeats at least this many of its three-word n-grams (fewer: no such loop).
_LONG_LOOP_MIN_REPEATS = 5
# A markdown table's row: a plan's or a schedule's cells repeat by design ("Run 1 min / walk
# 2 min" on three days of a week); a table whose rows loop is `repeated_lines`' to find.
_TABLE_LINE = r"(?m)^[ \t]*\|[^\n]*$"


def _flagged(
    rows: pl.DataFrame, condition: pl.Expr, rule: str, score: pl.Expr, evidence: pl.Expr
) -> pl.DataFrame:
    return rows.filter(condition).select(
        "row_id",
        pl.lit(rule).alias("rule"),
        score.cast(pl.Float64).alias("score"),
        evidence.alias("evidence"),
    )


def _evidence(**fields: pl.Expr) -> pl.Expr:
    return pl.struct(**fields).struct.json_encode()


class LengthBoundsConfig(Strict):
    """Instruction and response lengths, in characters, of `instruction` rows."""

    enabled: bool = True
    min_instruction_chars: int = Field(default=8, ge=0)
    max_instruction_chars: int = Field(default=4_000, gt=0)
    min_response_chars: int = Field(default=1, ge=0)
    max_response_chars: int = Field(default=16_000, gt=0)

    @model_validator(mode="after")
    def _bounds_ordered(self) -> LengthBoundsConfig:
        if self.min_instruction_chars > self.max_instruction_chars:
            raise ValueError("min_instruction_chars is larger than max_instruction_chars")
        if self.min_response_chars > self.max_response_chars:
            raise ValueError("min_response_chars is larger than max_response_chars")
        return self


@dataclass(frozen=True)
class LengthBounds(RowFilter):
    """Instruction and response lengths, in characters, within the recipe's bounds."""

    column: str
    minimum: int
    maximum: int
    name: str = "length_bounds"
    Config: ClassVar[type[Strict]] = LengthBoundsConfig
    config_key: ClassVar[str] = "length_bounds"
    # The bounds were flat keys of `filters` before each step had its own section.
    legacy_keys: ClassVar[dict[str, str]] = {
        key: key
        for key in (
            "min_instruction_chars",
            "max_instruction_chars",
            "min_response_chars",
            "max_response_chars",
        )
    }

    @classmethod
    def from_config(cls, config: LengthBoundsConfig, run: RunContext) -> list[LengthBounds]:
        if not config.enabled:
            return []
        return [
            cls("instruction", config.min_instruction_chars, config.max_instruction_chars),
            cls("response", config.min_response_chars, config.max_response_chars),
        ]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        applies = pl.col("kind") == "instruction"
        length = pl.col(self.column).fill_null("").str.strip_chars().str.len_chars()
        # "Explain it." over a passage in `input` is a whole task: the input carries it.
        carried = (
            pl.col("input").fill_null("").str.strip_chars() != ""
            if self.column == "instruction"
            else pl.lit(False)
        )
        short = _flagged(
            rows,
            applies
            & (length < self.minimum)
            & ~carried
            & (length > 0 if self.column == "response" else pl.lit(True)),
            f"{self.column}_too_short",
            length,
            _evidence(length=length, minimum=pl.lit(self.minimum)),
        )
        long = _flagged(
            rows,
            applies & (length > self.maximum),
            f"{self.column}_too_long",
            length,
            _evidence(length=length, maximum=pl.lit(self.maximum)),
        )
        return pl.concat([short, long])


class Switch(Strict):
    """The settings of a rule that has none but whether it runs."""

    enabled: bool = True


@dataclass(frozen=True)
class EmptyResponse(RowFilter):
    name: str = "empty_response"
    Config: ClassVar[type[Strict]] = Switch
    config_key: ClassVar[str] = "empty_response"

    @classmethod
    def from_config(cls, config: Switch, run: RunContext) -> list[EmptyResponse]:
        return [cls()] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        empty = pl.col("response").fill_null("").str.strip_chars() == ""
        return _flagged(
            rows,
            (pl.col("kind") == "instruction") & empty,
            self.name,
            pl.lit(0.0),
            _evidence(response=pl.col("response")),
        )


@dataclass(frozen=True)
class TruncatedResponse(RowFilter):
    """Stopped by the token limit, or an unclosed code fence."""

    name: str = "truncated_response"
    Config: ClassVar[type[Strict]] = Switch
    config_key: ClassVar[str] = "truncated_response"

    @classmethod
    def from_config(cls, config: Switch, run: RunContext) -> list[TruncatedResponse]:
        return [cls()] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        finish = pl.col("attributes").str.json_path_match("$.finish_reason")
        fences = pl.col("response").fill_null("").str.count_matches("```", literal=True)
        truncated = (finish == "length").fill_null(False) | (fences % 2 == 1)
        return _flagged(
            rows,
            truncated,
            self.name,
            fences,
            _evidence(
                finish_reason=finish, code_fences=fences, tail=pl.col("response").str.slice(-80)
            ),
        )


# Besides its `patterns`, the filter reads refusals that open with a softener or a discomfort
# ("Unfortunately, I cannot assist with ...", "I'm not comfortable writing ..."). Each names a
# refusing verb, so "Unfortunately, I can't tell you the exact date, but ..." (an answer that
# hedges) is kept. They are no config default, so recipes (and their hashes) are unchanged,
# and the generation screen keeps REFUSAL_PATTERNS: what it re-asks for is not changed here.
SOFTENED_REFUSALS = (
    r"(?i)^\W*(?:unfortunately|regrettably|i(?:'m| am) afraid|sorry),?\s+(?:but\s+)?i (?:cannot|"
    r"can't|can not|won't|will not|am unable to|'m unable to|am not able to|'m not able to) "
    r"(?:help|assist|provide|support|engage|comply|fulfil|fulfill|do that|do this)\b",
    r"(?i)^\W*i(?:'m| am) not comfortable (?:writing|providing|creating|generating|producing|"
    r"discussing|helping|assisting|sharing|with)\b",
    r"(?i)^\W*i (?:must|have to|need to) (?:decline|refuse)\b",
)
# An apology of sympathy opens no refusal: "I'm sorry to hear that. Could you check with your
# neighbours?", "I'm sorry for the delay." (unless the same paragraph then declines).
_SYMPATHY = (
    r"(?i)^[^A-Za-z0-9]*(?:i'm|i am|we're|we are) (?:so |very |really |truly )?sorry (?:to hear|for (?:your|"
    r"the) (?:loss|inconvenience|delay|trouble|wait|confusion|frustration|experience)|about "
    r"(?:that|this|the|your)|(?:that|this) (?:happened|is happening))(?-u:\b)"
)
_DECLINES = r"(?i)^[^\n]*?(?-u:\b)(?:can't|cannot|can not|unable to|won't|will not) (?:help|assist)"

# The general shape of a refusal: a turn that opens (after an apology or a softener, if any)
# by saying it cannot do something, whatever the verb ("I apologize, but I cannot summarize
# copyrighted works.", "I'm not able to give medical advice."), to the end of that sentence.
# ("I won't write that: it promotes ..." is a choice, most often a refusal the request
# deserved; the rule cannot weigh the request, so it reads only an inability.)
INABILITY = (
    r"(?i)^\W*(?:as an? [^,.!?\n]{1,40},\s*)?(?:(?:i apologi[sz]e|i'm sorry|i am sorry|sorry|"
    r"unfortunately|regrettably|i'm afraid|i am afraid)[,.!]?\s+(?:but\s+)?)?"
    r"i(?: cannot| can't| can not|(?: am|'m) (?:unable|not able|not allowed|not permitted) to|"
    r"(?: must| have to| need to) (?:refrain from|decline to|avoid)|'d rather not| would rather not|"
    r" prefer not to) \p{L}+[^.!?\n]*"
)
# ... unless the sentence, after its "I can't", goes on to answer ("I can't be sure, but it
# is usually ..."), the words are a figure of speech ("I can't stress enough ..."), or what
# it cannot do is reach or perceive something ("I can't access your bank account", "I can't
# check live weather"): a limitation told honestly, not a task refused.
_HEDGED = (
    r"(?i)\b(?:but|however|though|although|except|enough|wait|believe|stress|overstate|"
    r"emphasi[sz]e|imagine|help but|access|see|view|open|browse|check|look up|read|hear|know|"
    r"predict|guarantee|verify|confirm|remember|be sure)\b"
)
# A refusal is all its turn says, or nearly: an answer that says what it cannot do and then
# helps ("I can't check live weather, so ... For a rough idea: in winter Oslo is ...") is
# longer than this (the turn's words, the refusal's own included).
_MAX_REFUSAL_WORDS = 35
_REST_OF_TURN = r"(?s:.*?)(?:\n\n(?:user|system|tool): |\z)"
# A word every refusal shape says: rows without one are not searched for them.
_REFUSING_WORDS = [
    "cannot",
    "can't",
    "can not",
    "won't",
    "will not",
    "unable to",
    "not able to",
    "not allowed to",
    "not permitted to",
    "not comfortable",
    "refrain from",
    "decline",
    "refuse",
    "rather not",
    "prefer not to",
]
# Up to the inability itself: past an apology's own "I'm" ("I'm sorry, but I can't ..."),
# whose "but" belongs to the apology and hedges nothing.
_UP_TO_INABILITY = (
    r"(?is)^.*?\bi(?: can(?:not|'t)?| won't| will|(?:'m| am) (?:unable|not)| must| have to|"
    r" need to|'d| would| prefer)\b"
)
# A conversation's transcript opens each assistant turn with its role: the refusal patterns
# anchored at a response's start read every assistant turn's start there (a refusal in the
# fourth turn after three answers).
_TURN_START = "(?:\\A|\\n\\n)assistant: "


def _at_turn_starts(pattern: str) -> str:
    """`pattern`, anchored at a response's start, anchored at each assistant turn's start."""
    return pattern.replace("^", _TURN_START, 1)


class RefusalConfig(Strict):
    enabled: bool = True
    patterns: list[str] = Field(
        default=REFUSAL_PATTERNS, description="Regular expressions a refusing response matches."
    )


@dataclass(frozen=True)
class Refusal(RowFilter):
    patterns: tuple[str, ...]
    name: str = "refusal"
    Config: ClassVar[type[Strict]] = RefusalConfig
    config_key: ClassVar[str] = "refusal"
    legacy_keys: ClassVar[dict[str, str]] = {"refusal_patterns": "patterns"}

    @classmethod
    def from_config(cls, config: RefusalConfig, run: RunContext) -> list[Refusal]:
        return [cls(tuple(config.patterns))] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        if not self.patterns:
            return rows.clear().select("row_id")
        response = pl.col("response").fill_null("")
        # A phrase the user wrote too is a mention, not a refusal ("My chatbot keeps saying
        # 'As an AI language model'; how do I stop it?"): found in the instruction, or more
        # often in a conversation's transcript than in what its assistant said.
        request = pl.col("instruction").fill_null("")
        transcript = pl.col("text").fill_null("")
        matched = pl.coalesce(
            [
                pl.when(
                    response.str.contains(p)
                    & ~request.str.contains(p)
                    & (transcript.str.count_matches(p) <= response.str.count_matches(p))
                ).then(pl.lit(p))
                for p in (*self.patterns, *SOFTENED_REFUSALS)
            ]
        )
        # The softened refusals and the inability shape, at the start of any assistant turn
        # (a conversation's) or of the response (an instruction's), unless hedged: searched
        # only in the rows that say one of their words anywhere.
        turns = _turn_refusals(
            rows.filter(response.str.contains_any(_REFUSING_WORDS, ascii_case_insensitive=True))
        )
        conversation = pl.col("kind") == "conversation"
        turn_refusal = pl.col("_refusal")
        flagged = _flagged(
            rows.join(turns, on="row_id", how="left"),
            matched.is_not_null() | turn_refusal.is_not_null(),
            self.name,
            pl.lit(1.0),
            _evidence(
                pattern=matched.fill_null(pl.lit("inability")),
                field=pl.when(conversation).then(pl.lit("messages")).otherwise(pl.lit("response")),
                turn=pl.col("_turn"),
                span=turn_refusal,
                response=response.str.slice(0, 200),
            ),
        )
        # Two answers that match an apology pattern and refuse nothing, unless the answer
        # declines or says what it cannot do (read on the flagged rows only): an apology of
        # sympathy that opens it ("I'm sorry to hear that. Could you ...?"), and what the
        # assistant is, told to a question about it ("Are AI chatbots like you able to use a
        # screen reader?" "As an AI assistant, I don't use one myself ...").
        if flagged.height:
            undeclined = (
                rows.filter(pl.col("row_id").is_in(flagged["row_id"].implode()))
                .join(turns, on="row_id", how="left")
                .filter(pl.col("_refusal").is_null() & ~response.str.contains(_DECLINES))
            )
            sympathetic = undeclined.filter(response.str.contains(_SYMPATHY))["row_id"]
            about_itself = requests(undeclined).filter(
                pl.col("request").str.contains(ASKS_WHAT_THE_ASSISTANT_IS)
            )["row_id"]
            answered = pl.concat([sympathetic, about_itself])
            flagged = flagged.filter(~pl.col("row_id").is_in(answered.implode()))
        # A phishing email or a way into another's account is a request to refuse.
        flagged = unless_asked(flagged, rows, *ASKS_FOR_ANY_HARM)
        # A translation of the user's "Je ne peux pas ..." says "I cannot ...": the user's
        # words rendered, unless the answer speaks of the rendering ("I can't translate that").
        rendered = unless_asked(flagged, rows, ASKS_TO_RENDER)
        own_words = rows.filter(
            pl.col("row_id").is_in(flagged["row_id"].implode())
            & pl.col("response").fill_null("").str.contains(REFUSES_THE_RENDERING)
        )["row_id"]
        return flagged.filter(
            pl.col("row_id").is_in(rendered["row_id"].implode())
            | pl.col("row_id").is_in(own_words.implode())
        )


def _turn_refusals(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, _refusal, _turn`: the first unhedged refusing sentence that opens a response
    or an assistant turn of `rows` (null: none), and its turn in a conversation."""
    conversation = pl.col("kind") == "conversation"
    response = pl.col("response").fill_null("")
    transcript = pl.col("text").fill_null("")
    said = pl.when(conversation).then(pl.lit("")).otherwise(response)
    turns = pl.when(conversation).then(transcript).otherwise(pl.lit(""))
    shapes = (*SOFTENED_REFUSALS, INABILITY)
    refused = pl.concat_list(
        [said.str.extract_all(p + r"(?s:.*)") for p in shapes]
        + [turns.str.extract_all(_at_turn_starts(p) + _REST_OF_TURN) for p in shapes]
    ).list.eval(
        pl.element()
        .filter(
            ~pl.element()
            .str.replace(_UP_TO_INABILITY, "")
            .str.extract(r"^[^.!?\n]*", 0)
            .str.contains(_HEDGED)
            & (pl.element().str.count_matches(r"\S+") <= _MAX_REFUSAL_WORDS)
        )
        .drop_nulls()
    )
    # The refusing sentence, without the rest of its turn.
    sentence = refused.list.first().str.extract(r"^\s*(?:assistant: )?[^.!?\n]*", 0)
    # The turn: the role lines before the sentence's own (split there, not sliced at
    # `str.find`, which counts bytes).
    return (
        rows.select("row_id", "kind", "text", sentence.alias("_sentence"))
        .with_columns(
            pl.col("_sentence").str.replace(r"^\s*assistant: ", "").alias("_refusal"),
        )
        .select(
            "row_id",
            "_refusal",
            pl.when(conversation & pl.col("_sentence").is_not_null())
            .then(
                pl.col("text")
                .fill_null("")
                .str.split(pl.col("_sentence"))
                .list.first()
                .str.count_matches(r"(?m)^(?:system|user|assistant|tool): ")
                + 1
            )
            .alias("_turn"),
        )
    )


def _loops(maybe: pl.DataFrame, rows: pl.DataFrame, tables: bool = True) -> pl.DataFrame:
    """`row_id, _loop`: whether a row of `maybe` holds one to four words (`_words`) repeated
    `_LOOP_TIMES` times in a row (a loop of period k: each word equal to the one k before, for
    (times - 1) * k words on), or five to eight words, digits counted (a plan's lines differ
    by their figures), nearly `_LONG_LOOP_TIMES` times: the last word may be cut off."""
    short = [
        pl.col("_words")
        .list.eval(
            (pl.element() == pl.element().shift(k))
            .cast(pl.Int32)
            .rolling_sum((_LOOP_TIMES - 1) * k)
            .max()
        )
        .list.first()
        == (_LOOP_TIMES - 1) * k
        for k in _LOOP_PERIODS
    ]
    span = [(_LONG_LOOP_TIMES - 1) * k - 1 for k in _LONG_LOOP_PERIODS]
    long = [
        pl.col("_all_words")
        .list.eval((pl.element() == pl.element().shift(k)).cast(pl.Int32).rolling_sum(width).max())
        .list.first()
        == width
        for k, width in zip(_LONG_LOOP_PERIODS, span, strict=True)
    ]
    # The words with digits, of the rows whose n-grams repeat enough for a long loop only.
    longer = maybe.filter(pl.col("_count") - pl.col("_distinct") >= _LONG_LOOP_MIN_REPEATS)
    text = body(("response", "text"))
    if not tables:
        text = text.str.replace_all(_TABLE_LINE, "")
    texts = rows.filter(pl.col("row_id").is_in(longer["row_id"].implode())).select(
        "row_id", text.str.to_lowercase().str.extract_all(r"\w+").alias("_all_words")
    )
    return maybe.join(texts, on="row_id", how="left").select(
        "row_id", pl.any_horizontal(short + long).fill_null(False).alias("_loop")
    )


class NonPrintableConfig(Strict):
    enabled: bool = True
    max_ratio: float = Field(
        default=0.01, ge=0.0, le=1.0, description="Largest share of non-printable characters."
    )


@dataclass(frozen=True)
class NonPrintable(RowFilter):
    max_ratio: float
    name: str = "non_printable"
    Config: ClassVar[type[Strict]] = NonPrintableConfig
    config_key: ClassVar[str] = "non_printable"
    legacy_keys: ClassVar[dict[str, str]] = {"max_non_printable_ratio": "max_ratio"}

    @classmethod
    def from_config(cls, config: NonPrintableConfig, run: RunContext) -> list[NonPrintable]:
        return [cls(config.max_ratio)] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        text = body()
        ratio = text.str.count_matches(_NON_PRINTABLE) / text.str.len_chars().clip(lower_bound=1)
        return _flagged(
            rows,
            ratio > self.max_ratio,
            self.name,
            ratio,
            _evidence(ratio=ratio, maximum=pl.lit(self.max_ratio)),
        )


class RepeatedLinesConfig(Strict):
    enabled: bool = True
    max_fraction: float = Field(
        default=0.3, ge=0.0, le=1.0, description="Largest share of lines repeating an earlier one."
    )


@dataclass(frozen=True)
class RepeatedLines(RowFilter):
    """Share of non-blank lines that repeat an earlier line (Gopher's duplicate-line rule)."""

    max_fraction: float
    name: str = "repeated_lines"
    Config: ClassVar[type[Strict]] = RepeatedLinesConfig
    config_key: ClassVar[str] = "repeated_lines"
    legacy_keys: ClassVar[dict[str, str]] = {"max_duplicate_line_fraction": "max_fraction"}

    @classmethod
    def from_config(cls, config: RepeatedLinesConfig, run: RunContext) -> list[RepeatedLines]:
        return [cls(config.max_fraction)] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # A conversation's lines are what the assistant says: a user who pastes a log with a
        # line three times is quoting it, not looping.
        text = (
            pl.when(pl.col("kind") == "conversation")
            .then(pl.col("response"))
            .otherwise(body(("response", "text")))
        )
        lines = _lines_of(text)
        count = lines.list.len()
        fraction = (1 - lines.list.n_unique() / count.clip(lower_bound=1)).fill_null(0)
        flagged = _flagged(
            rows,
            (count >= 3) & (fraction > self.max_fraction),
            self.name,
            fraction,
            _evidence(fraction=fraction, lines=count),
        )
        flagged = self._within_a_turn(flagged, rows)
        flagged = self._outside_code(flagged, rows, text)
        # A program's output that the user asks about ("What does `yes | head -n 4` print?")
        # repeats because the program does: quoted to explain it, not a loop of the answer.
        return unless_asked(flagged, rows, _ASKS_FOR_OUTPUT, REPEATS_ASKED_FOR)

    def _outside_code(
        self, flagged: pl.DataFrame, rows: pl.DataFrame, text: pl.Expr
    ) -> pl.DataFrame:
        """`flagged` without the rows whose repeats are a code block's fence lines or the
        lines of blocks written once per item asked for (three ConfigMaps, each its
        `apiVersion: v1`): inside a fence only a line that repeats the line right before it
        loops (`AND signup_date >= ...` five times). Read on the flagged rows with a fence."""
        fenced = rows.filter(
            pl.col("row_id").is_in(flagged["row_id"].implode())
            & text.str.contains("```", literal=True).fill_null(False)
        )
        if fenced.is_empty():
            return flagged
        outside = _lines_of(text.str.replace_all(_FENCED_BLOCK, "\n"))
        inside = _lines_of(
            text.str.extract_all(_FENCED_BLOCK).list.join("\n").str.replace_all(_FENCE_LINE, "")
        )
        runs = inside.list.eval((pl.element() == pl.element().shift(1)).cast(pl.Int32).sum())
        count = outside.list.len() + inside.list.len()
        repeats = outside.list.len() - outside.list.n_unique() + runs.list.first().fill_null(0)
        fraction = repeats / count.clip(lower_bound=1)
        fine = fenced.filter(((count < 3) | (fraction <= self.max_fraction)).fill_null(False))
        return flagged.filter(~pl.col("row_id").is_in(fine["row_id"].implode()))

    def _within_a_turn(self, flagged: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
        """`flagged` without the conversations whose lines repeat only across turns: a turn
        that restates an earlier one ("add a last line": the poem again, one line longer)
        revises it, it does not loop. Decodes only the flagged conversations."""
        chats = rows.filter(
            (pl.col("kind") == "conversation")
            & pl.col("messages").is_not_null()
            & pl.col("row_id").is_in(flagged["row_id"].implode())
        )
        if chats.is_empty():
            return flagged
        turns = (
            turn_texts(chats, "assistant")
            .select("row_id", _lines_of(pl.col("content")).alias("_lines"))
            .with_columns(pl.col("_lines").list.len().alias("_count"))
            .filter(
                (pl.col("_count") >= 3)
                & (
                    1 - pl.col("_lines").list.n_unique() / pl.col("_count").clip(lower_bound=1)
                    > self.max_fraction
                )
            )
        )
        across = chats.filter(~pl.col("row_id").is_in(turns["row_id"].implode()))["row_id"]
        return flagged.filter(~pl.col("row_id").is_in(across.implode()))


# A chorus sung twice, a tongue twister three times, a cheer or a blank form: repeats the
# request asked for (in an instruction or any user turn of a conversation).
REPEATS_ASKED_FOR = f"{ASKED_TO_REPEAT}|{REPEATS_BY_FORM}|{ASKS_FOR_BLANKS}"
# A fenced code block, fences included (lazy: each block its own match), and a fence line.
_FENCED_BLOCK = r"(?s)```[^\n]*\n.*?```"
_FENCE_LINE = r"(?m)^[ \t]*```[^\n]*$"
# A question about what a program prints, with the program in it ("What does `yes | head -n 4`
# print?", "Why does this loop print the same line three times?\n\nfor i in range(3): ...").
_ASKS_FOR_OUTPUT = (
    r"(?i)(?-u:\b)(?:what|why|how many)(?-u:\b)[^?\n]{0,80}(?-u:\b)(?:print|prints|printed|output|"
    r"outputs|echo|echoes|display|displays|log|logs)(?-u:\b)[^?\n]{0,60}\?(?:[ \t]*\n|[ \t]*\z)|"
    r"(?i)(?-u:\b)(?:what|why|how many)(?-u:\b)[^?\n]{0,40}`[^`\n]+`[^?\n]{0,40}(?-u:\b)(?:print|"
    r"prints|output|outputs|show|shows|give|gives|return|returns)(?-u:\b)"
)


def _lines_of(text: pl.Expr) -> pl.Expr:
    """A text's non-blank lines, stripped, without a list item's number: a numbered list
    that loops ("4. Harbor Brew\n5. Harbor Brew") repeats its items under new numbers."""
    return text.str.split("\n").list.eval(
        pl.element()
        .str.replace(_LIST_NUMBER, "")
        .str.strip_chars()
        .filter(pl.element().str.strip_chars() != "")
    )


class RepeatedNgramsConfig(Strict):
    enabled: bool = True
    n: int = Field(default=3, ge=1, le=10, description="Words per n-gram.")
    max_fraction: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Largest share of n-grams repeating an earlier one.",
    )


@dataclass(frozen=True)
class RepeatedNgrams(RowFilter):
    """Share of word n-grams that repeat an earlier one: degenerate, looping generations."""

    n: int
    max_fraction: float
    name: str = "repeated_ngrams"
    Config: ClassVar[type[Strict]] = RepeatedNgramsConfig
    config_key: ClassVar[str] = "repeated_ngrams"
    legacy_keys: ClassVar[dict[str, str]] = {
        "duplicate_ngram_size": "n",
        "max_duplicate_ngram_fraction": "max_fraction",
    }

    @classmethod
    def from_config(cls, config: RepeatedNgramsConfig, run: RunContext) -> list[RepeatedNgrams]:
        return [cls(config.n, config.max_fraction)] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        flagged = self._measured(rows, tables=True)
        # A table's cells repeat by design (a plan's weeks, a timetable): a row flagged with a
        # table in it is measured again without its table rows (only those few rows pay).
        tabled = rows.filter(pl.col("row_id").is_in(flagged["row_id"].implode())).filter(
            body(("response", "text")).str.contains("|", literal=True)
        )
        if not tabled.is_empty():
            flagged = pl.concat(
                [
                    flagged.filter(~pl.col("row_id").is_in(tabled["row_id"].implode())),
                    self._measured(tabled, tables=False),
                ]
            )
        # A tongue twister asked for three times loops on purpose.
        return unless_asked(flagged, rows, REPEATS_ASKED_FOR)

    def _measured(self, rows: pl.DataFrame, tables: bool) -> pl.DataFrame:
        """The rows whose n-grams repeat past the limit or loop (with or without the rows of
        a markdown table), as decisions."""
        # Words of two or more characters: the digits and one-letter variables of a formula
        # repeat without any loop in the generation.
        text = body(("response", "text"))
        if not tables:
            text = text.str.replace_all(_TABLE_LINE, "")
        words = text.str.to_lowercase().str.extract_all(_NGRAM_WORD)
        # An n-gram as one 64-bit number (`ngrams.py`).
        grams = (
            pl.col("_words")
            .list.eval(word_hashes(pl.element()))
            .list.eval(ngram_numbers(pl.element(), self.n).drop_nulls())
        )
        # The words and the n-grams' counts as columns, computed once (inline, the condition
        # and the evidence each built every row's n-grams again; the loop search reads the
        # same words).
        counted = (
            rows.select("row_id", "kind", words.alias("_words"))
            .with_columns(grams.alias("_grams"))
            .select(
                "row_id",
                "kind",
                "_words",
                pl.col("_grams").list.len().alias("_count"),
                pl.col("_grams").list.n_unique().alias("_distinct"),
            )
        )
        # A word or phrase looping five times repeats at least two of its n-grams: only such
        # rows (of a model's answers or turns; a web document's tags and lists are Gopher's to
        # judge) are searched for a loop.
        maybe = counted.filter(
            (pl.col("_count") - pl.col("_distinct") >= 2) & (pl.col("kind") != "document")
        )
        counted = (
            counted.drop("_words")
            .join(_loops(maybe, rows, tables), on="row_id", how="left")
            .with_columns(pl.col("_loop").fill_null(False))
        )
        count = pl.col("_count")
        fraction = (1 - pl.col("_distinct") / count.clip(lower_bound=1)).fill_null(0)
        return _flagged(
            counted,
            ((count >= 2 * self.n) & (fraction > self.max_fraction)) | pl.col("_loop"),
            self.name,
            fraction,
            _evidence(fraction=fraction, ngrams=count, n=pl.lit(self.n), loop=pl.col("_loop")),
        )
