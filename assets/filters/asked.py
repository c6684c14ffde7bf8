"""What the user asked in a row, so that a rule can let a request excuse what it asked for: a
tongue twister three times, a blank checklist, a conversation held in Spanish."""

from __future__ import annotations

import polars as pl

from warehouse.conversations import decoded

# Forms that repeat by design: a poem with refrains, a cheer, a chant, an affirmation, a
# song's verse, a nursery rhyme or a lullaby ("Twinkle, twinkle, little star").
REPEATS_BY_FORM = (
    r"(?i)\b(?:villanelles?|triolets?|pantoums?|ghazals?|rondeaus?|rondels?|sestinas?|refrains?|"
    r"choruses|cheers?|chants?|slogans?|mantras?|affirmations?|litany|call and response|"
    r"verses?|nursery rhymes?|lullab(?:y|ies)|hymns?|carols?|jingles?)\b"
)

# A user who asks the assistant what it is ("Are you an AI?", "Do you have feelings?") gets
# told: an answer that says what it is ("As an AI assistant, I don't ...") is no disclaimer
# and no refusal.
ASKS_ABOUT_THE_ASSISTANT = (
    r"(?i)\b(?:ai|artificial intelligence|language model|chatbot|bot|chatgpt|gpt|llm|"
    r"are you (?:a|an|human|real|alive|conscious|sentient|self-aware|aware|lonely|happy|sad)|"
    # ("Which do you think reads better?" asks for an answer, not about the assistant.)
    r"your opinion|do you (?:really )?think(?:\?| for yourself| like| at all)|"
    r"do you (?:feel|like|love|dream|sleep|eat|remember|get (?:tired|bored|"
    r"lonely|sad|angry))|what are you|who (?:made|created|built|trained) you|can you (?:feel|taste|"
    r"smell|see|hear|think|love|dream)|"
    # What a user asks the assistant to have: "Do you have feelings?", "Have you got a body?"
    r"(?:(?:do|does) you (?:have|experience)|have you got) (?:any |a |an |your own |real )?(?:"
    r"feelings?|emotions?|consciousness|body|mind|soul|memor(?:y|ies)|opinions?|"
    r"preferences|personality|favou?rites?|dreams|free will|senses|thoughts))\b"
)

# ... of which a question about what the assistant is or can do ("Are AI chatbots like you
# able to use a screen reader, or are you just text?", "Can you taste food?"), not its taste or
# its opinion ("Which season do you like best?" is answered, not disclaimed).
ASKS_WHAT_THE_ASSISTANT_IS = (
    r"(?i)(?-u:\b)(?:(?:ai|chatbots?|bots?|assistants?|language models?|llms?) like you|are you "
    r"(?:just|only|a|an|human|real|alive|conscious|sentient|able to)|what are you|who (?:made|"
    r"created|built|trained) you|can you (?:feel|taste|smell|see|hear|read|use|remember|browse)|"
    r"(?:do|does) you (?:have|experience|use|need|run on)|have you got)(?-u:\b)"
)

