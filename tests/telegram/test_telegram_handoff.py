"""A Telegram learner's question handed to the support group: the agent's reply to the
hand-off message reaches the learner, "Mark resolved" settles it; the same learner
answered from the Slack support channel; a "Did you mean" choice and "Helped" too."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.config import HandoffSettings
from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from storage.models import FaqQuestion, Handoff, HandoffDelivery, LearnerMessage
from tests.outboxes import deliver_everything
from tests.slack.fake_records import Person as SlackPerson
from tests.slack.harness import slack_world
from tests.slack.test_slack_handoff import AGENT, SUPPORT, agent_event, thread_reply
from tests.telegram.fake_chats import Group, Person
from tests.telegram.harness import Learner, Mode, telegram_world

ANN = Person(51001, "Ann", "Lee", language_code="en")
SAM = Person(61001, "Sam", "Park", language_code="en")
SUPPORT_GROUP = Group(-1001234567890, "", title="Tasklane support")


def bot_texts(learner: Learner) -> list[str]:
    return [message.text for message in learner.transcript() if message.from_bot]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_need_a_human_reaches_the_support_group_and_the_agents_reply_comes_back(
    mode: Mode, bundled_content: ContentPack, database: Database
) -> None:
    support = HandoffSettings(telegram_chat=str(SUPPORT_GROUP.id), hours="Mon-Fri 9:00-18:00 CET")
    posted_ids: list[int] = []

    async def scenario() -> None:
        async with telegram_world(Engine(bundled_content, database, handoff=support), mode) as world:
            fake = world.fake
            fake.chats.join(SUPPORT_GROUP)
            ann = Learner(world, ANN)
            await ann.say("how do I change things")
            assert ann.visible()[-1] == (
                "bot: I'm not sure I understood. Did you mean one of these? "
                "[How do I change my plan?] [How do I change my email address?] "
                "[How do I change my name or profile photo?] [None of these]"
            )
            await ann.press("None of these")
            assert bot_texts(ann)[-1] == (
                "I've passed your question to our support team: a person will reply here.\n"
                "Support hours: Mon-Fri 9:00-18:00 CET."
            )

            await deliver_everything(world.bot)
            [posted] = fake.chats.messages[SUPPORT_GROUP.id]
            assert posted.text == (
                "🙋 Ann Lee on Telegram needs a person\n"
                "Hand-off #1: none of the suggested questions fitted\n"
                "\n"
                "Question\n"
                "how do I change things\n"
                "\n"
                "Last turns\n"
                "Ann: how do I change things\n"
                "Bot: I'm not sure I understood. Did you mean one of these?\n"
                "\n"
                "Reply to this message to answer."
            )
            assert [button.text for button in posted.buttons] == ["✅ Mark resolved"]
            posted_ids.append(posted.message_id)

            # Sam answers by replying to the hand-off; Telegram delivers the update twice.
            update_id = await fake.say_in_group(
                SUPPORT_GROUP, SAM, "Settings → Account → Email <here>", reply_to=posted.message_id
            )
            await fake.handled(update_id)
            await fake.push_raw(fake.updates[update_id])
            await fake.handled(update_id)
            await world.bot.drained()
            # Sam also chats in the group without replying: that is not for any learner.
            await fake.handled(await fake.say_in_group(SUPPORT_GROUP, SAM, "brb"))
            await deliver_everything(world.bot)
            relayed = [text for text in bot_texts(ann) if text.startswith("💬")]
            assert relayed == ["💬 Sam from support: Settings → Account → Email <here>"]

            await fake.handled(await fake.press(SAM, posted.message_id, "handoff:1", chat=SUPPORT_GROUP))
            await world.bot.drained()
            [resolved] = fake.chats.messages[SUPPORT_GROUP.id][:1]
            assert resolved.text.endswith(
                "Ann: how do I change things\nBot: I'm not sure I understood. "
                "Did you mean one of these?\n\n✅ Resolved by Sam"
            )
            assert resolved.buttons == []
            assert all(fake.answered_queries.values())
            await deliver_everything(world.bot)
            assert bot_texts(ann)[-1] == (
                "Support marked your question “how do I change things” as resolved. "
                "If anything is still unclear, just ask again."
            )
            assert [m.text for m in fake.chats.messages[SUPPORT_GROUP.id] if m.from_bot] == [resolved.text]

    asyncio.run(scenario())
    with database.transaction() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert (handoff.platform, handoff.reason, handoff.status, handoff.resolved_by) == (
            "telegram",
            "no_match",
            "resolved",
            f"telegram:{SAM.id}",
        )
        delivery = session.scalars(select(HandoffDelivery)).one()
        assert (delivery.destination, delivery.external_chat, delivery.external_id) == (
            "telegram",
            str(SUPPORT_GROUP.id),
            str(posted_ids[0]),
        )
        sent = session.scalars(select(LearnerMessage).order_by(LearnerMessage.id)).all()
        assert [(m.kind, m.status, m.conversation_id) for m in sent] == [
            ("support_reply", "sent", str(ANN.id)),
            ("handoff_resolved", "sent", str(ANN.id)),
        ]


def test_a_did_you_mean_choice_and_helped_in_telegram(
    bundled_content: ContentPack, database: Database
) -> None:
    async def scenario() -> None:
        async with telegram_world(Engine(bundled_content, database), "polling") as world:
            ann = Learner(world, ANN)
            await ann.say("how do I change things")
            await ann.press("How do I change my name or profile photo?")
            assert ann.visible()[-1] == ("bot: Did that answer your question? [👍 Helped] [🙋 Need a human]")
            await ann.press("👍 Helped")
            assert bot_texts(ann)[-1] == "Glad that helped!"

    asyncio.run(scenario())
    with database.transaction() as session:
        question = session.scalars(select(FaqQuestion)).one()
        assert (question.decision, question.entry_id, question.outcome) == (
            "suggested",
            "change-name-photo",
            "helped",
        )


def test_a_telegram_learner_is_answered_from_the_slack_support_channel(
    bundled_content: ContentPack, database: Database
) -> None:
    """Two processes' worth of adapters on one database: Slack posts the hand-off and hears
    the thread, Telegram sends the reply to the learner."""
    engine = Engine(bundled_content, database, handoff=HandoffSettings(slack_channel=SUPPORT))

    async def scenario() -> None:
        async with telegram_world(engine, "polling") as telegram, slack_world(engine) as slack:
            slack.fake.people[AGENT] = SlackPerson("Sam")
            ann = Learner(telegram, ANN)
            await ann.say("is the moon made of cheese")
            await deliver_everything(slack.bot)
            [posted] = slack.fake.messages[SUPPORT]
            assert posted.text == "🙋 Ann Lee (telegram) needs a person: is the moon made of cheese"

            await agent_event(slack, thread_reply(posted.ts, "Sadly not."), "Ev0TGREPLY")
            await deliver_everything(telegram.bot)
            assert bot_texts(ann)[-1] == "💬 Sam from support: Sadly not."

    asyncio.run(scenario())


def test_a_slack_thread_reply_too_long_for_telegram_is_refused_in_the_thread(
    bundled_content: ContentPack, database: Database
) -> None:
    """Telegram takes 4,096 characters a message, a Slack message 40,000: a longer answer is
    not queued (it would fail and be retried for a day); the thread says how much fits."""
    engine = Engine(bundled_content, database, handoff=HandoffSettings(slack_channel=SUPPORT))

    async def scenario() -> None:
        async with telegram_world(engine, "polling") as telegram, slack_world(engine) as slack:
            slack.fake.people[AGENT] = SlackPerson("Sam")
            ann = Learner(telegram, ANN)
            await ann.say("is the moon made of cheese")
            await deliver_everything(slack.bot)
            [posted] = slack.fake.messages[SUPPORT]

            await agent_event(slack, thread_reply(posted.ts, "No. " * 1250), "Ev0TOOLONG")
            await deliver_everything(telegram.bot)
            assert bot_texts(ann)[-1].startswith("I've passed your question")
            note = slack.fake.messages[SUPPORT][-1]
            assert (note.thread_ts, note.text) == (
                posted.ts,
                "⚠️ Not sent: the reply is too long for Telegram: 5000 characters of text, at most 4075 "
                "fit in one message (4096 with “💬 Sam from support:” before it). "
                "Shorten it and send it again.",
            )
            await agent_event(slack, thread_reply(posted.ts, "Sadly not."), "Ev0SHORTER")
            await deliver_everything(telegram.bot)
            assert bot_texts(ann)[-1] == "💬 Sam from support: Sadly not."

    asyncio.run(scenario())
    with database.transaction() as session:
        assert session.scalars(
            select(LearnerMessage.text).where(LearnerMessage.kind == "support_reply")
        ).all() == ["💬 Sam from support: Sadly not."]


def test_a_group_reply_that_fits_the_group_but_not_the_learners_message_is_refused_there(
    bundled_content: ContentPack, database: Database
) -> None:
    """4,096 characters fit the group; with "💬 Sam from support: " before them they would not
    fit the learner's message, so the agent is told at once, in a reply."""
    support = HandoffSettings(telegram_chat=str(SUPPORT_GROUP.id))

    async def scenario() -> None:
        async with telegram_world(Engine(bundled_content, database, handoff=support), "polling") as world:
            fake = world.fake
            fake.chats.join(SUPPORT_GROUP)
            ann = Learner(world, ANN)
            await ann.say("is the moon made of cheese")
            await deliver_everything(world.bot)
            [posted] = fake.chats.messages[SUPPORT_GROUP.id]
            await fake.handled(
                await fake.say_in_group(SUPPORT_GROUP, SAM, "x" * 4096, reply_to=posted.message_id)
            )
            await world.bot.drained()
            await deliver_everything(world.bot)
            assert not any(text.startswith("💬") for text in bot_texts(ann))
            note = fake.chats.messages[SUPPORT_GROUP.id][-1]
            assert note.text.startswith("⚠️ Not sent: the reply is too long for Telegram: 4096 characters")

    asyncio.run(scenario())
