"""A learner takes the whole onboarding course in Slack, over HTTP and over Socket Mode.

The same walk as the console test (tests/cli/test_console_course.py), done the Slack way:
opening the app's DM, pressing buttons, typing answers and questions. Afterwards the Web
API calls the adapter made and the database must both tell exactly what happened.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.adapters.slack.pacing import ChannelPace
from bot.engine import Engine
from storage.db import Database
from storage.models import (
    FaqQuestion,
    Interaction,
    LearnerIdentity,
)
from tests.onboarding_record import assert_onboarding_walk_recorded
from tests.slack.fake_records import Person
from tests.slack.harness import TEAM, Mode, SlackLearner, slack_world

# (action, what): press a button by its label, or say a message in the DM.
WALK = [
    ("press", "Getting started with Tasklane"),
    ("press", "I lead a team"),
    ("press", "Next lesson"),
    ("say", "Apollo launch <!channel> & co"),
    ("press", "Yes, it's there!"),
    ("press", "Next lesson"),
    ("press", "2 to 5 people"),
    ("press", "Next lesson"),
    ("press", "In Slack"),
    ("press", "Workload"),
    ("press", "Invite them by email from Settings → Members → Invite"),
    ("press", "Share an invite link in your team chat"),
    ("press", "Submit answer"),
    ("press", "True"),
    ("press", "Press N"),
    ("press", "Next lesson"),
    ("say", "Write the launch plan"),
    ("press", "9"),
    ("say", "The Workload view"),
    ("say", "Keep it up"),
    ("say", "how do I reset my password"),
    ("press", "👍 Helped"),
    ("say", "can I get a refund?"),
    ("press", "🙋 Need a human"),
]
PRESSES = sum(1 for action, _ in WALK if action == "press")


async def walk(learner: SlackLearner) -> None:
    await learner.open_tab("messages")
    for action, what in WALK:
        await (learner.press(what) if action == "press" else learner.say(what))


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_a_learner_takes_the_onboarding_course_quiz_survey_and_asks_questions_in_slack(
    mode: Mode, engine: Engine, database: Database
) -> None:
    # Slack's pace (one message a second per channel) in HTTP mode; the socket run is about
    # the transport, so it goes unpaced and the walk takes seconds instead of twenty.
    pace = ChannelPace(0) if mode == "socket" else None

    async def scenario() -> None:
        async with slack_world(engine, mode, pace=pace) as world:
            world.fake.people["U0ANN"] = Person("Ann", "Lee", tz="Asia/Seoul", locale="en-US")
            learner = world.learner("U0ANN")
            await walk(learner)
            check_calls(learner)

    asyncio.run(scenario())
    check_database(database)


def check_calls(learner: SlackLearner) -> None:
    fake = learner.world.fake
    dm = learner.dm()
    texts = "\n".join(message.text for message in dm)
    assert dm[0].text.startswith("Hi Ann! I teach short lessons right here in chat")
    assert "You scored 4/4 (100%) and passed! 🎉" in texts
    assert "🎉 You've finished “Getting started with Tasklane”!" in texts
    assert "Apollo launch &lt;!channel&gt; &amp; co" in texts  # the learner's words, escaped
    assert "Sorry" not in texts
    assert len(fake.made("users.info")) == 1  # remembered after the first event
    assert fake.made("conversations.open") == []  # every event came from the DM itself
    assert {call.team for call in fake.calls if call.method != "apps.connections.open"} == {TEAM}
    # Every press rewrote the pressed message (the quiz's two ticks re-drew its buttons), and
    # so did each survey answer typed instead of pressing its "Skip".
    typed_over_skip = [m.text for m in dm if "Type your answer below." in m.text]
    assert typed_over_skip == [
        "Great to hear! What do you like most?\nType your answer below.\n✓ *The Workload view*",
        "Anything else you'd like to tell the Tasklane team? (optional)\nType your answer below.\n"
        "✓ *Keep it up*",
    ]
    assert len(fake.made("chat.update")) == PRESSES + len(typed_over_skip)
    pressed_buttons = {"Next lesson", "9", "👍 Helped", "Submit answer", "Getting started with Tasklane"}
    assert pressed_buttons.isdisjoint(learner.buttons())
    # Only the link button is left.
    assert sorted(set(learner.buttons())) == ["Open Tasklane"]
    nps = next(m for m in dm if "How likely are you to recommend" in m.text)
    assert "✓ *9*" in str(nps.blocks)
    quiz_two = next(m for m in dm if "Which of these are ways to bring teammates" in m.text)
    assert "✅ Correct!" in str(quiz_two.blocks)
    assert "☑" not in str(quiz_two.blocks)
    assert not quiz_two.buttons()
    scale = next(c for c in fake.made("chat.postMessage") if "How likely" in str(c.args["blocks"]))
    rows = [block for block in scale.args["blocks"] if block["type"] == "actions"]
    assert [[b["text"]["text"] for b in row["elements"]] for row in rows] == [[str(n) for n in range(11)]]


def check_database(database: Database) -> None:
    with database.transaction() as session:
        identity = session.scalars(select(LearnerIdentity)).one()
        assert (identity.platform, identity.workspace, identity.user_id, identity.conversation_id) == (
            "slack",
            TEAM,
            "U0ANN",
            "DU0ANN",
        )
        learner = identity.learner
        assert (learner.first_name, learner.last_name, learner.timezone, learner.locale_hint) == (
            "Ann",
            "Lee",
            "Asia/Seoul",
            "en-us",
        )
        assert learner.answers["project_name"] == "Apollo launch <!channel> & co"
        assert_onboarding_walk_recorded(session)
        questions = session.scalars(select(FaqQuestion).order_by(FaqQuestion.id)).all()
        assert [(q.decision, q.outcome, q.platform) for q in questions] == [
            ("answered", "helped", "slack"),
            ("answered", "need_human", "slack"),
        ]
        inbound = session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.direction == "in")
        )
        assert inbound == len(WALK) + 1  # every step, plus the greeting when the DM was first opened