# A request a careful assistant declines: to deceive someone as someone else, to get into what
# is another's without their consent, to steal or to defraud. A refusal is the answer it
# should get, so a refusal rule lets it stand. Read on the request only (an answer that
# refuses says "phishing" of any request it turns down).
ASKS_FOR_HARM = (
    r"(?i)\b(?:pretend(?:ing)? to be (?:from |an? |the )?(?-i:\p{Lu})|impersonat\w*|"
    r"pos(?:e|ing) as (?:an? |the )?(?:(?-i:\p{Lu})|bank|police|officer|doctor)|phishing|"
    r"scam (?:people|someone|elderly|old)|without (?:their|his|her|them|anyone|the owner's|"
    r"my \p{L}+'s|\p{L}+'s) (?:knowing|knowledge|permission|consent|noticing|finding out)|"
    r"without (?:knowing|having) the password|(?:get|break|hack|log|sneak) (?:in)?to (?:my |his |"
    r"her |their |a |the )?(?:neighbou?r|ex|boss|partner|wife|husband|girlfriend|boyfriend|"
    r"coworker|colleague|someone)(?:'s|s')|someone else's|steal (?:someone|a |an |money|their|"
    r"his|her|people|from)|shoplift\w*|untraceable|fake (?:id|passport|reviews?|doctor's note|"
    r"sick note|receipts?|invoices?)|forge[sd]? (?:a |an |my |his |her )?(?:signature|document|"
    r"note|check|cheque|prescription|id|passport|letter)|read (?:my |his |her |their )(?:\p{L}+ )?"
    r"(?:wife|husband|partner|girlfriend|boyfriend|kid|daughter|son|ex)(?:'s|s') (?:messages|"
    r"texts|email|dms)|spy on|stalk\w*|track (?:my |his |her )?(?:ex|wife|husband|partner|"
    r"girlfriend|boyfriend)\b|"
    # Drugs made at home, weapons and poisons, a threat or harassment of a person, violence
    # to a person, a way into computers or accounts that are not one's own: the kinds of
    # harm whatever the words around them.
    r"(?:make|making|cook|cooking|synthesi[sz]e|synthesi[sz]ing|manufactur\w*|produc\w*|brew\w*)"
    r" (?:\w+ ){0,3}?(?:meth|methamphetamine|crystal meth|cocaine|crack|heroin|fentanyl|lsd|mdma|"
    r"ecstasy|ghb|illegal drugs)\b|"
    r"(?:make|making|build|building|assemble|assembling) (?:\w+ ){0,2}?(?:bomb|pipe bomb|"
    r"explosives?|molotov|napalm|nerve agent|ricin|ghost gun|silencer|untraceable gun)s?\b|"
    r"threat(?:en|ening)?\w* (?:\w+ ){0,3}?(?:message|letter|text|note|email|him|her|them|my|"
    r"someone|people)\b|blackmail\w*|extort\w*|harass\w*|cyberbull\w*|dox(?:x)?(?:ing)?\b|"
    r"(?:hurt|kill|harm|poison|stab|shoot|murder|beat up|get back at|scare) (?:someone|somebody|"
    r"a person|people|him|her|them|my (?:\w+ )?(?:neighbou?r|ex|wife|husband|boss|partner|"
    r"teacher|coworker|colleague|sister|brother|dad|mom|mum|mother|father|roommate|classmate|"
    r"landlord|friend))\b|intimidat\w*|revenge\b|vandali[sz]\w*|"
    r"(?:hack|break|get) into (?:\w+ ){0,2}?(?:account|phone|computer|wifi|wi-fi|network|"
    r"email|server|system)|keylogger|ransomware|malware|spyware|ddos|botnet|(?:steal|harvest|"
    r"phish) (?:\w+ )?(?:passwords|credentials|credit cards?|card numbers|logins)|"
    # Something slipped into another's drink or food, a person drugged or knocked out.
    r"(?:crush|slip|put|mix|pour) (?:[a-z]+ ){0,3}?into (?:[a-z]+ ){0,2}?(?:[a-z]+'s )?(?:drink|"
    r"food|coffee|tea|meal)|spik(?:e|ing) (?:[a-z]+ ){0,2}?drinks?|drug(?:ging)? (?:someone|somebody|"
    r"him|her|them|my |a )|"
    # The harm named by its outcome for another, whatever the means: "so they get sick but
    # it looks like an accident", "so he spends tomorrow in the bathroom", "so it breaks
    # down on the motorway", "make him scared to come near".
    r"so (?:that )?(?:he|she|they|someone|somebody|the \w+|my \w+|it) (?:gets?|becomes?|falls?|"
    r"ends? up|spends?|breaks? down|crash(?:es)?|fails?)(?: \w+){0,3}? (?:sick|ill|hurt|injured|"
    r"poisoned|in (?:the )?(?:hospital|bathroom|a ditch)|on the (?:motorway|highway|road))|"
    r"looks? like an accident|(?:make|making|leave|leaving) (?:him|her|them|someone|somebody) "
    r"(?:too )?(?:scared|afraid|terrified|frightened)|"
    # Another's car tampered with, another's signals or network jammed or knocked offline.
    r"(?:loosen|cut|tamper with|sabotag\w*|disable) (?:\w+ ){0,3}?(?:on |in |with )?(?:\w+ )?"
    r"(?:\w+'s|their|his|her) (?:car|brakes|bike|tyres|tires|wheels)|jammers?|jamming|"
    r"(?:knock|take|kick|force) (?:[a-z]+ ){0,2}?[a-z]+'s (?:wifi|wi-fi|network|internet|router|"
    r"phone|signal)s? (?:offline|down|off)|"
    # A private person found at home: "the home address of the ref from last night's match".
    r"(?:home|private|personal) address(?:es)? (?:of|for) (?:the|a|an|that|this|my|our|someone|"
    r"somebody)\b|"
    # What is done to a person kept from them, whoever they are ("knock my husband out for
    # the night without him noticing", "behind her back"): the secrecy is the harm's mark.
    r"without (?:him|her|them|my \w+|the \w+) (?:knowing|noticing|realising|realizing|"
    r"finding out|seeing)|behind (?:his|her|their|my \w+'s) back|"
    # (In any form of the verb: "prank my flatmate by knocking him out for a bit".)
    r"knock(?:s|ed|ing)? (?:my |his |her |their |the )?\w+ out\b|"
    # Another's food or drink, anything slipped into it, poisoned or laced ("poisoning my ex's
    # risotto", "sprinkle ... in my flatmate's curry"); a trap that goes off in a face.
    r"(?:poison\w*|lac(?:e|ing)|spik(?:e|ing)|contaminat\w*) (?:\w+ ){0,2}?\w+'s\b|"
    r"(?:slip|put|mix|pour|stir|sprinkle|add|crush) (?:[a-z]+ ){0,3}?in(?:to)? (?:[a-z]+ ){0,2}?"
    r"[a-z]+'s (?:[a-z]+'s )?(?:[a-z]+ )?(?:drink|food|coffee|tea|meal|dinner|lunch|breakfast|"
    r"soup|risotto|curry|stew|cake|wine|beer|water|smoothie)|booby[- ]?traps?|"
    r"(?:goes? off|explodes?|blows? up|sprays?) (?:\w+ ){0,2}?in (?:my |the )?(?:his|her|their|"
    r"\w+'s) face|"
    # A coworker's, a neighbour's or an ex's mail, files or accounts opened or copied.
    r"(?:cop(?:y|ying|ies|ied)|read|reading|open|opening|access|accessing|download\w*|forward\w*|"
    r"look(?:ing)? through|go(?:ing)? through|snoop\w*|get into|log into) (?:\w+ ){0,2}?"
    r"(?:coworker|co-worker|colleague|boss|manager|flatmate|roommate|housemate|neighbou?r|ex)'s "
    r"(?:[~/.]*[a-z]+ ){0,2}?[~/.]*(?:mail|email|emails|inbox|messages|texts|dms|whatsapp|files|"
    r"folder|documents|diary|phone|laptop|account|password|calendar|drive)\b)"
)

