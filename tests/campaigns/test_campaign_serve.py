"""A marketer's campaign from the customer file to the lift, in one `serve` process with
the real Telegram and Slack adapters against the fake platforms.

The company's customer file is imported (two bad rows named by row and column, then
skipped); 1,000 of its customers are learners, 250 on Telegram and 750 on Slack, all
free-plan customers who finished onboarding, except a few on Pro, two who said `stop` and
one already sent a campaign message this week as often as the cap allows. The `upsell`
campaign (tests/campaigns/pack/) is previewed and launched: 45% get the Pro lesson, 45% a
message with a link, 10% nothing. Learners of both platforms click their link through the
redirect; conversions are imported; the status counts and the attribution match what
the test works out from the assignments on its own. Launching again sends nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
from sqlalchemy import select

from bot.bootstrap import assemble
from bot.campaigns import command
from bot.campaigns.split import bucket, split_of
from bot.config import HandoffSettings
from bot.content.loader import load_content
from bot.customers.importer import import_checked
from bot.customers.rows import read_file
from storage.campaign_models import CampaignAssignment, CampaignClick
from storage.db import Database
from tests.campaigns.crowd import Someone, seed
from tests.delivery.serving import MovedClock, Serving, serving
from tests.slack.harness import TEAM
from tests.telegram.fake_chats import Person

PACK = Path(__file__).parent / "pack"
SECRET = "campaign-link-secret"
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday
TELEGRAM_FIRST = 610_000_000
PRICING = "https://tasklane.example/pricing"


def customer_file(folder: Path) -> Path:
    rows = ["customer_id,email,plan,company,seats,signup_date,industry"]
    for n in range(1000):
        plan = "pro" if n % 100 == 7 else "free"
        rows.append(
            f"customer-u{n},u{n}@example.com,{plan},Company {n % 40},{1 + n % 9},2026-0{1 + n % 9}-15,saas"
        )
    rows.insert(5, "customer-bad1,bad1@example.com,free,Acme,ten,2026-01-01,saas")
    rows.insert(9, "customer-bad2,bad2@example.com,free,Acme,3,yesterday,saas")
    path = folder / "customers.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


async def click(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url, allow_redirects=False) as answer:
        return answer.status, answer.headers.get("Location", "")


def test_a_campaign_from_the_customer_file_to_the_lift(tmp_path: Path, database_url: str) -> None:
    asyncio.run(campaign_story(tmp_path, database_url))


async def campaign_story(tmp_path: Path, database_url: str) -> None:
    clock = MovedClock(START)
    database = Database(database_url)
    try:
        # 1. The customer file: two bad rows stop the import, then are skipped.
        checked = read_file("customers", customer_file(tmp_path))
        refused = import_checked(database, checked, now=clock())
        assert not refused.written
        problems = [str(error) for error in refused.errors]
        assert len(problems) == 2
        assert "customers.csv:6" in problems[0]
        assert "seats" in problems[0]
        assert "customers.csv:10" in problems[1]
        assert "signup_date" in problems[1]
        imported = import_checked(database, checked, skip_bad_rows=True, now=clock())
        assert (imported.added, imported.skipped) == (1000, 2)
        ids = _seed_learners(database)
        _capped(database, ids[42])
        async with serving(PACK, database_url, clock, link_secret=SECRET) as world:
            await _story(world, database, ids, tmp_path)
    finally:
        database.dispose()


def _seed_learners(database: Database) -> list[int]:
    crowd = []
    for n in range(1000):
        telegram = n < 250
        crowd.append(
            Someone(
                f"u{n}",
                platform="telegram" if telegram else "slack",
                workspace="" if telegram else TEAM,
                subscribed=n not in (11, 611),
                first_name=f"Learner{n}",
                platform_user=str(TELEGRAM_FIRST + n) if telegram else f"U{n:05d}",
            )
        )
    return seed(database, crowd, START)


def _capped(database: Database, learner_id: int) -> None:
    """Two campaign messages this week: the cap of two a week is reached."""
    with database.transaction() as session:
        for name in ("spring-sale", "webinar"):
            session.add(
                CampaignAssignment(
                    campaign_id=name,
                    learner_id=learner_id,
                    variant="main",
                    outcome="queued",
                    assigned_at=START - timedelta(days=3),
                    sent_at=START - timedelta(days=3),
                )
            )


async def _story(world: Serving, database: Database, ids: list[int], folder: Path) -> None:
    for n in range(250):
        world.telegram.chats.join(Person(TELEGRAM_FIRST + n, f"Learner{n}", language_code="en"))
    marketer = assemble(
        load_content([PACK]),
        database,
        HandoffSettings(),
        clock=world.clock,
        link_secret=SECRET,
        public_url=world.base,
    )
    said: list[str] = []
    campaign = marketer.content.campaigns["upsell"]
    split = split_of(campaign)
    arm = {learner_id: split.arm_of(bucket("upsell", learner_id)) for learner_id in ids}
    pro = {ids[n] for n in range(1000) if n % 100 == 7}
    stopped = {ids[11], ids[611]}
    capped = {ids[42]}
    reached = {
        learner for learner in ids if learner not in pro | stopped | capped and arm[learner] != "holdout"
    }

    # 2. The preview: the audience per arm, and who is left out.
    assert command.run(marketer, "preview", "upsell", attribution_days=14, say=said.append) == 0
    in_arm = Counter(arm[learner] for learner in ids if learner not in pro)
    for name in ("holdout", "lesson", "message"):
        assert any(line.startswith(f"  {name}: ") for line in said), said
    assert f"  audience now: {1000 - len(pro)} learners" in "\n".join(said)
    assert any('"url"' in line and "/c/" not in line for line in said)  # a sample: no real learner's link
    assert sum(in_arm.values()) == 1000 - len(pro)

    # 3. The launch, sent by `serve`'s outboxes through both platforms.
    said.clear()
    assert command.run(marketer, "launch", "upsell", attribution_days=14, say=said.append) == 0
    assert said[0].startswith(
        f"upsell: launched; {1000 - len(pro)} learners chosen now, {len(reached)} messages"
    )
    await world.settled()
    telegram_got = {
        ids[n] for n in range(250) if any(m.from_bot for m in world.telegram.transcript(_telegram(n)))
    }
    slack_got = {ids[n] for n in range(250, 1000) if world.slack.messages.get(f"DU{n:05d}")}
    assert telegram_got | slack_got == reached

    # 4. Clicks through the redirect, from a Telegram URL button and a Slack link button.
    message_arm = sorted(learner for learner in reached if arm[learner] == "message")
    on_telegram = [learner for learner in message_arm if learner in telegram_got][:3]
    on_slack = [learner for learner in message_arm if learner in slack_got][:2]
    urls = [_telegram_link(world, ids.index(learner)) for learner in on_telegram]
    urls += [_slack_link(world, ids.index(learner)) for learner in on_slack]
    for url in urls:
        assert urlsplit(url).path.startswith("/c/")
        assert await click(world.session, url) == (302, PRICING)
    assert await click(world.session, urls[0]) == (302, PRICING)  # a second click of one person
    forged = urls[0].replace(urlsplit(urls[0]).path, "/c/1-AAAAAAAAAAAAAAAA")
    assert (await click(world.session, forged))[0] == 404
    assert parse_qs(urlsplit(urls[0]).query)["to"] == [PRICING]
    elsewhere = urls[0].split("?")[0] + "?to=https%3A%2F%2Fevil.example%2F"
    assert (await click(world.session, elsewhere))[0] == 404  # the token is for the pricing page only
    with database.transaction() as session:
        assert len(session.scalars(select(CampaignClick.id)).all()) == len(urls) + 1

    # 5. Conversions a week later, some from each arm and from the holdout.
    converting = (
        sorted(learner for learner in reached if arm[learner] == "message")[:12]
        + sorted(learner for learner in reached if arm[learner] == "lesson")[:8]
        + sorted(
            learner for learner in ids if arm[learner] == "holdout" and learner not in pro | stopped | capped
        )[:3]
    )
    path = folder / "conversions.csv"
    lines = ["customer_id,converted_at,goal,revenue,currency"]
    for learner in converting:
        lines.append(f"customer-u{ids.index(learner)},2026-12-01T12:00:00Z,upgraded,49.00,USD")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    conversions = import_checked(database, read_file("conversions", path), now=world.clock())
    assert conversions.added == len(converting)

    # 6. The status a marketer reads, against what the test worked out itself.
    said.clear()
    assert command.run(marketer, "status", "upsell", attribution_days=14, say=said.append) == 0
    rows = {
        line.split()[0]: line.split()
        for line in said[2:]
        if line.startswith("  ") and not line.startswith("  lift")
    }
    for name in ("lesson", "message"):
        chosen = sum(1 for learner in ids if arm[learner] == name and learner not in pro)
        sent = sum(1 for learner in reached if arm[learner] == name)
        clicked = {"message": len(urls), "lesson": 0}[name]
        converted = {"message": 12, "lesson": 8}[name]
        assert rows[name][1:9] == [
            str(chosen),
            "0",
            str(sent),
            str(sent),
            "0",
            str(clicked),
            str(converted),
            rows[name][8],
        ], said
    holdout = sum(1 for learner in ids if arm[learner] == "holdout" and learner not in pro)
    assert rows["holdout"][1:8] == [str(holdout), "0", "0", "0", "0", "0", "3"], said
    assert any(line.startswith("  lift of message over the holdout: ") for line in said)

    # 7. Launching again sends nothing twice.
    before = len(world.slack.calls)
    said.clear()
    assert command.run(marketer, "launch", "upsell", attribution_days=14, say=said.append) == 0
    assert said[0].startswith("upsell: launched; 0 learners chosen now, 0 messages queued")
    await world.settled()
    assert [call for call in world.slack.calls[before:] if call.method == "chat.postMessage"] == []


def _telegram(n: int) -> Person:
    return Person(TELEGRAM_FIRST + n, f"Learner{n}", language_code="en")


def _telegram_link(world: Serving, n: int) -> str:
    for message in world.telegram.transcript(_telegram(n)):
        for row in message.keyboard:
            for button in row:
                if button.url:
                    return button.url
    raise AssertionError(f"no link button for learner {n}")


def _slack_link(world: Serving, n: int) -> str:
    for message in world.slack.messages[f"DU{n:05d}"]:
        for button in message.buttons():
            if "url" in button:
                return str(button["url"])
    raise AssertionError(f"no link button for learner {n}")
