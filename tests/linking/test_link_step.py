"""A `link_customer` step: asks for the learner's email, re-prompts when it is not one, and
thanks them and moves on whether or not it is a customer's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_content, validate_paths
from bot.content.model import ContentPack, LinkCustomer, plain
from bot.engine import Engine
from bot.messages import TextReply
from storage.db import Database
from tests.engine.chat import Chat
from tests.linking.records import SECRET, Tie, add_customer, learner_id, marks, tie_of

CONTENT = Path(__file__).parent / "content"
THANKS = TextReply("Thanks!")
DONE = [TextReply("All set."), TextReply("✅ Lesson complete: Linking")]


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([CONTENT])


@pytest.fixture
def chat(pack: ContentPack, database: Database) -> Chat:
    chat = Chat(Engine(pack, database, link_secret=SECRET))
    assert chat.say("courses")
    replies = chat.press("Your account")
    assert replies[-2:] == (TextReply("Welcome aboard."), TextReply("Which email do you use with us?"))
    return chat


def test_the_step_is_read_from_content(pack: ContentPack) -> None:
    step = pack.courses["account"].lessons[0].steps[1]
    assert step.action == LinkCustomer(plain("Which email do you use with us?"))


def test_a_step_without_its_prompt_is_reported_at_its_line(tmp_path: Path) -> None:
    course = tmp_path / "course.yaml"
    course.write_text(
        "kind: course\nid: account\ntitle: Account\nlessons:\n  - id: link\n    title: Linking\n"
        "    steps:\n      - link_customer: {text: Which email?}\n"
        "      - link_customer: {prompt: 'Hi {{ answers.nope }}'}\n",
        encoding="utf-8",
    )

    assert [str(error).removeprefix(str(tmp_path)) for error in validate_paths([course])] == [
        "/course.yaml:8:9: lesson 1, step 1 (lessons/0/steps/0/link_customer): missing 'prompt'",
        "/course.yaml:8:25: lesson 1, step 1 (lessons/0/steps/0/link_customer/text): unknown key 'text' "
        "(allowed here: prompt)",
        "/course.yaml:9:33: lesson 1, step 2 (lessons/0/steps/1/link_customer/prompt): 'answers.nope' is not "
        "stored by any "
        "step: add `store_as: nope` to an ask or ask_text step (stored answers: none)",
    ]


def test_a_customers_email_ties_the_learner(chat: Chat, database: Database) -> None:
    acme = add_customer(database, "cus_acme", "ann@acme.test")

    replies = chat.say("  Ann@ACME.test ")

    assert list(replies[:3]) == [THANKS, *DONE]
    assert tie_of(database, "console", "ann") == Tie(acme)
    assert marks(database, "linked") == [(learner_id(database, "console", "ann"), "typed_email")]


def test_text_that_is_not_an_email_is_asked_again(chat: Chat, database: Database) -> None:
    assert chat.say("my work one") == (
        TextReply(
            "That doesn't look like an email address. "
            "Could you type the one you use with us, like name@example.com?"
        ),
    )
    assert chat.say("ann@nowhere.test")[:3] == (THANKS, *DONE)


def test_an_unknown_email_is_thanked_the_same_and_ties_nobody(chat: Chat, database: Database) -> None:
    add_customer(database, "cus_acme", "ann@acme.test")

    replies = chat.say("someone@else.test")

    assert list(replies[:3]) == [THANKS, *DONE]
    assert tie_of(database, "console", "ann") == Tie(None)
    assert marks(database, "linked") == []


def test_a_learner_tied_already_stays_with_their_customer(chat: Chat, database: Database) -> None:
    acme = add_customer(database, "cus_acme", "ann@acme.test")
    add_customer(database, "cus_other", "other@else.test")
    chat.say("ann@acme.test")
    chat.say("courses")
    chat.press("✓ Your account")

    assert chat.say("other@else.test")[0] == THANKS
    assert tie_of(database, "console", "ann") == Tie(acme)
