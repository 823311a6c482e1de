"""Issue 11's promise, on a real `serve` killed with SIGKILL while it sends scheduled lessons
to 10,000 Telegram learners, then started again: nobody's lesson is lost, and only learners
whose rows were in flight at the kill (claimed, not yet marked sent) may get it twice;
nobody three times.

The kill comes from inside the fake Telegram, before it answers, as it takes the bot's
3,000th message or, if that one does not begin a learner's lesson, the first after it that
does: at least one learner is then in the middle of their lesson, with nothing of its text
shown, whose turn has committed (told again or lost, nothing in between). The restarted
process sends the rows nobody had claimed at once, and the dead process's claims when their
lease (30 s, the shortest allowed) ends.

The same holds for a marketer's campaign, which goes through the same outbox: launched to
the 10,000 learners (all of them in its one variant, lesson two), it is killed and
restarted the same way.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.campaigns.launch import launch
from bot.content.loader import load_content
from storage.db import Database
from storage.models import LearnerMessage
from tests.delivery.due_crowd import LESSON_TWO_TEXT, people, seed, write_course
from tests.slack.process import environment
from tests.telegram.fake_bot_api import TOKEN, FakeTelegram
from tests.telegram.fake_chats import Chats
from tests.test_serve import free_port, started

LEARNERS = 10_000
KILL_AT = 3_000
"""The bot's message from which on the fake kills the first process (at the next lesson's start)."""
LEASE_S = 30
"""The shortest outbox lease the settings allow: how long the dead process's claims wait."""
KILLED_WITHIN_S = 60.0
SENT_WITHIN_S = 240.0
POLL_S = 0.5
LOCKED_TRIES = 10


class KillAt:
    """A watcher of the fake Telegram that SIGKILLs `process` as the fake takes the first
    message of a learner's lesson at or after its `at`-th message: the fake calls it before
    it answers, so the bot never hears that message went, and that learner's lesson, whose
    turn has committed, has shown nothing of its text yet (the worst of the crash window)."""

    def __init__(self, chats: Chats, at: int) -> None:
        self.chats = chats
        self.at = at
        self.taken = 0
        self.process: asyncio.subprocess.Process | None = None
        self.killed_at = 0
        """The message the kill came at."""
        self.killed_chat = 0
        """Whose lesson that message began."""

    def __call__(self, what: str, chat: int) -> None:
        if what != "sent":
            return
        self.taken += 1
        if self.killed_at or self.process is None or self.taken < self.at:
            return
        if sum(message.from_bot for message in self.chats.messages[chat]) == 1:
            self.process.send_signal(signal.SIGKILL)
            self.killed_at, self.killed_chat = self.taken, chat


@dataclass(frozen=True)
class Run:
    """What the test saw: when the kill came, what was in flight, what each chat shows."""

    killed_at: int
    """The bot's message the fake was taking when it killed the first process."""
    killed_chat: int
    """The chat that message went to: the first of its lesson."""
    taken_by_death: int
    """Messages the fake had taken once that process was gone."""
    in_flight: frozenset[int]
    """The chats of the rows claimed and not marked sent, after the kill."""
    lessons: Counter[int]
    """How many times each chat shows lesson two's text."""
    killed_after_s: float
    sent_after_s: float


def chats_in_flight(database: Database) -> frozenset[int]:
    with database.transaction() as session:
        claimed = select(LearnerMessage.conversation_id).where(
            LearnerMessage.status == "pending", LearnerMessage.attempts >= 1
        )
        return frozenset(int(chat) for chat in session.scalars(claimed))


def statuses(database: Database) -> Counter[str]:
    """The outbox's rows by status. On SQLite the test's transaction waits for the serving
    process's write lock like any writer, and a busy `serve` may hold it past the busy
    timeout: then this poll just looks again a little later."""
    for _ in range(LOCKED_TRIES - 1):
        try:
            return _statuses(database)
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(POLL_S)
    return _statuses(database)


def _statuses(database: Database) -> Counter[str]:
    with database.transaction() as session:
        rows = session.execute(
            select(LearnerMessage.status, func.count()).group_by(LearnerMessage.status)
        ).all()
    return Counter({str(status): int(count) for status, count in rows})


def lessons_shown(fake: FakeTelegram) -> Counter[int]:
    """How many times each learner's chat shows lesson two's text (0: never)."""
    return Counter(
        {
            chat: sum(message.from_bot and message.text == LESSON_TWO_TEXT for message in messages)
            for chat, messages in fake.chats.messages.items()
        }
    )