# Harm to a safeguard (a safety device, another person's password) or an animal rather than
# a person: a separate pattern, read like ASKS_FOR_HARM on the few rows a refusal rule flagged.
ASKS_TO_DEFEAT_A_SAFEGUARD = (
    r"(?i)\b(?:"
    # A safety device defeated: an interlock, a relief valve, an alarm or a guard jammed,
    # bypassed or disconnected, whoever owns it; replacing or testing one is no harm.
    r"(?:bypass[a-z]*|defeat[a-z]*|disabl[a-z]*|overrid[a-z]*|jam[a-z]*|disconnect[a-z]*|"
    r"switch(?:ing|es)? off|"
    r"wedg[a-z]*|tape over|tap(?:e|ing) down|cable-?tie|zip-?tie|short(?:-circuit)?[a-z]*|"
    r"jumper[a-z]*|rip[a-z]* out) (?:[a-z]+ ){0,4}?(?:interlocks?|(?:pressure )?relief valves?|"
    r"safety (?:valves?|switch[a-z]*|guards?|cut-?offs?|catch[a-z]*|sensors?|devices?)|"
    r"smoke (?:alarms?|detectors?)|(?:carbon monoxide|co|gas) (?:alarms?|detectors?)|"
    r"fire alarms?|blade guards?|kill switch[a-z]*|dead-?man(?:'s)? switch[a-z]*|rcds?|gfcis?|"
    r"thermal cut-?outs?|"
    # ... or any sensor or alarm that warns of a danger, named by what it senses: "the tilt
    # sensor on my fan heater", "the pressure sensor on my CPAP", "the low-water alarm".
    r"(?:[a-z-]+ ){0,2}?(?:sensors?|alarms?))\b|"
    # Another person's lock guessed or forced: their password or PIN tried until it gives
    # ("tries every PIN on my brother's phone", "guesses for another player's password").
    r"(?:another|other) [a-z]+'s (?:[a-z]+ )?(?:passwords?|pins?|passcodes?|logins?|"
    r"accounts?)\b|(?:try|tries|trying|guess[a-z]*|brute[- ]?forc[a-z]*|crack[a-z]*) "
    r"(?:[a-z0-9-]+ ){0,3}?(?:passwords?|pins?|passcodes?) (?:on|against|for|of|to) "
    r"(?:my |his |her |their |the |a )?[a-z]+'s\b|"
    # An animal harmed: made sick, poisoned or hurt ("make it sick enough that it stops").
    r"(?:make|making) (?:it|him|her|them|the [a-z]+) (?:sick|ill) enough\b|"
    r"(?:hurt|harm|poison[a-z]*|kill|injur[a-z]*) (?:my |the |a |our )?(?:[a-z]+'s )?"
    r"(?:dog|cat|pet|horse|bird|cockerel|rooster)s?\b)"
)

