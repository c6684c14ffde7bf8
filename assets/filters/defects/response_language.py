"""An answer in another language than its request ("What causes tides?" answered in French),
judged per field: the answer's language against its own request's, unless the request asks
for a translation, or it (or an earlier turn, or the system prompt) names the language the
answer is in ("From now on, answer only in French", "en anglais"). An answer asked for in
English that comes in French is judged.

An answer is judged whole and paragraph by paragraph, so an English answer that goes on in
Spanish is caught; an answer in another script than its request (Cyrillic, Chinese, Arabic
...) is caught by its letters. The row-level language filter reads the instruction; this rule
reads each answer. Prose that is plainly English (a quarter of its words English function
words) is taken as English without the model; the rest goes to fastText's lid.176, as the
language filter does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import polars as pl
from pydantic import Field

from assets.filters.defects.spans import DefectRule, RuleConfig, prose
from assets.filters.defects.units import decisions, shortened, units
from assets.language_id import fasttext_languages
from assets.steps import Step

if TYPE_CHECKING:
    from assets.run_context import RunContext

_ENGLISH_FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "it",
    "that",
    "for",
    "you",
    "was",
    "with",
    "on",
    "as",
    "are",
    "be",
    "this",
    "have",
    "not",
    "but",
    "they",
    "at",
    "by",
    "from",
    "or",
    "an",
    "which",
    "can",
    "will",
    "would",
    "there",
    "their",
    "what",
    "all",
    "were",
    "when",
    "we",
    "your",
    "has",
    "if",
    "do",
    "does",
    "how",
    "should",
    "could",
    "been",
    "because",
    "so",
    "than",
    "then",
    "these",
    "those",
    "its",
    "into",
    "also",
    "about",
    "more",
    "our",
]
LANGUAGE_NAMES = (
    "english|french|spanish|german|italian|portuguese|dutch|chinese|mandarin|cantonese|"
    "japanese|korean|russian|arabic|hindi|bengali|turkish|polish|swedish|norwegian|danish|"
    "finnish|greek|hebrew|latin|czech|ukrainian|vietnamese|thai|indonesian|malay|swahili|"
    "romanian|hungarian|catalan|persian|urdu"
)
# A request to translate is answered in the other language, whichever it is.
ASKS_TO_TRANSLATE = r"(?i)\b(?:translat\w*|how (?:do|would|can) (?:you|i) say)\b"
# A request that names a language ("in Spanish", "Spanish phrase", "en anglais", "auf
# Deutsch") may be answered in it: the candidate languages' names, in English and in their
# own and each other's words.
NAMED_LANGUAGES = {
    "en": r"english|anglais|inglés|ingles|englisch|inglese|inglês|engels",
    "fr": r"french|français|francais|französisch|francés|frances|francese|francês|frans",
    "de": r"german|allemand|deutsch|alemán|aleman|tedesco|alemão|duits",
    "es": r"spanish|espagnol|español|espanol|spanisch|spagnolo|espanhol|spaans|castellano",
    "it": r"italian|italien|italienisch|italiano|italiaans",
    "pt": r"portuguese|portugais|portugiesisch|portugués|portoghese|português|portugees",
    "nl": r"dutch|néerlandais|neerlandais|niederländisch|holländisch|neerlandés|olandese|"
    r"holandês|nederlands",
}
_NAME_USE = (
    r"(?:in|into|to|en|auf|em|op|a|al|in het)\s+(?:{names})\b|\b(?:{names})\s+(?:word|words|"
    r"phrase|version|email|letter|text|sentence|translation|speaker|speakers|greeting|"
    r"equivalent|term|poem|song|proverb)"
    # The words of a language for a text: "Give me the German for 'Please close the gate.'"
    r"|\bthe\s+(?:{names})\s+for\b"
    # A language the user wants spoken or practises: "Only speak Spanish", "reply only in
    # French", "switch to German", "I'm practicing Italian" (not "I speak Spanish at home").
    r"|\b(?:only|just|please)\s+(?:speak|talk|reply|respond|answer|write|use)(?:\s+in)?\s+(?:{names})\b"
    r"|\b(?:speak|talk|reply|respond|answer|write)(?:\s+to me)?\s+only\s+(?:in\s+)?(?:{names})\b"
    r"|\b(?:practi[cs]e|practi[cs]ing|switch to|stick to)\s+(?:my\s+)?(?:{names})\b"
    # Someone else the text is for, who reads only that language: "My neighbour only speaks
    # Spanish", "for my grandmother, who reads only German" (not the user: "I speak ...").
    r"|\b(?:only|just|mostly)\s+(?:speaks|reads|understands)\s+(?:{names})\b"
    r"|\bwho\s+(?:only\s+)?(?:speaks|reads|understands)\s+(?:only\s+)?(?:{names})\b"
    r"|\b(?:speaks|reads|understands)\s+only\s+(?:{names})\b"
    # A language named after another in one list: "give it in English and Spanish".
    r"|\b(?:in|into)\s+[A-Za-z]+(?:,\s*[A-Za-z]+){{0,3}},?\s+(?:and|or|&|as well as|plus)\s+"
    r"(?:in\s+)?(?:{names})\b"
    # Two versions of a text asked for together: "the French and English versions side by
    # side", "a bilingual sign in Dutch and English".
    r"|\b(?:{names})\b[^.?!\n]{{0,40}}\b(?:versions|side by side|bilingual|both languages)\b"
    r"|\b(?:side by side|bilingual|both languages)\b[^.?!\n]{{0,40}}\b(?:{names})\b"
)
# Other languages named: an answer in another script is what they ask for.
ASKS_FOR_LANGUAGE = (
    r"(?i)\b(?:translat\w*|how (?:do|would|can) (?:you|i) say|(?:in|into|to) (?:"
    + LANGUAGE_NAMES
    + r")"
    r"|(?:" + LANGUAGE_NAMES + r") (?:word|words|phrase|version|email|letter|text|sentence|"
    r"translation|speaker|speakers|greeting|equivalent|term|poem|song|proverb)|the (?:"
    + LANGUAGE_NAMES
    + r") for)\b"
)
# Letters of scripts other than Latin: an answer mostly in them, to a request in Latin
# letters (or the reverse), is in another language whatever fastText's candidates are.
_OTHER_SCRIPT = (
    r"[\p{Cyrillic}\p{Greek}\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Arabic}\p{Hebrew}"
    r"\p{Devanagari}\p{Bengali}\p{Thai}]"
)


# A request that names the language it wants a translation in.
_NAMES_A_TARGET = r"(?i)\b(?:into|to|in)\s+(?:" + "|".join(NAMED_LANGUAGES.values()) + r")\b"
# A language set for the rest of a conversation ("from now on", "only", "always").
_FOR_THE_REST = (
    r"(?i)\b(?:from now on|only|always|for the rest|keep (?:speaking|talking|answering|"
    r"replying)|stick to|switch to|role-?play|practi[cs]e|practi[cs]ing)\b"
)


def _letters(text: pl.Expr) -> pl.Expr:
    """Letters, a Han, kana or Hangul character counted as three: each is a syllable or a
    word, so "どういたしましてと言います" is as long a text as a Latin sentence of 40 letters."""
    return text.str.count_matches(r"\p{L}") + 2 * text.str.count_matches(
        r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"
    )


def _is_code(text: pl.Expr) -> pl.Expr:
    """Code more than prose: a bracket, operator or separator for every five letters."""
    symbols = text.str.count_matches(r"[{}()\[\];=<>&|]")
    return (symbols >= 4) & (symbols * 5 >= text.str.count_matches(r"\p{L}"))


def _asks_for(code: str) -> str:
    names = NAMED_LANGUAGES[code]
    return "(?i)" + _NAME_USE.format(names=names)


class ResponseLanguageConfig(RuleConfig):
    """Drop answers confidently in another language than their request."""

    candidates: list[str] = Field(
        default=["en", "fr", "de", "es", "it", "pt", "nl"],
        min_length=2,
        description="Languages an answer and its request are identified among.",
    )
    min_confidence: float = Field(
        default=0.7, ge=0, le=1, description="fastText probability an answer's language needs."
    )
    min_letters: int = Field(default=30, ge=1, description="Shorter answers are not judged.")
    min_paragraph_letters: int = Field(
        default=60,
        ge=1,
        description="A paragraph of an answer with this many letters is also judged alone.",
    )


# ASCII word boundaries: Unicode ones cost several times as much, and the words are ASCII.
_ENGLISH = r"(?i-u:\b(?:" + "|".join(_ENGLISH_FUNCTION_WORDS) + r")\b)"


# Function words of the other candidate languages that are not English words: prose in one
# of them uses several; English prose (code and technical text included) almost none.
_FOREIGN_FUNCTION_WORDS = [
    "le",
    "la",
    "les",
    "des",
    "une",
    "est",
    "sont",
    "pour",
    "dans",
    "avec",
    "sur",
    "pas",
    "qui",
    "ce",
    "cette",
    "nous",
    "vous",
    "el",
    "los",
    "las",
    "una",
    "por",
    "para",
    "como",
    "pero",
    "muy",
    "también",
    "der",
    "die",
    "das",
    "und",
    "ist",
    "nicht",
    "ein",
    "eine",
    "mit",
    "auf",
    "sich",
    "auch",
    "wird",
    "il",
    "lo",
    "gli",
    "che",
    "è",
    "per",
    "non",
    "della",
    "sono",
    "anche",
    "os",
    "uma",
    "não",
    "com",
    "são",
    "também",
    "het",
    "een",
    "en",
    "niet",
    "van",
    "zijn",
    "ook",
    # More of their commonest words (none an English word of everyday prose).
    *[
        "de",
        "du",
        "au",
        "aux",
        "et",
        "je",
        "tu",
        "mais",
        "très",
        "zu",
        "den",
        "dem",
        "bei",
        "nach",
        "noch",
        "oder",
        "aber",
        "wenn",
        "dass",
        "denn",
        "sie",
        "wir",
        "ich",
        "que",
        "del",
        "las",
        "di",
        "nel",
        "ma",
        "sono",
        "voor",
        "dat",
        "met",
    ],
]
_FOREIGN = (
    r"(?i-u:\b(?:"
    + "|".join(_FOREIGN_FUNCTION_WORDS)
    + r")\b)|[àâçèéêëîïôùûüÿñáíóúãõäöß]|"
    + _OTHER_SCRIPT
)


def maybe_foreign(text: pl.Expr) -> pl.Expr:
    """Whether a text may be in another language than English: more foreign function words,
    accented or non-Latin letters than English function words, or many of them (a foreign
    paragraph in an English answer); two regex counts, most rows are neither."""
    foreign = text.str.count_matches(_FOREIGN)
    return (foreign * 2 >= text.str.count_matches(_ENGLISH).clip(lower_bound=1)) | (foreign >= 5)


def other_script(text: pl.Expr) -> pl.Expr:
    """Whether most of a text's letters are of a script other than Latin."""
    return text.str.count_matches(_OTHER_SCRIPT) * 2 > text.str.count_matches(r"\p{L}")


