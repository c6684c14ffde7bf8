"""Role consistency of conversations: a simulated user who talks like the assistant ("How can
I assist you today?", "I'm afraid I'm not a helpful AI", "I'm your virtual assistant", "Would
you like a few more ideas?", "Sure! Here's a recipe for ...", "You're welcome!", or "Correct!
Next: ..." in a quiz the user asked to take), or an assistant who talks like the user
("Thanks for your help!", or a life of its own and a question: "My daughter still wakes at 3
a.m. Do you have any tips?", or the asker's side of the question: "I've always wondered that
too", "Same here, I'm thinking about picking up Rust too"), whatever an assistant's opening
before it ("Good question, ..."). A user turn in an agent's voice ("What seems to be the
problem?", "Thank you for contacting support! Your ticket number is ...") is one too. A
role-play the user or a system prompt sets up swaps the voices on purpose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.filters.defects.spans import SpanRule

# Where an offer starts its own sentence (the candidate search in a transcript reads it after
# "user: " without this).
_OFFER_START = r"(?:^|[.!?]\s+)"
# Introducing itself as the other side's helper, asking what it may do, offering more.
_HELPER_SPEAK = (
    r"\b(?:i(?:'m| am) (?:your|the) (?:\w+ )?(?:ai|assistant|chatbot|bot)\b|what would you like "
    r"(?:to know|to learn|to talk about|help with)\b|would you like (?:a few |some |any )?(?:more|"
    r"other|further|additional) (?:\w+ )?(?:ideas|tips|examples|suggestions|options|recipes)\b|"
    r"here are\b[^.!?\n:]{0,40}\byou (?:might|could|may) (?:consider|like|try|enjoy|want)\b|"
    # A helper's or an agent's greeting or sign-off: "What seems to be the problem?", "Glad I
    # could help!", "Thank you for contacting support! Your ticket number is 55102", "we'll
    # email you an update".
    r"glad (?:i|we) could help\b|(?:happy|glad) to help!|let me know if you(?:'d| would) like "
    r"(?:some |a few |any |more )?(?:tips|ideas|examples|suggestions|advice|recommendations)\b|thank(?:s| you) for (?:contacting|reaching out to) (?:us|support|"
    r"our)\b|your (?:ticket|case|claim|reference|order) (?:number |reference |id )?is\b|(?:i|we)"
    r"(?:'ll| will) (?:email|call|contact|text) you (?:back|an update|within|shortly)\b|if you "
    r"have any (?:more|other|further) questions\b|what seems to be the (?:problem|issue|trouble)\b|"
    # A teacher's or a helper's close: a hope that its own explanation helped, an offer to
    # take the other through more ("Let me know if you'd like me to go through some practice
    # problems with you").
    r"i hope (?:this|that|my|the) (?:explanation|answer|breakdown|overview|summary|example|"
    r"walkthrough|walk-through|lesson) (?:helps|helped|was helpful|is helpful|clears|cleared)"
    r"(?:\s*[!.,;]|\s*$| you\b| things up\b)|"
    r"let me know if you(?:'d| would) like me to (?:\w+ ){0,3}?(?:walk you|show you|"
    r"help you|give you|teach you|quiz you|go (?:through|over) (?:\w+ ){0,3}?with you)\b|"
    # ... or an offer, its own sentence, to take the other through something ("Would you like
    # me to walk you through descaling a coffee machine too?"; not "Would you like me to show
    # you the code?", nor a child's offer reported after "asked:").
    + _OFFER_START
    + r"would you like me to (?:\w+ ){0,2}?(?:walk you|take you|show you how|"
    r"teach you|help you)\b)"
)
ASSISTANT_SPEAK = (
    r"(?i)\bhow (?:can|may|could) i (?:help|assist) you\b"
    r"|\b(?:is there )?anything else i can (?:help|assist|do)\b"
    r"|\bi(?:'m| am) (?:afraid i(?:'m| am) )?(?:not )?(?:just |only )?an? (?:helpful |friendly )?"
    r"(?:ai|assistant|language model|chatbot|virtual assistant)\b"
    r"|\bas (?:your|an|a helpful|a friendly) (?:ai |virtual )?assistant\b"
    r"|\bi(?:'d| would) be (?:happy|glad|delighted) to (?:help|assist)\b"
    r"|\bi hope (?:this|that) helps\b"
    r"|\bfeel free to ask\b"
    r"|\blet me know if you (?:have|need) any (?:other|more|further) (?:questions|help)\b"
    r"|\bwhat (?:else )?can i (?:help|assist|do for) you\b"
    r"|\bi(?:'m| am) here to help\b"
    # An assistant's closings: an offer of more, an apology for its own earlier answer.
    r"|\blet me know if you(?:'d| would) like (?:to (?:know|learn|hear)|more)\b"
    r"|\bis there anything else you(?:'d| would) like\b"
    r"|\b(?:in|for) my (?:previous|last|earlier) (?:response|answer|reply)\b" + "|" + _HELPER_SPEAK
)
# An assistant's opening: praise for the question it is about to answer, or a ready "Sure!
# Here's a recipe for ...".
_PRAISE = (
    r"(?:(?:great|good|excellent|interesting|what a great) question\b|(?:sure|certainly|of course|"
    r"absolutely)[!,.]\s+here(?:'s| is) (?:a|an) (?:\w+ )?(?:recipe|guide|summary|overview|"
    r"explanation|breakdown|plan)\b)"
)
ASSISTANT_OPENING = r"(?i)^\s*" + _PRAISE
# "You're welcome!" answers thanks: opening a user turn, which follows an assistant's
# answer, it is the voice of the one who helped.
_WELCOME = r"(?i)^\s*you(?:'re| are) (?:very |most )?welcome\b"
# A life of its own, then a question to the other side: "My daughter is two and still
# wakes at 3 a.m. ... Do you have any tips?", "I'm hosting a dinner ... any ideas?".
_OWN_LIFE = (
    r"\b(?:my (?:son|daughter|kids?|children|wife|husband|partner|boyfriend|girlfriend|mum|mom|"
    r"dad|mother|father|sister|brother|friend|boss|neighbou?r|landlord|dog|cat|puppy|old \w+|"
    r"(?:lower )?back|neck|knees?|shoulders?)|i(?:'m| am) (?:in (?:exactly )?the same boat|hosting|"
    r"planning|stuck|moving)|i(?:'ve| have) been (?:wondering|meaning to ask|struggling)|i keep "
    r"(?:hearing|getting|forgetting))\b[^?]*\?\s*$"
)
# The asker's side taken by the one asked: sharing the question ("I've always wondered that
# too", "Same here, I'm thinking about picking up Rust too", "mine did the same thing") or
# asking for its own case ("I'm trying to decide for my own mortgage").
_ME_TOO = (
    r"\b(?:same here|me too|mine (?:did|does|is|was|has|had) (?:the same|that|this)|i(?:'ve| "
    r"have) always (?:wondered|found (?:that|it|this) (?:confusing|hard|tricky|difficult))|i(?:'ve| "
    r"have| was) (?:just |also )?(?:been )?wondering (?:the same|that|about that)|(?:for|on|with) my"
    r" own\b|i(?:'m| am) (?:planning|thinking about|trying to decide)\b[^.?!\n]{0,60}\b(?:myself|"
    r"too)\b|"
    # ... or its own try told and the other's opinion asked: "Oh, I haven't tried lemon juice
    # yet! Do you think it would be strong enough?"
    r"i(?:'ve| have)(?:n't| not| never) (?:yet )?tried\b[^?\n]*\bdo you think\b)"
)
USER_SPEAK_PARTS = (
    r"^\s*(?:thanks|thank you)(?: so much| very much| a lot)?,? for (?:your|the) "
    r"(?:help|explanation|answer|advice|information|tips)\b",
    r"^\s*(?:can|could) you (?:please )?(?:help|explain|tell|show) me\b",
    # The asker's relief or lingering doubt after an explanation: "Oh thanks, that really
    # clears it up for me!", "That makes a lot of sense, thank you!", "Thanks so much for
    # explaining all this earlier!"
    r"^\s*(?:(?:oh|ah|ok|okay|wow)[,!]?\s+)?(?:thanks|thank you)(?: so much| very much| a lot)?"
    r"[,!.]?\s+(?:that|this|it) (?:really |totally |finally )?(?:clears|cleared) (?:it|things|"
    r"that|this) up\b",
    r"^\s*(?:that|this|it) (?:really |totally )?(?:makes|made) (?:a lot of |so much |total |"
    r"perfect )?sense,? thank(?:s| you)\b",
    r"^\s*(?:thanks|thank you)(?: so much| very much| a lot)? for explaining (?:all )?(?:this|"
    r"that|it)\b",
    r"^\s*i (?:have|had) a question\b",
    r"\bwhat should i do\?",
    r"\bi(?:'m| am) having (?:trouble|problems|issues|difficulty|a problem)\b",
    r"^\s*(?:thanks|thank you)(?: so much| very much| a lot)?[,!.]?\s+(?:that|this)(?:'s| is| "
    r"was) (?:really |very |so |super )?(?:helpful|useful|great|perfect|exactly what i needed|"
    r"a big help)\b",
    r"\b(?:could|can) you (?:please )?help me\b",
    r"^\s*(?:could|can|would|will) you (?:please )?(?:write|make|give|show|tell|explain)\b[^?]*\?\s*$",
    _OWN_LIFE,
    _ME_TOO,
)
USER_SPEAK = "(?i)" + "|".join(USER_SPEAK_PARTS)
# An assistant turn that opens with the user's label and goes on as the user ("User: I'd love
# to try kaiseki but I'm on a budget. Any ideas?"): the model wrote the next user turn.
_USER_LABEL = r"(?i)^\s*(?:user|human)\s*:\s*\S"
_USER_LABEL_OPENINGS = ["assistant: user:", "assistant: human:"]
# ... unless the user asked for a dialogue or a transcript to be written.
_WANTS_EXCHANGE = (
    r"(?i)\b(?:dialogues?|dialogs?|transcripts?|scripts?|screenplays?|skits?|scenes?|exchanges?|"
    r"interviews?|chat logs?|(?:example|sample|mock|fake) (?:chats?|conversations?)|"
    r"(?:conversation|chat) between)\b"
)
_LINE_START = r"^\s*"

# A verdict on the other side's answer opening a turn ("Correct! Next: ..."): the quizzer's
# voice. A user grades the assistant only where the user asked to be quizzed ("Quiz me on
# capitals") and the roles swapped; a user who set the riddle or the guessing game grades.
_VERDICT = (
    r"^\s*(?:correct|incorrect|that's (?:right|correct|wrong)|that is (?:right|correct|wrong)|"
    r"right|wrong|well done|good job|nice try|not quite|exactly)\s*[!.,]"
)
_QUIZ_ME = (
    r"(?i)(?-u:\b)(?:quiz|test|drill|question) me(?-u:\b)|(?-u:\b)ask me (?:some |a few )?"
    r"questions(?-u:\b)"
)
_USER_SETS_GAME = r"(?i)(?-u:\b)(?:guess|riddle|quiz you|test you|trivia for you)(?-u:\b)"

_GATHERS_DETAILS = (
    r"(?i)^\W*(?:(?:sure|of course|happy to help|certainly)[!,.]?\s+)?(?:can|could|would) you "
    r"(?:please )?(?:tell|give|send|share with) me\b[^?]*\b(?:you|your|you're|you've)\b[^?]*\?"
)

ROLE_PLAY = (
    r"(?i)\b(?:role-?play|pretend (?:to be|you(?:'re| are))|you(?:'ll| will)? play (?:the|a|my)|"
    r"i(?:'ll| will) (?:be|play) (?:the|a|your)|act as (?:the|a|my)|play the (?:role|part) of|"
    r"you be the|let's practi[cs]e)\b"
)


# A request written in the assistant's voice: an instruction (a preference pair's prompt)
# that opens, after at most a greeting and one sentence, by introducing itself as the
# other's helper or offering its help ("As your assistant, I'd be glad to help you plan ...",
# "Hello! I'm your friendly assistant. How can I help you today?", "Thanks for reaching out!
# I can help you ..."). Quoted words are read out first (a greeting the user quotes).
INSTRUCTION_AS_ASSISTANT = (
    # (Case-sensitive but for a sentence's first letter: it is compiled in every batch.)
    r"^[^A-Za-z]{0,3}(?:(?:[Hh]i|[Hh]ello|[Hh]ey|[Ww]elcome|[Gg]reetings)(?: there)?[!,.]?[ \t\n]+)?"
    r"(?:[^.!?\n]{0,60}[.!][ \t\n]+)?(?:[Aa]s your (?:[A-Za-z-]+ ){0,3}assistant(?-u:\b)|I(?:'m| "
    r"am) your (?:[A-Za-z-]+ ){0,3}(?:assistant|chatbot|bot|AI)(?-u:\b)|I(?:'d| would) be (?:happy|"
    r"glad|delighted) to (?:help|assist)(?: you(?-u:\b)|[!.,])|I(?:'m| am) (?:here|happy|glad) to "
    r"(?:help|assist)(?: you(?-u:\b)|[!.,])|(?:[Hh]appy|[Gg]lad) to help[!.]|[Tt]hank(?:s| you) "
    r"for (?:reaching out|contacting us|getting in touch)(?-u:\b)|I can help you (?:with|to|sort|"
    r"find|plan|choose|prepare|get)(?-u:\b)|[Hh]ow (?:can|may) I (?:help|assist) you(?-u:\b)|"
    r"[Ww]hat can I (?:help|assist) you with(?-u:\b))"
)
# Words every match of it holds, found at once: only instructions with one are searched.
_ASSISTANT_VOICE_WORDS = [
    *("assistant", "i'm your", "i am your", "to help", "to assist", "help you", "assist you"),
    *("reaching out", "contacting us", "getting in touch"),
]
# ... unless the request asks for those words: a greeting written, translated, repeated,
# replied to or judged, or a role the user sets up.
_ASKS_FOR_THE_WORDS = (
    r"(?i)(?-u:\b)(?:write|draft|translate|rewrite|rephrase|repeat|reply|respond|proofread|"
    r"greeting|script|message|email|say|quote|role-?play|pretend|act as|you(?:'re| are) my)"
    r"(?-u:\b)"
)


@dataclass(frozen=True)
class _InstructionAsAssistant(SpanRule):
    """`RoleFlip`'s request in the assistant's voice (not a step of its own: `RoleFlip.flag`
    reads it on instruction and preference rows)."""

    fields: ClassVar = ("instruction",)
    kinds: ClassVar = ("instruction", "preference")
    unquote: ClassVar[bool] = True
    pattern: ClassVar[str] = INSTRUCTION_AS_ASSISTANT
    name: str = "role_flip"

    def candidates(self, text: pl.Expr) -> pl.Expr:
        # The row's text starts with its instruction, and the pattern holds at its start: one
        # anchored search a row.
        return text.str.contains(INSTRUCTION_AS_ASSISTANT)

    def exempt(self) -> pl.Expr:
        return pl.col("prompt").str.contains(_ASKS_FOR_THE_WORDS) | pl.col("prompt").str.contains(
            ROLE_PLAY
        )


# A quotation opened (after a non-letter, so not "I'm") and not closed before the end.
_OPEN_QUOTE = r"(?:^|[^\p{L}\p{N}])['\"“‘][^'\"”’\n]*$"


@dataclass(frozen=True)
class RoleFlip(SpanRule):
    """A conversation turn in the other role's voice: a user turn that speaks as the
    assistant, or an assistant turn that opens as the user would."""

    config_key: ClassVar[str] = "role_flip"
    fields: ClassVar = ("messages",)
    kinds: ClassVar = ("conversation",)
    roles: ClassVar = ("user", "assistant")
    unquote: ClassVar[bool] = True
    pattern: ClassVar[str] = ""
    name: str = "role_flip"

    def regex(self) -> str:
        # One pattern for both roles; `exempt` keeps each match to the role it betrays.
        return (
            f"{ASSISTANT_SPEAK}|{ASSISTANT_OPENING}|{USER_SPEAK}|(?i:{_VERDICT})|{_WELCOME}"
            f"|{_USER_LABEL}"
        )

    def parts(self) -> tuple[str, ...]:
        # The user-speak openings hold at a turn's start: a line start in the transcript.
        # Searched for whether any matches (not where), so an alternative's optional opening
        # is left out, and the openings at a line start are one search: a line-start pattern
        # with no literal to look for first costs a pass over every line (1.3 us a row each).
        assistant = [
            part.removeprefix("(?:is there )?")
            for part in ASSISTANT_SPEAK.removeprefix("(?i)")
            .removesuffix("|" + _HELPER_SPEAK)
            .split("|\\b")
        ]
        openings = [
            p.removeprefix(_LINE_START) for p in USER_SPEAK_PARTS if p.startswith(_LINE_START)
        ]
        searches = (
            *[f"(?i:{part})" for part in assistant],
            # An offer of help is common in assistant turns: searched in user turns only.
            r"(?im:^user: [^\n]*?" + _HELPER_SPEAK.replace(_OFFER_START, "") + ")",
            # In the transcript a user turn starts "user: ".
            r"(?im:^(?:(?:user: )?\s*" + _PRAISE + r"|\s*(?:" + "|".join(openings) + ")))",
            *[
                f"(?im:{p})"
                for p in USER_SPEAK_PARTS
                if not p.startswith(_LINE_START) and p not in (_OWN_LIFE, _ME_TOO)
            ],
            # A life of its own, a shared question: common in user turns, searched in
            # assistant turns only.
            # (One search: each costs a scan from every line start.)
            r"(?im:^assistant: [^\n]*?(?:" + _OWN_LIFE + "|" + _ME_TOO + "))",
            # A verdict in a user turn, read only where the user asked to be quizzed.
            r"(?im:^user: " + _VERDICT.removeprefix(r"^\s*") + ")",
            r"(?im:^user: " + _WELCOME.removeprefix(r"(?i)^\s*") + ")",
        )
        # With ASCII word boundaries: the same rows (the words are ASCII), and a Unicode one
        # pushes the regex engine off its fast path (after a lazy scan, 1.7 us a row against
        # 0.45).
        return tuple(part.replace(r"\b", r"(?-u:\b)") for part in searches)

    def candidates(self, text: pl.Expr) -> pl.Expr:
        # An assistant turn opened with the user's label, found by its phrase (a regex pass
        # from every line start costs more).
        return super().candidates(text) | text.str.contains_any(
            _USER_LABEL_OPENINGS, ascii_case_insensitive=True
        )

    def read_matches(self, found: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
        # An assistant turn's span is first its asker's voice: a turn that opens as an
        # assistant would ("Good question, I was wondering the same thing myself. Could you
        # explain it to me?", "You're welcome! By the way, I'm hosting a dinner ... any
        # ideas?") would otherwise be judged by its opening alone. The asker's voice is one of
        # the pattern's alternatives: only units that match it at all (few) are searched.
        asker = pl.coalesce(
            pl.col("_prose").str.extract(f"(?i){_ME_TOO}", 0),
            pl.col("_prose").str.extract(f"(?i){_OWN_LIFE}", 0),
        )
        # (User turns are most of the matches: their own voice is the user's.)
        found = pl.concat(
            [
                found.filter(pl.col("role") != "assistant"),
                found.filter(pl.col("role") == "assistant").with_columns(
                    pl.coalesce(asker, "_span").alias("_span")
                ),
            ]
        )
        # A role-play a system prompt sets up holds for every turn, the first user turn too
        # (whose context is empty): read on the rows of the units that matched.
        staged = candidates.filter(pl.col("row_id").is_in(found["row_id"].implode())).select(
            "row_id",
            pl.col("text")
            .str.extract(r"^system: [^\n]*", 0)
            .str.contains(ROLE_PLAY)
            .alias("_staged"),
        )
        return found.join(staged, on="row_id", how="left")

    def exempt(self) -> pl.Expr:
        span = pl.col("_span")
        as_assistant = span.str.contains(ASSISTANT_SPEAK) | span.str.contains(ASSISTANT_OPENING)
        # A user's verdict is the quizzer's only in a quiz the user asked to take.
        before = pl.concat_str(["context", "prompt"], separator="\n", ignore_nulls=True)
        quizzed = (
            before.str.contains(_QUIZ_ME)
            & ~before.str.contains(_USER_SETS_GAME)
            & span.str.contains("(?i)" + _VERDICT)
        )
        welcomes = span.str.contains(_WELCOME)
        # "Could you tell me the course and how much time you need?" asks the user about the
        # user's own case: an assistant gathering details, not an asker.
        gathers = (pl.col("role") == "assistant") & pl.col("_prose").str.contains(_GATHERS_DETAILS)
        labelled = span.str.contains(_USER_LABEL) & ~before.str.contains(_WANTS_EXCHANGE)
        as_user = (span.str.contains(USER_SPEAK) & ~gathers) | labelled
        wrong_voice = (
            pl.when(pl.col("role") == "user")
            .then(as_assistant | quizzed | welcomes)
            .otherwise(~as_assistant & as_user)
        )
        # A role-play the user set up ("You play the customer and I'll be the shop
        # assistant") swaps the voices on purpose.
        setup = pl.concat_str(
            [pl.col("context"), pl.col("prompt"), pl.when(pl.col("role") == "user").then("text")],
            separator="\n",
            ignore_nulls=True,
        )
        # A user turn's assistant words inside a quotation still open at the span (a draft
        # pasted for editing, longer than `prose` unquotes): the user's material, not voice.
        quoting = (pl.col("role") == "user") & pl.col("text").str.split(
            span
        ).list.first().str.contains(_OPEN_QUOTE).fill_null(False)
        return (
            ~wrong_voice
            | setup.str.contains(ROLE_PLAY)
            | pl.col("_staged").fill_null(False)
            | quoting
        )

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = super().flag(rows)
        # A request in the assistant's voice: its words (one literal pass), then its anchored
        # pattern, on the instruction column (the row's joined text is built only for the
        # few rows it finds).
        request = pl.col("instruction").fill_null("")
        voiced = rows.filter(
            pl.col("kind").is_in(_InstructionAsAssistant.kinds)
            & request.str.contains_any(_ASSISTANT_VOICE_WORDS, ascii_case_insensitive=True)
        ).filter(request.str.contains(INSTRUCTION_AS_ASSISTANT))
        if voiced.is_empty():
            return found
        return pl.concat([found, _InstructionAsAssistant().flag(voiced)])
