"""How the checks read a response: words, sentences, paragraphs and lines outside code.

One reading for every kind, so "a word" means the same thing to the word count and the
keyword frequency. Words are runs of letters, digits and underscores in any script (a
snake_case name is one word); an apostrophe inside a word keeps it whole ("don't" is one
word), a hyphen splits it ("well-known" is two), as a reader counting by eye would mostly do.
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+(?:['’]\w+)*")
# A sentence ends at terminal punctuation followed by white space or the end: "3.5" and
# "example.com" do not end one. CJK full stops end one with or without a space after. An
# abbreviation before a space ("Mr. Smith") does end one: no list of abbreviations is kept,
# so the count is the same in every language.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BLANK_RUN = re.compile(r"\n[ \t]*\n\s*")


def words(text: str) -> list[str]:
    return WORD.findall(text)


def sentences(text: str) -> list[str]:
    """Pieces between sentence ends that hold a letter or digit (a lone "..." is none)."""
    pieces = _SENTENCE_END.split(text.strip())
    return [p for p in pieces if WORD.search(p)]


def outside_code(text: str) -> list[str]:
    """The response's lines without fenced code blocks (their fences included): a bullet or a
    section heading inside code is code, not structure."""
    kept, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    return kept


def paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines; a blank line inside a fenced code block separates
    nothing (the block belongs to the paragraph around it)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        lines.append(line if not (fenced and not line.strip()) else "\u2063")
    blocks = _BLANK_RUN.split("\n".join(lines).strip())
    return [b for b in blocks if b.replace("\u2063", "").strip()]


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A keyword or phrase as whole words, any case, any run of spaces between its words."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)
