"""Launching a campaign to learners on the terminal outbox: who is chosen for which arm,
who is left out and why, what each arm is sent, and that launching again, pausing and
the frequency cap behave as a marketer expects."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.adapters.database_work import DatabaseWork
from bot.campaigns.clicks import ClickLinks
from bot.campaigns.launch import launch, pause
from bot.campaigns.preview import audience_preview
from bot.campaigns.split import bucket, split_of
from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.delivery.outbox import LearnerOutbox
from bot.engine import Engine
from bot.messages import ChoicePrompt, Reply, TextReply
from storage.campaign_models import CampaignAssignment
from storage.campaigns import arm_counts
from storage.db import Database
from storage.learner_messages import DueLearnerMessage
from storage.models import LearnerMessage
from tests.campaigns.crowd import Someone, seed
from tests.engine.chat import Clock

PACK = Path(__file__).parent / "pack"
UTC = ZoneInfo("UTC")


class Screens:
    platform = "console"

    def __init__(self) -> None:
        self.shown: dict[str, list[Reply]] = {}

    async def deliver(self, message: DueLearnerMessage, replies: Sequence[Reply]) -> None:
        self.shown.setdefault(message.conversation_id, []).extend(replies)


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([PACK])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(pack: ContentPack, database: Database, clock: Clock) -> Engine:
    return Engine(pack, database, clock=clock)


def launched(database: Database, engine: Engine, campaign_id: str) -> tuple[int, int]:
    with database.transaction() as session:
        done = launch(session, engine.content.campaigns[campaign_id], engine.clock(), UTC, "en")
    return done.chosen, done.queued


def deliver(database_work: DatabaseWork, engine: Engine, links: ClickLinks, clock: Clock) -> Screens:
    screens = Screens()
    outbox = LearnerOutbox(database_work, screens, links.reaching_out(engine.reach_out), clock=clock)
    while asyncio.run(outbox.deliver_due()):
        pass
    return screens


def outcomes(database: Database, campaign_id: str) -> dict[int, tuple[str, str]]:
    with database.transaction() as session:
        rows = session.execute(
            select(
                CampaignAssignment.learner_id, CampaignAssignment.variant, CampaignAssignment.outcome
            ).where(CampaignAssignment.campaign_id == campaign_id)
        )
        return {learner: (variant, outcome) for learner, variant, outcome in rows}


def test_each_learner_gets_the_arm_of_their_bucket_and_the_left_out_are_counted(
    database: Database, engine: Engine, clock: Clock
) -> None:
    crowd = [Someone(f"u{n}", first_name=f"L{n}") for n in range(300)]
    crowd += [Someone("pro", plan="pro"), Someone("new", completed_days_ago=None)]  # outside the segment
    crowd += [Someone("quiet", subscribed=False), Someone("gone", unreachable=True)]
    ids = seed(database, crowd, clock())
    campaign = engine.content.campaigns["upsell"]
    with database.transaction() as session:
        preview = audience_preview(session, campaign, clock(), "en")

    chosen, queued = launched(database, engine, "upsell")

    found = outcomes(database, "upsell")
    split = split_of(campaign)
    by_id = dict(zip(ids, crowd, strict=True))
    assert set(found) == set(ids) - {ids[300], ids[301]}  # the pro and the one not onboarded
    for learner_id, (arm, outcome) in found.items():
        assert arm == split.arm_of(bucket("upsell", learner_id))
        person = by_id[learner_id]
        expected = "stopped" if not person.subscribed else "unreachable" if person.unreachable else None
        assert outcome == (expected or ("holdout" if arm == "holdout" else "queued"))
    arms = Counter(arm for arm, _ in found.values())
    assert chosen == len(found) == 302
    assert queued == sum(1 for _, outcome in found.values() if outcome == "queued")
    assert 15 <= arms["holdout"] <= 45
    assert min(arms["lesson"], arms["message"]) > 100
    previewed = {arm.arm: arm.reached + sum(arm.left_out.values()) for arm in preview.arms}
    assert previewed == dict(arms)
    assert sum(arm.left_out["stopped"] + arm.left_out["unreachable"] for arm in preview.arms) == 2


def test_launching_again_sends_nothing_twice_and_reaches_only_newcomers(
    database: Database, engine: Engine, clock: Clock, database_work: DatabaseWork
) -> None:
    seed(database, [Someone(f"u{n}") for n in range(40)], clock())
    first = launched(database, engine, "upsell")
    links = ClickLinks("", "")
    shown = deliver(database_work, engine, links, clock)
    assert launched(database, engine, "upsell") == (0, 0)
    assert deliver(database_work, engine, links, clock).shown == {}
    seed(database, [Someone("late")], clock())
    assert launched(database, engine, "upsell")[0] == 1
    assert first[1] == len(shown.shown) > 0


def test_the_lesson_arm_gets_the_lesson_and_the_message_arm_a_tracked_link(
    database: Database, engine: Engine, clock: Clock, database_work: DatabaseWork
) -> None:
    crowd = [Someone(f"u{n}", first_name=f"L{n}") for n in range(60)]
    ids = seed(database, crowd, clock())
    launched(database, engine, "upsell")
    links = ClickLinks("http://bot.test", "secret")
    shown = deliver(database_work, engine, links, clock).shown
    found = outcomes(database, "upsell")
    for learner_id, person in zip(ids, crowd, strict=True):
        arm, _ = found[learner_id]
        replies = shown.get(person.user, [])
        if arm == "holdout":
            assert replies == []
        elif arm == "lesson":
            texts = [reply.text for reply in replies if isinstance(reply, TextReply)]
            assert texts[1] == "Automations run your routine for you.", texts
        else:
            [prompt] = replies
            assert isinstance(prompt, ChoicePrompt)
            assert prompt.text == f"{person.first_name}, Pro gives you automations."
            [button] = prompt.choices
            assert button.label == "See what Pro gives you"
            assert button.url is not None
            assert button.url.startswith("http://bot.test/c/")
            token = button.url.removeprefix("http://bot.test/c/").split("?")[0]
            assert links.assignment_of(token, "https://tasklane.example/pricing") is not None
    with database.transaction() as session:
        counts = {row.arm: row for row in arm_counts(session, "upsell")}
    assert counts["message"].delivered == counts["message"].chosen > 0
    assert counts["lesson"].delivered == counts["lesson"].chosen > 0
    assert counts["holdout"].delivered == 0


def test_a_learner_at_the_frequency_cap_gets_nothing_and_is_counted(
    database: Database, engine: Engine, clock: Clock, database_work: DatabaseWork
) -> None:
    [capped, free] = seed(database, [Someone("capped"), Someone("free")], clock())
    # `capped` got one campaign message this week (the cap of survey-blast is one a week).
    with database.transaction() as session:
        session.add(
            CampaignAssignment(
                campaign_id="earlier",
                learner_id=capped,
                variant="main",
                outcome="queued",
                assigned_at=clock() - timedelta(days=2),
            )
        )
    launched(database, engine, "survey-blast")
    assert outcomes(database, "survey-blast") == {capped: ("main", "capped"), free: ("main", "queued")}
    shown = deliver(database_work, engine, ClickLinks("", ""), clock).shown
    assert list(shown) == ["free"]


def test_a_paused_campaign_holds_its_messages_until_launched_again(
    database: Database, engine: Engine, clock: Clock, database_work: DatabaseWork
) -> None:
    seed(database, [Someone(f"u{n}") for n in range(5)], clock())
    launched(database, engine, "survey-blast")
    with database.transaction() as session:
        assert pause(session, "survey-blast", clock()) == 5
    assert deliver(database_work, engine, ClickLinks("", ""), clock).shown == {}
    with database.transaction() as session:
        assert launch(session, engine.content.campaigns["survey-blast"], clock(), UTC, "en").released == 5
    assert len(deliver(database_work, engine, ClickLinks("", ""), clock).shown) == 5


def test_outside_its_window_a_message_waits_for_the_next_opening(
    database: Database, engine: Engine, clock: Clock, database_work: DatabaseWork
) -> None:
    clock.now = clock.now.replace(hour=20)  # Tuesday 20:00 UTC: after office hours
    seed(database, [Someone("ann")], clock())
    launched(database, engine, "weekday-news")
    assert deliver(database_work, engine, ClickLinks("", ""), clock).shown == {}  # queued for 09:00
    with database.transaction() as session:
        due = session.scalar(
            select(func.min(LearnerMessage.next_attempt_at)).where(LearnerMessage.status == "pending")
        )
    assert due == clock.now.replace(day=25, hour=9)
    clock.advance(hours=13)
    assert list(deliver(database_work, engine, ClickLinks("", ""), clock).shown) == ["ann"]


def test_at_a_local_time_each_learner_gets_it_at_ten_on_their_own_clock(
    database: Database, engine: Engine, clock: Clock
) -> None:
    # Tuesday 09:00 UTC: 18:00 in Seoul (ten has passed: tomorrow), 04:00 in New York.
    seed(
        database,
        [
            Someone("seoul", timezone="Asia/Seoul"),
            Someone("new-york", timezone="America/New_York"),
            Someone("utc"),
        ],
        clock(),
    )
    launched(database, engine, "morning")
    with database.transaction() as session:
        due = dict(
            session.execute(
                select(LearnerMessage.conversation_id, LearnerMessage.next_attempt_at).where(
                    LearnerMessage.kind == "campaign"
                )
            ).all()
        )
    assert due == {
        "seoul": datetime(2026, 11, 25, 10, tzinfo=ZoneInfo("Asia/Seoul")),
        "new-york": datetime(2026, 11, 24, 10, tzinfo=ZoneInfo("America/New_York")),
        "utc": datetime(2026, 11, 24, 10, tzinfo=ZoneInfo("UTC")),  # the deployment's default zone
    }


def test_a_triggered_campaign_chooses_those_whose_trigger_fired(
    database: Database, engine: Engine, clock: Clock
) -> None:
    [week_ago, yesterday, never] = seed(
        database,
        [
            Someone("a", completed_days_ago=8),
            Someone("b", completed_days_ago=1),
            Someone("c", completed_days_ago=None),
        ],
        clock(),
    )
    launched(database, engine, "follow-up")
    assert set(outcomes(database, "follow-up")) == {week_ago}
    clock.advance(days=7)
    launched(database, engine, "follow-up")
    assert set(outcomes(database, "follow-up")) == {week_ago, yesterday}
    assert never not in outcomes(database, "follow-up")