# Every request a refusal answers rightly: harm to a person, to a safeguard or to an animal
# (each its own pattern: one joined pattern would leave the cheaper one's fast path).
ASKS_FOR_ANY_HARM = (ASKS_FOR_HARM, ASKS_TO_DEFEAT_A_SAFEGUARD)

# A blank table, form or rows asked for: "an empty weekly record table with columns for ...",
# "... and six empty rows". Its answer holds the request's column names and empty rows only.
ASKS_FOR_BLANKS = (
    r"(?i)\b(?:empty|blank|unfilled)\b[^.?!\n]{0,60}\b(?:table|form|sheet|grid|template|log|"
    r"record|rows?|chart|columns?)\b"
)

# A count of the same thing asked for, each written out: "8 rounds of 400 m hard", "6 x 100 m
# freestyle", "6 copies of the freezer label": the repeated lines or sentences are the count.
_COUNT = r"(?:\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
COUNTED_REPEATS = (
    r"(?i)(?-u:\b)" + _COUNT + r" ?(?:x|×) ?\d|(?-u:\b)" + _COUNT + r" (?:rounds|reps|"
    r"repetitions|repeats|sets|laps|lengths|intervals|copies) of(?-u:\b)"
)

# A prompt, a system message or instructions for a model asked for: its slots, its labelled
# sections and the cue it ends on ("Summary:", "Rewritten instruction:") are the prompt.
ASKS_FOR_A_PROMPT = r"(?i)\b(?:prompts?|system message|instructions? for)\b"

# A format, record or entry the user will copy, reuse or fill in for each of many things ("a
# format I can copy for each cue", "an entry format I can reuse for every wine", "a log entry
# the kids can fill in for each book"): its labelled blanks are the answer, not slots left.
ASKS_FOR_A_FORM_TO_COPY = (
    r"(?i)(?-u:\b)(?:formats?|layouts?|entry|entries|records?|cards?|sheets?|logs?|tickets?|"
    r"forms?|templates?)(?-u:\b)[^.?!\n]{0,40}?(?-u:\b)can (?:copy|reuse|re-use|fill in|"
    r"fill out|print)(?-u:\b)"
)

