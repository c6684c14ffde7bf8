"""Gopher, C4 and self-instruct rule sets and language identification: each drops the rows it
should with a decision naming rule set, rule, value and threshold, and keeps good rows."""

from __future__ import annotations

import json

from tests.conftest import materialize
from warehouse import Warehouse

SEEDS = [
    {
        "task_type": "open_qa",
        "instruction": "Why do leaves change colour in autumn?",
        "response": "Chlorophyll breaks down as days shorten, revealing yellow and orange pigments.",
    },
    {
        "task_type": "french",
        "instruction": "Explique pourquoi le ciel est bleu pendant la journée.",
        "response": "La lumière bleue est diffusée davantage par l'atmosphère.",
    },
    {
        "task_type": "german",
        "instruction": "Erkläre bitte, warum der Himmel am Tag blau ist.",
        "response": "Blaues Licht wird in der Atmosphäre stärker gestreut.",
    },
    {
        "task_type": "code",
        "instruction": 'def strlen(string: str) -> int:\n    """ Return length of given string\n    >>> strlen(\'\')\n    0\n    """\n',
        "response": "    return len(string)\n",
    },
    {
        "task_type": "code_only",
        "instruction": "def zaehle_woerter(satz):\n    wörter = satz.split()\n    return len(wörter)\n",
        "response": "It counts the words of a sentence.",
    },
    {
        "task_type": "looping",
        "instruction": "Describe a calm sea in a few sentences.",
        "response": " ".join(f"the sea shines{i}" for i in range(30)),
    },
]


def test_flow_stores_language_columns_and_rule_decisions(home, write_recipe):
    (home / "seeds.jsonl").write_text("\n".join(json.dumps(s) for s in SEEDS) + "\n")
    recipe = write_recipe(
        seed={"sources": [{"path": "home:seeds.jsonl"}]},
        synthesis={"methods": [{"method": "seed_passthrough"}]},
        quality={"min_rows": {"seed": 1, "synthesized": 1, "filtered": 1, "decontaminated": 1}},
    )
    result = materialize(home, recipe, selection="key:seed or key:synthesized or key:filtered")
    assert result.success
    with Warehouse(home).reader() as con:
        kept = dict(con.sql("SELECT task_type, lang FROM filtered").fetchall())
        decisions = dict(
            con.sql(
                "SELECT s.task_type, list(DISTINCT d.rule ORDER BY d.rule) FROM decisions d "
                "JOIN synthesized s USING (row_id) WHERE d.corpus = 'filtered' GROUP BY 1"
            ).fetchall()
        )
    # Code is never judged as a language: a docstring's prose is, bare code is not.
    assert kept == {"open_qa": "en", "code": "en", "code_only": None}
    assert decisions["french"] == ["language.not_allowed"]
    assert decisions["german"] == ["language.not_allowed"]
    assert decisions["looping"] == ["gopher_repetition.top_2gram_char_fraction"]
    languages = result.asset_materializations_for_node("filtered")[0].metadata["languages"].value
    assert languages["en"] >= 2 and languages["fr"] == 1 and languages["de"] == 1


def test_language_gate_rejects_when_the_filter_lets_other_languages_through(home, write_recipe):
    (home / "seeds.jsonl").write_text("\n".join(json.dumps(s) for s in SEEDS) + "\n")
    recipe = write_recipe(
        seed={"sources": [{"path": "home:seeds.jsonl"}]},
        synthesis={"methods": [{"method": "seed_passthrough"}]},
        filters={"language": {"drop": False}},
        quality={"min_rows": {"seed": 1, "synthesized": 1, "filtered": 1, "decontaminated": 1}},
    )
    result = materialize(home, recipe, selection="key:seed or key:synthesized or key:filtered")
    assert not result.success
    check = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "filtered"
    )
    failed = check.metadata["failed_expectations"].value
    assert [(f["gate"], f["column"]) for f in failed] == [("language", "allowed_language_share")]
    assert check.metadata["gate_figures"].value["allowed_language_share"] == 0.5
    with Warehouse(home).reader() as con:
        stored = con.sql("SELECT status FROM corpus_versions WHERE corpus = 'filtered'").fetchall()
        langs = sorted(
            r[0]
            for r in con.sql("SELECT lang FROM corpus_filtered WHERE lang IS NOT NULL").fetchall()
        )
    assert stored == [("rejected",)]
    assert langs == ["de", "en", "en", "fr"]
