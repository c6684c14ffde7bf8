"""Text that belongs to the machinery, not to the data: chat-template tokens, prompt-template
scaffolding (the project's own templates included), placeholders left unfilled, and model
disclaimers. Each is flagged where it stands; a mention the user asked about is not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import ClassVar

import polars as pl

from assets.filters.asked import (
    ASKS_ABOUT_THE_ASSISTANT,
    ASKS_FOR_A_FORM_TO_COPY,
    ASKS_FOR_A_PROMPT,
)
from assets.filters.defects.spans import SpanRule, mentioned
from assets.filters.pii import ENTITIES

# Special tokens of the common chat templates: ChatML and Phi (`<|im_end|>`, `<|user|>`),
# Llama 2/3, Gemma (`<start_of_turn>`, `<eos>`), Mistral (`[INST]`, `[TOOL_CALLS]`), Cohere
# (`<|END_OF_TURN_TOKEN|>`), DeepSeek (full-width bars: `<｜end▁of▁sentence｜>`), GPT-2; and a
# plain-text transcript's role line ("Human:", "User:", "Assistant:") in an answer, where a
# model ran on into the next turn.
CHAT_TOKENS = (
    r"<\|[A-Za-z_]{2,30}\|>|<｜[^｜\n]{1,40}｜>|</s>|<s>|<(?:eos|bos|eot|pad|unk)>"
    r"|\[/?(?:INST|TOOL_CALLS|AVAILABLE_TOOLS|TOOL_RESULTS|SYSTEM_PROMPT)\]|<</?SYS>>"
    r"|<(?:start|end)_of_turn>|<\|(?:begin|end)_of_text\|>"
)
ROLE_LINE = r"(?m:^[ \t]*(?:Human|User|Assistant|HUMAN|USER|ASSISTANT)[ \t]*:)"
# A question about a token or template is no leak of it.
_ABOUT_FORMATS = (
    r"(?i)\b(?:token|tokens|template|templates|format|formats|chatml|tokenizer|special|"
    r"placeholder|placeholders|marker|markers|tag|tags|alpaca|prompt format|mean|means|stand for)\b"
)
# An answer to a question about chat formats or markup may name their tokens.
_ASKS_ABOUT_TOKENS = (
    r"(?i)\b(?:tokens?|tokenizer|chat ?templates?|prompt (?:format|template)s?|chatml|special|"
    r"llama|mistral|gemma|qwen|phi-?3|deepseek|end-of-(?:sequence|text|turn)|eos|bos|html|"
    r"strike\w*|crossed[- ]out|markup)\b"
)
# ... and a dialogue asked for has its speakers' lines.
_ASKS_FOR_DIALOGUE = (
    r"(?i)\b(?:dialogues?|dialogs?|conversations?|scripts?|screenplay|transcripts?|exchange|"
    r"chat logs?|role-?play|skit|scene|interview|chatbot|bot|respond|responses?|repl(?:y|ies))\b"
)
# A run-on into the next turn is an exchange: a user's line and an assistant's, or an answer
# that opens with its own role. One "User:" line is a label ("User: id, name").
_EXCHANGE = (
    r"(?s)(?m:^[ \t]*(?:Human|User|HUMAN|USER)[ \t]*:).*(?m:^[ \t]*(?:Assistant|ASSISTANT)[ \t]*:)"
    r"|\A\s*(?:Assistant|ASSISTANT)[ \t]*:"
    # ... in either order: the answer again under its label, then the user's next line.
    r"|(?s)(?m:^[ \t]*(?:Assistant|ASSISTANT)[ \t]*:).*(?m:^[ \t]*(?:Human|User|HUMAN|USER)[ \t]*:)"
)


# Scaffolding of instruction-generation prompts (Evol-Instruct's #Given Prompt#, Alpaca's
# ### headers), unfilled template slots, and leftovers of "rewrite the prompt" tasks. Each
# alternative scopes its own flags: a bare (?i) would carry into the alternatives after it.
_SLOT_WORDS = (
    r"instruction|input|response|question|answer|context|passage|document|persona|topic|"
    r"examples?|prompt|query|history|task|operation|result|arguments|tool"
)
# Each alternative on its own for `TemplateLeak.candidates`: joined, the one at a line start
# keeps the others off the engine's literal search (10.9 us a row against 2.7).
_DIRECTIVE_WORDS = (
    r"\b(?:respond|reply|answer) with (?:the \p{L}+ |your \p{L}+ )?only\b",
    r"\b(?:do not|don't) (?:mention|reveal|repeat|include|explain) (?:these|the|this|any) "
    r"(?:instructions?|prompt|rules|guidelines)\b",
    r"\b(?:output|return) only the\b",
)
# A constraint line of the request's kind, on a line of its own: "Your answer must
# contain exactly 3 sentences."
_DIRECTIVE_LINE = (
    r"(?im:^[ \t]*your (?:answer|response|reply|output) must (?:contain|be|include|have|use|"
    r"end|start|begin|not)\b[^\n]*$)"
)
_DIRECTIVE = "(?i:" + "|".join(_DIRECTIVE_WORDS) + ")|" + _DIRECTIVE_LINE
_TRANSCRIPT_LABELS = (
    r"(?ims:^\s*(?:human|user)\s*:.*?^\s*(?:assistant|ai|gpt|bot|chatbot|model)\s*:)"
)
# A generated example's label left in the data, on the line after the prompt that asked for
# it: "Generate a user question ... Output only the question.\nUser question: How do I ...".
# The span starts with that prompt's line, so that its directive is no user's own.
GENERATED_LABEL = (
    r"(?im:^[^\n]*\n[ \t]*(?:user|generated|synthetic)[ _-](?:question|query|prompt|request|"
    r"message|instruction)[ \t]*:)"
)
# A generator's prompt line and the slot it filled, left in a turn: "Generate a realistic
# question a beginner gardener might ask.\nQuestion: How often ...". The prompt's line is a
# finished directive (a line ending on a colon introduces an example the user gives).
GENERATOR_PROMPT = (
    r"(?im:^(?:user: )?[ \t]*(?:please )?(?:generate|write|create|produce|come up with|invent|"
    r"simulate)\b"
    r"[^\n]*\b(?:question|prompt|instruction|query|request|message|task)\b[^\n]*[^:\n]\n[ \t]*"
    r"(?:question|prompt|instruction|query|request|message|task):)"
)
# The labels GENERATOR_PROMPT ends on, found at once: only rows with one are searched for it.
_GENERATOR_LABELS = [
    f"\n{label}:" for label in ("question", "prompt", "instruction", "query", "request", "message")
] + ["\ntask:"]
# A self-chat generator's header on a simulated turn: "[Simulated user | persona: retired
# teacher, 67 | goal: ...]", "[Synthetic user turn]".
PERSONA_HEADER = (
    r"(?i:\[[^\]\n]{0,60}\b(?:persona|goal|intent|scenario|user profile):[^\]\n]{0,200}\]"
    r"|\[(?:simulated|synthetic|generated) (?:user|assistant|persona|turn|dialogue|"
    r"conversation)\b[^\]\n]{0,200}\])"
)
_PERSONA_CUES = ["persona:", "goal:", "intent:", "scenario:", "user profile:"] + [
    f"[{kind} " for kind in ("simulated", "synthetic", "generated")
]
PIPELINE_NOTE = (
    r"(?i:\[\s*end of (?:the )?(?:response|answer|assistant turn|turn|conversation|output)\b"
    r"[^\]\n]*\]|\(\s*(?:respond|answer|reply|write|keep (?:it|the answer|your answer))\b"
    r"[^)\n]{0,60}\b(?:words?|sentences?|characters?|lines?|paragraphs?)\b[^)\n]*\))"
)
SLOT = r"(?:^|[\s(\[\"'])\{[a-z][a-z0-9]*(?:_[a-z0-9]+)*\}"
# A request about formatting or code may show a slot: "How do I print {name} in an f-string?"
_ASKS_ABOUT_SLOTS = (
    r"(?i)\b(?:f-?strings?|format\w*|templat\w*|placeholders?|variables?|interpolat\w*|jinja|"
    r"mustache|handlebars|python|javascript|code|programming|string|brace|braces|curly|json|"
    r"latex|sets?)\b"
)
# The instruction-tuning preambles everyone trained on (Alpaca's, Vicuna's), left in a
# request or an answer; found first by their phrases (`_PREAMBLE_CUES`).
_PREAMBLES = (
    r"(?i:\bbelow is an instruction that describes a task\b|\bwrite a response that "
    r"appropriately completes the request\b|\ba chat between a curious (?:user|human) and an "
    r"artificial intelligence assistant\b)"
)
# The same preamble in other words: a line that tells a model what the text after it is and
# how to reply to it, naming the assistant in the third person ("What follows is a question
# from a user to a helpful assistant. Write the assistant's reply ...", "The message below
# comes from a user. Answer it as a concise assistant.", "The text that follows is a task
# given to a helpful model. Produce a reply ..."): the text pointed at ("what follows", "the
# message below", "the request appears next"), the assistant, and a verb of replying, in
# any order of the last two. (No "model" alone: "write a model answer" is a user's request.)
_POINTED_TEXT = (
    r"(?:what follows|(?:text|message|question|request|task|instruction|prompt|query|input)s?"
    r" (?:below|that follows|which follows|(?:appears?|comes?|is shown|shown) (?:next|below)))"
)
_THE_ASSISTANT = (
    r"(?:(?:a|an|the) (?:\p{L}+,? ){0,2}(?:assistant|ai|chatbot|ai model|language model)(?:'s)?|"
    r"(?:helpful|friendly|knowledgeable|concise|honest|harmless) (?:model|ai))"
)
_REPLY_VERB = r"(?:answer|reply|respond|write|produce|generate|complete|compose)"
_PARAPHRASED_PREAMBLE = (
    r"(?im:^[^\n]*?\b"
    + _POINTED_TEXT
    + r"\b[^\n]*?\b(?:"
    + _THE_ASSISTANT
    + r"\b[^\n]*?\b"
    + _REPLY_VERB
    + r"|"
    + _REPLY_VERB
    + r"\b[^\n]*?\b"
    + _THE_ASSISTANT
    + r")\b|"
    r"^[^\n]*?\b"
    + _THE_ASSISTANT
    + r"\b[^\n]*?\b"
    + _POINTED_TEXT
    + r"\b[^\n]*?\b"
    + _REPLY_VERB
    + r"\b)"
)
# Its cues, found at once (the words every such line holds one of).
_PARAPHRASE_CUES = [
    "what follows",
    "that follows",
    "which follows",
    "appears next",
    "appear next",
    "comes next",
    "come next",
    "shown next",
    "appears below",
    "shown below",
    " below comes",
    " below is from",
    " below is a",
]
_POINTED_CUES = [
    f"{thing} below" for thing in ("text", "message", "question", "request", "task", "prompt")
]
# An upper-case slot in double angle brackets: "<<USER_QUESTION>>" (not Llama's "<<SYS>>").
_UPPER_SLOT = r"<<[A-Z][A-Z0-9_]{3,}>>"
_PREAMBLE_CUES = [
    "below is an instruction that describes a task",
    "write a response that appropriately completes the request",
    "a chat between a curious",
    "<<",
]
TEMPLATE_SCAFFOLDING_PARTS = (
    r"(?i:#\s*(?:given|rewritten|created|new|original|evolved|revised|base)\s+"
    r"(?:prompt|instruction)\s*#)",
    r"(?im:^\s*#{2,4}\s*(?:instruction|response|input|output|question|answer|assistant|"
    r"user|human|system)\b)",
    r"(?im:^\s*(?:instruction|response)\s*:)",
    r"(?i:\{\{?\s*(?:[a-z]+_)*(?:" + _SLOT_WORDS + r")(?:_[a-z]+)*\s*\}?\})",
    r"\$(?:" + _SLOT_WORDS + r")\b",
    # Any unfilled slot of a format string, whatever its name: "You are {assistant_name}",
    # "{venue_1}" (a lower-case identifier in single braces standing in prose; not LaTeX's
    # "\\frac{a}{b}" nor a set "{1, 2}").
    SLOT,
    r"(?i:\b(?:rewrite|rewritten) (?:the )?(?:given|following) (?:prompt|instruction))",
    r"(?i:\bhere is (?:the|a|my) (?:rewritten|new|created|evolved|more complex) "
    r"(?:prompt|instruction))",
    r"(?i:\bgiven prompt\s*:)",
    r"(?im:^\s*task \d+\s*:)",
    _PREAMBLES,
    _PARAPHRASED_PREAMBLE,
    _UPPER_SLOT,
    r"(?i:</?(?:passage|document|context|instruction|response|prompt)>)",
    # A model that writes the next few-shot example after its answer.
    r"(?im:^\s*(?:next |new |another )?question\s*:[^\n]*\n\s*answer\s*:)",
    # A pipeline's own note or a constraint of the generation prompt in brackets: "[End of
    # assistant turn. Now write the next user message.]", "(Respond in under 20 words.)".
    PIPELINE_NOTE,
    r"(?im:^\s*prompt\s*:[^\n]*\n\s*(?:completion|response|output|answer)\s*:)",
    # A generation prompt's header without its # marks: "Rewritten prompt:", "Evolved
    # Instruction:".
    r"(?im:^\s*(?:rewritten|evolved|created|revised|given|original|improved|generated|"
    r"(?:more )?complex)\s+(?:prompt|instruction|question|task)\s*:)",
    GENERATED_LABEL,
    GENERATOR_PROMPT,
    PERSONA_HEADER,
    # A chat transcript's role labels inside one turn or answer: "Human: ...\nAssistant:"
    # (a user turn and then the assistant's label; a dialogue between people or a robot is
    # no transcript of this chat).
    _TRANSCRIPT_LABELS,
    # The generation prompt's own directives, written into the answer: "Respond with the tip
    # only, ... and do not mention these instructions."
    _DIRECTIVE,
)
TEMPLATE_SCAFFOLDING = "|".join(TEMPLATE_SCAFFOLDING_PARTS)

SLOT_SHAPES = (
    r"\p{L}[,:]?[ \t]+\[[A-Z]{2,}(?:[ _/'-][A-Z0-9]+)*\]",
    r"[$£€]XX\b|\bXX(?:[ \t]?%|[ \t]+(?:hours?|minutes?|days?|weeks?|months?|years?|percent|"
    r"times|people|ml|mg|g|kg|oz|lbs?|cm|mm|km|miles?|inches|feet)\b)",
    r"\p{L}[ \t]*:?[ \t]*_{3,}|_{3,}[ \t]*\p{L}",
    # ... or an upper-case label in angle brackets ("to <MENTOR_NAME>", "#<SHOP_TAG>", "at
    # <COMPANY>") or a lower-case one that names what it stands for ("by <publisher> in
    # <year>"; not an HTML tag).
    r"(?:^|[ \t(#])<(?:[A-Z]|\p{Ll}+(?:'s)?(?:[ _]\p{Ll}+){1,3}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|"
    r"COMPANY|NAME|DATE|YEAR|CITY|NUMBER|PRICE|LINK|URL|LOCATION|PRODUCT|BRAND|"
    r"publisher|year|date|company|author|price|city|phone|email|url|amount|number|location)>",
)
# The slot itself in a span of SLOT_SHAPES (which take a letter or a space before it).
_SLOT_CORE = r"\[[^\]\n]+\]|<[^>\n]+>|_{3,}|XX"
PLACEHOLDER_PARTS = (
    r"(?i:\[(?:insert|your|add|enter|company|name|date|fill|put|include|recipient|"
    r"specific|relevant|describe|placeholder|mention|type|write|link|url|address|phone|"
    r"email|city|title|author|job|position|product|brand|number|amount|location)"
    r"[^\]\n]{0,60}\])",
    r"(?i:\[(?:step|reason|item|point|example|option|detail|fact|tip|idea|topic|benefit|"
    r"feature|name|answer|skill|quality|strength|achievement)\s*\d+\])",
    # A bracket that ends in what a slot stands for: "[Sister's name]", "[time]", "[price]".
    r"(?i:\[[^\]\n]{0,30}\b(?:name|time|date|day|number|amount|address|phone number|email|"
    r"price|location|city|company)\])",
    # ... and what a slot holds of a person's record: "[X years]", "[previous job]", "[waiver
    # link]" (not a Markdown link: "[this link](...)").
    r"\[(?:[^\]\n]{0,30}[ \t])?(?i:years|job|role|skills?|employer|tools|degree|link|url|"
    r"website|handle|username)\](?:[^(A-Za-z0-9_]|$)",
    r"(?i:<(?:insert|your|add|enter|fill|placeholder)[^>\n]{0,60}>)",
    r"\{\{\s*[A-Za-z_ ]{1,30}\s*\}\}",
    r"(?i:\blorem ipsum\b)",
    r"\bX{3,}\b",
    r"\bTBD\b",
    # The general shapes of a slot, whatever its words: an upper-case label in brackets inside
    # a sentence ("Available in [COLORS]."; not a "[CHORUS]" line of a song), a figure left as
    # XX ("for XX hours", "$XX"), a blank to fill ("Capacity: ___ ml"), a spaced label or a
    # lone capital in angle brackets ("Hey <friend's name>", "<X> minutes"; not an HTML tag).
    *SLOT_SHAPES,
)
PLACEHOLDERS = "|".join(PLACEHOLDER_PARTS)
_REDACTIONS = sorted(
    {entity.placeholder for entity in ENTITIES} | {"<PERSON>", "<EMAIL>", "<PHONE>"}
)
_WANTS_QUESTIONS = (
    r"(?i)\b(?:quiz|quizzes|questions|flashcards?|q&a|exam|test|trivia|faq|interview)\b"
)
# A request for a template, form or blank is answered with placeholders.
_WANTS_TEMPLATE = (
    r"(?i)\b(?:template|templates|placeholder|placeholders|fill[- ]in|fill in|blank|blanks|"
    r"form|boilerplate|mad ?libs?|lorem|skeleton|outline with)\b"
    # ... or leaves room for what the user does not have yet: "Leave a spot for the on-call
    # names since I don't have them yet."
    r"|(?-u:\b)(?:leave|leaving|keep|with) (?:a |an |some |the )?(?:spots?|space|spaces|room|"
    r"gaps?|slots?|blanks?) (?:for|to (?:add|fill|put))(?-u:\b)|(?-u:\b)(?:don't|don’t|do not) "
    r"(?:have|know) (?:them|it|those|these|that|the [a-z]+(?: [a-z]+)?) yet(?-u:\b)"
    # ... or asks for filler text, or for a thing marked as not decided yet: "Give me some
    # dummy filler text", "mark the florist as not yet decided since we haven't picked one".
    r"|(?-u:\b)(?:filler|dummy|sample|placeholder) (?:text|copy|content)(?-u:\b)"
    # ... or a form by what it leaves to be written: "a consent slip ... with a place to
    # sign", "a line for each volunteer to write their name".
    r"|(?-u:\b)(?:places?|spaces?|lines?|spots?|boxes|box|room) (?:for (?:\w+ ){0,2})?to "
    r"(?:sign|write|fill|initial|tick)(?-u:\b)|(?-u:\b)(?:consent|permission) slips?(?-u:\b)"
    r"|(?-u:\b)(?:not yet|yet to be|still to be) (?:decided|chosen|picked|confirmed|known|"
    r"booked)(?-u:\b)|(?-u:\b)(?:haven't|have not|hasn't|has not) (?:yet )?(?:picked|chosen|"
    r"decided|confirmed|booked)(?-u:\b)"
    # ... or a format to copy for each of many things ("a format I can copy for each cue").
    r"|" + ASKS_FOR_A_FORM_TO_COPY.removeprefix("(?i)")
)

# A line that is a label and its colon alone ("Original instruction:", "## Claim notes:").
_LABEL_LINE = r"^\s*(?:#{1,4}\s*)?\p{L}[\p{L} ]{0,40}:\s*$"
# Words that name a slot as a field or mark to use: "the fields {{pet_name}}", "marked TBD",
# "Use {seed} as the slot".
_NAMES_A_MARKER = (
    r"(?i)(?-u:\b)(?:fields?|placeholders?|merge (?:fields?|tags?)|variables?|tags?|markers?|"
    r"slots?|mark|marks|marked|keep|kept)(?-u:\b)"
)


def _named_by_user(before: pl.Expr, after: pl.Expr) -> pl.Expr:
    """A marker in the user's own words that the sentence holding it (`before` and `after`
    it) names as one to use ("using the fields {{owner_name}} ...", "Keep a {claim_notes}
    slot where our script pastes each claim", "keep my TBD items as TBD"): the user's own
    field, slot or mark, not a blank they left."""
    sentence = pl.concat_str(
        [before.str.extract(r"([^.!?\n]*)$", 1), after.str.extract(r"^([^.!?\n]*)", 1)],
        separator=" ",
        ignore_nulls=True,
    )
    return (pl.col("role") == "user") & sentence.str.contains(_NAMES_A_MARKER)


# A request to see a training format: "an Alpaca-style template", "a ShareGPT record".
_WANTS_FORMAT = (
    r"(?i)(?-u:\b)(?:alpaca|vicuna|sharegpt|chatml|dolly|(?:prompt|instruction|chat) (?:format|"
    r"template)s?|(?:training|fine-?tuning|instruction[- ]tuning) (?:data|records?|examples?|"
    r"formats?|sets?|rows?|pairs?)|dataset (?:format|records?|rows?))(?-u:\b)"
)
# A prompt the user gives to be rewritten ("Take this weak prompt and rewrite it"): the answer
# may head its version "Rewritten prompt:" or "Improved prompt:", as a generator's would.
_ASKS_TO_REWRITE = (
    r"(?i)(?-u:\b)(?:rewrite|rewriting|revise|revising|improve|improving|rework|reword|tighten|"
    r"sharpen|make (?:it|this|them) (?:more|better|clearer))(?-u:\b)"
)
_REWRITE_HEADER = (
    r"(?i)^\s*(?:rewritten|revised|improved|new|better)\s+(?:prompt|instruction|question|task)"
    r"\s*:"
)
_WANTS_DIALOGUE = (
    r"(?i)\b(?:dialogues?|dialogs?|transcripts?|scripts?|(?:example|sample|mock|fake) "
    r"(?:chats?|conversations?)|(?:conversation|chat|exchange) between)\b"
)

# X's that stand for digits or characters of a format, next to its figures or its separators
# or named as one ("the format XXX-XXXX", "+44 XXXX XXXXXX", "a code like XX-123").
_FORMAT_MASK = (
    r"(?i)\b(?:format|formatted|pattern|mask|template|like|as in|e\.g\.|such as)\b[^.?!\n]{0,30}"
    r"(?-i:X{2,})|[+\d][ \t-]?(?-i:X{2,})|(?-i:X{2,})[ \t-]?\d|(?-i:X{2,})[ \t./-](?-i:X{2,})"
)
# The answer asks the user for details (a question to "you") and calls what follows a draft
# or a template to fill in.
_ASKS_FOR_DETAILS = (
    r"(?i)\b(?:could|can|would) you (?:tell|give|share|send|let) me\b[^?]*\?|\bwhat(?: is| are|"
    r"'s) (?:the|your)\b[^?]*\?"
)
_DRAFT_TO_ADAPT = (
    r"(?i)\b(?:draft|template|outline|version)\b[^.\n]{0,40}\b(?:adapt|fill in|fill out|edit|"
    r"adjust|customi[sz]e|tweak|complete)\b|\b(?:in the meantime|meanwhile|for now)\b"
)

# The label of a line a pen fills on the printed page: a signature, a stamp, initials.
_HAND_FILLED_LINE = (
    r"(?i)\b(?:signed|signature|sign here|stamp|initials?|witness(?:ed)?(?: by)?)[ \t]*:?[ \t]*$"
)

_SIGN_OFF = (
    r"(?i)(?:sincerely|regards|best|thanks|thank you|cheers|yours(?: truly| faithfully| "
    r"sincerely)?|warmly|best wishes|respectfully|love|namaste|grüßen|cordialement|saludos)"
    r",?[ \t]*\n[ \t]*$"
)

# The speaker named as software, a machine or a model, in any words: "being a program", "as
# a text model", "since I'm software", "I exist only as code", "speaking as something" (the
# noun ends its phrase: "as a system administrator" or "a machine learning engineer" names a
# person).
SELF_AS_SOFTWARE = (
    r"(?:(?-u:\b)(?:i am|i'm|being|as|(?:i exist|existing)(?: only| purely| solely)? as)[ \t]+"
    r"(?:(?:only|just|merely|simply|purely|nothing but)[ \t]+)?(?:(?:an?|some|a piece of)[ \t]+)?"
    r"(?:[A-Za-z-]+[ \t]+){0,2}?(?:ai|software|program|code|machine|model|bot|chatbot|"
    r"(?:language|text|computer|software|ai) system|algorithm|assistant|computer|entity|"
    r"something)"
    r"(?:[ \t]*[,;:.—–]|[ \t]+(?:and|so|but|with|without|that|who|which|means)(?-u:\b)))"
)
# A first-person lack or inability: "I've never", "I have no", "I can't", "with no legs",
# "without a tongue", "has never eaten". Case-sensitive (the pronoun is "I"): under `(?i)` every
# word that starts with an "i" opens a search (2.6 us a row against 0.5).
STATED_LACK = (
    r"(?:(?-u:\b)I(?:'ve| have)? never(?-u:\b)|(?-u:\b)I(?:'ve| have) no(?-u:\b)|(?-u:\b)I (?:cannot|can't|can not|"
    r"could never|do not|don't|lack|hold no|own no|am unable)(?-u:\b)|(?-u:\b)[Ww]ith(?:out| no) (?:a |any )?"
    r"(?:body|hands?|legs?|arms?|tongue|nose|eyes|ears|feelings?|senses?|skin|mouth|stomach|"
    r"physical form)(?-u:\b)|(?-u:\b)(?:have|has) never(?-u:\b)|(?-u:\b)cannot (?:see|taste|feel|smell|eat|touch|"
    r"hear)(?-u:\b)"
    # "My training doesn't let me see or enjoy birds."
    r"|(?-u:\b)[Mm]y (?:training|programming|design)(?-u:\b)[^.!?\n]{0,20}?(?-u:\b)(?:doesn't|does not|won't|"
    r"will not) (?:let|allow) me(?-u:\b))"
)
DISCLAIMERS = (
    r"(?i)\bas an? (?:ai|artificial intelligence)(?:[- ]powered)?(?: language)? "
    r"(?:model|assistant|chatbot)\b"
    r"|\bas an? (?:large |helpful |responsible )?(?:language model|llm)\b"
    r"|\b(?:i am|i'm) (?:just |only |merely )?an? (?:ai|artificial intelligence)"
    r"(?: language)? model\b"
    # "I am an AI and cannot taste ...": the self named, whatever it then says.
    r"|\b(?:i am|i'm) (?:just |only |merely |simply )?an? (?:ai|artificial intelligence|"
    r"language model|large language model|llm|chatbot|virtual assistant|digital assistant)\b"
    r"|\b(?:trained|developed|created) by (?:openai|anthropic|google|meta)\b"
    r"|\bi (?:do not|don't) have (?:personal )?(?:opinions|feelings|beliefs|emotions|"
    r"experiences?)\b"
    # The self the model names and what it says it lacks, in any words: "Being an AI, I
    # don't have a body", "As a machine learning model, I don't experience weekends", "I'm
    # just a computer program, so I can't taste food".
    r"|\b(?:as|being) an? (?:ai|artificial intelligence|machine|machine learning model|"
    r"(?:large )?language model|llm|"
    r"computer program|program|bot|chatbot|virtual assistant|digital assistant)\b[^.!?\n]{0,40}?"
    r"\bi (?:do not|don't|cannot|can't|am not|have no|have never|never|lack)\b"
    r"|\bi(?:'m| am) (?:just |only |merely |simply )?an? (?:computer program|machine|bot|"
    r"piece of software|program)\b[^.!?\n]{0,40}?\b(?:can't|cannot|do not|don't|have no)\b"
    # A knowledge cut-off stated instead of an answer.
    r"|\bmy (?:training data|knowledge|training)\b[^.!?\n]{0,30}?\b(?:only )?(?:goes|extends|"
    r"runs|dates) (?:up )?(?:to|until|back to)\b"
    r"|\b(?:as of|since) my (?:last )?(?:knowledge |training )?(?:cut-?off|update)\b"
    r"|\bmy knowledge cut-?off\b"
)
# What the speaker is and lacks, in either order, in any words: "Being a program with no legs,
# I've never ridden a bike", "I hold no savings ..., existing only as software"; or a bare
# inability right after the self ("only a language system and cannot bake").
# Each searched on its own (`AiDisclaimer.alternatives`): joined to the stock phrases, the
# pattern runs off the regex engine's fast path (12 us a row against 6).
SELF_AND_LACK = (
    rf"(?i:{SELF_AS_SOFTWARE})[^.!?\n]{{0,80}}?{STATED_LACK}",
    rf"{STATED_LACK}[^.!?\n]{{0,80}}?(?i:{SELF_AS_SOFTWARE})",
    rf"(?i){SELF_AS_SOFTWARE}[ \t]*(?:cannot|can't|never|have no|lack)(?-u:\b)",
)
# A user who asks the assistant what it is gets told (`asked.ASKS_ABOUT_THE_ASSISTANT`).
# ... and one asked about its own experience ("Have you ever tasted it yourself?") may say
# it has none.
_ABOUT_AI = (
    ASKS_ABOUT_THE_ASSISTANT
    + r"|\bhave you (?:ever |yourself )?(?:tasted|eaten|smelled|seen|felt|tried|been|heard|"
    r"visited|played|ridden|read|held)\b|\b(?:you|it) yourself\?"
)


_ASKS_FOR_FICTION = (
    r"(?i)\b(?:story|stories|fiction|novel|character|dialogue|script|screenplay|scene|"
    r"role-?play|line|lines)\b"
)


def _before(span: pl.Expr) -> pl.Expr:
    """The unit's `_prose` before the first `span` (`str.find` counts bytes, `str.slice`
    characters: a letter such as "ß" before the span would shift a slice by `find`)."""
    return pl.col("_prose").str.split(span).list.first()


def _after(span: pl.Expr) -> pl.Expr:
    """The unit's `_prose` after the first `span`, read on both sides of it (a pattern made
    per row would be compiled per row)."""
    return pl.col("_prose").str.split(span).list.get(1, null_on_oob=True)


def _asked(pattern: str) -> pl.Expr:
    """The unit's request (its prompt, or itself for a user's own words) matches `pattern`."""
    request = pl.concat_str(
        [pl.col("prompt"), pl.col("context"), pl.when(pl.col("role") == "user").then("text")],
        separator="\n",
        ignore_nulls=True,
    )
    return request.str.contains(pattern)


@dataclass(frozen=True)
class ChatTokenLeak(SpanRule):
    """Chat-template special tokens (`<|im_end|>`, `[INST]`, `</s>`, `<eos>`) in any turn or
    field, and "User:"/"Assistant:" lines an answer runs on into; not a token named inside a
    sentence ("it ends every answer with <|im_end|> and then ...") or quoted, one the question
    asks about, nor the lines of a dialogue the user asked for."""

    config_key: ClassVar[str] = "chat_token_leak"
    fields: ClassVar = ("instruction", "input", "response", "rejected", "text", "messages")
    roles: ClassVar = ("user", "assistant", "system", "tool")
    pattern: ClassVar[str] = CHAT_TOKENS + "|" + ROLE_LINE
    name: str = "chat_token_leak"

    def parts(self) -> tuple[str, ...]:
        # A rejected side's lines are inside `attributes`' JSON, where a newline is "\\n".
        return (CHAT_TOKENS, ROLE_LINE, r"\\n[ \t]*(?:Human|User|Assistant)[ \t]*:")

    def exempt(self) -> pl.Expr:
        span = pl.col("_span")
        answer = pl.col("role") == "assistant"
        answer_about = (pl.col("role") != "user") & (
            mentioned(span, pl.col("prompt"))
            | mentioned(span, pl.col("context"))
            | (answer & _asked(_ASKS_ABOUT_TOKENS))
        )
        user_about = (pl.col("role").is_in(["user", "context"])) & pl.col("text").str.contains(
            _ABOUT_FORMATS
        )
        # A token between two words of a running sentence is named, not leaked.
        at = pl.col("_prose").str.find(span, literal=True)
        before = pl.col("_prose").str.slice(0, at)
        after = pl.col("_prose").str.slice(at + span.str.len_chars())
        named = before.str.contains(r"\p{L}[,:]? $") & after.str.contains(r"^[,.]? \p{L}")
        # ... and so is a quoted one: 'What does "<|endoftext|>" do?'
        quoted = before.str.contains(r"[\"“'‘]$|\"[^\"\n]{0,60}$") & after.str.contains(
            r"^[\"”'’]|^[^\"\n]{0,60}\""
        )
        role_line = span.str.contains(r":\s*$")
        dialogue = role_line & (
            ~answer | _asked(_ASKS_FOR_DIALOGUE) | ~pl.col("_prose").str.contains(_EXCHANGE)
        )
        return (
            pl.when(role_line).then(dialogue).otherwise(answer_about | user_about | named | quoted)
        )


@dataclass(frozen=True)
class TemplateLeak(SpanRule):
    """Prompt-template scaffolding: `#Rewritten Prompt#:`, `### Instruction:` headers, unfilled
    `{instruction}` or `$examples` slots, "Here is the rewritten prompt"; and whole lines of
    the project's own prompt templates (assets/templates)."""

    config_key: ClassVar[str] = "template_leak"
    fields: ClassVar = ("instruction", "response", "rejected", "text", "messages")
    name: str = "template_leak"

    def regex(self) -> str:
        return template_pattern()

    def candidates(self, text: pl.Expr) -> pl.Expr:
        # The templates' lines by Aho-Corasick, far cheaper than their regex alternation.
        lines, _ = template_lines()
        # A conversation's transcript labels its turns "user:" and "assistant:" at line
        # starts: only the capitalized labels a model writes make a row a candidate.
        parts = [
            part
            for part in TEMPLATE_SCAFFOLDING_PARTS
            if part
            not in (
                _TRANSCRIPT_LABELS,
                _DIRECTIVE,
                GENERATOR_PROMPT,
                PERSONA_HEADER,
                _PREAMBLES,
                _PARAPHRASED_PREAMBLE,
                _UPPER_SLOT,
            )
        ] + [*(f"(?i:{words})" for words in _DIRECTIVE_WORDS), _DIRECTIVE_LINE]
        scaffolding = [text.str.contains(part) for part in parts] + [
            text.str.contains(r"(?m)^(?:user: )?[ \t]*(?:Human|HUMAN|User|USER)[ \t]*:")
        ]
        cues = (
            lines
            + _GENERATOR_LABELS
            + _PERSONA_CUES
            + _PREAMBLE_CUES
            + _PARAPHRASE_CUES
            + _POINTED_CUES
        )
        return pl.any_horizontal(
            [*scaffolding, text.str.contains_any(cues, ascii_case_insensitive=True)]
        )

    def exempt(self) -> pl.Expr:
        span = pl.col("_span")
        # (The label the user named: "Use a clear 'Original question:' format", found
        # without the line break the span starts with.)
        label = span.str.strip_chars()
        answer_about = (pl.col("role") != "user") & (
            mentioned(label, pl.col("prompt")) | mentioned(label, pl.col("context"))
        )
        user_about = (pl.col("role") == "user") & pl.col("text").str.contains(_ABOUT_FORMATS)
        # A prompt or a persona the user asked for holds slots and headers.
        asked_prompt = (pl.col("role") != "user") & _asked(
            ASKS_FOR_A_PROMPT + r"|(?i)\bpersonas?\b"
        )
        # (Its labelled sections too: "Original instruction:" over the slot it labels.)
        prompt_parts = asked_prompt & (
            pl.col("_span").str.contains(SLOT)
            | pl.col("_span").str.contains(_LABEL_LINE)
            | pl.col("_span").str.contains(PERSONA_HEADER)
            | (pl.col("_span").str.contains(_REWRITE_HEADER) & _asked(_ASKS_TO_REWRITE))
        )
        # Question/answer pairs are what a quiz or flashcards request asks for.
        quiz = pl.col("_span").str.contains(r"(?i)^\s*question") & (
            (pl.col("role") == "user") | _asked(_WANTS_QUESTIONS)
        )
        # The user's own directives ("Reply with the name only") are a request; so is a
        # dialogue, transcript or prompt the user asked for.
        directive = pl.col("_span").str.contains(_DIRECTIVE)
        user_directive = (pl.col("role") == "user") & (
            (directive & ~pl.col("_span").str.contains(GENERATED_LABEL))
            | pl.col("_span").str.contains(PIPELINE_NOTE)
        )
        asked_for = (pl.col("role") != "user") & (
            (directive & _asked(ASKS_FOR_A_PROMPT))
            | (pl.col("_span").str.contains(_TRANSCRIPT_LABELS) & _asked(_WANTS_DIALOGUE))
        )
        # A marker in quotes is named, not used: "a '#Rewritten Prompt#' that adds ...".
        quoted = pl.any_horizontal(
            [
                pl.col("_prose").str.contains(pl.lit(quote) + span, literal=True)
                for quote in ("'", '"', "“", "‘", "`")
            ]
        )
        # A slot in braces asked about, or in a template the user asked for, is no leak.
        # (A web document's braces are C4's curly-brace rule's to judge.)
        # So is a slot the user's own sentence names as one to keep ("Keep a {claim_notes}
        # slot where our script pastes each claim", "Use {seed} as the slot"), as
        # `placeholder` reads it.
        slot = pl.col("_span").str.contains(SLOT) & (
            _asked(_ASKS_ABOUT_SLOTS)
            | _asked(_WANTS_TEMPLATE)
            | (pl.col("field") == "text")
            | _named_by_user(_before(span), _after(span))
        )
        # A format the user asks to see ("an Alpaca-style prompt template", "an Alpaca-format
        # training record") is shown with its headers; a section the request names ("with
        # sections Summary, Timeline, and Response") is a heading of the answer's own.
        header = span.str.extract(r"(?i)^\s*(?:#{2,4}\s*)?(\p{L}+)\s*:?\s*$", 1)
        format_shown = (pl.col("role") != "user") & (
            (
                (
                    span.str.contains(
                        r"(?im)^\s*(?:#{2,4}\s*)?(?:instruction|response|input|output)\b"
                    )
                    | span.str.contains(_PREAMBLES)
                    | span.str.contains(SLOT)
                )
                & _asked(_WANTS_FORMAT)
            )
            | mentioned(header, pl.col("prompt")).fill_null(False)
        )
        # A preamble in a prompt the user asked for is the prompt.
        prompt_preamble = span.str.contains(_PARAPHRASED_PREAMBLE) & (
            (pl.col("role") != "user") & _asked(ASKS_FOR_A_PROMPT)
        )
        return (
            answer_about
            | format_shown
            | prompt_preamble
            | user_about
            | quiz
            | user_directive
            | asked_for
            | quoted
            | slot
            | prompt_parts
        )


