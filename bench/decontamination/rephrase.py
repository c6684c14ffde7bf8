"""Rule-based, deterministic rephrasings of HumanEval prompts (offline, no model).

Each prompt's last function is parsed (name, arguments, docstring); the docstring prose is
restated with synonym substitution, sentence reordering, renamed function and arguments and
dropped or restated examples, then put in one of several instruction templates (prose request,
task card, or a code stub with a new docstring). This is the kind of rephrasing Yang et al.
(2023) show slips past n-gram decontamination.
"""

from __future__ import annotations

import ast
import random
import re

SYNONYMS: dict[str, list[str]] = {
    "return": ["give back", "output", "produce"],
    "returns": ["gives back", "outputs", "produces"],
    "given": ["provided", "supplied"],
    "list": ["sequence", "array", "collection"],
    "number": ["value", "figure"],
    "numbers": ["values", "figures"],
    "string": ["text", "str value"],
    "strings": ["texts", "str values"],
    "check": ["determine", "test"],
    "whether": ["if"],
    "integer": ["whole number", "int"],
    "integers": ["whole numbers", "ints"],
    "positive": ["greater-than-zero"],
    "find": ["compute", "work out"],
    "element": ["item", "entry"],
    "elements": ["items", "entries"],
    "characters": ["chars", "letters"],
    "character": ["char", "letter"],
    "function": ["routine", "procedure"],
    "write": ["create", "implement"],
    "each": ["every"],
    "count": ["tally", "number"],
    "largest": ["biggest", "greatest"],
    "smallest": ["least", "minimal"],
    "sum": ["total"],
    "input": ["argument"],
    "words": ["terms", "tokens"],
    "word": ["term", "token"],
    "sorted": ["ordered"],
    "sort": ["order"],
    "true": ["True"],
    "false": ["False"],
    "otherwise": ["else", "if not"],
    "you": ["we"],
}
NAME_POOL = ["solve", "compute", "process", "transform", "evaluate", "handle", "calc", "run_task"]
ARG_POOL = ["data", "values", "items", "seq", "text", "value", "k", "limit", "xs", "arg"]
_EXAMPLE_START = re.compile(r"^\s*(>>>|for example|example|examples|e\.g\.|note:)", re.I)


def parse_prompt(prompt: str) -> tuple[str, list[str], str, list[str]]:
    """(function name, argument names, docstring prose, example lines) of the last function."""
    try:
        tree = ast.parse(prompt.rstrip() + "\n    pass\n")
        func = [n for n in tree.body if isinstance(n, ast.FunctionDef)][-1]
        name, args = func.name, [a.arg for a in func.args.args]
        doc = ast.get_docstring(func) or ""
    except (SyntaxError, IndexError):
        match = re.search(r"def (\w+)\(([^)]*)\)", prompt)
        name = match.group(1) if match else "f"
        args = [a.split(":")[0].strip() for a in (match.group(2) if match else "").split(",") if a]
        doc = prompt
    prose: list[str] = []
    examples: list[str] = []
    for line in doc.splitlines():
        if examples or _EXAMPLE_START.match(line):
            examples.append(line.strip())
        else:
            prose.append(line.strip())
    return name, args, " ".join(p for p in prose if p), examples


def _substitute(text: str, rng: random.Random, rate: float) -> str:
    def swap(match: re.Match) -> str:
        word = match.group(0)
        options = SYNONYMS.get(word.lower())
        if not options or rng.random() > rate:
            return word
        choice = rng.choice(options)
        return choice.capitalize() if word[0].isupper() else choice

    # \b treats `_` as a word character, so identifiers such as find_zero stay whole.
    return re.sub(r"\b[A-Za-z]+\b", swap, text)


def _reorder(text: str, rng: random.Random) -> str:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
    if len(sentences) > 1:
        rng.shuffle(sentences)
    return " ".join(sentences)


def _rename(text: str, mapping: dict[str, str]) -> str:
    for old, new in mapping.items():
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    return text


def _example(examples: list[str], name: str, new_name: str) -> str:
    calls = [e.removeprefix(">>>").strip() for e in examples if e.startswith(">>>")]
    if not calls:
        return ""
    index = examples.index(">>> " + calls[0]) if ">>> " + calls[0] in examples else -1
    result = examples[index + 1] if 0 <= index < len(examples) - 1 else ""
    call = calls[0].replace(name, new_name)
    return f"For instance, {call} should evaluate to {result}." if result else ""


def rephrase(prompt: str, index: int, seed: int = 0) -> str:
    """One rephrasing of `prompt`; the template and word choices follow from (`index`, `seed`)."""
    rng = random.Random(f"{seed}:{index}")
    name, args, prose, examples = parse_prompt(prompt)
    new_name = rng.choice(NAME_POOL) + "_" + rng.choice(["fn", "values", "result", "it", "v2"])
    arg_names = rng.sample(ARG_POOL, k=min(len(args), len(ARG_POOL)))
    mapping = dict(zip(args, arg_names, strict=False))
    # The function name is renamed where it is called; in prose it often is the task's noun.
    called = rf"\b{re.escape(name)}\b" if "_" in name else rf"\b{re.escape(name)}(?=\()"
    renamed = re.sub(called, new_name, prose)
    desc = _substitute(_rename(renamed, mapping), rng, rate=0.7).strip() or "Solve the task."
    arglist = ", ".join(arg_names) if arg_names else "no arguments"
    example = _example(examples, name, new_name)
    template = index % 6
    if template == 0:
        return f"Write a Python function `{new_name}({arglist})` that does the following. {desc}"
    if template == 1:
        return (
            f"{_reorder(desc, rng)} Implement this in Python as `{new_name}`; it takes {arglist}."
        )
    if template == 2:
        return f"Task: {_reorder(desc, rng)}\nFunction name: {new_name}\nParameters: {arglist}"
    if template == 3:
        return f'def {new_name}({arglist}):\n    """{desc}\n    """\n'
    if template == 4:
        return f"I need a function named {new_name} taking {arglist}. {desc} {example}".strip()
    return f"Could you code this up in Python? {_reorder(desc, rng)} Call the function {new_name}."
