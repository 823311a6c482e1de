"""A learner's history made through the real engine: a Slack learner takes the test
course's first lesson, its quiz and its survey, seven seconds a step."""

from __future__ import annotations

from bot.engine import Engine
from bot.messages import Platform, Sender
from tests.engine.chat import Chat, Clock


def slack_chat(engine: Engine, user: str = "U042", first_name: str = "Ann", last_name: str = "Lee") -> Chat:
    chat = Chat(engine, user)
    chat.sender = Sender(Platform.SLACK, user, workspace="T0001", first_name=first_name, last_name=last_name)
    return chat


def take_the_course(chat: Chat, clock: Clock, *, views: tuple[str, ...] = ("Board", "List")) -> None:
    """Seven seconds a step: the first lesson, then the quiz (the views as given) and the survey."""
    for step in (
        "start",
        "Onboarding",
        "Next lesson",
        "In projects",
        *views,
        "Submit answer",
        "True",
        "9",
        "4",
    ):
        clock.advance(seconds=7)
        if step == "start":
            chat.say(step)
        else:
            chat.press(step)
    clock.advance(seconds=7)
    chat.press("Skip")