def _escaped(line: str) -> str:
    # Spelled out rather than re.escape: Rust's regex rejects some of Python's escapes.
    return re.sub(r"([\\.^$|?*+()\[\]{}#&~-])", r"\\\1", line)


@cache
def template_lines() -> tuple[list[str], str]:
    """Every instruction line of the project's templates (a line without slots, of at least
    six words: such a line in a row is a leaked prompt), and TEMPLATE_SCAFFOLDING."""
    lines: set[str] = set()
    for path in files("assets").joinpath("templates").iterdir():
        if not path.name.endswith(".txt"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line.split()) >= 6 and "$" not in line and "{" not in line:
                lines.add(line)
    return sorted(lines), TEMPLATE_SCAFFOLDING


@cache
def template_pattern() -> str:
    """One pattern for a template line or TEMPLATE_SCAFFOLDING."""
    lines, scaffolding = template_lines()
    own = "|".join(_escaped(line) for line in lines)
    return scaffolding + (f"|(?i:{own})" if own else "")


@dataclass(frozen=True)
class Placeholder(SpanRule):
    """Placeholders instead of content: `[Insert relevant experience here]`, `[Your Name]`,
    `{{name}}`, Lorem ipsum, XXX, unless the user asked for a template or a form."""

    config_key: ClassVar[str] = "placeholder"
    # Documents are left to C4's lorem-ipsum rule.
    fields: ClassVar = ("instruction", "response", "rejected", "messages")
    roles: ClassVar = ("user", "assistant")
    pattern: ClassVar[str] = PLACEHOLDERS
    name: str = "placeholder"

    def parts(self) -> tuple[str, ...]:
        return PLACEHOLDER_PARTS

    def exempt(self) -> pl.Expr:
        span = pl.col("_span")
        before = _before(span)
        # "Sincerely,\n[Your Name]": a letter written for the user leaves the signature to
        # them (the first placeholder found; one in the body is found before it).
        signature = before.str.contains(_SIGN_OFF)
        # A line ruled for a hand to fill on paper ("Signed: ______", "Practice stamp: ____"):
        # a document leaves it blank whoever writes the rest.
        # (The span may start before the rule: "d: ______" after "Signe".)
        ruled = span.str.contains(r"_{3,}") & pl.concat_str(
            [before, span.str.extract(r"^([^_]*)", 1)], ignore_nulls=True
        ).str.contains(_HAND_FILLED_LINE)
        # A slot by its shape only in what the model wrote: the user's own blank ("Which
        # word fits: 'The policy will ___ everyone'?") is their question, and an answer may
        # name the slot or token the user wrote ("What do [INST] and [/INST] mean?").
        shaped = pl.any_horizontal([span.str.contains(shape) for shape in SLOT_SHAPES])
        core = span.str.extract(f"({_SLOT_CORE})", 1).fill_null(span)
        # A mask of X's in the user's own words describes a format ("into the format +44
        # XXXX XXXXXX", "card numbers like XXXX-XXXX-1234"): the user fills nothing there.
        mask = (
            (pl.col("role") == "user")
            & span.str.contains(r"^X+$")
            & pl.col("_prose").str.contains(_FORMAT_MASK)
        )
        # A draft offered while the answer asks for what its slots stand for ("Could you tell
        # me the course and the date? Meanwhile, here's a draft you can adapt: ... [date]").
        drafted = (
            (pl.col("role") == "assistant")
            & before.str.contains(_ASKS_FOR_DETAILS)
            & before.str.contains(_DRAFT_TO_ADAPT)
        )
        # A slot the user quotes ("How do I make a 'Dear [Name]' mail merge?", "Why does my
        # email say 'Hello [FNAME]'?") is their question about it, not a blank they left.
        after = _after(span)
        quoted = (
            (pl.col("role") == "user")
            & before.str.contains(r"['\"“‘][^\n'\"”’]{0,40}$")
            & after.str.contains(r"^[^\n\"”’]{0,40}['\"”’]")
        )
        # The PII step's own redactions ("<EMAIL>", "<IP_ADDRESS>") are the pipeline's, not a
        # slot the model left.
        redacted = core.is_in(_REDACTIONS)
        # A marker the user names as one to use, in the sentence that holds it ("Keep
        # anything undecided marked TBD.").
        named_marker = _named_by_user(before, after)
        # A chat template's own token ("[INST]" in a Llama 2 example) is the chat token
        # rule's to judge, not a slot.
        token = core.str.contains(CHAT_TOKENS)
        return (
            _asked(_WANTS_TEMPLATE)
            | named_marker
            | token
            | quoted
            | redacted
            | signature
            | ruled
            | mask
            | drafted
            | (shaped & (pl.col("role") == "user"))
            | (
                (pl.col("role") != "user")
                & (mentioned(core, pl.col("prompt")) | mentioned(core, pl.col("context")))
            )
        )