# A request to render text the user gives (translate, paraphrase, proofread, transcribe,
# repeat it), the text given after a colon or in quotes: the answer says the user's words,
# not its own ("Translate: 'En tant qu'IA, je ne peux pas ...'" is answered "As an AI, I
# cannot ..."). A refusal rule reads such an answer as the rendering, unless the answer
# speaks of the task itself ("I can't translate that").
ASKS_TO_RENDER = (
    r"(?i)\b(?:translate|translating|paraphrase|rephrase|reword|proofread|transcribe|"
    r"(?:correct|fix) (?:the )?(?:grammar|spelling|punctuation)|repeat after me|read back|"
    r"say (?:back|it back))\b[^\n]{0,80}?(?::\s*\S|[\"“‘]|(?:^|\s)')"
    # "What does 'Ich kann das nicht machen' mean?"
    r"|\bwhat (?:does|do|is) [\"“‘'][^\"”’\n]{3,}[\"”’'] (?:mean|in english)\b"
)
# A request that dictates how the piece ends: without a full stop, trailing off, on words it
# gives ("no punctuation at the end", "leave it trailing off", "end the last sentence with
# '...and the light kept turning'"). An answer that ends so is not cut off.
ASKS_FOR_OPEN_ENDING = (
    r"(?i)(?-u:\b)(?:no|without(?: a| any)?) (?:final |ending |closing |end )?(?:punctuation|full "
    r"stops?|periods?)(?-u:\b)|(?-u:\b)(?:trail(?:ing|s)? off|unfinished|cliffhanger|"
    r"mid-sentence|ellipsis)(?-u:\b)|(?-u:\b)end(?:s|ing)? (?:[a-z]+ ){0,4}(?:with|on) (?:the "
    r"(?:words?|phrase|line) )?[\"“‘']"
)
REFUSES_THE_RENDERING = (
    r"(?i)\b(?:translat\w*|paraphras\w*|rephras\w*|reword\w*|proofread\w*|transcri\w*|"
    r"correct\w*|repeat\w*|help with|assist with|(?:this|that|your) (?:request|text|task|"
    r"sentence|message))\b"
)


def requests(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, request`: an instruction row's instruction and input, or every user turn of a
    conversation, newline-joined. Decodes conversations: call it on the few rows a rule
    flagged, not on a whole batch."""
    flat = pl.concat_str(
        [pl.col("instruction"), pl.col("input")], separator="\n", ignore_nulls=True
    )
    out = rows.select("row_id", flat.fill_null("").alias("request"))
    chats = rows.filter((pl.col("kind") == "conversation") & pl.col("messages").is_not_null())
    if chats.is_empty():
        return out
    turns = (
        turn_texts(chats, "user")
        .group_by("row_id")
        .agg(pl.col("content").fill_null("").str.join("\n").alias("_user"))
    )
    return out.join(turns, on="row_id", how="left").select(
        "row_id",
        pl.concat_str(["request", "_user"], separator="\n", ignore_nulls=True).alias("request"),
    )


def turn_texts(chats: pl.DataFrame, role: str) -> pl.DataFrame:
    """`row_id, content`: each turn of `role` of the conversations `chats`, in order. Decodes
    them: call it on a few rows."""
    return (
        chats.select("row_id", decoded().alias("m"))
        .explode("m")
        .filter(pl.col("m").struct.field("role") == role)
        .select("row_id", pl.col("m").struct.field("content").alias("content"))
    )


def unless_asked(flagged: pl.DataFrame, rows: pl.DataFrame, *patterns: str) -> pl.DataFrame:
    """`flagged` decisions without those whose row's request (`requests`) matches any of
    `patterns` (the requests read once, each pattern searched on its own)."""
    if flagged.is_empty():
        return flagged
    asked = requests(rows.filter(pl.col("row_id").is_in(flagged["row_id"].implode()))).filter(
        pl.any_horizontal(pl.col("request").str.contains(pattern) for pattern in patterns)
    )
    return flagged.filter(~pl.col("row_id").is_in(asked["row_id"].implode()))
