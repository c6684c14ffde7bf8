"""The off-topic rule with the packaged all-MiniLM-L6-v2: a fluent answer to another question
is dropped with its cosine in evidence; an on-topic answer in other words, a requested
translation and a summary of the input are kept; embeddings come from the warehouse cache."""

from __future__ import annotations

import json

import pytest

from assets.filters.defects.relevance import OffTopic, RelevanceConfig
from assets.models.context import ModelContext
from assets.run_context import RunContext
from tests.unit.assets.filters.test_defect_rules import conversation, flagged, instruction
from warehouse import Warehouse

pytestmark = pytest.mark.flow

BIKE_LANES = (
    "The city council voted on Tuesday to extend the bike lane network by 14 kilometres over "
    "the next two years, funded by a regional transport grant."
)


def test_off_topic_answers_are_dropped_and_look_alikes_kept(home):
    (rule,) = OffTopic.from_config(
        RelevanceConfig(), RunContext(ModelContext(Warehouse(home), "t"))
    )
    found = flagged(
        rule,
        instruction(
            "What causes the tides on Earth?",
            "The French Revolution began in 1789 with the storming of the Bastille and ended "
            "the absolute monarchy of Louis XVI.",
        ),
        conversation(
            "How do I fix a SQL query that returns duplicate rows?",
            "Autumn leaves drift slowly down, gold and red upon the ground, whispering of "
            "colder days to come.",
        ),
        instruction(
            "When does the last train to Leeds leave?",
            "It departs from platform 4 at 23:45, so aim to be there ten minutes early.",
        ),
        instruction(
            "Write a short email in German to my landlord saying the kitchen tap is leaking.",
            "Sehr geehrter Herr Keller, der Wasserhahn in meiner Küche tropft seit einigen "
            "Tagen. Könnten Sie bitte einen Klempner schicken? Mit freundlichen Grüßen",
        ),
        instruction(
            "Summarize this in one sentence.",
            "The council approved a grant-funded 14 km expansion of the bike lanes over two years.",
            input=BIKE_LANES,
        ),
    )
    assert found[0] is not None and found[0]["cosine"] < found[0]["min_cosine"]
    assert found[1] is not None and found[1]["turn"] == "turn 2 (assistant)"
    assert found[2:] == [None, None, None]
    with Warehouse(home).reader() as con:
        cached = con.sql("SELECT count(*) FROM embedding_cache").fetchall()[0][0]
    assert cached >= 4
    assert json.dumps(found[0])  # evidence is plain JSON
