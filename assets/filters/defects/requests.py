"""Is the request a task someone can do? Instructions that are statements, questions with
nothing in them, and references to examples or passages the reader never sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.filters.asked import COUNTED_REPEATS
from assets.filters.defects.spans import DefectRule, SpanRule, mentioned, prose
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
    "prove|provide|put|quote|rank|rate|read|recommend|refactor|reformat|rephrase|replace|report|"
    "restate|rewrite|say|score|select|share|shorten|show|simplify|sketch|solve|sort|specify|"
    "spell|state|suggest|summari[sz]e|support|tag|take|teach|tell|test|think|trace|transform|"
    "translate|turn|use|validate|verify|walk|write|alphabeti[sz]e|"
    # Tasks on text the request itself holds: "Continue this story ...: The sea was grey".
    "continue|finish|extend|proofread|review|discuss|argue|persuade|convince|defend|reply|"
    "respond|recite|narrate|pretend|act|play|critique|grade|quiz|remind|advise|confirm|"
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
        r"(?i:\b(?:in|within|under|using|with|as) (?:(?:\d+|one|two|three|four|five)\s*"
        r"(?:-|–|to|or)\s*)?(?:\d+|one|two|three|four|five|six|a few|"
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
# Rarer request forms, searched only where `REQUEST` found none (each alternative more in
# `REQUEST` slows its search of every row): a choice or a check to make ("True or false:
# ...", "Agree or disagree: ...", "Fact check: ..."), a tag question without its mark ("...,
# right"), a title and a count after a colon ("Paris in the spring: five things to do.").
ALSO_REQUEST = "|".join(
    (
        r"(?i:^\W*(?:\p{L}+ or \p{L}+|fact[- ]?check)\s*[:?])",
        r"(?i:,\s*(?:right|correct|true|yes or no|isn't it|aren't they|don't you think)\s*[.!]?\s*$)",
        r"(?i::\s*(?:\d+|two|three|four|five|six|seven|eight|nine|ten|a few|some)\s+\p{L})",
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
    # A narrative "there was/lived" anywhere: "Once upon a time, ..., there lived a ...".
    r"|(?i)\bthere (?:was|were|lived|stood|once)\b"
)
# A present-tense generic statement, a subject (up to three words) and a verb in -s: "Coffee
# tastes better ...", "Water boils at ...", "Hydrangea flower colour depends on soil pH.".
GENERIC_STATEMENT = (
    r"(?i)^\W*(?:(?:the|a|an|most|many|some|all|every|fresh|good)\s+)?\p{L}+(?:\s+\p{L}+){0,2}\s+"
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
    r"(?i)^\W*(?:\p{L}+\s+){0,3}\p{L}{2,}s\s+(?:for|about|of|on|to|from|between|with|and|vs|"
    r"versus|among|across|under|like|in|that|when|you|i|we|to)\b"
)
_VERB_BEFORE_PREPOSITION = (
    r"(?i)^\W*(?:\p{L}+\s+){0,3}(?:" + _VERBS_IN_S + r")\s+(?:for|about|of|on|to|from|between|"
    r"with|among|across|under|like|in|at|into|through)\b"
)
# An exclamation or a sigh opens no request: "Ah, the smell of fresh bread in the morning."
_INTERJECTION = r"(?i)^\W*(?:ah|ahh|oh|ooh|wow|aw|alas|ugh|yay|sigh|mmm|phew)\b\W"
# A conversation may open with the user's own situation ("I'm building a to-do app.", "Hi,
# I have a question."): only statements about something else are no request there.
# ... also with the subject left out, a verb and then "my" or "our" ("Failed my driving test
# again.", "Lost my wallet on the bus."): the user's own account all the same.
_FIRST_PERSON = (
    r"(?i)^\W*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening))\b[\s,!.]*)?"
    r"(?:i|i'm|i've|i'd|we|we're|my|our|me|\p{L}+ (?:my|our))\b"
)

# ... but the user's account of a finished event, with its time and no trouble in it ("We
# repainted the kitchen over the weekend.", "Our daughter started kindergarten on Monday.")
# is news, not a request for help ("My starter smells like nail polish remover." asks).
_PAST_EVENT = (
    r"(?i)(?-u:\b)(?:yesterday|last (?:night|week|weekend|month|year|quarter|summer|winter|"
    r"spring|autumn|fall|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|this "
    r"(?:morning|afternoon|evening|weekend)|over the weekend|earlier today|on (?:monday|"
    r"tuesday|wednesday|thursday|friday|saturday|sunday)|\d+ (?:days|weeks|months|years) ago|"
    r"finally)(?-u:\b)"
)
_TROUBLE = (
    r"(?i)(?-u:\b)(?:not|never|no|nothing|again|keeps?|still|broke|broken|hurts?|problem|issue|"
    r"error|fail[a-z]*|wrong|stuck|split|leak[a-z]*|smell[a-z]*|crack[a-z]*|stopped|help|worried|confused|"
    r"wondering|unsure|how|why|what|should|but|sick|ill|pain|lost|died|late|since|been|noise|"
    r"noises|noisy|loud|slow|strange|weird|odd|fever|cough|rash|swollen|crash[a-z]*|froze|"
    r"freez[a-z]*|overheat[a-z]*)(?-u:\b)|n't(?-u:\b)"
)
# A bare heading asks for nothing: "Chapter 4: The Salt Road", "Part 3: Lessons learned".
_BARE_HEADING = (
    r"(?i)^[^A-Za-z0-9]*(?:chapter|part|section|act|scene|lesson|unit|module|episode|book|volume)\s+"
    r"(?:[0-9]+|[ivxl]+|one|two|three|four|five|six|seven|eight|nine|ten)[ \t]*[:.\-–—][ \t]*"
    r"[^\n.?!:]{1,60}$"
)

# A sentence adverb before a statement ("Honestly, nothing beats ...") hides its shape.
_SENTENCE_ADVERB = r"(?i)^\W*\p{L}+ly,\s+"
# An exclamation about a thing asks nothing even though it opens with "what": "What a game
# last night!" ("What a day! Any ideas for dinner?" has a question mark).
_EXCLAMATION = r"(?i)^\W*(?:what an?|such an?)\s[^?\n]*!\s*$"
# A plural subject and a verb in its base form, in a sentence of six words or more:
# "Sunflowers turn to follow the sun.", "Dogs need a lot more attention ...". The word after
# the plural is the verb unless it is a preposition, a pronoun, an adjective or a form in
# -ing/-s/-ly ("Tips for ...", "Movies everyone should see", "Books similar to Dune").
_PLURAL_SUBJECT = (
    r"^\W*(?:(?i:the|most|many|some|all|young|old|older)\s+)?\p{Lu}\p{Ll}+[^s\W]s\s+(\p{Ll}{2,})"
    r"(?:\s+\S+){3,}"
)
_NOT_A_VERB = [
    *("about", "across", "after", "against", "among", "and", "around", "as", "at", "before"),
    *("between", "by", "during", "for", "from", "in", "into", "like", "near", "of", "on", "or"),
    *("over", "per", "than", "that", "to", "under", "versus", "vs", "which", "who", "with"),
    *("without", "please", "i", "you", "we", "they", "everyone", "anyone", "nobody", "people"),
    *("every", "worth", "similar", "related", "suitable", "perfect", "ideal", "best", "kids"),
    *("children", "beginners", "only", "too", "here", "there", "now", "today", "so", "then"),
]
# A reply that takes the opening for a remark ("It really is!", "That's true.",
# "Congratulations!", "That sounds exhausting."): a verbless "Lovely weather today." or the
# user's own news asked for nothing.
_REMARK_REPLY = (
    r"(?i)^\W*(?:yes|yeah|yep|indeed|true|so true|very true|correct|exactly|absolutely|agreed|"
    r"definitely|totally|i agree|you're right|it (?:really |sure |certainly |truly )?(?:is|was)|"
    r"they (?:really |sure |certainly )?(?:are|were|can be)|that's (?:so |very )?(?:true|right|"
    r"correct|wonderful|great|fantastic|amazing|lovely|exciting|annoying|frustrating|a shame)|"
    r"congratulations|congrats|welcome back|what a|how (?:lovely|exciting|wonderful|annoying|"
    r"frustrating)|that sounds|sorry to hear)\b"
)
# A label made of short pieces and commas, with no verb to ask anything: "Receipts, 2025 tax
# year.", "Typography, kerning, the usual.", "Quarterly figures, Q3, marketing." A piece
# that speaks to someone, greets, says please or governs a phrase ("Difference between TCP
# and UDP, in two sentences.", "Fun facts about octopuses, please.") makes it a request.
_LABEL_FRAGMENT = (
    r"^\W*[\w'-]+(?:[ \t]+[\w'-]+){0,3}(?:,[ \t]*[\w'-]+(?:[ \t]+[\w'-]+){0,3}){1,3}[.…]?[ \t]*$"
)
_FRAGMENT_ASKS = (
    r"(?i)\b(?:i|i'd|i'm|i've|you|we|please|hi|hello|hey|thanks|between|about|in|for|on|to|with|"
    r"from|into|how|what|why|which|who|when|where)\b"
)
# An error message pasted on its own asks what it means and how to fix it ("fatal: refusing
# to merge unrelated histories", "ModuleNotFoundError: No module named 'requests'").
_PASTED_ERROR = (
    r"^\W*(?:[A-Z]\w*(?:Error|Exception|Warning)\b|(?i:fatal|error|warning|panic|e\d{3,4}):|"
    r"Traceback \(most recent call last\)|npm ERR!|Segmentation fault|Uncaught \w)"
)
# The first answer: an instruction's response, a conversation's first assistant turn.
_FIRST_ANSWER = r"(?s)\buser: .*?\n\nassistant: ([^\n]*)"
# An opening verb in its base form with its object ("Pull out the action points ...", "Lay out
# a scorecard ...", "Repeat this sentence ..."): an imperative that the verb list does not
# name, and a request whatever else the sentence says ("the attached minutes", "who faced").
# The first word is no verb when it ends like an inflected form or is a function word.
_VERB_WITH_OBJECT = (
    r"(\p{L}+)(?:\s+(?:out|up|back|down|off|over|through|together|apart|aside|away))?"
    r"\s+(?:the|this|these|those|a|an|my|our|your|me|us|it|them|each|every|some|all)\s"
)
_VERB_AND_OBJECT = r"(?i)^\W*" + _VERB_WITH_OBJECT
# ... the same shape opening a later sentence after a phrase and a comma ("In that voice,
# greet a family ...", "As the host, welcome the guests ...").
_LATER_VERB_AND_OBJECT = r"(?i)[.!;]\s+[^.!?;:,\n]{1,40},\s+" + _VERB_WITH_OBJECT
_NO_IMPERATIVE = [
    *("yesterday", "today", "tonight", "tomorrow", "sometimes", "often", "now", "then", "here"),
    *("there", "once", "after", "before", "when", "while", "if", "although", "because", "since"),
    *("all", "both", "in", "on", "at", "for", "with", "from", "by", "of", "like", "unlike"),
    *("despite", "during", "without", "into", "over", "under", "through", "across", "and", "but"),
    *("so", "or", "not", "only", "just", "even", "also", "still", "every", "each", "this", "that"),
    *("these", "those", "the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "i"),
    *("we", "you", "he", "she", "they", "it", "me", "us", "them", "what", "which", "who", "how"),
    *("why", "where", "last", "next", "first", "one", "two", "three", "as", "to", "up", "out"),
    *("off", "near", "around", "behind", "above", "below", "against", "toward", "upon", "onto"),
    *("than", "via", "about", "is", "are", "was", "were", "be", "been", "has", "have", "had"),
    *("do", "did", "will", "would", "can", "could", "should", "shall", "may", "might", "must"),
    *("whatever", "whenever", "never", "always", "almost", "nearly", "quite", "very", "such"),
    *("got", "saw", "took", "won", "lost", "made", "met", "ran", "ate", "sat", "felt", "went"),
]
# A conversation is talk: a user who tells their own news ("My sister just got into medical
# school.", "Finally finished my first embroidery hoop!", the subject dropped) and an answer
# that celebrates it ("Congratulations!", "That's wonderful news!", "Well done!") is a sound
# exchange. An instruction or a pair's prompt is a task slot, so news there stays no task;
# and an answer that turns the news into work nobody asked for (a list, headings, "Here are
# seven ways ...") keeps the opening a non-task in any kind.
_OWN_NEWS = r"(?i)^\W*(?:just|finally)\b|(?-u:\b)(?:i|i've|i'm|we|we've|we're|my|our|me|us)(?-u:\b)"
_CELEBRATES = (
    r"(?i)^\W*(?:[^.!?\n]{0,20}\b)?(?:congratulations|congrats|well done|bravo|hooray|good for (?:you|her|him|them)|"
    r"nice (?:one|work)|way to go|(?:that's|that is|what|how) (?:a |an |such |so |really |"
    r"absolutely )?(?:wonderful|brilliant|fantastic|amazing|exciting|great|lovely) news|"
    r"(?:that's|that is|how|what) (?:so |really |absolutely )?(?:wonderful|brilliant|fantastic|"
    r"amazing|exciting)\b)"
)
_INVENTED_TASK = (
    r"(?im)^[ \t]*(?:\d+[.)]|[-*•]|#{1,6})[ \t]|^[ \t]*\*\*[^*\n]+\*\*[ \t]*$|"
    r"\bhere(?:'s| is| are)\b|\b(?:tips|ideas|ways|suggestions|steps) (?:for|to|on)\b"
)
# The whole first assistant turn, to see whether it sets itself a task.
_FIRST_TURN = r"(?s)^user: .*?\n\nassistant: (.*?)(?:\n\nuser: |\z)"


@dataclass(frozen=True)
class NotATask(DefectRule):
    """An instruction that asks for nothing: a statement, an opinion, a story fragment ("A
    person who owns a small business is not a villain; ..."). Instructions with an input are
    left alone: a label over task data ("Sentiment of this review.") asks about the input."""

    config_key: ClassVar[str] = "not_a_task"
    name: str = "not_a_task"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        def asks(text: pl.Expr) -> pl.Expr:
            plain = prose(text)
            return plain.str.contains(REQUEST) | plain.str.contains(ALSO_REQUEST)

        def statement(text: pl.Expr) -> pl.Expr:
            # Quoted material is no statement of the user's ("Sentiment of 'I loved it'.").
            plain = prose(text, unquote=True).str.replace(_SENTENCE_ADVERB, "")
            title = plain.str.contains(_TITLE) & ~plain.str.contains(_VERB_BEFORE_PREPOSITION)
            verb = plain.str.extract(_PLURAL_SUBJECT, 1)
            plural = (
                verb.is_not_null() & ~verb.is_in(_NOT_A_VERB) & ~verb.str.contains(r"(?:ing|s|ly)$")
            )
            first = plain.str.extract(_VERB_AND_OBJECT, 1).str.to_lowercase()
            imperative = (
                first.is_not_null()
                & ~first.is_in(_NO_IMPERATIVE)
                & ~first.str.contains(r"(?:s|ed|ly|ing|en)$")
            ).fill_null(False)
            # ... or a later sentence's, after a phrase and a comma that set it up: "You are a
            # grumpy lighthouse keeper. In that voice, welcome a school group ..." gives a role
            # and then the task.
            verb = pl.element()
            later = (
                plain.str.extract_all(_LATER_VERB_AND_OBJECT)
                .list.eval(verb.str.extract(_LATER_VERB_AND_OBJECT, 1).str.to_lowercase())
                .list.eval(
                    (~verb.is_in(_NO_IMPERATIVE) & ~verb.str.contains(r"(?:s|ed|ly|ing|en)$")).any()
                )
                .list.first()
            ).fill_null(False)
            imperative = imperative | later
            return (
                ~asks(text)
                & ~imperative
                & (
                    plain.str.contains(DECLARATIVE)
                    | plain.str.contains(_BARE_HEADING)
                    | (plain.str.contains(GENERIC_STATEMENT) & ~title)
                    | plain.str.contains(_INTERJECTION)
                    | plural.fill_null(False)
                    | (plain.str.contains(_LABEL_FRAGMENT) & ~plain.str.contains(_FRAGMENT_ASKS))
                )
            ) & ~text.str.contains(_GIVES_MATERIAL) & ~text.str.contains(
                _PASTED_ERROR
            ) | plain.str.contains(_EXCLAMATION)

        # Rows whose first answer takes the request for a remark; read only on rows without
        # a request marker in their instruction or first user line (cheap, so that only the
        # rare candidates are decoded into turns).
        opening = pl.col("text").str.extract(r"(?m)^user: (.*)$", 1)
        request = (
            pl.when(pl.col("kind") == "conversation").then(opening).otherwise(pl.col("instruction"))
        )
        # The request's prose once; the rarer request forms are searched only where REQUEST
        # found none.
        plain = pl.col("_request")
        exclaims = plain.str.contains(_EXCLAMATION)
        unasked = (
            rows.with_columns(prose(request).alias("_request"))
            .filter((~plain.str.contains(REQUEST) | exclaims).fill_null(False))
            .filter((~plain.str.contains(ALSO_REQUEST) | exclaims).fill_null(False))
            .drop("_request")
        )
        answer = (
            pl.when(pl.col("kind") == "conversation")
            .then(pl.col("text").str.extract(_FIRST_ANSWER, 1))
            .otherwise(pl.col("response"))
        )
        remark = unasked.filter(answer.str.contains(_REMARK_REPLY).fill_null(False))["row_id"]
        # In a conversation, an answer that only asks what the user wants ("What reason did
        # they give?") is the right answer to a remark: the talk has just begun. An
        # instruction row's answer is all the row has ("I am a helpful AI." / "What's on your
        # mind?" teaches nothing).
        reply = answer.str.strip_chars()
        asked_back = unasked.filter(
            (
                (pl.col("kind") == "conversation")
                & reply.str.ends_with("?")
                & (reply.str.count_matches(r"\S+") <= 30)
            ).fill_null(False)
        )["row_id"]
        unasked = unasked.filter(~pl.col("row_id").is_in(asked_back.implode()))

        def news(text: pl.Expr) -> pl.Expr:
            return text.str.contains(_PAST_EVENT) & ~text.str.contains(_TROUBLE)

        first_turn = pl.col("text").str.extract(_FIRST_TURN, 1)
        celebrated = (
            opening.str.contains(_OWN_NEWS)
            & ~opening.str.contains(_TROUBLE)
            & first_turn.str.contains(_CELEBRATES)
            & ~first_turn.str.contains(_INVENTED_TASK)
        )
        chats = unasked.filter(
            (pl.col("kind") == "conversation")
            & ~celebrated.fill_null(False)
            & (
                (statement(opening) & (~opening.str.contains(_FIRST_PERSON) | news(opening)))
                | pl.col("row_id").is_in(remark.implode())
            ).fill_null(False)
        )
        # A later user turn that asks makes the opening its preamble ("Here are my bills:
        # ...", then "Which month was the most expensive?").
        turns = units(chats, ("messages",), ("user",))
        asked_later = turns.filter((pl.col("prompt") != "") & asks(pl.col("text")))["row_id"]
        opening_turn = (pl.col("field") == "messages") & (pl.col("prompt") == "")
        is_remark = pl.col("row_id").is_in(remark.implode())
        found = pl.concat(
            [
                # Only the rows whose instruction asks nothing are split into units. An
                # instruction that tells the user's own situation ("My sourdough starter
                # smells like nail polish remover.") asks for help, as a conversation's
                # opening does, unless its answer takes it for a remark ("What a vivid
                # memory.") or only asks back ("What's on your mind?").
                units(
                    unasked.filter(
                        ~pl.col("instruction").fill_null("").str.contains(_FIRST_PERSON)
                        | news(pl.col("instruction").fill_null(""))
                        | pl.col("row_id").is_in(remark.implode())
                        | pl.col("response").fill_null("").str.strip_chars().str.ends_with("?")
                    ),
                    ("instruction",),
                ),
                turns.filter(
                    opening_turn
                    & ~pl.col("row_id").is_in(asked_later.implode())
                    & (
                        ~pl.col("text").str.contains(_FIRST_PERSON)
                        | news(pl.col("text"))
                        | is_remark
                    )
                ),
            ]
        ).filter(
            (pl.col("context").str.strip_chars() == "")
            & (statement(pl.col("text")) | (is_remark & ~asks(pl.col("text"))))
        )
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
    r"comment on|convert|classify|format|sort|reword|mark|"
    # ... or orders, groups or compares things only pointed at: "Rank these from most to least
    # expensive."
    r"rank|arrange|alphabeti[sz]e|categori[sz]e|group|compare)\s+(?:it|this|that|these|those|them|"
    r"the (?:text|passage|code|bug|error|"
    r"sentence|paragraph|article|essay|document|problem|email|message|story|poem|function|"
    r"script|program|letter|draft|note))\b[^:\"'“‘\n]{0,60}$"
)
# What a request works on and can point at: "this essay", "the following review", "the poem
# I wrote", "my cover letter".
_WORKED_ON = (
    r"(?:text|passage|paragraph|sentence|word|phrase|essay|letter|email|e-mail|message|poem|"
    r"story|article|review|code|function|script|program|snippet|bug|error|equation|problem|"
    r"question|joke|list|table|document|file|draft|report|speech|quote|verse|recipe|sequence|"
    r"option|choice|statement|headline|abstract|r[eé]sum[eé]|cv|tweet|post|comment|answer|note|"
    r"transcript|lyric|line|excerpt|summary|query|queries|formula|measurement)s?"
)
# A turn that hands over material ("Here's the error message I keep getting: OSError: ...")
# asks for help with it.
_GIVES_MATERIAL = (
    r"(?i)^\W*here(?:'s| is| are) (?:the|my|our|an?|some|this) (?:\p{L}+ ){0,2}?(?:"
    + _WORKED_ON
    + r"|errors?|tracebacks?|logs?|outputs?|data|results?|numbers|figures)\b[^:\n]{0,60}:\s*\S"
)
# A verb that works on given material (not one that makes it: "Write my cover letter").
_WORKS_ON = (
    r"(?:proofread|check|fix|review|rate|grade|mark|translate|summari[sz]e|rewrite|improve|"
    r"edit|shorten|correct|critique|evaluate|paraphrase|debug|assess|polish|reword|analy[sz]e|"
    r"feedback on|comments? on|look over|go over|read)"
)
# The pointing forms: a demonstrative, "the following", material the user says they give
# ("the poem I wrote", "Here's my essay", "I'll paste it below"), a choice among options nobody
# listed, or a short question about "the speech" with no speech.
_POINTERS = (
    r"(?i)\b(?:this|these|the following|following|the attached|the given|the provided|"
    r"the above)\s+(?:\p{L}+\s+){0,2}?" + _WORKED_ON + r"\b",
    r"(?i)\b" + _WORKS_ON + r"\s+(?:my|our)\s+(?:\p{L}+\s+)?" + _WORKED_ON + r"\b",
    r"(?i)\b(?:the|my|our)\s+(?:\p{L}+\s+)?"
    + _WORKED_ON
    + r"\s+(?:below|above|that follows|i (?:wrote|"
    r"sent|attached|pasted|shared|gave you|made|typed|drafted))\b",
    # ("Here's my question, what is ...?" asks it.)
    r"(?i)\b(?:here(?:'s| is| are)|below (?:is|are)|attached (?:is|are))\s+(?:my|our|the)\s+"
    r"(?:\p{L}+\s+)?" + _WORKED_ON.replace("question|", "").replace("problem|", "") + r"\b",
    r"(?i)\b(?:i'll|i will|let me|i'm going to|i am going to) (?:paste|send|share|attach|upload|"
    r"put)\b[^.?!;,\n]{0,30}\b(?:below|here|now|next)\b",
    r"(?i)\b(?:of|from|among|between) the (?:options|choices|alternatives|answers|following)\b",
)
# A task on material only named by its kind: "Classify the sentiment of the text as positive,
# negative or neutral.", "Identify the verbs in the sentence." (Not "the text of the
# Constitution": `_MATERIAL_NAMED`.)
_NAMED_MATERIAL = (
    *("text", "passage", "sentence", "paragraph", "review", "tweet", "excerpt", "snippet"),
    *("email", "message", "comment", "post", "article", "document", "story", "poem", "essay"),
)
_TASK_ON_THE_MATERIAL = (
    r"(?i)^\W*(?:please\s+)?(?:(?:can|could|would) you\s+)?(?:classify|label|tag|extract|identify|"
    r"find|list|count|detect|determine|summari[sz]e|translate|proofread|rewrite|paraphrase|"
    r"analy[sz]e|rate|score|correct|fix|underline|highlight)\b[^.?!\n:]{0,60}\b(?:of|in|from|on) "
    r"the (?:" + "|".join(_NAMED_MATERIAL) + r")\b"
)
_MATERIAL_NAMED = (
    r"(?i)\bthe (?:" + "|".join(_NAMED_MATERIAL) + r") (?:of|about|by|called|titled|named|from|"
    r"in (?:the )?\p{Lu})"
)
# A later turn that says the material follows and gives none: "Please proofread the
# paragraph below." (An earlier turn may hold what "above" points at; nothing is below.)
_FORWARD_POINTER = (
    r"(?i)\b(?:the|my|this|these)\s+(?:\p{L}+\s+){0,2}?" + _WORKED_ON + r"\s+(?:below|that "
    r"follows)\b|\b(?:below (?:is|are)|here(?:'s| is| are) (?:my|our))\b"
)
_HERE_IS_MINE = [f"here{verb} {whose}" for verb in ("'s", " is", " are") for whose in ("my", "our")]
# A task whose object is "the following", and nothing follows: "Rate the following on a scale
# of 1 to 5."
_TASK_ON_THE_FOLLOWING = (
    r"(?i)\b(?:rate|grade|rank|score|review|check|translate|summari[sz]e|rewrite|proofread|"
    r"classify|evaluate|critique|improve|fix|correct|edit|answer|solve|explain|analy[sz]e|"
    r"paraphrase|shorten|simplify|sort|categori[sz]e|convert|format|reformat|calculate|"
    r"compare|match|count) the following\b"
)
# ... and a short request (12 words at most) that ends on "the speech", "the poem".
_THE_MATERIAL_AT_END = (
    r"(?i)\bthe (?:passage|paragraph|essay|letter|email|message|poem|story|article|review|"
    r"speech|excerpt|document|report|quote|lyrics|transcript|text|code|snippet|sentence|sequence|"
    r"options|draft)\s*[?.!]?\s*$"
)
# Words one of the pointers holds, found at once: only requests with one are read further.
_POINTER_CUES = [
    *("this ", "these ", "following", "attached", "given", "provided", "above", "my ", "our "),
    *("here", "below", "paste", "send ", "share", "upload", "put ", "of the ", "from the "),
    *("among the ", "between the ", " i wrote", " i sent", " i attached", " i pasted", " i shared"),
    *(" i gave", " i made", " i typed", " i drafted", "follows", "attach"),
    # ... and the material `_TASK_ON_THE_MATERIAL` names ("in the paragraph").
    *(
        f"{preposition} the {thing}"
        for preposition in ("of", "in", "from", "on")
        for thing in _NAMED_MATERIAL
    ),
]
# The pointed-at thing described, not pointed at: "this essay about climate change".
_DESCRIBED = (
    r"(?i)\b(?:this|these|the following|my|our)\s+(?:\p{L}+\s+){0,2}?"
    + _WORKED_ON
    + r" (?:about|on|of|called|titled|named|by)\b"
)
# The material is there after all: after a colon, on its own lines, in quotes or code, or the
# request is long enough to hold it.
MATERIAL_GIVEN = (
    r":[ \t]*\S|:\s*\n\s*\S|\n\s*\n\s*\S|`[^`\n]+`|```"
    r"|[\"“‘][^\"”’\n]{2,}[\"”’]|(?:^|\s)'[^'\n]{2,}'"
)
# A user turn that announces what comes and ends there: "Ok, next question:", "Here's
# another one:", "One more thing:". Any turn: nothing follows in it.
_ANNOUNCED_ONLY = (
    r"(?i)(?:\b(?:question|questions|one|thing|it|this|these|following|task|them|here(?:'s| is|"
    r"| are)?|below)|\b" + _WORKED_ON + r")(?:\s+for me)?\s*:\s*\z"
    # ... or whose last sentence says it gives something, whatever it names: "Why does my
    # script crash? Here's the traceback:", "Here's my next question for the quiz practice:".
    r"|(?:^|[.!?]\s+)(?:(?:ok(?:ay)?|so|and|now|right)[,!]?\s+)?(?:here(?:'s| is| are| "
    r"comes| it is| they are| you go| you are)|below (?:is|are)|(?:this|these) (?:is|are) "
    r"(?:my|the))\b"
    r"[^.!?:\n]{0,80}:\s*\z"
)
# An opening that only says a question is coming ("I have a question about the Cold War.",
# "Can I ask you something about taxes?"), answered as if one were asked.
QUESTION_COMING = (
    r"(?i)^\W*(?:(?:hi|hello|hey)(?: there)?[,!.]?\s+)?(?:i(?:'ve got| have got|'ve| have| got) (?:a|one|another|"
    r"some|a quick|a few) (?:quick |small |little )?questions? (?:about|on|regarding|for you|"
    r"concerning)?[^.?!\n]{0,40}|(?:can|could|may) i ask (?:you )?(?:a|something|one)"
    r"[^.?!\n]{0,40})[.!?]?\s*\z"
)
# "Explain the problem of induction", "Summarize the story of Cinderella": the thing is named.
_NAMED_THING = r"(?i)\bthe \p{L}+ (?:of|about|behind|called|named|titled|by|for)\b"
# The reply to an empty opening turn that asks for the question ("Of course! What would you
# like to know?") makes the opening a greeting, not an empty question.
_FIRST_REPLY = r"(?s)^user: .*?\n\nassistant: ([^\n]*)"
_ASKS_FOR = (
    r"(?i)\b(?:what|which|could you|can you|would you|please|share|paste|send|provide|help)\b"
)
_PASTE_IT = (
    r"(?i)\b(?:paste|share|send|upload|post|attach|provide)\b[^.!?\n]{0,60}\?|\b(?:paste|share|"
    r"send|upload|post) (?:it|them|that|(?:the|your) \p{L}+)\b|\bgo ahead\b|\bi (?:don't|do not|can't|"
    r"cannot) see (?:any|the|a|an|your)\b"
)


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
        empty = empty | ((context == "") & pl.col("text").str.contains(QUESTION_COMING))
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
        # A turn that announces what comes and stops is empty in any turn.
        ends_open = pl.col("text").str.strip_chars_end().str.ends_with(":")
        announced = ((pl.col("field") == "messages") | (context == "")) & pl.col(
            "text"
        ).str.strip_chars().str.contains(_ANNOUNCED_ONLY)
        # Material pointed at and not given ("Proofread my cover letter.", "What does this
        # word mean?"), unless described ("this essay about ...") or given after all; read
        # only on short openings with a pointer's word in them.
        # The prose read once as a column: each search below would strip the code again.
        text = pl.col("_prose")
        words_in = text.str.count_matches(r"\S+")
        material_at_end = text.str.contains(_THE_MATERIAL_AT_END) & (words_in <= 12)
        pointer = (
            text.str.contains_any(_POINTER_CUES, ascii_case_insensitive=True) | material_at_end
        )
        on_material = text.str.contains(_TASK_ON_THE_MATERIAL) & ~text.str.contains(_MATERIAL_NAMED)
        pointed = (
            (words_in < 40)
            & (
                pl.any_horizontal([text.str.contains(p) for p in _POINTERS])
                | material_at_end
                | on_material
                | text.str.contains(_TASK_ON_THE_FOLLOWING)
            )
            & ~text.str.contains(_DESCRIBED)
            & ~pl.col("text").str.contains(MATERIAL_GIVEN)
        )
        # The first answer (an instruction's response, a conversation's first assistant turn)
        # asks for what is missing: the row is a request for the question, not an empty one.
        reply = (
            pl.when(pl.col("kind") == "conversation")
            .then(pl.col("text").str.extract(_FIRST_REPLY, 1))
            .otherwise(pl.col("response"))
            .str.strip_chars()
        )
        # Openings, and turns that end on a colon: no other user turn can be empty here (but
        # a later turn that says the material follows: `_forward_unanswered`).
        user_turns = units(rows, ("instruction", "messages"), ("user",))
        candidates = user_turns.filter(opening | ends_open)
        maybe_pointed = (
            candidates.filter(opening & (context == "") & (pl.col("text").str.len_bytes() < 400))
            .with_columns(prose(pl.col("text")).alias("_prose"))
            .filter(pointer)
        )
        found = pl.concat(
            [
                candidates.filter(opening & empty),
                candidates.filter(ends_open).filter(announced),
                # (The short ones first: `pointed` holds that test, and its searches are many.)
                maybe_pointed.filter(words_in < 40).filter(pointed).drop("_prose"),
            ]
        )

        # Read only on the few rows with an empty request: a short answer that asks for the
        # thing ("What would you like to know?", "Sure, paste it in.").
        def asks_back(reply: pl.Expr) -> pl.Expr:
            return (reply.str.count_matches(r"\S+") <= 40) & (
                (reply.str.ends_with("?") & reply.str.contains(_ASKS_FOR))
                | reply.str.contains(_PASTE_IT)
            )

        asked_back = rows.filter(pl.col("row_id").is_in(found["row_id"].implode())).filter(
            asks_back(reply)
        )["row_id"]
        # The first answer answers the opening only: a later turn that announces material and
        # stops ("Here it is:", "Answer these three questions for me:") is asked back by the
        # answer after it, whatever the first one asked for ("Sure, go ahead and paste it.").
        later = found.filter(~opening)
        if later.height:
            after = (
                later.select("row_id", "text")
                .join(rows.select("row_id", pl.col("text").alias("_transcript")), on="row_id")
                .with_columns(
                    pl.col("_transcript")
                    .str.split(pl.col("text"))
                    .list.get(1, null_on_oob=True)
                    .str.extract(r"^\s*assistant: ([^\n]*)", 1)
                    .str.strip_chars()
                    .alias("_reply")
                )
                .filter(asks_back(pl.col("_reply")).fill_null(False))
            )
            later = later.join(after.select("row_id", "text"), on=["row_id", "text"], how="anti")
        found = pl.concat(
            [
                found.filter(opening & ~pl.col("row_id").is_in(asked_back.implode())),
                later,
                _forward_unanswered(user_turns, rows),
                _still_not_given(rows),
            ]
        )
        return decisions(
            found, self.name, pl.lit(1.0), span=shortened(pl.col("text")), start=pl.lit(0)
        )


def _forward_unanswered(user_turns: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Later user turns (of `user_turns`, the units of `rows`) that say the material follows
    and hold none ("Please proofread the paragraph below."), unless the next assistant turn
    asks for it."""
    said = prose(pl.col("text"))
    later = (
        user_turns.filter(
            (pl.col("field") == "messages")
            & (pl.col("prompt") != "")
            & pl.col("text").str.contains_any(
                ["below", "that follows", *_HERE_IS_MINE], ascii_case_insensitive=True
            )
        )
        .filter(said.str.contains(_FORWARD_POINTER))
        .filter(
            (said.str.count_matches(r"\S+") < 40) & ~pl.col("text").str.contains(MATERIAL_GIVEN)
        )
    )
    if later.is_empty():
        return later
    chats = rows.filter(pl.col("row_id").is_in(later["row_id"].implode()))
    replies = units(chats, ("messages",), ("assistant",)).select(
        "row_id",
        (pl.col("turn") - 1).alias("turn"),
        pl.col("text").str.strip_chars().alias("_reply"),
    )
    reply = pl.col("_reply").fill_null("")
    asks_back = (reply.str.count_matches(r"\S+") <= 40) & (
        (reply.str.ends_with("?") & reply.str.contains(_ASKS_FOR)) | reply.str.contains(_PASTE_IT)
    )
    return later.join(replies, on=["row_id", "turn"], how="left").filter(~asks_back).drop("_reply")


# A task on material the user was asked for and never gave: "Just make the second paragraph
# shorter.", "Now fix the typos." (a verb that works on given material, or "make it shorter").
_TASK_ON_GIVEN = (
    r"(?i)(?-u:\b)(?:" + _WORKS_ON + r"|make (?:it|them|the|my|this|that)\b[^.?!\n]{0,40}"
    r"(?-u:\b)(?:shorter|longer|clearer|tighter|simpler|better|more|less)(?-u:\b))"
)
# What an assistant says to ask for the material: "Paste it in", "share it here".
_ASKED_FOR_IT = ["paste", "share it", "send it", "send me", "upload", "share the", "share your"]


def _still_not_given(rows: pl.DataFrame) -> pl.DataFrame:
    """Later user turns that ask for work on material the assistant asked them for in the
    turn before ("Paste it in and tell me the role.") and do not give it ("Thanks. Just make
    the second paragraph shorter."), unless the next assistant turn asks for it again."""
    chats = rows.filter(
        (pl.col("kind") == "conversation")
        & pl.col("text").str.contains_any(_ASKED_FOR_IT, ascii_case_insensitive=True)
    )
    if chats.is_empty():
        return units(chats, ("messages",), ("user",))
    turns = units(chats, ("messages",), ("user", "assistant"))
    replies = turns.filter(pl.col("role") == "assistant").select(
        "row_id", "turn", pl.col("text").str.strip_chars().alias("_reply")
    )
    asked_for = replies.filter(pl.col("_reply").str.contains(_PASTE_IT)).select(
        "row_id", (pl.col("turn") + 1).alias("turn")
    )
    said = prose(pl.col("text"))
    later = (
        turns.filter((pl.col("role") == "user") & (pl.col("prompt") != ""))
        .join(asked_for, on=["row_id", "turn"])
        .filter(
            (said.str.count_matches(r"\S+") < 25)
            & ~pl.col("text").str.contains(MATERIAL_GIVEN)
            & said.str.contains(_TASK_ON_GIVEN)
        )
    )
    if later.is_empty():
        return later
    reply = pl.col("_reply").fill_null("")
    asks_back = (reply.str.count_matches(r"\S+") <= 40) & (
        (reply.str.ends_with("?") & reply.str.contains(_ASKS_FOR)) | reply.str.contains(_PASTE_IT)
    )
    after = replies.with_columns(pl.col("turn") - 1)
    return later.join(after, on=["row_id", "turn"], how="left").filter(~asks_back).drop("_reply")


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
    r"conversation|email|review|code|snippet|options|choices|essay|author|writer|narrator|"
    r"speaker|poet|speech|letter|report|results|resume|résumé|cv|cover letter|portfolio|draft|"
) + _MEDIA
_POINTING = (
    r"(?i:\b(?:based on|according to|look(?:ing)? at|referring to|refer to|with reference to) "
    r"the (?:" + _SHOWN + r")\b|\b(?:follows?|following) the (?:story|passage|text|article|"
    r"excerpt|poem|dialogue)\b)"
)
_POINTING_IN = (
    r"(?i:\b(?:in|from) (?:the|this|your) (?:passage|text|article|excerpt|story|transcript|table|"
    + _MEDIA
    + r")\b)"
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
# Forms found by their phrases (`_LATER_PHRASES`): material the user says they gave ("the
# chart I sent"), the three menus "you forwarded", "your results" read from nothing, an
# earlier section or talk that never was ("As discussed in the previous section"), the
# second paragraph of no text, "in the same pattern" with no pattern shown.
_ORDINAL = r"first|second|third|fourth|fifth|last|final"
_EARLIER = r"previous|preceding|last|earlier"
_PARTS = r"section|chapter|lesson|unit|module|lecture|exercise|video"
# What the user or the assistant said in an earlier turn of this chat.
_MINE = ("message", "messages", "email", "reply", "answer", "response", "turn", "post", "comment")
# A talk that went before this one: "As we discussed", "where we left off", "in our last
# session". Without an earlier turn, nobody can see what was said.
CONTINUED = (
    r"(?i:\b(?:as|like) (?:we|i|you) (?:discussed|agreed|talked about|said|mentioned|planned|"
    r"decided)\b|\bwhere (?:we|you|i) left off\b|\bin our (?:last|previous|earlier) (?:session|"
    r"chat|conversation|talk|discussion|call|lesson)\b|\blast time (?:we|you|i) (?:talked|spoke|"
    r"discussed|chatted|met)\b|\b(?:i|we) (?:told|showed|sent|gave) you (?:last|yesterday|earlier|"
    r"before|the other)\b|\b(?:yesterday's|last week's|our (?:last|previous|earlier)|the "
    r"(?:previous|other|earlier)) (?:chat|conversation|session|talk|discussion)\b"
    r"|\b(?:in|from|see|per) my (?:last|previous|earlier|first) (?:" + "|".join(_MINE) + r")\b)"
)
# A model to follow that nobody shows: "in the same style as example 3", "using the same
# format as the previous examples", "like sample 2". Before the plain "in the same format"
# below: on a tie the leftmost-first engine takes the earlier alternative, the longer span.
SAME_AS_UNSEEN = (
    r"(?i:(?:\b(?:in|with|following|using) )?\bthe same [a-z]+ as (?:(?:the|these|those) "
    r"(?:(?:previous|preceding|earlier|above|last|other) (?:examples?|samples?|ones?|questions?|"
    r"answers?|posts?)|(?:examples?|samples?|ones?) (?:above|before|earlier))|(?:example|sample|"
    r"exhibit|listing|answer|version|draft)s? (?:#?\d+|(?-i:[A-D]))\b)"
    r"|\b(?:as|like|in|from|see|per|following|matching|follow|of) (?:example|sample|exhibit|"
    r"listing|answer|version|draft) (?:#?\d+|(?-i:[A-D]))\b)"
)
# Something said before that never was, named by what it is: "Plug the numbers into the
# formula from earlier" in a first answer, "Use the method mentioned before".
# (Their free words are ASCII letters: the Unicode letter class would grow the automaton of
# the joined pattern every candidate unit is searched with.)
_SAID_THINGS = (
    r"formula|method|approach|rule|trick|recipe|example|list|table|code|steps?|numbers|figures|"
    r"values|equation|definition|version|ones?|tips?|advice|plan"
)
SAID_BEFORE = (
    r"(?i:\b(?:the|that|this|those|these) (?:[a-z]+ ){0,2}?(?:" + _SAID_THINGS + r") (?:(?:from|"
    r"(?:i |you )?gave|(?:i )?showed|(?:i )?mentioned|given|shown) (?:earlier|before)|(?:we |i )?"
    r"used earlier|mentioned previously)\b)"
)
_PICKED_BY_PLACE = (
    r"(?i:\bthe (?:first|second|third|fourth|fifth|last) (?:one|option|choice|pick)\b(?: (?:is|"
    r"would|will|has))|\b(?:go (?:for|with)|choose|pick|take) option (?:#?\d+|[A-D])\b)"
)
# Options shown: list lines or a table (an answer's own list too), and in a request a series
# with commas, "A or B", "between".
_LIST_LINES = r"(?im)^\s*(?:\d+[.)]|[-*•]|[a-d][.)])\s|\|.*\|"
_LIST_SHOWN = _LIST_LINES + r"|,[^,\n]+,|\bor\b|\bvs\.?|\bversus\b|\bbetween\b"
LATER_PARTS = (
    SAME_AS_UNSEEN,
    SAID_BEFORE,
    r"(?i:\b(?:the|my|this|these) (?:"
    + _MATERIAL
    + "|"
    + _MEDIA
    + r")s? (?:that )?i(?:'ve| have)? "
    r"(?:attached|sent|shared|uploaded|pasted|included|gave you|showed you|forwarded|posted)\b)",
    r"(?i:\b(?:the|your) (?:\p{L}+ )?(?:" + _MATERIAL + "|" + _MEDIA + r"|menus?|results|notes|"
    r"numbers|figures)s? (?:that )?you(?:'ve)? (?:forwarded|gave|listed|wrote)\b)",
    # Whatever it is, what "you forwarded" or "you uploaded" is material: "the two plans".
    r"(?i:\b(?:the|your|those|these) (?:\p{L}+ ){1,3}?(?:that )?you(?:'ve)? (?:forwarded|sent|"
    r"shared|attached|uploaded|pasted)\b)",
    r"(?i:\b(?:based on|according to|look(?:ing)? at|referring to|from) your (?:"
    + _SHOWN
    + r"|results|numbers|figures|data|answers|notes|scores|readings|measurements)\b)",
    r"(?i:\b(?:in|from) the (?:" + _EARLIER + r") (?:" + _PARTS + r")\b|\bas (?:we |i )?(?:saw|"
    r"discussed|covered|learned|explained|noted) (?:earlier|before|previously|in the (?:"
    + _EARLIER
    + r") (?:"
    + _PARTS
    + r"))\b)",
    r"(?i:\bthe (?:" + _ORDINAL + r") (?:paragraph|sentence|line|stanza|verse|section|page|slide|"
    r"row|column|example|chapter)s?\b)",
    r"(?i:\b(?:in|with|following|using) the same (?:pattern|format|style|structure|layout)\b)",
    CONTINUED,
    # Material the reader is said to have just taken in: "the paragraph you just read".
    r"(?i:\b(?:the|that|this) (?:" + _MATERIAL + "|" + _MEDIA + r")s? (?:that )?you(?:'ve| have)? "
    r"(?:just (?:read|seen|saw|watched|heard|looked at|been given|been shown)|were (?:given|"
    r"shown))\b)",
    # A pick among the user's own list that no turn holds: "Which of the starters on my list
    # goes best with lamb?"
    r"(?i:\bwhich (?:one |ones )?of (?:the |my |these )?(?:[a-z]+ ){0,2}?(?:on|in|from) my "
    r"(?:list|shortlist|notes|menu|spreadsheet|table)\b)",
    # An answer that picks by place in a list nobody gave: "the second one is best", "go for
    # option 3".
    _PICKED_BY_PLACE,
)
UNSEEN = "|".join(UNSEEN_PARTS + LATER_PARTS)


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
# The phrases of `LATER_PARTS`, a superset of what they match.
_LATER_PHRASES = [
    *[f"you{have} just" for have in ("", "'ve", " have")],
    *("you were given", "you were shown"),
    *[
        f"{preposition} my {thing}"
        for preposition in ("on", "in", "from")
        for thing in ("list", "shortlist", "notes", "menu", "spreadsheet", "table")
    ],
    *[
        f"the {nth} {what}"
        for nth in ("first", "second", "third", "fourth", "fifth", "last")
        for what in ("one", "option", "choice", "pick")
    ],
    *[f"{verb} option" for verb in ("go for", "go with", "choose", "pick", "take")],
    *[
        f" i{have} {verb}"
        for have in ("", "'ve", " have")
        for verb in (
            "attached",
            "sent",
            "shared",
            "uploaded",
            "pasted",
            "included",
            "gave",
            "showed",
            "forwarded",
            "posted",
        )
    ],
    *[
        f"you{have} {verb}"
        for have in ("", "'ve")
        for verb in ("forwarded", "gave", "listed", "wrote")
    ],
    *[
        f"{verb} your"
        for verb in ("based on", "according to", "look at", "looking at", "referring to", "from")
    ],
    *[f"the {when} {part}" for when in _words(_EARLIER) for part in _words(_PARTS)],
    *[
        f"as {who}{verb}"
        for who in ("", "we ", "i ")
        for verb in ("saw", "discussed", "covered", "learned", "explained", "noted")
    ],
    *[
        f"the {nth} {part}"
        for nth in _words(_ORDINAL)
        for part in (
            "paragraph",
            "sentence",
            "line",
            "stanza",
            "verse",
            "section",
            "page",
            "slide",
            "row",
            "column",
            "example",
            "chapter",
        )
    ],
    *[
        f"{lead} {who} {verb}"
        for lead in ("as", "like")
        for who in ("we", "i", "you")
        for verb in (
            "discussed",
            "agreed",
            "talked about",
            "said",
            "mentioned",
            "planned",
            "decided",
        )
    ],
    "left off",
    *[f"{who} {verb} you" for who in ("i", "we") for verb in ("told", "showed", "sent", "gave")],
    *[
        f"{when} {what}"
        for when in ("yesterday's", "last week's", "previous", "other", "earlier")
        for what in ("chat", "conversation", "session")
    ],
    *[f"in our {when} " for when in ("last", "previous", "earlier")],
    "last time we",
    "last time you",
    "last time i",
    "the same pattern",
    "the same format",
    "the same style",
    "the same structure",
    "the same layout",
    *[
        f"{p} {d} {m}"
        for p in ("in", "from")
        for d in ("this", "your")
        for m in (*_words(_MEDIA), "passage", "text", "article", "excerpt", "story", "table")
    ],
    "in the table",
    "from the table",
    *[
        f"{lead} {thing}"
        for lead in (
            *("as", "like", "in", "from", "see", "per", "following", "matching", "follow", "of"),
        )
        for thing in ("example", "sample", "exhibit", "listing", "answer", "version", "draft")
    ],
    *[f"the same {form} as" for form in ("format", "style", "voice", "tone", "way", "structure")],
    "ones above",
    "examples above",
    *[f"my {when} {what}" for when in ("last", "previous", "earlier", "first") for what in _MINE],
    *[
        f"{verb} {when}"
        for verb in ("from", "gave", "showed", "mentioned", "given", "shown")
        for when in ("earlier", "before")
    ],
    "used earlier",
    "mentioned previously",
]
# The older forms, one pattern (as they were searched before the phrases above).
_OLDER_UNSEEN = "|".join(UNSEEN_PARTS[5:])


_CODE_TASK = (
    r"(?i)\b(?:function|program|script|regex|regular expression|python|javascript|java|sql|"
    r"code|method|class|algorithm|parse|parser)\b"
)


# Media, which no text turn holds.
_MEDIA_ONLY = (
    r"(?i)\b(?:image|picture|photo|photograph|screenshot|video|recording|audio|pdf|attach\w*)\b"
)
# What the user is said to have given: "your results", "the example you gave".
_YOURS = (
    r"(?i)\byour\b|\byou(?:'ve)? (?:gave|wrote|listed|forwarded|shared|sent|provided|attached|"
    r"uploaded|pasted|posted|included|showed)\b"
)
# Material inside a turn: after a colon, in code or in quotes.
_QUOTED_OR_AFTER_COLON = r":[ \t]*\S|`[^`\n]+`|[\"“‘][^\"”’\n]{2,}[\"”’]|(?:^|\s)'[^'\n]{2,}'"


def _after_span(chars: int) -> pl.Expr:
    """The `chars` characters of the unit's `_prose` after its first `_span` (by splitting:
    `str.find` counts bytes and `str.slice` characters, which part ways after an "é")."""
    return (
        pl.col("_prose")
        .str.split(pl.col("_span"))
        .list.get(1, null_on_oob=True)
        .fill_null("")
        .str.slice(0, chars)
    )


# A span that says the user gave the material: "the recipe I pasted", "the list I sent you".
_I_GAVE = (
    r"(?i)(?-u:\b)i(?:'ve| have)? (?:attached|sent|shared|uploaded|pasted|included|gave|showed|"
    r"forwarded|posted)(?-u:\b)"
)


def _material_before() -> pl.Expr:
    """The turns before the unit (its prompt and context) hold material: a long turn, code,
    a table or a list."""
    before = pl.concat_str(
        [pl.col("context"), pl.col("prompt")], separator="\n\n", ignore_nulls=True
    )
    longest = (
        before.str.split("\n\n")
        .list.eval(pl.element().str.count_matches(r"\S+"))
        .list.max()
        .fill_null(0)
    )
    return (longest >= 40) | before.str.contains(r"```|\|.*\||(?m)^[ \t]*(?:\d+[.)]|[-*•])[ \t]")


def _said_given() -> pl.Expr:
    """The unit's `_span` is followed by "I sent", "that I've attached": given, it says."""
    after = _after_span(30)
    return after.str.contains(
        r"(?i)^\s+(?:that\s+)?i(?:'ve| have)?\s+(?:attached|sent|shared|uploaded|pasted|included|"
        r"gave|showed|forwarded|posted)\b"
    )


_ASKS_OF_EARLIER = (
    r"(?i)\b(?:remember|yesterday|last (?:time|week|session)|earlier|before|previous(?:ly)?|"
    r"talked|discussed|left off)\b"
)
# A user who asks whether the assistant remembers ("Are you able to remember what I told you
# last week?") speaks of the earlier talk to ask about it, not as material to read.
_ASKS_IF_REMEMBERED = (
    r"(?i)(?-u:\b)(?:(?:do|can|could|will|would|did) you|are you able to) (?:[a-z]+ ){0,2}?"
    r"(?:remember|recall|still have|keep|see)(?-u:\b)"
)
# A piece the request asks for has lines of its own: "Write a haiku ... Leave the last line
# trailing off", "Write a limerick. Make the last line a pun."
_WRITES = r"(?i)(?-u:\b)(?:write|compose|make up|create|draft|give me|come up with)(?-u:\b)"
_A_PIECE = (
    r"(?i)(?-u:\b)(?:haiku|poem|limerick|sonnet|song|lyrics|verse|rhyme|story|tale|acrostic|ode|"
    r"ballad|essay|speech|toast|letter|paragraph|chapter|scene|script)s?(?-u:\b)"
)
_OWN_PART = (
    r"(?i)^the (?:" + _ORDINAL + r"|opening|closing) (?:line|lines|stanza|verse|sentence|word|"
    r"couplet)(?-u:\b)"
)
# A code block, an indented block or a table that an answer shows before it points "above".
_SHOWN_ABOVE = r"```|(?m)^(?: {4}|\t)[^ \t\n]|(?m)^[ \t]*\|.*\|"
# A work named before the pointer ("In Van Gogh's painting The Starry Night, ... the village
# in the image"): the image is the named work's, which anyone can look up, not material to
# show. The work's kind with its title or its maker's name.
_WORK_KINDS = (
    r"(?:painting|photograph|photo|film|movie|novel|poem|song|album|sculpture|mural|artwork|"
    r"fresco|portrait|etching|poster|cartoon|opera|ballet)"
)
_NAMED_WORK_BEFORE = (
    r"(?-u:\b)"
    + _WORK_KINDS
    + r"s?[ \t]+(?:[\"'“‘]|\p{Lu})|\p{Lu}\p{L}+(?:'s|’s)[ \t]+(?:famous[ \t]+|"
    r"well-known[ \t]+|last[ \t]+|first[ \t]+)?" + _WORK_KINDS + r"(?-u:\b)"
)

# Words after "as we discussed" that place the talk elsewhere: "As I said to my boss".
_TOLD_ELSEWHERE = r"(?i)^\s+(?:to|with|at)\b|^\s+(?:in|on|during) (?:the|a|an|his|her|their|my)\b"
# ... but "As I said in my earlier reply" places it in this chat.
_TOLD_HERE = r"(?i)^\s+in (?:my|our|your) (?:last|previous|earlier|first|other) \p{L}+"


# The answer to a request that points at material it lacks may say that nothing came and
# ask for it ("I don't see any minutes attached. Could you paste them?", "No image reached me
# ... Could you describe the leaves?"): that exchange is right, and the request is no defect
# in it. The answer's opening says it has nothing to read (a negation before seeing or
# receiving), and the answer asks for the material (a verb of sending or a question).
_NOTHING_CAME = (
    r"(?i)(?-u:\b)(?:no|nothing|not|without|only)(?-u:\b)[^.!?\n]{0,50}?(?-u:\b)(?:see|seen|find|"
    r"found|open|view|attach\w*|came through|come through|reach\w*|arriv\w*|receiv\w*|"
    r"got through|included|pasted)(?-u:\b)|n't (?:see|find|open|view|seem to see)(?-u:\b)"
)
_ASKS_FOR_MATERIAL = (
    r"(?i)(?-u:\b)(?:paste|send|share|upload|attach|resend|copy|describe|type)(?-u:\b)|\?"
)


def _answers(found: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """`found`'s user units with `_answer`: the response to an instruction or a pair's prompt,
    the assistant turn after a user turn (read on the matches' rows only)."""
    asked = candidates.filter(
        pl.col("row_id").is_in(found.filter(pl.col("role") == "user")["row_id"].implode())
    )
    flat = asked.filter(pl.col("kind") != "conversation").select(
        "row_id",
        pl.lit("instruction").alias("field"),
        pl.lit(0, pl.Int64).alias("_turn"),
        pl.col("response").alias("_answer"),
    )
    replies = units(asked, ("messages",), ("assistant",)).select(
        "row_id", "field", (pl.col("turn") - 1).alias("_turn"), pl.col("text").alias("_answer")
    )
    return (
        found.with_columns(pl.col("turn").fill_null(0).alias("_turn"))
        .join(pl.concat([flat, replies]), on=["row_id", "field", "_turn"], how="left")
        .drop("_turn")
    )


# A pointing phrase inside quotes that open after a space or a bracket (not a "don't"):
# the request speaks of the phrase, it does not point with it.
QUOTES_A_POINTER = (
    r"(?i)(?:^|[\s(])['\"‘“][^'\"’”\n]{0,40}\b(?:above|below|attached|enclosed|shown|following|"
    r"aforementioned|herein)\b[^'\"’”\n]{0,40}['\"’”]"
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
        return text.str.contains_any(
            _POINTING_PHRASES + _LATER_PHRASES, ascii_case_insensitive=True
        ) | text.str.contains(_OLDER_UNSEEN)

    def read_matches(self, found: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
        return _answers(found, candidates)

    def exempt(self) -> pl.Expr:
        def words(column: str) -> pl.Expr:
            return pl.col(column).fill_null("").str.count_matches(r"\S+")

        # A request whose answer says nothing came and asks for it.
        opening = pl.col("_answer").str.slice(0, 160)
        flagged_back = (
            (pl.col("role") == "user")
            & opening.str.contains(_NOTHING_CAME)
            & pl.col("_answer").str.contains(_ASKS_FOR_MATERIAL)
        ).fill_null(False)
        # A block, or material after a colon or in quotes ("Summarize this: ...").
        has_block = pl.col("text").str.contains(MATERIAL_GIVEN)
        start = pl.col("text").str.find(pl.col("_span"), literal=True).fill_null(0)
        # "Like example 3" after earlier turns that show no example points at nothing.
        pointed_model = pl.col("_span").str.contains(SAME_AS_UNSEEN)
        model_noun = pl.col("_span").str.extract(
            r"(?i)\b(example|sample|exhibit|listing|template|question|answer|response|version|"
            r"draft|post|one)",
            1,
        )
        shown = pl.concat_str(
            [pl.col("prompt"), pl.col("context")], separator="\n", ignore_nulls=True
        )
        model_unseen = pointed_model & ~mentioned(model_noun.fill_null("example"), shown)
        own = (
            (pl.col("role") == "user")
            & ~model_unseen
            & (
                (words("text") >= 40)
                # (Quoted words are no image or video.)
                | (has_block & ~pl.col("_span").str.contains(_MEDIA_ONLY))
                | (words("context") > 0)
                # An earlier user turn (a system prompt alone shows no material); no text turn
                # holds an image or a recording, though; and what the user says they pasted or
                # sent ("the recipe I pasted earlier") needs material in the turns before.
                | (
                    (pl.col("field") == "messages")
                    & (pl.col("prompt").fill_null("") != "")
                    & ~pl.col("_span").str.contains(_MEDIA_ONLY)
                    & ~(pl.col("_span").str.contains(_I_GAVE) & ~_material_before())
                )
                # "Count the words in the text": a program's input, not material to show (but
                # not "the function from the screenshot I sent": material the user says they gave).
                | (
                    pl.col("_span").str.contains(r"(?i)^(?:in|from) ")
                    & pl.col("text").str.contains(_CODE_TASK)
                    & ~_said_given()
                )
            )
        )
        # "In the story 'The Gift of the Magi'": a named work, not material to show.
        after = _after_span(3)
        # (Not "I": "the graph I attached" names nothing.)
        # "the second paragraph of a ghost story" is to be written; "the first line of the
        # Declaration of Independence" is named.
        further = _after_span(16)
        ordinal = pl.col("_span").str.contains(
            r"(?i)^the (?:" + _ORDINAL + ") "
        ) & further.str.contains(
            r"^\s+(?:of|for|in)\s+(?:(?:a|an|one|my own|your own)\s|(?:the\s+)?\p{Lu})"
        )
        named = ~pointed_model & (
            ordinal
            | after.str.contains(r"^\s*(?:[\"'“‘]|\p{Lu}\p{L}|[A-HJ-Z]\b)")
            | (
                # "in the same style as Basho": the model is named.
                pl.col("_span").str.contains(r"(?i)\bsame ") & after.str.contains(r"^\s*as\b")
            )
        )
        # An answer that says "in the story" speaks of the story its request named.
        noun = pl.col("_span").str.extract(r"(\p{L}+)$", 1)
        asked_of = pl.concat_str([pl.col("prompt"), pl.col("context")], separator="\n")
        answer_in = (
            (pl.col("role") != "user")
            & pl.col("_span").str.contains(r"(?i)^(?:in|from) the ")
            # ... but not "from the table I gave you earlier": given in this chat, it says.
            & ~_said_given()
            # ... but an answer that reads "the screenshot" needs one the user spoke of.
            & (~pl.col("_span").str.contains(_MEDIA_ONLY) | mentioned(noun, asked_of))
        )
        # "As I explained earlier" in a later turn: there was an earlier turn.
        earlier = (pl.col("context") != "") & pl.col("_span").str.contains(
            r"(?i)\b(?:previous|preceding|earlier|before|previously)\b"
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
            | pl.col("context").str.contains(r"```|\|.*\||(?m)^\s*(?:\d+[.)]|[-*•])\s")
            | (start >= 150)
            # What the user gave ("the example you gave", "your results") is in the request:
            # quoted, after a colon, or figures.
            | (
                pl.col("_span").str.contains(_YOURS)
                & (
                    asked_of.str.contains(_QUOTED_OR_AFTER_COLON)
                    | (asked_of.str.count_matches(r"\d+(?:[.,]\d+)?") >= 2)
                )
            )
            # "The second paragraph" is what a request points at; an answer's "the first
            # example" is its own.
            | pl.col("_span").str.contains(r"(?i)^the (?:" + _ORDINAL + ") ")
        )
        # "As we discussed" after an earlier turn speaks of it.
        # "As I said to my boss" was said elsewhere.
        after_continued = _after_span(20)
        # ... and an answer may speak of the earlier talk its user asked about ("Do you
        # remember what we talked about yesterday?" "No, I can't see yesterday's chat.").
        continued = pl.col("_span").str.contains(CONTINUED) & (
            (pl.col("context").fill_null("") != "")
            | (
                after_continued.str.contains(_TOLD_ELSEWHERE)
                & ~_after_span(40).str.contains(_TOLD_HERE)
            )
            | (
                (pl.col("role") != "user")
                & pl.col("prompt").fill_null("").str.contains(_ASKS_OF_EARLIER)
            )
        )
        # A pick among a list ("which of the starters on my list", "the second one is best")
        # needs the list: options in the request or an earlier turn.
        pick = pl.col("_span").str.contains(_PICKED_BY_PLACE) | pl.col("_span").str.contains(
            r"(?i)\b(?:on|in|from) my \p{L}+$"
        )
        listed = pl.concat_str(
            [pl.col("prompt"), pl.col("context"), pl.when(pl.col("role") == "user").then("text")],
            separator="\n",
            ignore_nulls=True,
        ).str.contains(_LIST_SHOWN) | pl.col("text").str.contains(_LIST_LINES)
        unlisted_pick = pick & ~listed
        user = pl.col("role") == "user"
        # The request's own piece ("the last line" of the haiku it asks for), the answer's
        # own block above its pointer ("The function above ..."), the user's question whether
        # the assistant remembers.
        own_piece = (
            user
            & pl.col("_span").str.contains(_OWN_PART)
            & pl.col("text").str.contains(_WRITES)
            & pl.col("text").str.contains(_A_PIECE)
        )
        shown_above = ~user & pl.col("text").str.split(pl.col("_span")).list.first().str.contains(
            _SHOWN_ABOVE
        )
        asks_memory = user & pl.col("text").str.contains(_ASKS_IF_REMEMBERED)
        work_named = (
            pl.col("text").str.split(pl.col("_span")).list.first().str.contains(_NAMED_WORK_BEFORE)
        )
        # A request about a pointing phrase, quoting it ("What does 'see attached' mean?",
        # "she wrote 'as shown in the table above'"): the phrase is the topic, in the request
        # and in the answers after it.
        about_phrase = (
            pl.concat_str(
                [pl.col("prompt"), pl.col("context"), pl.when(user).then("text")],
                separator="\n",
                ignore_nulls=True,
            )
            .str.contains(QUOTES_A_POINTER)
            .fill_null(False)
        )
        return (
            (
                (
                    own
                    | answered
                    | named
                    | answer_in
                    | earlier
                    | continued
                    | own_piece
                    | shown_above
                    | work_named
                )
                & ~unlisted_pick
            )
            | (pick & listed)
            | asks_memory
            | flagged_back
            | about_phrase
        )


# A request that asks for repetition or for blanks is answered with repeated lines.
ASKED_TO_REPEAT = (
    r"(?i)\b(?:repeat|repeats|repeated|repeating|repetition|chorus|refrain|song|lyrics|chant|mantra|again|twice|drill|"
    r"blank|template|form|fill in|fill-in|checklist|worksheet|verbatim|word for word|"
    r"tongue[- ]twisters?|(?:two|three|four|five|six|seven|eight|nine|ten|\d+) times|"
    # A line or a sentence asked to come back: "make the first and last lines identical",
    # "end with the same sentence we always close with", "open and close with the line ...".
    r"identical|the same (?:\p{L}+ ){0,2}(?:line|lines|sentence|sentences|phrase|words|"
    r"greeting|sign-?off|closing|opening)|(?:line|lines|sentence|sentences|words) (?:are|is|be) "
    r"(?:the same|identical)|(?:open|start|begin)s? and (?:close|end)s? with)\b"
    # ... or a count of the same thing, each written out ("5 rounds of", "8 x 200 m").
    + "|"
    + COUNTED_REPEATS
)
