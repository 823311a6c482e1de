"""Customers' signed links and invite links, arriving in the engine as a `start` payload."""

from __future__ import annotations

import logging

import pytest

from bot.content.model import ContentPack
from bot.engine import Engine
from bot.links.deep_links import (
    CUSTOMER_PREFIX,
    INVITE_PREFIX,
    customer_payload,
    invite_payload,
    invite_token,
)
from bot.messages import Choice, ChoicePrompt, InviteLink, TextReply
from bot.phrases import phrase
from storage.db import Database
from tests.engine.chat import Chat
from tests.linking.records import SECRET, Tie, add_customer, learner_id, marks, tie_of

COURSES = ChoicePrompt(
    "Which course would you like to take?",
    (Choice("1.0", "Getting started with Tasklane"), Choice("1.1", "What you get with Tasklane Pro")),
    "1",
)


def test_a_customer_link_ties_the_learner_and_greets_as_usual(engine: Engine, database: Database) -> None:
    acme = add_customer(database, "cus_acme", "ann@acme.test")

    replies = Chat(engine).send(start_payload=customer_payload(SECRET, acme))

    assert replies == (TextReply(phrase("welcome_new", "en", name="Ann")), COURSES)
    assert tie_of(database, "console", "ann") == Tie(acme)
    assert marks(database, "linked") == [(learner_id(database, "console", "ann"), "signed_link")]


def test_a_customer_link_wins_over_an_earlier_tie(
    engine: Engine, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = add_customer(database, "cus_first"), add_customer(database, "cus_second")
    ann = Chat(engine)
    ann.send(start_payload=customer_payload(SECRET, first))

    with caplog.at_level(logging.INFO, logger="bot.flows.customers"):
        ann.send(start_payload=customer_payload(SECRET, second))

    assert tie_of(database, "console", "ann") == Tie(second)
    ann_id = learner_id(database, "console", "ann")
    assert marks(database, "linked") == [(ann_id, "signed_link"), (ann_id, "signed_link")]
    assert caplog.messages == [
        f"learner {ann_id} opened customer {second}'s signed link: tied to them instead of customer {first}"
    ]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(CUSTOMER_PREFIX + "1-AAAAAAAAAAAAAAAA", id="forged"),
        pytest.param(CUSTOMER_PREFIX + invite_token(SECRET, 1), id="an-invite-signed-as-a-customer-link"),
        pytest.param(INVITE_PREFIX + customer_payload(SECRET, 1)[2:], id="a-customer-link-as-an-invite"),
        pytest.param(customer_payload("another-secret", 1), id="another-secret"),
    ],
)
def test_a_token_that_does_not_verify_counts_as_no_payload(
    engine: Engine, database: Database, caplog: pytest.LogCaptureFixture, payload: str
) -> None:
    add_customer(database, "cus_acme", "ann@acme.test")

    with caplog.at_level(logging.INFO):
        replies = Chat(engine).send(start_payload=payload)

    assert replies == (TextReply(phrase("welcome_new", "en", name="Ann")), COURSES)
    assert tie_of(database, "console", "ann") == Tie(None)  # and no token kept as the source
    assert marks(database, "linked") == marks(database, "referred") == []
    ann_id = learner_id(database, "console", "ann")
    refused = f"learner {ann_id} arrived with a signed link that does not verify: taken as none"
    assert refused in caplog.messages
    token = payload[len(CUSTOMER_PREFIX) :]
    assert not any(token in record.getMessage() for record in caplog.records)


def test_without_a_secret_no_link_verifies_and_there_are_no_invites(
    bundled_content: ContentPack, database: Database
) -> None:
    acme = add_customer(database, "cus_acme")
    ann = Chat(Engine(bundled_content, database))

    ann.send(start_payload=customer_payload(SECRET, acme))
    assert ann.say("invite") == (TextReply("Invite links aren't set up here yet, sorry."),)
    assert tie_of(database, "console", "ann") == Tie(None)


def test_invite_gives_the_learners_own_token(engine: Engine, database: Database) -> None:
    ann = Chat(engine)
    ann.say("start")

    replies = ann.say("invite")

    token = invite_token(SECRET, learner_id(database, "console", "ann"))
    assert replies == (InviteLink(token, phrase("invite_link", "en")),)
    assert ann.say("/invite") == replies


def test_a_new_learner_through_an_invite_is_the_inviters_referral(engine: Engine, database: Database) -> None:
    ann = Chat(engine)
    ann.say("start")
    ann_id = learner_id(database, "console", "ann")

    replies = Chat(engine, "bob", first_name="Bob").send(
        start_payload=invite_payload(invite_token(SECRET, ann_id))
    )

    assert replies == (TextReply(phrase("welcome_new", "en", name="Bob")), COURSES)
    assert tie_of(database, "console", "bob") == Tie(None, ann_id, "referral")
    assert marks(database, "referred") == [(learner_id(database, "console", "bob"), str(ann_id))]


def test_an_invite_opened_by_its_owner_or_a_known_learner_records_nothing(
    engine: Engine, database: Database
) -> None:
    ann, bob = Chat(engine), Chat(engine, "bob", first_name="Bob")
    ann.say("start")
    bob.send(start_payload="onboarding")  # came through a course link
    ann_id = learner_id(database, "console", "ann")
    invite = invite_payload(invite_token(SECRET, ann_id))

    ann.send(start_payload=invite)
    bob.send(start_payload=invite)

    assert tie_of(database, "console", "ann") == Tie(None)
    assert tie_of(database, "console", "bob") == Tie(None, None, "onboarding")
    assert marks(database, "referred") == []
