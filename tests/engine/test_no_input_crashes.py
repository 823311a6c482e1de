"""No input crashes the engine: a long random walk of what learners really send.

Presses of live, stale and made-up buttons, every command, numbers, emoji, text in other
scripts, a 5,000-character message, template syntax and SQL-looking text, in a seeded
random order on the real pack. Nothing may end in the apology an internal error produces.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.engine import Engine
from bot.messages import ChoicePrompt, QuizQuestionReply, RatingScale
from bot.phrases import phrase
from storage.db import Database
from tests.engine.chat import Chat

ROOT = Path(__file__).resolve().parents[2]
STEPS = 400

TYPED = [
    "start",
    "/start",
    "courses",
    "resume",
    "progress",
    "/progress",
    "help",
    "stop",
    "start",
    "language",
    "language ko",
    "language en",
    "/language xx",
    "ask",
    "ask how do I export my data?",
    "/ask",
    "1",
    "2",
    "3",
    "0",
    "12",
    "1,2",
    "2 3",
    "99",
    "-1",
    "yes",
    "no",
    "Next lesson",
    "skip",
    "Skip",
    "🙂",
    "👍 Helped",
    "안녕하세요",
    "비밀번호를 잊어버렸어요",
    "你好",
    "x" * 5000,
    "{{ 7 * 7 }}",
    "{% for x in range(10) %}x{% endfor %}",
    "'; DROP TABLE learners; --",
    "/dance",
    "/",
    "   ",
    "how do I cancel my subscription?",
    "refund?",
    "what is the meaning of life",
]
MADE_UP_IDS = ["", "0.0", "999.0", "1.999", "abc", "1.", ".1", "1.2.3", "-1.0", "9" * 60]


def _visible_choice_ids(chat: Chat) -> list[str]:
    found: list[str] = []
    for reply in chat.replies:
        if isinstance(reply, ChoicePrompt | RatingScale):
            found.extend(choice.id for choice in reply.choices if not choice.url)
        elif isinstance(reply, QuizQuestionReply):
            found.extend(choice.id for choice in reply.choices)
            if reply.submit:
                found.append(reply.submit.id)
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_walk_never_reaches_an_internal_error(
    database: Database, seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    chat = Chat(Engine(load_content([ROOT / "content"]), database))
    rng = random.Random(seed)
    seen: list[str] = []
    apology = phrase("apology", "en")
    for _ in range(STEPS):
        live = _visible_choice_ids(chat)
        roll = rng.random()
        if live and roll < 0.55:
            seen.extend(live)
            chat.send(choices=(rng.choice(live),))
        elif seen and roll < 0.65:
            chat.send(choices=(rng.choice(seen),))
        elif roll < 0.7:
            chat.send(choices=(rng.choice(MADE_UP_IDS),))
        else:
            chat.say(rng.choice(TYPED))
        texts = [getattr(reply, "text", "") for reply in chat.replies]
        assert apology not in texts, caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
