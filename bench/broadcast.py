"""Scheduled lessons to many Telegram learners: the sweep, and the outbox within and without
Telegram's limits.

N learners (Telegram identities) are each due lesson two of a small course (four messages:
its heading, its text, "lesson complete" and "course complete"): the sweep
(`storage.due_lessons`) moves them into the outbox (on PostgreSQL after `ANALYZE`, as
autovacuum would), and the real Telegram adapter's outbox (`bot.delivery.outbox`, `Pacing`,
PTB) sends them to the fake Bot API (tests/telegram/fake_bot_api.py) in a child process,
as Telegram would be elsewhere; both run on the serving process's event loop
(`bot.service.run_on_serving_loop`). Measured: the sweep's seconds; messages a second
with Telegram's limits (30 a second for the bot, one a second per chat) over
`--throttled-seconds`, after a 5 s start; and with the limits lifted until every lesson
is sent. Prints one JSON object last; `--readme` writes README's rows.

With `--campaign`, the N learners are free-plan customers waiting for nothing, and a
campaign (45% the course's lesson two, 45% a message with a link, 10% holdout) is
previewed and launched to them: measured, the preview's seconds and the launch's, from
its start to the last row queued; then the same two send rates, of the campaign's messages.

    .venv/bin/python bench/broadcast.py [--learners 100000] [--database-url URL] [--throttled-seconds 60]
        [--campaign]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this file's folder would hide the `telegram` package
os.environ.setdefault("PTB_TIMEDELTA", "1")

from sqlalchemy import func, select  # noqa: E402

from bench.databases import fresh_database  # noqa: E402
from bench.readme import update_readme_row  # noqa: E402
from bot.adapters.telegram.app import telegram_bot  # noqa: E402
from bot.adapters.telegram.pacing import Pacing  # noqa: E402
from bot.adapters.telegram.settings import TelegramSettings  # noqa: E402
from bot.campaigns.launch import launch  # noqa: E402
from bot.campaigns.preview import audience_preview  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.content.model import ContentPack  # noqa: E402
from bot.delivery.sweep import DueSweep  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.service import run_on_serving_loop  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import LearnerMessage  # noqa: E402
from tests.cores import core_of  # noqa: E402
from tests.delivery.due_crowd import people, seed, write_course  # noqa: E402
from tests.telegram.fake_bot_api import TOKEN, FakeTelegram  # noqa: E402

LIMIT = 30.0
"""Telegram's messages a second for one bot."""
TARGETS = {"throttled_share_of_limit": 0.95, "unthrottled_messages_per_second": 2000, "sweep_seconds": 2.0}
CAMPAIGN_TARGETS = {
    "throttled_share_of_limit": 0.95,
    "unthrottled_messages_per_second": 2000,
    "campaign_launch_seconds": 5.0,
}
CAMPAIGN = """\
kind: campaign
id: news-upsell
title: News for free-plan customers
segment: {plan: [free]}
variants:
  - id: lesson
    share: 45
    sends: {course: news, lesson: two}
  - id: message
    share: 45
    sends:
      message: {text: "Pro gives you more.", button: See what Pro gives you, url: "https://example.com/pro"}
holdout: 10
"""
WARM_UP_S = 5.0


# --- the fake Telegram (child process) -----------------------------------------------------


async def fake_server(learners: int) -> None:
    fake = FakeTelegram()
    await fake.start()
    for person in people(learners):
        fake.chats.join(person)
    sent: list[float] = []
    fake.watchers.append(lambda what, _chat: sent.append(time.perf_counter()) if what == "sent" else None)
    print(json.dumps({"root": fake.root}), flush=True)
    loop = asyncio.get_running_loop()
    while (line := (await loop.run_in_executor(None, sys.stdin.readline)).strip()) != "bye":
        # "count FROM": messages sent since FROM (perf_counter of this process's clock)
        start = float(line.split()[1]) if line.startswith("count") else 0.0
        times = [at for at in sent if at >= start]
        print(
            json.dumps({"now": time.perf_counter(), "messages": len(times), "first": min(times, default=0)})
        )
        sys.stdout.flush()
    await fake.close()


# --- the learners and the bot (this process) -----------------------------------------------


class FakeServer:
    def __init__(self, child: asyncio.subprocess.Process, root: str) -> None:
        self.child, self.root = child, root

    @classmethod
    async def start(cls, learners: int) -> FakeServer:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--fake-server",
            "--learners",
            str(learners),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdout is not None
        root = json.loads(await child.stdout.readline())["root"]
        return cls(child, root)

    async def count(self, since: float = 0.0) -> dict[str, float]:
        assert self.child.stdin is not None
        assert self.child.stdout is not None
        self.child.stdin.write(f"count {since}\n".encode())
        return dict(json.loads(await self.child.stdout.readline()))

    async def stop(self) -> None:
        assert self.child.stdin is not None
        self.child.stdin.write(b"bye\n")
        await self.child.wait()


def unsent(database: Database) -> int:
    with database.transaction() as session:
        pending = (
            select(func.count())
            .select_from(LearnerMessage)
            .where(LearnerMessage.platform == "telegram", LearnerMessage.status == "pending")
        )
        return int(session.scalar(pending) or 0)


async def throttled(database: Database, engine: Engine, learners: int, seconds: float) -> dict[str, float]:
    fake = await FakeServer.start(learners)
    try:
        settings = TelegramSettings(token=TOKEN, api_root=fake.root)
        async with telegram_bot(core_of(engine), settings, pacing=Pacing()) as bot:
            await asyncio.sleep(WARM_UP_S)
            start = (await fake.count())["now"]
            await asyncio.sleep(seconds)
            counted = await fake.count(start)
            bot.learners.stop()
        rate = counted["messages"] / (counted["now"] - start)
    finally:
        await fake.stop()
    return {"messages_per_second": round(rate, 1), "seconds": seconds, "messages": counted["messages"]}