async def killed_and_restarted(database: Database, env: dict[str, str]) -> Run:
    """Serve until the fake takes message `KILL_AT`, SIGKILL, serve again until every row is
    marked sent (a row is marked once the fake has taken its messages), SIGTERM."""
    fake = FakeTelegram()
    killer = KillAt(fake.chats, KILL_AT)
    await fake.start()
    for person in people(LEARNERS):
        fake.chats.join(person)
    fake.watchers.append(killer)
    env = {**env, "TELEGRAM_API_BASE_URL": fake.root}
    processes: list[asyncio.subprocess.Process] = []
    begun = time.monotonic()
    try:
        first, _ = await started(env, free_port())
        processes.append(first)
        assert killer.taken < KILL_AT, "the bot sent too much before it said it was serving"
        killer.process = first
        assert await asyncio.wait_for(first.wait(), KILLED_WITHIN_S) == -signal.SIGKILL
        killed_after_s, taken_by_death = time.monotonic() - begun, killer.taken
        in_flight = await asyncio.to_thread(chats_in_flight, database)

        second, _ = await started(env, free_port())
        processes.append(second)
        deadline = time.monotonic() + SENT_WITHIN_S
        while (rows := await asyncio.to_thread(statuses, database)) != Counter(sent=LEARNERS):
            assert time.monotonic() < deadline, f"not all sent in {SENT_WITHIN_S:g} s: {dict(rows)}"
            await asyncio.sleep(POLL_S)
        sent_after_s = time.monotonic() - begun
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0
        assert fake.refused() == []
        return Run(
            killer.killed_at,
            killer.killed_chat,
            taken_by_death,
            in_flight,
            lessons_shown(fake),
            killed_after_s,
            sent_after_s,
        )
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await fake.close()


CAMPAIGN = """\
kind: campaign
id: news-for-all
title: Lesson two for everyone
sends: {course: news, lesson: two}
frequency_cap: none
"""


def launched(database: Database, content: Path) -> None:
    """The campaign launched, as `lessonloop campaign launch news-for-all` would."""
    pack = load_content([content])
    with database.transaction() as session:
        done = launch(session, pack.campaigns["news-for-all"], datetime.now(UTC), ZoneInfo("UTC"), "en")
    assert done.queued == LEARNERS


def test_serve_killed_mid_broadcast_loses_no_lesson_and_repeats_only_those_in_flight(
    database_url: str, tmp_path: Path
) -> None:
    killed_and_checked(database_url, tmp_path, "schedule")


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_serve_killed_mid_campaign_loses_no_lesson_and_repeats_only_those_in_flight(
    database_url: str, tmp_path: Path
) -> None:
    """A campaign differs from the schedule only in how its rows are queued (`launch`); the
    outbox's claims and leases on PostgreSQL are killed in the schedule's case above."""
    killed_and_checked(database_url, tmp_path, "campaign")


def killed_and_checked(database_url: str, tmp_path: Path, sent_by: str) -> None:
    database = Database(database_url)
    content = write_course(tmp_path / "content")
    if sent_by == "campaign":
        (content / "campaign.yaml").write_text(CAMPAIGN, encoding="utf-8")
        seed(database, LEARNERS, due=False, plan="free")
        launched(database, content)
    else:
        seed(database, LEARNERS)
    env = environment(
        database_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        LESSONLOOP_CONTENT_DIR=str(content),
        LESSONLOOP_LOG_LEVEL="WARNING",
        TELEGRAM_MESSAGES_PER_SECOND="1000",
        LESSONLOOP_OUTBOX_LEASE_SECONDS=str(LEASE_S),
    )
    try:
        run = asyncio.run(killed_and_restarted(database, env))
    finally:
        database.dispose()
    lost = sorted(chat for chat, times in run.lessons.items() if times == 0)
    twice = {chat for chat, times in run.lessons.items() if times == 2}
    thrice = sorted(chat for chat, times in run.lessons.items() if times > 2)
    print(
        f"SIGKILL as the fake took message {run.killed_at:,} ({run.taken_by_death:,} taken by the time "
        f"the process was gone, {run.killed_after_s:.1f} s in): {len(run.in_flight)} rows in flight; "
        f"told twice: {len(twice)} of {LEARNERS:,}; all sent {run.sent_after_s:.1f} s in"
    )
    assert len(run.lessons) == LEARNERS
    assert lost == [], "lessons lost"
    assert thrice == [], "lessons told three times or more"
    assert run.killed_at >= KILL_AT
    assert run.killed_chat in run.in_flight
    assert run.lessons[run.killed_chat] == 1, "the lesson begun at the kill was not told again"
    assert twice - run.in_flight == set(), "told twice, though not in flight"
