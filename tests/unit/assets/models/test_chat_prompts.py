"""A prompt is a string or chat messages: a string is sent as one user message and logged as
it is (so its request hash and call-log text never moved); messages go as they are and are
logged as JSON."""

from __future__ import annotations

import json

from assets.models.backends.base import chat_messages, prompt_text


def test_a_string_prompt_is_one_user_message_logged_as_it_is():
    assert chat_messages("Hi") == [{"role": "user", "content": "Hi"}]
    assert prompt_text("Hi") == "Hi"


def test_chat_messages_are_sent_as_they_are_and_logged_as_json():
    chat = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Task: 1 + 1"},
        {"role": "assistant", "content": '{"tool": "calculator"}'},
        {"role": "user", "content": "Task: 2 + 2 — é"},
    ]
    assert chat_messages(chat) == chat
    assert json.loads(prompt_text(chat)) == chat
