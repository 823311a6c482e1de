"""A Slack learner's question handed to a person: it reaches the support channel and the
helpdesk webhook, the agent's thread reply reaches the learner, "Mark resolved" settles it.

Also the FAQ's other paths in the real adapter: a "Did you mean" choice, "Helped", and
with no destination configured, today's support-contact text."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import HandoffSettings
from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from storage.models import FaqQuestion, Handoff, HandoffDelivery, Interaction, LearnerMessage
from tests.helpdesk import SECRET, FakeHelpdesk
from tests.outboxes import deliver_everything
from tests.slack.fake_records import Message, Person
from tests.slack.harness import Mode, SlackLearner, World, slack_world

SUPPORT = "C0SUPPORT"
AGENT = "U0AGENT"
HOURS = "Mon-Fri 9:00-18:00 CET"
CHANGE_EMAIL = (
    "Go to Profile → Account → Email, enter the new address and click the confirmation link we "
    "send there. If your company uses SSO, your email is managed by your identity provider."
)


def texts(messages: list[Message]) -> list[str]:
    return [message.text for message in messages]


def thread_reply(ts: str, text: str, user: str = AGENT) -> dict[str, Any]:
    """An agent's reply in the thread of the support message `ts`, as Slack sends it."""
    return {
        "type": "message",
        "channel": SUPPORT,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": f"{float(ts) + 5:.6f}",
        "thread_ts": ts,
    }


def without_times(document: dict[str, Any]) -> dict[str, Any]:
    lines = [{key: value for key, value in line.items() if key != "at"} for line in document["transcript"]]
    return {**{key: value for key, value in document.items() if key != "opened_at"}, "transcript": lines}


async def agent_event(world: World, event: dict[str, Any], event_id: str, deliveries: int = 1) -> None:
    await SlackLearner(world, AGENT, "T0ACME", SUPPORT).event(event, event_id=event_id, deliveries=deliveries)


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_need_a_human_reaches_the_support_channel_and_the_helpdesk_and_the_reply_comes_back(
    mode: Mode, bundled_content: ContentPack, database: Database
) -> None:
    async def scenario() -> None:
        helpdesk = FakeHelpdesk()
        await helpdesk.start()
        support = HandoffSettings(
            slack_channel=SUPPORT, webhook_url=helpdesk.url, webhook_secret=SECRET, hours=HOURS
        )
        engine = Engine(bundled_content, database, handoff=support)
        try:
            async with slack_world(engine, mode) as world:
                world.fake.people["U0ANN"] = Person("Ann", "Lee")
                world.fake.people[AGENT] = Person("Sam")
                ann = world.learner("U0ANN")
                await ann.say("how do I change things")
                assert texts(ann.dm()) == ["I'm not sure I understood. Did you mean one of these?"]
                await ann.press("How do I change my email address?")
                await ann.press("🙋 Need a human")
                assert texts(ann.dm())[-1] == (
                    "I've passed your question to our support team: a person will reply here.\n"
                    f"Support hours: {HOURS}."
                )

                await deliver_everything(world.bot)
                [posted] = world.fake.messages[SUPPORT]
                assert posted.text == "🙋 Ann Lee (slack) needs a person: how do I change things"
                sections = [block["text"]["text"] for block in posted.blocks if block["type"] == "section"]
                assert sections == [
                    "🙋 *Ann Lee* (<@U0ANN>) on Slack needs a person",
                    "*Question*\nhow do I change things",
                    "*Last turns*\n"
                    "*Ann:* how do I change things\n"
                    "*Bot:* I'm not sure I understood. Did you mean one of these?\n"
                    "*Ann:* [pressed] How do I change my email address?\n"
                    f"*Bot:* {CHANGE_EMAIL}\n"
                    "*Bot:* Did that answer your question?",
                ]
                assert [button["text"]["text"] for button in posted.buttons()] == ["✅ Mark resolved"]

                [hook] = helpdesk.accepted()
                assert hook.headers["Content-Type"] == "application/json"
                assert without_times(hook.document) == {
                    "type": "handoff.opened",
                    "handoff_id": 1,
                    "learner": {
                        "id": 1,
                        "name": "Ann Lee",
                        "platform": "slack",
                        "platform_user_id": "U0ANN",
                        "locale": "en-us",
                    },
                    "question": "how do I change things",
                    "reason": "need_human",
                    "transcript": [
                        {"speaker": "learner", "text": "how do I change things"},
                        {"speaker": "bot", "text": "I'm not sure I understood. Did you mean one of these?"},
                        {"speaker": "learner", "text": "[pressed] How do I change my email address?"},
                        {"speaker": "bot", "text": CHANGE_EMAIL},
                        {"speaker": "bot", "text": "Did that answer your question?"},
                    ],
                }

                # The agent answers in the thread; Slack delivers the event twice.
                reply = thread_reply(posted.ts, "I've changed it for you: check your inbox & confirm.")
                await agent_event(world, reply, "Ev0AGENTREPLY", deliveries=2)
                await deliver_everything(world.bot)
                relayed = [text for text in texts(ann.dm()) if text.startswith("💬")]
                assert relayed == [
                    "💬 Sam from support: I've changed it for you: check your inbox &amp; confirm."
                ]

                await SlackLearner(world, AGENT, "T0ACME", SUPPORT).press("✅ Mark resolved")
                [resolved] = world.fake.messages[SUPPORT]
                assert resolved.buttons() == []
                assert "✅ Resolved by <@U0AGENT>" in str(resolved.blocks)
                await deliver_everything(world.bot)
                assert texts(ann.dm())[-1] == (
                    "Support marked your question “how do I change things” as resolved. "
                    "If anything is still unclear, just ask again."
                )
            assert len(helpdesk.received) == 1  # delivered once, though two loops were sending
        finally:
            await helpdesk.stop()

    asyncio.run(scenario())
    with database.transaction() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert (handoff.reason, handoff.status, handoff.resolved_by) == (
            "need_human",
            "resolved",
            "slack:U0AGENT",
        )
        deliveries = session.scalars(select(HandoffDelivery).order_by(HandoffDelivery.id)).all()
        assert [(d.destination, d.status, d.attempts, d.external_chat) for d in deliveries] == [
            ("slack", "sent", 1, SUPPORT),
            ("webhook", "sent", 1, "webhook"),
        ]
        sent = session.scalars(select(LearnerMessage).order_by(LearnerMessage.id)).all()
        assert [(m.kind, m.status, m.conversation_id) for m in sent] == [
            ("support_reply", "sent", "DU0ANN"),
            ("handoff_resolved", "sent", "DU0ANN"),
        ]
        [question] = session.scalars(select(FaqQuestion)).all()
        assert (question.decision, question.entry_id, question.outcome) == (
            "suggested",
            "change-email",
            "need_human",
        )
        marks = session.scalars(
            select(Interaction.kind)
            .where(Interaction.kind.in_(["handoff_opened", "support_replied", "handoff_resolved"]))
            .order_by(Interaction.id)
        ).all()
        assert marks == ["handoff_opened", "support_replied", "handoff_resolved"]


