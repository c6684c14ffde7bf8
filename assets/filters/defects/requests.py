"""Is the request a task someone can do? Instructions that are statements, questions with
nothing in them, and references to examples or passages the reader never sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.filters.defects.spans import DefectRule, SpanRule, prose
from assets.filters.defects.units import decisions, shortened, units

# An instruction asks for something when it has a question mark, opens a sentence with a
# question word or an imperative, says please or "I need", names a form to answer in, or
# introduces material with a colon.
_IMPERATIVES = (
    "add|adjust|analy[sz]e|answer|apply|arrange|assess|brainstorm|build|calculate|categori[sz]e|"
    "change|check|choose|cite|clarify|classify|come|compare|compile|complete|compose|compute|"
    "condense|construct|contrast|convert|correct|count|craft|create|critique|debug|decide|"
    "define|derive|describe|design|detect|determine|develop|devise|draft|draw|edit|elaborate|"
    "estimate|evaluate|expand|explain|extract|fill|find|fix|formulate|generate|give|go|guess|"
    "help|highlight|identify|illustrate|imagine|implement|improve|infer|interpret|invent|"
    "justify|label|let|list|locate|make|map|match|measure|mention|modify|name|note|optimi[sz]e|"
    "order|organi[sz]e|outline|paraphrase|pick|plan|point|predict|prepare|present|produce|"
    "prove|provide|put|rank|rate|read|recommend|refactor|reformat|rephrase|replace|report|"
    "restate|rewrite|say|score|select|share|shorten|show|simplify|sketch|solve|sort|specify|"
    "spell|state|suggest|summari[sz]e|support|tag|take|teach|tell|test|think|trace|transform|"
    "translate|turn|use|validate|verify|walk|write|"
    # The imperatives of programming tasks: "Return the sorted list ...", "Given a list, ...".
    "given|return|flatten|split|parse|group|merge|reverse|remove|keep|filter|insert|delete|"
    "encode|decode|round|swap|rotate|shift|concatenate|join|append|print|output|scan|sum|"
    "multiply|divide|add|subtract|count|search|look|split|strip|trim|capitali[sz]e|format"
)
_QUESTION_WORDS = (
    "what|which|why|who|whom|whose|when|where|how|is|are|am|was|were|do|does|did|can|could|"
    "should|would|will|shall|may|might|must|have|has"
)
REQUEST = "|".join(
    (
        r"\?",
        r"(?i:(?:^|[.!;:,\n]\s*)(?:(?:please|now|ok|okay|so|then|also|next|first|finally|"
        r"\w+ly),?\s+)?(?:" + _IMPERATIVES + r")\b)",
        r"(?i:(?:^|[.!;:\n]\s*)(?:" + _QUESTION_WORDS + r")\b)",
        r"(?i:\b(?:please|kindly|can you|could you|would you|will you|i need|i want|i'd like|"
        r"i would like|help me|show me|tell me|give me|let me know|i'm looking for|"
        r"i am looking for|your task|you are asked|you should|you must)\b)",
        r"(?i:\b(?:in|within|under|using|with|as) (?:\d+|one|two|three|four|five|six|a few|"
        r"several|a single|a short|a brief|simple) (?:words?|sentences?|paragraphs?|bullets?|"
        r"bullet points?|lines?|steps?|examples?|points?|terms)\b)",
        r"(?i:^\s*(?:a |an |the |one |two |three |five |ten |\d+ )?(?:short |brief |quick |"
        r"simple |good |catchy |formal )?(?:summary|title|translation|list|outline|examples?|"
        r"definition|explanation|comparison|description|differences?|pros and cons|steps|tips|"
        r"ideas|synonyms?|antonyms?|headline|slogan|haiku|poem|tweet|caption|recipe|story|"
        r"joke|riddle|email|letter|names?|questions?|reasons|ways|facts|arguments|"
        r"advantages|disadvantages|benefits|rules|tricks|options|alternatives)\b)",
        r":\s*$",
        r":\s*\n",
    )
)


# A statement has a subject and a finite verb early on ("Cats are ...", "A person who owns a
# small business is not ...", "The Eiffel Tower was completed ..."); an instruction without a
# request marker but without that shape ("Book it for me.", "Three quick facts about tides")
# is a terse request, not a statement.
DECLARATIVE = (
    r"(?i)^\W*(?:\S+\s+){0,12}?(?:is|are|was|were|isn't|aren't|wasn't|weren't|has|have|had|"
    r"can|cannot|can't|will|won't|would|should|could|must|does|doesn't|do|don't|did|didn't|"
    r"seems?|looks?|makes?|became|becomes|remains?|means|needs|wants|likes|loves|hates|"
    r"owns|lives|works|grows|runs|comes|goes|took|went|came|got|made|rose|fell|grew|began|"
    r"built|bought|found|gave|held|kept|left|lost|met|paid|said|sold|sent|spent|stood|told|"
    r"won|wrote|\p{L}{3,}ed)\b"
    r"|(?i)^\W*(?:i|we|he|she|they|it|there|my|our|his|her|their|its)\s"
)
# A present-tense generic statement, a subject and a verb in -s: "Coffee tastes better ...",
# "Water boils at ...".
GENERIC_STATEMENT = (
    r"(?i)^\W*(?:(?:the|a|an|most|many|some|all|every|fresh|good)\s+)?\p{L}+(?:\s+\p{L}+)?\s+"
    r"\p{L}{2,}[^s\W]s\s+\p{L}+"
)
# What follows a plural noun in a terse request ("Healthy breakfast ideas for kids", "Key
# differences between TCP and UDP"), not a verb: no statement.
_TITLE = (
    r"(?i)^\W*(?:\p{L}+\s+){0,2}\p{L}{2,}s\s+(?:for|about|of|on|to|from|between|with|and|vs|"
    r"versus|among|across|under|like|in|that|when|you|i|we|to)\b"
)
# A conversation may open with the user's own situation ("I'm building a to-do app."): only
# statements about something else are no request there.
_FIRST_PERSON = r"(?i)^\W*(?:i|i'm|i've|i'd|we|we're|my|our|me)\b"


@dataclass(frozen=True)
class NotATask(DefectRule):
    """An instruction that asks for nothing: a statement, an opinion, a story fragment ("A
    person who owns a small business is not a villain; ..."). Instructions with an input are
    left alone: a label over task data ("Sentiment of this review.") asks about the input."""

    config_key: ClassVar[str] = "not_a_task"
    name: str = "not_a_task"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        def statement(text: pl.Expr) -> pl.Expr:
            text = prose(text)
            return ~text.str.contains(REQUEST) & (
                text.str.contains(DECLARATIVE)
                | (text.str.contains(GENERIC_STATEMENT) & ~text.str.contains(_TITLE))
            )

        # A conversation's opening user turn, read from the transcript's first user line
        # (cheap), so that only the rare candidates are decoded into turns.
        opening = pl.col("text").str.extract(r"(?m)^user: (.*)$", 1)
        chats = rows.filter(
            (pl.col("kind") == "conversation")
            & statement(opening).fill_null(False)
            & ~opening.str.contains(_FIRST_PERSON).fill_null(False)
        )
        opening_turn = (pl.col("field") == "messages") & (pl.col("prompt") == "")
        found = pl.concat(
            [
                units(rows, ("instruction",)),
                units(chats, ("messages",), ("user",)).filter(
                    opening_turn & ~pl.col("text").str.contains(_FIRST_PERSON)
                ),
            ]
        ).filter((pl.col("context").str.strip_chars() == "") & statement(pl.col("text")))
        return decisions(
            found, self.name, pl.lit(1.0), span=shortened(pl.col("text"), 200), start=pl.lit(0)
        )


# Words that say "answer", "this" or "please" but name no subject: what an instruction made
# only of them asks is unknowable.
_GENERIC = [
    "a",
    "about",
    "above",
    "again",
    "all",
    "an",
    "and",
    "answer",
    "answers",
    "any",
    "anything",
    "are",
    "ask",
    "be",
    "below",
    "can",
    "correct",
    "correctly",
    "could",
    "detail",
    "details",
    "do",
    "does",
    "following",
    "for",
    "give",
    "given",
    "go",
    "hello",
    "help",
    "here",
    "hey",
    "hi",
    "how",
    "i",
    "in",
    "is",
    "it",
    "its",
    "know",
    "let",
    "me",
    "my",
    "need",
    "now",
    "of",
    "ok",
    "okay",
    "on",
    "one",
    "or",
    "please",
    "problem",
    "prompt",
    "provide",
    "query",
    "question",
    "questions",
    "regarding",
    "reply",
    "request",
    "respond",
    "response",
    "right",
    "should",
    "solve",
    "some",
    "something",
    "sure",
    "task",
    "tell",
    "thank",
    "thanks",
    "that",
    "the",
    "there",
    "these",
    "thing",
    "things",
    "this",
    "those",
    "to",
    "topic",
    "up",
    "want",
    "was",
    "what",
    "which",
    "with",
    "would",
    "you",
    "your",
    "explain",
    "explanation",
    "information",
    "info",
    "briefly",
    "short",
    "think",
    "thoughts",
    "opinion",
    "feel",
    "say",
    "mean",
    "views",
    "view",
]


_ANNOUNCES_AND_STOPS = r"(?i)\b(?:here (?:is|are)|the following|below|as follows)\b[^\n]*:\s*\z"


@dataclass(frozen=True)
class EmptyQuestion(DefectRule):
    """A question with nothing to answer: "What is the answer to the question?", "Explain
    it." An instruction made only of generic words is empty without an input, and so is one
    that asks about "the question" when its input holds none."""

    config_key: ClassVar[str] = "empty_question"
    name: str = "empty_question"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        words = pl.col("text").str.to_lowercase().str.extract_all(r"[\p{L}\p{N}']+")
        content = words.list.eval(pl.element().filter(~pl.element().is_in(_GENERIC)))
        context = pl.col("context").str.strip_chars()
        about_question = pl.col("text").str.contains(r"(?i)\b(?:question|answer)\b")
        empty = (content.list.len() == 0) & (
            (context == "") | (about_question & ~context.str.contains(r"\?"))
        )
        # "Here is the passage:" and nothing after it, nor an input holding it.
        empty = empty | ((context == "") & pl.col("text").str.contains(_ANNOUNCES_AND_STOPS))
        # An instruction, or a conversation's opening user turn (a later "Explain it." points
        # at what was said before).
        opening = (pl.col("field") == "instruction") | (
            (pl.col("prompt") == "") & (pl.col("context") == "")
        )
        found = units(rows, ("instruction", "messages"), ("user",)).filter(opening & empty)
        return decisions(
            found, self.name, pl.lit(1.0), span=shortened(pl.col("text")), start=pl.lit(0)
        )


_MATERIAL = (
    r"examples?|passage|text|table|code|article|data|list|document|paragraph|story|poem|"
    r"excerpt|snippet|context|information|dialogue|conversation|sentences?|essay|chart|graph|"
    r"image|picture|figure|email|review|function|program|query|equation|options?|choices?|"
    r"script|statement|quote|scenario|description|diagram|map|recipe|problem"
)
UNSEEN = "|".join(
    (
        r"(?i:\b(?:the|these|those|this) (?:above|aforementioned|provided|given|preceding|"
        r"previous|attached) (?:" + _MATERIAL + r")\b)",
        r"(?i:\b(?:the|these|those|this) (?:" + _MATERIAL + r") (?:above|provided|given|"
        r"shown|attached|mentioned above|listed above)\b)",
        r"(?i:\bas (?:shown|seen|described|mentioned|stated|given|illustrated) (?:above|"
        r"in the (?:" + _MATERIAL + r")))",
        r"(?i:\bfollowing the examples?\b)",
        r"(?i:\b(?:in|from) the (?:" + _MATERIAL + r") below\b)",
    )
)


@dataclass(frozen=True)
class UnseenReference(SpanRule):
    """References to material nobody sees: "Following the examples above", "Based on the
    given table" with no table. Material counts as seen when the row has an input, an
    earlier turn, or a long enough request (pasted into it), and in a response when the
    response itself shows it before the reference."""

    config_key: ClassVar[str] = "unseen_reference"
    fields: ClassVar = ("instruction", "response", "messages")
    roles: ClassVar = ("user", "assistant")
    pattern: ClassVar[str] = UNSEEN
    name: str = "unseen_reference"

    def exempt(self) -> pl.Expr:
        def words(column: str) -> pl.Expr:
            return pl.col(column).fill_null("").str.count_matches(r"\S+")

        has_block = pl.col("text").str.contains(r"```|\n\s*\n|:\s*\n")
        start = pl.col("text").str.find(pl.col("_span"), literal=True).fill_null(0)
        own = (pl.col("role") == "user") & (
            (words("text") >= 40)
            | has_block
            | (words("context") > 0)
            | (pl.col("turn").fill_null(1) > 1)
        )
        # Material is a long turn, a code block or a table, not any earlier small talk.
        longest_earlier = (
            pl.col("context")
            .fill_null("")
            .str.split("\n\n")
            .list.eval(pl.element().str.count_matches(r"\S+"))
            .list.max()
            .fill_null(0)
        )
        answered = (pl.col("role") != "user") & (
            (words("prompt") >= 40)
            | pl.col("prompt").str.contains(r"```|\n")
            | (longest_earlier >= 40)
            | pl.col("context").str.contains(r"```|\|.*\|")
            | (start >= 150)
        )
        return own | answered


# A request that asks for repetition or for blanks is answered with repeated lines.
ASKED_TO_REPEAT = (
    r"(?i)\b(?:repeat|repeated|chorus|refrain|song|lyrics|chant|mantra|again|twice|drill|"
    r"blank|template|form|fill in|fill-in|checklist|worksheet|verbatim|word for word|"
    r"tongue[- ]twisters?|(?:two|three|four|five|six|seven|eight|nine|ten|\d+) times)\b"
)