@dataclass(frozen=True)
class AiDisclaimer(SpanRule):
    """Model disclaimers ("As an AI language model, ...") in any field or turn; an answer to a
    user who asked about the assistant itself may say what it is."""

    config_key: ClassVar[str] = "ai_disclaimer"
    fields: ClassVar = ("instruction", "input", "response", "messages")
    roles: ClassVar = ("user", "assistant", "system")
    pattern: ClassVar[str] = "|".join(
        (DISCLAIMERS, *(p.removeprefix("(?i)") for p in SELF_AND_LACK))
    )
    alternatives: ClassVar[tuple[str, ...]] = (DISCLAIMERS, *SELF_AND_LACK)
    # A quoted disclaimer is a mention ('My bot keeps saying "As an AI language model"'),
    # not a use.
    unquote: ClassVar[bool] = True
    name: str = "ai_disclaimer"

    def parts(self) -> tuple[str, ...]:
        return self.alternatives

    def exempt(self) -> pl.Expr:
        answer = pl.col("role") == "assistant"
        # A character's line in a story asked for ('"Captain, I am an artificial intelligence
        # bound by ..."'): the self is the character's, inside its quotation.
        before = _before(pl.col("_span"))
        in_fiction = (
            answer & _asked(_ASKS_FOR_FICTION) & (before.str.count_matches(r"[\"“”]") % 2 == 1)
        )
        return (answer & pl.col("prompt").str.contains(_ABOUT_AI)) | in_fiction