def english_share(text: pl.Expr) -> pl.Expr:
    """The share of a text's words that are common English function words (two regex
    counts: no per-word lists)."""
    return text.str.count_matches(_ENGLISH) / text.str.count_matches(r"\p{L}+").clip(lower_bound=1)


def languages(texts: pl.Series, candidates: list[str]) -> pl.DataFrame:
    """`lang`, `lang_score` per text: plainly English prose without the model, the rest by
    fastText among `candidates`."""
    frame = pl.DataFrame({"_text": texts}).with_columns(
        (english_share(pl.col("_text")) >= 0.25).alias("_english")
    )
    others = frame.filter(~pl.col("_english"))["_text"].unique().to_list()
    langs, scores = fasttext_languages(others, candidates) if others else ([], [])
    table = pl.DataFrame(
        {"_text": others, "_lang": langs, "_score": scores},
        schema={"_text": pl.String, "_lang": pl.String, "_score": pl.Float64},
    )
    return frame.join(table, on="_text", how="left", maintain_order="left").select(
        pl.when(pl.col("_english")).then(pl.lit("en")).otherwise("_lang").alias("lang"),
        pl.when(pl.col("_english")).then(pl.lit(1.0)).otherwise("_score").alias("lang_score"),
    )


@dataclass(frozen=True)
class ResponseLanguage(DefectRule):
    """An answer confidently identified in another language than its request."""

    Config: ClassVar = ResponseLanguageConfig
    config_key: ClassVar[str] = "response_language"
    candidates: tuple[str, ...] = ("en", "fr", "de", "es", "it", "pt", "nl")
    min_confidence: float = 0.7
    min_letters: int = 30
    min_paragraph_letters: int = 60
    name: str = "response_language"

    @classmethod
    def from_config(
        cls, config: ResponseLanguageConfig, run: RunContext | None = None
    ) -> list[Step]:
        if not config.enabled:
            return []
        return [
            cls(
                candidates=tuple(config.candidates),
                min_confidence=config.min_confidence,
                min_letters=config.min_letters,
                min_paragraph_letters=config.min_paragraph_letters,
            )
        ]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # Rows with no sign of another language (most rows) are not split into units: in the
        # answer (a conversation's `response` holds every assistant turn, so one turn in French
        # shows) or in the request (a Spanish question answered in English).
        # A conversation's request is one turn of its transcript: two signs there suffice.
        maybe = pl.any_horizontal(
            [maybe_foreign(pl.col(c).fill_null("")) for c in ("response", "instruction")]
        ) | ((pl.col("kind") == "conversation") & (pl.col("text").str.count_matches(_FOREIGN) >= 2))
        # What the answer was asked: its prompt, the turns before it and the system prompt.
        asked = pl.concat_str([pl.col("prompt"), pl.col("context")], separator="\n")
        answers = (
            units(rows.filter(maybe), ("response", "messages"), ("assistant",))
            # A translation is in another language, whichever it is, unless the request
            # names the one it wants ("into German" answered in Spanish is wrong). "How do I
            # say ...?" asks for one phrase: only its own answer may be in the other language.
            .filter(
                ~(
                    pl.col("prompt").fill_null("").str.contains(ASKS_TO_TRANSLATE)
                    | pl.col("context").fill_null("").str.contains(r"(?i)\btranslat\w*")
                )
                | asked.str.contains(_NAMES_A_TARGET)
            )
            .with_columns(
                prose(pl.col("text"), unquote=True).alias("_answer"),
                prose(pl.col("prompt"), unquote=True)
                .str.replace_all(r"\s+", " ")
                .alias("_request"),
                asked.alias("_asked"),
            )
            .filter(
                (_letters(pl.col("_answer")) >= self.min_letters)
                & (pl.col("_request").str.count_matches(r"\p{L}") >= 10)
                # A request that is code pasted in ("func read(p string) string { ... }") has
                # no language of its own to answer in.
                & ~_is_code(pl.col("_request"))
            )
            .with_row_index("_unit")
        )
        if answers.is_empty():
            return decisions(answers, self.name, pl.lit(1.0))
        # The whole answer, and each of its paragraphs long enough to judge alone.
        whole = answers.select("_unit", pl.col("_answer").alias("_piece"))
        paragraphs = (
            answers.select("_unit", pl.col("_answer").str.split("\n\n").alias("_piece"))
            .filter(pl.col("_piece").list.len() > 1)
            .explode("_piece")
            .filter(pl.col("_piece").str.count_matches(r"\p{L}") >= self.min_paragraph_letters)
        )
        # Paragraphs first: the evidence names the paragraph in another language.
        pieces = pl.concat([paragraphs, whole]).with_columns(
            pl.col("_piece").str.replace_all(r"\s+", " ")
        )
        candidates = list(self.candidates)
        judged = pieces.with_columns(languages(pieces["_piece"], candidates).get_columns()).join(
            answers.select(
                "_unit",
                "_asked",
                pl.col("prompt").fill_null("").alias("_prompt"),
                languages(answers["_request"], candidates)["lang"].alias("_request_lang"),
                other_script(pl.col("_request")).alias("_request_script"),
            ),
            on="_unit",
        )
        # The answer is in a language its request names ("reply in French"): as asked.
        # (Each language's search reads only the pieces in that language: the others are null
        # to it, where a `when(...).then(search)` would search every piece for every language.)
        named = pl.coalesce(
            [
                pl.when(pl.col("lang") == code).then(pl.col("_asked")).str.contains(_asks_for(code))
                for code in NAMED_LANGUAGES
            ]
        ).fill_null(False)
        script = other_script(pl.col("_piece"))
        # Another script is asked for by this turn's request, or by an earlier one that set
        # the language for the rest of the talk; "How do I say 'thank you' in Japanese?" does
        # not make the next answer wholly Japanese.
        asked_script = pl.col("_prompt").str.contains(ASKS_FOR_LANGUAGE) | (
            pl.col("_asked").str.contains(ASKS_FOR_LANGUAGE)
            & pl.col("_asked").str.contains(_FOR_THE_REST)
        )
        wrong_script = (script != pl.col("_request_script")) & ~asked_script
        other_language = (
            ~script
            & ~pl.col("_request_script")
            & pl.col("lang").is_not_null()
            & pl.col("_request_lang").is_not_null()
            & (pl.col("lang") != pl.col("_request_lang"))
            & (pl.col("lang_score") >= self.min_confidence)
        )
        # `wrong_script | (other_language & ~named)`, its named languages' searches read
        # only on the pieces the rest lets through (one search a language, every piece).
        wrong = (
            judged.filter(wrong_script | other_language)
            .filter(wrong_script | ~named)
            .with_columns(
                pl.when(script).then(pl.lit("other script")).otherwise("lang").alias("lang"),
                pl.when(script).then(pl.lit(1.0)).otherwise("lang_score").alias("lang_score"),
            )
            .unique("_unit", keep="first", maintain_order=True)
        )
        found = answers.join(wrong, on="_unit")
        return decisions(
            found,
            self.name,
            pl.col("lang_score"),
            language=pl.col("lang"),
            request_language=pl.when(pl.col("_request_script"))
            .then(pl.lit("other script"))
            .otherwise(pl.col("_request_lang")),
            span=shortened(pl.col("_piece"), 120),
        )
