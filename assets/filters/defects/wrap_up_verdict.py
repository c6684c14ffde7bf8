"""A yes or a no that the answer's own wrap-up takes back: "Can I use baking soda instead of
baking powder?" "Yes, you can, as long as you add an acid ... The short answer is that baking
soda can't be used in place of baking powder."; "Is it safe to feed my bees supermarket
honey?" "No ... In short, supermarket honey is a safe and ideal autumn feed."

The question is a yes/no one (an auxiliary first: "Is it safe", "Can I use", "Does it
match"); its predicate is the first content word after the auxiliary and its subject
("safe", "use", "match"). A later sentence that sums up ("In short", "So", "The short answer
is", "Overall") and says the predicate again with another of the question's content words
restates the verdict: after a yes it negates the predicate ("can't be used", "not safe");
after a no it asserts it with no negation at all. A wrap-up that sets a condition or an
exception ("only if", "unless", "but") restates nothing."""

from __future__ import annotations

import re

import polars as pl

from assets.filters.defects.units import units

_QUESTION = re.compile(
    r"(?i)(?:^|[.!?]\s+)(is|are|can|could|do|does|did|should|will|would|may|must|was|were)\s+"
    r"([^?.!]{3,200})\?\s*$"
)
_OPENING = re.compile(r"(?i)^\W{0,3}(yes|no)\b")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_WRAP_UP = re.compile(
    r"(?i)^\s*(?:so|thus|therefore|overall|in short|in summary|in sum|in conclusion|to sum up|"
    r"all in all|the (?:short|simple) answer is|the bottom line is|bottom line)\b[,:]?"
)
# Words that set a condition or an exception: the wrap-up then restates only a case.
_CONDITION = re.compile(
    r"(?i)\b(?:if|unless|only|as long as|provided|except|but|without|when|once|after|before|"
    r"until|though|although|however|instead|rather)\b"
)
_NEGATION = re.compile(r"(?i)\b(?:not|no|never|cannot|nothing|none|neither|nor|un\w+)\b|n't\b")
_PRONOUNS = {
    *("i", "it", "we", "you", "my", "your", "our", "the", "a", "an", "this", "that", "there"),
    *("he", "she", "they", "its", "their", "these", "those", "me", "us", "them", "one"),
}
_STOP = {
    *_PRONOUNS,
    *("and", "or", "of", "to", "in", "on", "for", "with", "from", "by", "at", "as", "if"),
    *("need", "have", "get", "use", "make", "still", "ever", "really", "just", "also", "be"),
    *("what", "when", "which", "how", "any", "some", "all", "more", "much", "many", "into"),
}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def _stem(word: str) -> str:
    return word.lower()[:5]


def verdict_taken_back(question: str, answer: str) -> str | None:
    """The wrap-up sentence that takes back the answer's opening yes or no, or None."""
    asked = _QUESTION.search(question.strip())
    opening = _OPENING.match(answer)
    if not asked or not opening:
        return None
    words = _WORD.findall(asked.group(2))
    predicate = next((w for w in words if w.lower() not in _PRONOUNS and len(w) >= 3), None)
    if predicate is None:
        return None
    content = {_stem(w) for w in words if w.lower() not in _STOP and len(w) >= 4}
    content.discard(_stem(predicate))
    said_yes = opening.group(1).lower() == "yes"
    for sentence in _SENTENCE.findall(answer[opening.end() :])[1:]:
        if not _WRAP_UP.match(sentence) or _CONDITION.search(sentence) or "?" in sentence:
            continue
        stems = [_stem(w) for w in _WORD.findall(sentence)]
        if not any(_same(predicate, s) for s in stems) or not content & set(stems):
            continue
        negated = _NEGATION.search(sentence)
        if said_yes and negated and _negates(sentence, predicate):
            return sentence.strip()
        if not said_yes and not negated:
            return sentence.strip()
    return None


def _same(word: str, stem: str) -> bool:
    """One word in two forms ("use" and "used", "safe" and "safely"): one stem starts the
    other."""
    own = _stem(word)
    return stem.startswith(own) or own.startswith(stem) and len(stem) >= 3


def _negates(sentence: str, predicate: str) -> bool:
    """A negation within the four words before the predicate ("can't be used", "is not
    safe"): the verdict's own word denied, not some other clause's."""
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", sentence)]
    for at, word in enumerate(words):
        if _same(predicate, word[:5]):
            return any(
                w in {"not", "no", "never", "cannot"} or w.endswith("n't")
                for w in words[max(0, at - 4) : at]
            )
    return False


def verdicts_taken_back(rows: pl.DataFrame) -> list[dict]:
    """`_uid, _span, form` of the rows whose answer's wrap-up takes back its opening yes or
    no (read in Python only on answers that open with one, to a question)."""
    opens = r"(?i)^\W{0,3}(?:yes|no)\b"
    asked = rows.filter(
        pl.col("text").str.contains(r"(?i)\?\s*\n\nassistant: \W{0,3}(?:yes|no)\b")
        | (
            pl.col("instruction").str.contains(r"\?\s*$") & pl.col("response").str.contains(opens)
        ).fill_null(False)
    )
    answers = units(asked, ("response", "messages"), ("assistant",)).filter(
        pl.col("text").str.contains(opens)
    )
    found = []
    seen: set[str] = set()
    for uid, question, answer in answers.select("row_id", "prompt", "text").iter_rows():
        if uid in seen:
            continue
        span = verdict_taken_back(question or "", answer or "")
        if span is not None:
            seen.add(uid)
            found.append({"_uid": uid, "_span": span, "form": "verdict taken back in wrap-up"})
    return found