def test_an_unanswerable_question_is_handed_off_and_helped_is_recorded(
    bundled_content: ContentPack, database: Database
) -> None:
    moon = "is the moon made of <!channel> cheese & co"

    async def scenario() -> None:
        helpdesk = FakeHelpdesk()
        await helpdesk.start()
        support = HandoffSettings(slack_channel=SUPPORT, webhook_url=helpdesk.url, webhook_secret=SECRET)
        try:
            async with slack_world(Engine(bundled_content, database, handoff=support)) as world:
                world.fake.people["U0ANN"] = Person("Ann", "Lee")
                ann = world.learner("U0ANN")
                await ann.say("how do I reset my password")
                await ann.press("👍 Helped")
                assert texts(ann.dm())[-1] == "Glad that helped!"
                await ann.say(moon)
                assert texts(ann.dm())[-1] == (
                    "I've passed your question to our support team: a person will reply here."
                )
                world.fake.rate_limit("chat.postMessage", retry_after=1)  # the support post: waited out
                await deliver_everything(world.bot)
                assert [call.status for call in world.fake.calls if call.args.get("channel") == SUPPORT] == [
                    429,
                    200,
                ]
                [hook] = helpdesk.accepted()
                assert (hook.document["reason"], hook.document["question"]) == ("unanswered", moon)
                # The learner's words cannot ping the support channel, in the blocks or the notification.
                [posted] = world.fake.messages[SUPPORT]
                assert posted.text == (
                    "🙋 Ann Lee (slack) needs a person: is the moon made of &lt;!channel&gt; cheese &amp; co"
                )
                sections = [block["text"]["text"] for block in posted.blocks if block["type"] == "section"]
                assert sections[1] == "*Question*\nis the moon made of &lt;!channel&gt; cheese &amp; co"
        finally:
            await helpdesk.stop()

    asyncio.run(scenario())
    with database.transaction() as session:
        questions = session.scalars(select(FaqQuestion).order_by(FaqQuestion.id)).all()
        assert [(q.decision, q.outcome) for q in questions] == [("answered", "helped"), ("unanswered", None)]


def test_without_a_destination_the_learner_gets_the_support_contact(
    engine: Engine, database: Database
) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            ann = world.learner("U0ANN")
            await ann.say("can I get a refund?")
            await ann.press("🙋 Need a human")
            assert texts(ann.dm())[-1] == (
                "I've noted that you'd like a person to help with this.\n"
                + engine.content.support_contact.pick("en")  # type: ignore[union-attr]
            )

    asyncio.run(scenario())
    with database.transaction() as session:
        assert session.scalars(select(Handoff)).all() == []
        assert session.scalars(select(FaqQuestion.outcome)).all() == ["need_human"]
