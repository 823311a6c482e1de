"""Customers' deep links and invite links through the real Telegram adapter (PTB against
the fake Bot API)."""

from __future__ import annotations

import asyncio

from bot.engine import Engine
from bot.links.deep_links import customer_payload, invite_payload, invite_token
from bot.phrases import phrase
from storage.db import Database
from tests.linking.records import SECRET, Tie, add_customer, learner_id, logged_anywhere, marks, tie_of
from tests.telegram.fake_chats import Person
from tests.telegram.harness import Learner, telegram_world

ANN = Person(61001, "Ann", "Lee")
BOB = Person(61002, "Bob")
BOT = "lessonloop_test_bot"
"""The username the fake Bot API's getMe gives."""


def _bot_texts(learner: Learner) -> list[str]:
    return [message.text for message in learner.new_from_bot() if message.text]


def test_a_customers_deep_link_ties_them_to_their_record(engine: Engine, database: Database) -> None:
    acme = add_customer(database, "cus_acme", "ann@acme.test")
    payload = customer_payload(SECRET, acme)

    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            ann = Learner(world, ANN)
            await ann.say(f"/start {payload}")
            assert _bot_texts(ann) == [
                phrase("welcome_new", "en", name="Ann"),
                "Which course would you like to take?",
            ]

    asyncio.run(scenario())
    assert tie_of(database, "telegram", str(ANN.id)) == Tie(acme)
    assert marks(database, "linked") == [(learner_id(database, "telegram", str(ANN.id)), "signed_link")]
    assert logged_anywhere(database, "/start customer_link")
    assert not logged_anywhere(database, payload)


def test_a_forged_deep_link_is_a_plain_start(engine: Engine, database: Database) -> None:
    acme = add_customer(database, "cus_acme")
    forged = customer_payload("not-our-secret", acme)

    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            ann = Learner(world, ANN)
            await ann.say(f"/start {forged}")
            assert _bot_texts(ann) == [
                phrase("welcome_new", "en", name="Ann"),
                "Which course would you like to take?",
            ]

    asyncio.run(scenario())
    assert tie_of(database, "telegram", str(ANN.id)) == Tie(None)


def test_an_invite_link_brings_a_referred_learner(engine: Engine, database: Database) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            ann, bob = Learner(world, ANN), Learner(world, BOB)
            await ann.say("/start")
            await ann.say("/invite")
            token = invite_token(SECRET, learner_id(database, "telegram", str(ANN.id)))
            link = f"https://t.me/{BOT}?start={invite_payload(token)}"
            assert _bot_texts(ann) == [f"{phrase('invite_link', 'en')}\n🔗 {link}"]
            await bob.say(f"/start {invite_payload(token)}")  # what Telegram sends when Bob opens it
            assert _bot_texts(bob)[0] == phrase("welcome_new", "en", name="Bob")
            await ann.say(f"/start {invite_payload(token)}")  # Ann opens her own link

    asyncio.run(scenario())
    ann_id, bob_id = (learner_id(database, "telegram", str(person.id)) for person in (ANN, BOB))
    assert tie_of(database, "telegram", str(BOB.id)) == Tie(None, ann_id, "referral")
    assert tie_of(database, "telegram", str(ANN.id)) == Tie(None)
    assert marks(database, "referred") == [(bob_id, str(ann_id))]