async def unthrottled(database: Database, engine: Engine, learners: int) -> dict[str, float]:
    fake = await FakeServer.start(learners)
    try:
        settings = TelegramSettings(token=TOKEN, api_root=fake.root)
        started = time.perf_counter()
        async with telegram_bot(core_of(engine), settings, pacing=Pacing(overall=0, chat_burst=0)) as bot:
            # In the bot's own database thread: on SQLite a second writer would wait for
            # the busy group commit's lock in SQLite's busy handler, and might time out.
            while await bot.threads.run(unsent, database):
                await asyncio.sleep(0.5)
            bot.learners.stop()
        elapsed = time.perf_counter() - started
        counted = await fake.count()
    finally:
        await fake.stop()
    return {
        "messages_per_second": round(counted["messages"] / elapsed, 1),
        "seconds": round(elapsed, 2),
        "messages": counted["messages"],
    }


def analyze(database: Database) -> None:
    """The statistics autovacuum gathers within a minute of a bulk load: without them the
    planner takes the tables just filled for tiny ones, and the sweep's join of enrolments
    to identities becomes a loop over every identity for each enrolment (README)."""
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def measure_start(
    database: Database, content: ContentPack, learners: int, *, campaign: bool
) -> dict[str, float]:
    """The sweep of `learners` due lessons, or the preview and launch of the campaign to
    them: seconds each, with the rows queued checked."""
    if not campaign:
        started = time.perf_counter()
        queued = DueSweep(database).sweep()
        assert queued == learners, (queued, learners)
        return {"sweep_seconds": round(time.perf_counter() - started, 3)}
    chosen = content.campaigns["news-upsell"]
    now, zone = datetime.now(UTC), ZoneInfo("UTC")
    started = time.perf_counter()
    with database.transaction() as session:
        preview = audience_preview(session, chosen, now, content.default_locale)
    previewed = time.perf_counter() - started
    assert preview.total == learners, (preview.total, learners)
    started = time.perf_counter()
    with database.transaction() as session:
        launched = launch(session, chosen, now, zone, content.default_locale)
    launch_seconds = time.perf_counter() - started
    reached = sum(arm.reached for arm in preview.arms if arm.arm != "holdout")
    assert (launched.chosen, launched.queued) == (learners, reached), (launched, reached)
    return {
        "campaign_launch_seconds": round(launch_seconds, 3),
        "campaign_preview_seconds": round(previewed, 3),
        "campaign_messages_queued": launched.queued,
    }


def write_readme(
    result: dict[str, object], learners: int, backend: str, machine: str, *, campaign: bool
) -> None:
    rates = (
        f"{result['throttled_messages_per_second']} msg/s with Telegram's limits "
        f"({float(str(result['throttled_share_of_limit'])):.0%} of 30); "
        f"{result['unthrottled_messages_per_second']} msg/s without"
    )
    if campaign:
        summary = (
            f"campaign to {learners:,} learners: preview {result['campaign_preview_seconds']} s, launch "
            f"{result['campaign_launch_seconds']} s ({result['campaign_messages_queued']:,} queued); {rates}"
        )
        target = "launch < 5 s; ≥ 95% of 30/s; ≥ 2,000/s unthrottled"
    else:
        summary = f"{learners:,} due lessons: sweep {result['sweep_seconds']} s; {rates}"
        target = "sweep < 2 s; ≥ 95% of 30/s; ≥ 2,000/s unthrottled"
    name = f"broadcast campaign ({backend})" if campaign else f"broadcast ({backend})"
    update_readme_row(ROOT / "README.md", name, summary, target, machine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to work in a schema of its own (default: SQLite in a temp folder)",
    )
    parser.add_argument("--throttled-seconds", type=float, default=60.0)
    parser.add_argument(
        "--campaign", action="store_true", help="launch a campaign instead of sweeping lessons"
    )
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    parser.add_argument("--fake-server", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.fake_server:
        # On the serving process's loop too, so the fake costs the bot's cores no more than it must.
        run_on_serving_loop(fake_server(arguments.learners))
        return
    with tempfile.TemporaryDirectory() as folder:
        course = write_course(Path(folder))
        if arguments.campaign:
            (course / "campaign.yaml").write_text(CAMPAIGN, encoding="utf-8")
        content = load_content([course])
    load = os.getloadavg()[0]
    with fresh_database(arguments.database_url, "bench") as database:
        engine = Engine(content, database)
        seed(
            database,
            arguments.learners,
            due=not arguments.campaign,
            plan="free" if arguments.campaign else None,
        )
        if not database.is_sqlite:
            analyze(database)
        started_at = measure_start(database, content, arguments.learners, campaign=arguments.campaign)
        seconds = arguments.throttled_seconds
        limited = run_on_serving_loop(throttled(database, engine, arguments.learners, seconds))
        free = run_on_serving_loop(unthrottled(database, engine, arguments.learners))
    backend = "PostgreSQL" if arguments.database_url else "SQLite"
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    result: dict[str, object] = {
        "learners": arguments.learners,
        "database": backend,
        **started_at,
        "throttled_messages_per_second": limited["messages_per_second"],
        "throttled_share_of_limit": round(limited["messages_per_second"] / LIMIT, 3),
        "unthrottled_messages_per_second": free["messages_per_second"],
        "throttled": limited,
        "unthrottled": free,
        "targets": CAMPAIGN_TARGETS if arguments.campaign else TARGETS,
        "load_average_at_start": round(load, 2),
        "machine": machine,
    }
    if arguments.readme:
        write_readme(result, arguments.learners, backend, machine, campaign=arguments.campaign)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
