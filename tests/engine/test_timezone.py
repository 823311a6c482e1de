"""The learner's time zone through the engine: the `timezone` command, which zone wins, and
the one question a course on a schedule asks when nobody has told the bot where they are.

The clock stands at 2026-11-24 09:00 UTC: 10:00 in Berlin, 04:00 in New York, 18:00 in Seoul.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import assemble
from bot.config import HandoffSettings
from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.messages import Choice, ChoiceAccepted, ChoicePrompt, Platform, Sender, TextReply
from bot.phrases import phrase
from storage.db import Database
from storage.models import Interaction, Learner
from tests.engine.chat import Chat, Clock

DRIP = Path(__file__).parent / "drip"
ASK_ONCE = (
    "One thing first: this course sends its lessons at set hours, and I'd like them to reach you at a "
    "good time. Type timezone and your city (e.g. timezone Berlin) whenever you like, and I'll use "
    "your local time; until then I go by UTC."
)


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([DRIP])


@pytest.fixture
def engine(pack: ContentPack, database: Database) -> Engine:
    return Engine(pack, database, clock=Clock())


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def stored_zones(database: Database) -> tuple[str | None, str | None]:
    with database.transaction() as session:
        learner = session.scalars(select(Learner)).one()
        return learner.chosen_timezone, learner.timezone


def test_timezone_alone_says_what_the_bot_goes_by_and_asks(chat: Chat) -> None:
    assert chat.say("timezone") == (
        TextReply(
            "I don't know your time zone yet, so I go by UTC, where it is 09:00 now.\n"
            "Which city are you in? Type timezone and the city, e.g. timezone Berlin or timezone New York."
        ),
    )


def test_a_city_is_confirmed_with_its_local_time_and_kept(chat: Chat, database: Database) -> None:
    assert chat.say("timezone berlin") == (TextReply("Got it: Europe/Berlin, where it is 10:00 now."),)
    assert stored_zones(database) == ("Europe/Berlin", None)

    assert chat.say("tz") == (
        TextReply(
            "Your time zone is Europe/Berlin, where it is 10:00 now.\n"
            "To change it, type timezone and your city, e.g. timezone Lisbon."
        ),
    )


@pytest.mark.parametrize(
    ("typed", "confirmed"),
    [
        ("time zone New York", "Got it: America/New_York, where it is 04:00 now."),
        ("/tz são paulo", "Got it: America/Sao_Paulo, where it is 06:00 now."),
        ("timezone asia/SEOUL", "Got it: Asia/Seoul, where it is 18:00 now."),
        ("/timezone Mumbai", "Got it: Asia/Kolkata, where it is 14:30 now."),
        ("TZ San Francisco", "Got it: America/Los_Angeles, where it is 01:00 now."),
        ("timezone Paris, France", "Got it: Europe/Paris, where it is 10:00 now."),
    ],
)
def test_cities_and_zone_names_in_any_case_and_spelling(chat: Chat, typed: str, confirmed: str) -> None:
    assert chat.say(typed) == (TextReply(confirmed),)


def test_a_near_miss_gets_a_did_you_mean_and_changes_nothing(chat: Chat, database: Database) -> None:
    chat.say("timezone Lisbon")

    assert chat.say("timezone Berln") == (
        TextReply(
            "I couldn't find a time zone for “Berln”. Did you mean Berlin (Europe/Berlin)? "
            "Type timezone and the place again."
        ),
    )
    assert stored_zones(database) == ("Europe/Lisbon", None)


def test_an_unknown_place_gets_a_gentle_re_prompt_with_examples(chat: Chat, database: Database) -> None:
    assert chat.say("timezone Narnia") == (
        TextReply(
            "I couldn't find a time zone for “Narnia”. Try the nearest big city or a zone name, "
            "e.g. timezone Berlin, timezone New York or timezone Asia/Seoul."
        ),
    )
    assert stored_zones(database) == (None, None)


def test_a_sentence_starting_with_time_zone_is_not_the_command(chat: Chat) -> None:
    replies = chat.say("time zone of my deadlines looks wrong")
    assert not any(isinstance(reply, TextReply) and "time zone for" in reply.text for reply in replies)


def test_korean_learners_are_answered_in_korean(engine: Engine) -> None:
    korean = Chat(engine, "kim", locale="ko-KR", first_name="Kim")
    assert korean.say("timezone 서울") == (
        TextReply("알겠어요. 시간대를 Asia/Seoul에 맞췄어요 (현재 18:00)."),
    )
    assert korean.say("timezone 부산항") == (
        TextReply(
            "“부산항”에 맞는 시간대를 찾지 못했어요. 혹시 부산 (Asia/Seoul)인가요? "
            "timezone 뒤에 다시 입력해 주세요."
        ),
    )
    assert korean.say("timezone 우주") == (
        TextReply(
            "“우주”에 맞는 시간대를 찾지 못했어요. 가까운 큰 도시나 시간대 이름으로 다시 입력해 주세요. "
            "예: timezone Seoul, timezone New York, timezone Asia/Seoul"
        ),
    )


def test_the_platforms_zone_is_used_until_the_learner_chooses(engine: Engine, database: Database) -> None:
    chat = Chat(engine)
    chat.sender = Sender(Platform.SLACK, "U0ANN", first_name="Ann", timezone="Asia/Seoul")

    assert chat.say("timezone") == (
        TextReply(
            "Your time zone is Asia/Seoul (from your profile), where it is 18:00 now.\n"
            "To change it, type timezone and your city, e.g. timezone Lisbon."
        ),
    )
    chat.say("timezone Berlin")  # travelling: the learner's word wins over the profile
    assert chat.say("timezone")[0] == TextReply(
        "Your time zone is Europe/Berlin, where it is 10:00 now.\n"
        "To change it, type timezone and your city, e.g. timezone Lisbon."
    )
    assert stored_zones(database) == ("Europe/Berlin", "Asia/Seoul")


def test_a_zone_the_platform_reports_but_nobody_knows_is_ignored(engine: Engine) -> None:
    chat = Chat(engine)
    chat.sender = Sender(Platform.SLACK, "U0ANN", first_name="Ann", timezone="Mars/Olympus_Mons")
    chat.say("tz")
    assert chat.texts()[0].startswith("I don't know your time zone yet, so I go by UTC")


def test_the_deployments_default_zone(pack: ContentPack, database: Database) -> None:
    seoul = assemble(pack, database, HandoffSettings(), default_timezone="Asia/Seoul").engine
    seoul.clock = Clock()
    assert Chat(seoul).say("timezone")[0] == TextReply(
        "I don't know your time zone yet, so I go by Asia/Seoul, where it is 18:00 now.\n"
        "Which city are you in? Type timezone and the city, e.g. timezone Berlin or timezone New York."
    )


# --- asked once, when a course on a schedule starts -------------------------------------------


def test_starting_a_course_on_a_schedule_asks_once_then_goes_on(chat: Chat, database: Database) -> None:
    chat.say("courses")
    assert chat.press("Drip") == (
        ChoiceAccepted("1", "Drip"),
        TextReply(ASK_ONCE),
        TextReply("📘 Lesson 1 of 2: One"),
        ChoicePrompt("Ready?", (Choice("2.0", "Yes"),), "2"),
    )
    assert chat.say("resume") == (ChoicePrompt("Ready?", (Choice("2.0", "Yes"),), "2"),)

    chat.say("courses")
    assert chat.press("▶ Drip") == (
        ChoiceAccepted("3", "▶ Drip"),
        TextReply("📘 Lesson 1 of 2: One"),
        ChoicePrompt("Ready?", (Choice("2.0", "Yes"),), "2"),  # the same buttons, still live
    )
    with database.transaction() as session:
        asked = session.scalars(select(Interaction).where(Interaction.kind == "timezone_asked")).all()
        assert len(asked) == 1
        assert session.scalars(select(Learner.timezone_asked_at)).one() is not None


def test_a_deep_link_into_a_course_on_a_schedule_asks_after_the_greeting(chat: Chat) -> None:
    replies = chat.send("/start drip", start_payload="drip")
    assert replies[:3] == (
        TextReply(phrase("welcome_new", "en", name="Ann")),
        TextReply(ASK_ONCE),
        TextReply("📘 Lesson 1 of 2: One"),
    )


def test_nothing_is_asked_when_the_zone_is_known(engine: Engine) -> None:
    chat = Chat(engine)
    chat.say("timezone Berlin")
    chat.say("courses")
    assert TextReply(ASK_ONCE) not in chat.press("Drip")

    from_slack = Chat(engine, "bob")
    from_slack.sender = Sender(Platform.SLACK, "U0BOB", first_name="Bob", timezone="Europe/Paris")
    from_slack.say("courses")
    assert TextReply(ASK_ONCE) not in from_slack.press("Drip")


def test_a_course_at_the_learners_own_pace_asks_nothing(chat: Chat) -> None:
    chat.say("courses")
    assert chat.press("Self-paced") == (
        ChoiceAccepted("1", "Self-paced"),
        TextReply("📘 Lesson 1 of 1: One"),
        TextReply("Hello."),
        TextReply("✅ Lesson complete: One"),
        TextReply("🎉 You've finished “Self-paced”!"),
    )


def test_help_lists_the_timezone_command(chat: Chat) -> None:
    chat.say("help")
    assert "• timezone: set your time zone (a city is fine)" in chat.texts()[0]
    assert "• timezone: 시간대 설정 (도시 이름도 돼요)" in phrase("help", "ko")
