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
        # Material introduced for the reader: "Here's my paragraph: 'The meeting ...'".
        r":\s*[\"'“‘]",
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
# differences between TCP and UDP"), not a verb: no statement. The common verbs in -s that a
# preposition follows ("Photosynthesis happens in ...", "Light travels at ...") make no title.
_VERBS_IN_S = (
    r"happens|occurs|takes|makes|causes|means|lives|grows|tastes|looks|seems|comes|goes|gets|"
    r"gives|helps|keeps|stays|works|runs|moves|uses|depends|belongs|contains|consists|remains|"
    r"becomes|begins|ends|starts|lasts|feels|sounds|smells|costs|weighs|flows|falls|rises|"
    r"turns|reaches|leads|plays|shows|follows|affects|includes|exists|travels|sits|lies|"
    r"stands|beats|boils|freezes|melts|orbits|spins|returns|refers|applies|"
    r"relies|varies|differs|matters|thinks|knows|says|wants|needs|likes|loves|hates"
)
_TITLE = (
    r"(?i)^\W*(?:\p{L}+\s+){0,2}\p{L}{2,}s\s+(?:for|about|of|on|to|from|between|with|and|vs|"
    r"versus|among|across|under|like|in|that|when|you|i|we|to)\b"
)
_VERB_BEFORE_PREPOSITION = (
    r"(?i)^\W*(?:\p{L}+\s+){0,2}(?:" + _VERBS_IN_S + r")\s+(?:for|about|of|on|to|from|between|"
    r"with|among|across|under|like|in|at|into|through)\b"
)
# An exclamation or a sigh opens no request: "Ah, the smell of fresh bread in the morning."
_INTERJECTION = r"(?i)^\W*(?:ah|ahh|oh|ooh|wow|aw|alas|ugh|yay|sigh|mmm|phew)\b\W"
# A conversation may open with the user's own situation ("I'm building a to-do app.", "Hi,
# I have a question."): only statements about something else are no request there.
_FIRST_PERSON = (
    r"(?i)^\W*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening))\b[\s,!.]*)?"
    r"(?:i|i'm|i've|i'd|we|we're|my|our|me)\b"
)


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
            title = text.str.contains(_TITLE) & ~text.str.contains(_VERB_BEFORE_PREPOSITION)
            return ~text.str.contains(REQUEST) & (
                text.str.contains(DECLARATIVE)
                | (text.str.contains(GENERIC_STATEMENT) & ~title)
                | text.str.contains(_INTERJECTION)
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
GENERIC_WORDS = [
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
    "have",
    "has",
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
    "quick",
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
# A task on a thing only pointed at ("Summarize it in one sentence.", "Fix the bug.",
# "Translate the text into French."), short, with nothing after a colon or in quotes: the
# thing is missing unless an input holds it.
_POINTED_TASK = (
    r"(?i)^\W*(?:please\s+)?(?:(?:can|could|would) you\s+)?(?:summari[sz]e|translate|fix|rewrite|"
    r"paraphrase|improve|correct|check|review|proofread|shorten|edit|analy[sz]e|explain|"
    r"simplify|debug|continue|finish|complete|rate|grade|answer|solve|respond to|reply to|"
    r"comment on)\s+(?:it|this|that|these|those|them|the (?:text|passage|code|bug|error|"
    r"sentence|paragraph|article|essay|document|problem|email|message|story|poem|function|"
    r"script|program|letter|draft|note))\b[^:\"'“‘\n]{0,60}$"
)
# "Explain the problem of induction", "Summarize the story of Cinderella": the thing is named.
_NAMED_THING = r"(?i)\bthe \p{L}+ (?:of|about|behind|called|named|titled|by|for)\b"
# The reply to an empty opening turn that asks for the question ("Of course! What would you
# like to know?") makes the opening a greeting, not an empty question.
_FIRST_REPLY = r"(?s)^user: .*?\n\nassistant: ([^\n]*)"
_ASKS_FOR = r"(?i)\b(?:what|which|could you|can you|would you|please|share|paste|send|provide)\b"


@dataclass(frozen=True)
class EmptyQuestion(DefectRule):
    """A question with nothing to answer: "What is the answer to the question?", "Explain
    it." An instruction made only of generic words is empty without an input, and so is one
    that asks about "the question" when its input holds none, or a short task on a thing only
    pointed at ("Summarize it in one sentence.", "Fix the bug."). A first answer that asks for
    the missing thing ("Of course! What would you like to know?") makes it no defect."""

    config_key: ClassVar[str] = "empty_question"
    name: str = "empty_question"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        words = pl.col("text").str.to_lowercase().str.extract_all(r"[\p{L}\p{N}']+")
        content = words.list.eval(pl.element().filter(~pl.element().is_in(GENERIC_WORDS)))
        context = pl.col("context").str.strip_chars()
        about_question = pl.col("text").str.contains(r"(?i)\b(?:question|answer)\b")
        empty = (content.list.len() == 0) & (
            (context == "") | (about_question & ~context.str.contains(r"\?"))
        )
        # "Here is the passage:" and nothing after it, nor an input holding it.
        empty = empty | ((context == "") & pl.col("text").str.contains(_ANNOUNCES_AND_STOPS))
        empty = empty | (
            (context == "")
            & pl.col("text").str.contains(_POINTED_TASK)
            & ~pl.col("text").str.contains(_NAMED_THING)
        )
        # An instruction, or a conversation's opening user turn (a later "Explain it." points
        # at what was said before).
        opening = (pl.col("field") == "instruction") | (
            (pl.col("prompt") == "") & (pl.col("context") == "")
        )
        # The first answer (an instruction's response, a conversation's first assistant turn)
        # asks for what is missing: the row is a request for the question, not an empty one.
        reply = (
            pl.when(pl.col("kind") == "conversation")
            .then(pl.col("text").str.extract(_FIRST_REPLY, 1))
            .otherwise(pl.col("response"))
            .str.strip_chars()
        )
        found = units(rows, ("instruction", "messages"), ("user",)).filter(opening & empty)
        # Read only on the few rows with an empty request.
        asked_back = rows.filter(pl.col("row_id").is_in(found["row_id"].implode())).filter(
            reply.str.ends_with("?")
            & (reply.str.count_matches(r"\S+") <= 25)
            & reply.str.contains(_ASKS_FOR)
        )["row_id"]
        found = found.filter(~pl.col("row_id").is_in(asked_back.implode()))
        return decisions(
            found, self.name, pl.lit(1.0), span=shortened(pl.col("text")), start=pl.lit(0)
        )


_MATERIAL = (
    r"examples?|passage|text|table|code|article|data|list|document|paragraph|story|poem|"
    r"excerpt|snippet|context|information|dialogue|conversation|sentences?|essay|chart|graph|"
    r"image|picture|figure|email|review|function|program|query|equation|options?|choices?|"
    r"script|statement|quote|scenario|description|diagram|map|recipe|problem"
)
# What a request can point at besides text: media and files nobody can see in a row.
_MEDIA = (
    r"image|picture|photo|photograph|screenshot|spreadsheet|attachment|file|transcript|video|"
    r"recording|audio|pdf|slides?|figure|graph|chart|diagram|sheet"
)
# A pointing phrase that reads anywhere; the `in`/`from` forms only in a request, where they
# name the material it is about (an answer says "in the story" of a story the user named).
# (Not "the data" or "the recipe": "according to the data from NASA" names its source.)
_SHOWN = (
    r"passage|text|article|excerpt|story|poem|table|list|document|paragraph|examples?|dialogue|"
    r"conversation|email|review|code|snippet|options|choices|essay|"
) + _MEDIA
_POINTING = (
    r"(?i:\b(?:based on|according to|look(?:ing)? at|referring to|refer to|with reference to) "
    r"the (?:" + _SHOWN + r")\b|\b(?:follows?|following) the (?:story|passage|text|article|"
    r"excerpt|poem|dialogue)\b)"
)
_POINTING_IN = (
    r"(?i:\b(?:in|from) the (?:passage|text|article|excerpt|story|transcript|" + _MEDIA + r")\b)"
)
UNSEEN_PARTS = (
    _POINTING,
    _POINTING_IN,
    r"(?i:\b(?:the|this|my|your) attached\b|\battached (?:" + _MEDIA + r"|document|csv)\b)",
    r"(?i:\b(?:the|your) (?:" + _MATERIAL + "|" + _MEDIA + r") (?:that )?you(?:'ve)? (?:shared|"
    r"sent|provided|attached|uploaded|pasted|gave me|posted|showed me|included)\b)",
    r"(?i:\b(?:as (?:you can )?see in|as shown in|see|shown in) (?:figure|fig\.|table|chart|"
    r"graph|exhibit|appendix) \d+\b)",
    r"(?i:\b(?:the|these|those|this) (?:above|aforementioned|provided|given|preceding|"
    r"previous|attached) (?:" + _MATERIAL + r")\b)",
    r"(?i:\b(?:the|these|those|this) (?:" + _MATERIAL + r") (?:above|provided|given|"
    r"shown|attached|mentioned above|listed above)\b)",
    r"(?i:\bas (?:shown|seen|described|mentioned|stated|given|illustrated) (?:above|"
    r"in the (?:" + _MATERIAL + r")))",
    r"(?i:\bfollowing the examples?\b)",
    r"(?i:\b(?:in|from) the (?:" + _MATERIAL + r") below\b)",
)
UNSEEN = "|".join(UNSEEN_PARTS)


def _words(alternation: str) -> list[str]:
    """The words of a plain alternation ("examples?|passage"), a trailing "s?" dropped: a
    substring search for "the example" finds "the examples" too."""
    return [w.removesuffix("s?") for w in alternation.split("|") if w]


# The new pointing forms as plain phrases, found all at once by Aho-Corasick (far cheaper
# than their regexes on every row); a superset of what the patterns match.
_POINTING_PHRASES = [
    *[
        f"{verb} the {thing}"
        for verb in (
            "based on",
            "according to",
            "look at",
            "looking at",
            "referring to",
            "refer to",
            "with reference to",
        )
        for thing in _words(_SHOWN)
    ],
    *[
        f"{verb} the {thing}"
        for verb in ("follow", "follows", "following")
        for thing in ("story", "passage", "text", "article", "excerpt", "poem", "dialogue")
    ],
    *[
        f"{preposition} the {thing}"
        for preposition in ("in", "from")
        for thing in ("passage", "text", "article", "excerpt", "story", *_words(_MEDIA))
    ],
    "attached",
    *[
        f"you{have} {verb}"
        for have in ("", "'ve")
        for verb in (
            "shared",
            "sent",
            "provided",
            "attached",
            "uploaded",
            "pasted",
            "gave me",
            "posted",
            "showed me",
            "included",
        )
    ],
    *[
        f"{lead} {thing}"
        for lead in ("see", "see in", "shown in")
        for thing in ("figure", "fig.", "table", "chart", "graph", "exhibit", "appendix")
    ],
]
# The older forms, one pattern (as they were searched before the phrases above).
_OLDER_UNSEEN = "|".join(UNSEEN_PARTS[5:])


_CODE_TASK = (
    r"(?i)\b(?:function|program|script|regex|regular expression|python|javascript|java|sql|"
    r"code|method|class|algorithm|parse|parser)\b"
)


@dataclass(frozen=True)
class UnseenReference(SpanRule):
    """References to material nobody sees: "Following the examples above", "Based on the
    given table" with no table, "Look at the image", "the attached spreadsheet", "In the
    code you shared", "As you can see in Figure 2". Material counts as seen when the row has
    an input, an earlier turn, or a long enough request (pasted into it), and in a response
    when the response itself shows it before the reference. A named work ("In the story 'The
    Lottery'") and a program's input ("count the words in the text") are no reference."""

    config_key: ClassVar[str] = "unseen_reference"
    fields: ClassVar = ("instruction", "response", "messages")
    roles: ClassVar = ("user", "assistant")
    pattern: ClassVar[str] = UNSEEN
    name: str = "unseen_reference"

    def candidates(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains_any(_POINTING_PHRASES, ascii_case_insensitive=True) | (
            text.str.contains(_OLDER_UNSEEN)
        )

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
            # "Count the words in the text": a program's input, not material to show.
            | (
                pl.col("_span").str.contains(r"(?i)^(?:in|from) ")
                & pl.col("text").str.contains(_CODE_TASK)
            )
        )
        # "In the story 'The Gift of the Magi'": a named work, not material to show.
        after = pl.col("_prose").str.slice(
            pl.col("_prose").str.find(pl.col("_span"), literal=True).fill_null(0)
            + pl.col("_span").str.len_chars(),
            3,
        )
        named = after.str.contains(r"^\s*[\"'“‘\p{Lu}]")
        # An answer that says "in the story" speaks of the story its request named.
        answer_in = (pl.col("role") != "user") & pl.col("_span").str.contains(r"(?i)^(?:in|from) ")
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
        return own | answered | named | answer_in


# A request that asks for repetition or for blanks is answered with repeated lines.
ASKED_TO_REPEAT = (
    r"(?i)\b(?:repeat|repeated|chorus|refrain|song|lyrics|chant|mantra|again|twice|drill|"
    r"blank|template|form|fill in|fill-in|checklist|worksheet|verbatim|word for word|"
    r"tongue[- ]twisters?|(?:two|three|four|five|six|seven|eight|nine|ten|\d+) times)\b"
)
