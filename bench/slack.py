"""Signed Slack events per second through the whole Lessonloop stack, against a bare Bolt app.

Both run in this process, over HTTP on 127.0.0.1, against the fake Slack Web API of the
tests, each request signed as Slack signs it. Lessonloop: Bolt, the adapter, users.info,
the engine with SQLite, Block Kit rendering, chat.postMessage and chat.update. Learners
take the bundled courses as in bench/engine.py: each presses the first button of the newest
message it was shown (a score on a scale, submit once a box is ticked) or types a short
answer when there is none, and starts again when that brings no buttons. The bare app is a
Bolt `AsyncApp` with Bolt's defaults that answers every message event and every button
press with one `chat.postMessage` (on a fake Slack of its own), sent exactly the requests
Lessonloop was sent, re-signed. The bare app does less work than Lessonloop must (one
short reply against an update of the pressed message and the next step in Block Kit), so
a third app does the same work
without Lessonloop: a Bolt `AsyncApp` that, for each event, makes the Web API calls
Lessonloop made for that learner in that round, with the same bodies, and commits one row
to SQLite. Rounds of one request per learner, all learners at once, alternate between the
apps; a round ends when every reply is out.
Prints JSON with the times per event, both ratios, and the engine's own CPU time per
event; `--readme` also rewrites README's table rows.

Slack's pace of one message a second per channel is lifted (`ChannelPace(0)`), as bench/telegram.py
lifts Telegram's: the point is the cost of the software.

    .venv/bin/python bench/slack.py [--learners 50] [--rounds 40] [--engine-replayed]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this file's folder would hide the `telegram` package (bench/telegram.py)

from slack_bolt.app.async_app import AsyncApp  # noqa: E402
from slack_bolt.context.ack.async_ack import AsyncAck  # noqa: E402
from slack_bolt.context.async_context import AsyncBoltContext  # noqa: E402
from slack_bolt.context.say.async_say import AsyncSay  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from bench.readme import update_readme_row  # noqa: E402
from bot.adapters.slack.app import EVENTS_PATH, slack_bot  # noqa: E402
from bot.adapters.slack.pacing import ChannelPace  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.content.model import ContentPack  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.messages import InboundEvent, Reply  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.cores import core_of  # noqa: E402
from tests.slack.fake_records import Call  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402
from tests.slack.harness import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    HttpTransport,
    SlackLearner,
    World,
    settings_for,
)
from tests.slack.payloads import event_body  # noqa: E402

WARM_UP_ROUNDS = 5
Request = tuple[str, str]
"""A body and its content type, as sent to Lessonloop."""
OursRound = Callable[[int], Awaitable[tuple[float, list[Request], list[Call]]]]
BareRound = Callable[[list[Request]], Awaitable[float]]
SameWorkRound = Callable[[list[Request], list[Call]], Awaitable[float]]
JSON_BODIED = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish")
"""Methods slack_sdk sends with a JSON body; the others go as form fields."""


def next_move(learner: SlackLearner, serial: int, typed_last: set[str]) -> Request:
    """What a scripted learner does after looking at the newest message in the DM.

    A learner typing at a step without buttons answers it; if that brings no buttons
    either (the course is over, or the text went to the FAQ), they start again next time
    rather than keep typing: otherwise every learner would end up asking the FAQ for ever,
    and the benchmark would time the FAQ model instead of learners taking courses.
    """
    dm = learner.dm()
    buttons = [button for button in dm[-1].buttons() if "value" in button] if dm else []
    if buttons:
        labels = [button["text"]["text"] for button in buttons]
        if labels[0] == "0":  # a score scale
            button = buttons[serial % len(buttons)]
        elif any(label.startswith("☑") for label in labels):
            button = buttons[-1]  # submit
        else:
            button = buttons[0]
        payload = json.dumps(learner.press_payload(dm[-1], button))
        typed_last.discard(learner.user)
        return urlencode({"payload": payload}), "application/x-www-form-urlencoded"
    restart = not dm or learner.user in typed_last
    text = "start" if restart else f"answer {serial}"
    if restart:
        typed_last.discard(learner.user)
    else:
        typed_last.add(learner.user)
    event = {
        "type": "message",
        "channel": learner.channel,
        "channel_type": "im",
        "user": learner.user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }
    return json.dumps(event_body(TEAM, event, f"Ev{learner.user}-{serial}")), "application/json"


class TimedEngine(Engine):
    """The engine, counting the CPU time its calls take (they run on worker threads), and
    keeping each learner's replies in order for a `ReplayingEngine`."""

    cpu_seconds = 0.0

    def __init__(self, content: ContentPack, database: Database) -> None:
        super().__init__(content, database)
        self.replies: dict[str, list[tuple[Reply, ...]]] = defaultdict(list)

    def handle(self, event: InboundEvent) -> tuple[Reply, ...]:
        started = time.thread_time()
        try:
            replies = super().handle(event)
        finally:
            self.cpu_seconds += time.thread_time() - started
        self.replies[event.sender.user_id].append(replies)
        return replies


class ReplayingEngine(TimedEngine):
    """`--engine-replayed`: answers each learner's n-th event with the replies a real engine
    gave it in an earlier run of the same script, touching no database: what is left is
    the Slack side alone (Bolt, the inbox, rendering, the Web API calls)."""

    def __init__(self, content: ContentPack, database: Database, recorded: TimedEngine) -> None:
        super().__init__(content, database)
        self._recorded = recorded.replies
        self._next: dict[str, int] = defaultdict(int)

    def handle(self, event: InboundEvent) -> tuple[Reply, ...]:
        learner = event.sender.user_id
        position = self._next[learner]
        self._next[learner] += 1
        return self._recorded[learner][position]


@asynccontextmanager
async def lessonloop(fake: FakeSlack, engine: Engine, learners: int) -> AsyncIterator[OursRound]:
    """Rounds through Lessonloop: each returns its seconds and the requests it sent."""
    async with (
        aiohttp.ClientSession() as session,
        slack_bot(core_of(engine), settings_for(fake), pace=ChannelPace(0)) as bot,
    ):
        url = f"http://127.0.0.1:{await bot.listen('127.0.0.1', 0)}"
        transport = HttpTransport(session, url + EVENTS_PATH)
        world = World(fake, bot, transport, session, url)
        people = [world.learner(f"U{number:05d}") for number in range(learners)]
        typed_last: set[str] = set()

        async def play(number: int) -> tuple[float, list[Request], list[Call]]:
            requests = [
                next_move(person, number * learners + i, typed_last) for i, person in enumerate(people)
            ]
            first = len(fake.calls)
            started = time.perf_counter()
            statuses = await asyncio.gather(*(transport.post(body, kind) for body, kind in requests))
            await bot.drained()
            seconds = time.perf_counter() - started
            assert set(statuses) == {200}, statuses
            return seconds, requests, fake.calls[first:]

        yield play


@asynccontextmanager
async def bare_bolt(fake: FakeSlack) -> AsyncIterator[BareRound]:
    """Rounds through an `AsyncApp` with Bolt's defaults that only replies; each returns its seconds."""
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url), signing_secret=SIGNING_SECRET
    )

    @app.event("message")
    async def reply(say: AsyncSay) -> None:
        await say("ok")

    @app.action(re.compile(".*"))
    async def pressed(ack: AsyncAck, say: AsyncSay) -> None:
        await ack()
        await say("ok")

    async with serving(app) as transport:

        def replies_since(first: int) -> int:
            # Only this round's calls: counting the whole history at every look took
            # longer each round, and that time was the bare app's.
            return sum(
                1 for call in fake.calls[first:] if call.method == "chat.postMessage" and call.status == 200
            )

        async def play(requests: list[Request]) -> float:
            first = len(fake.calls)
            started = time.perf_counter()
            statuses = await asyncio.gather(*(transport.post(body, kind) for body, kind in requests))
            while replies_since(first) < len(requests):
                await asyncio.sleep(0.0005)
            seconds = time.perf_counter() - started
            assert set(statuses) == {200}, statuses
            return seconds

        yield play


@asynccontextmanager
async def serving(app: AsyncApp) -> AsyncIterator[HttpTransport]:
    """A Bolt app served over HTTP on 127.0.0.1, and a way to post signed requests to it."""
    runner = aiohttp.web.AppRunner(app.web_app(path=EVENTS_PATH), access_log=None)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with aiohttp.ClientSession() as session:
            yield HttpTransport(session, f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}")
    finally:
        await runner.cleanup()


def learner_of(call: Call) -> str | None:
    """The learner a recorded Web API call was made for, by the user or DM it names; None
    for Bolt's own `auth.test`, which the same-work app's Bolt makes by itself."""
    for key in ("user", "users", "channel"):
        if key in call.args:
            return str(call.args[key])
    return None


class SameWork:
    """What the same-work app does for an event: the learner's recorded calls of the round,
    in order, then one committed row, counting events done."""

    def __init__(self, client: AsyncWebClient, folder: str) -> None:
        self.client = client
        self.database = sqlite3.connect(f"{folder}/same_work.db", isolation_level=None)
        self.database.execute("PRAGMA journal_mode=WAL")
        self.database.execute("PRAGMA synchronous=NORMAL")
        self.database.execute("CREATE TABLE seen (event TEXT PRIMARY KEY, body TEXT)")
        self.work: dict[str, list[Call]] = defaultdict(list)
        self.last_posted: dict[str, str] = {}
        """The newest message posted in each DM: the one a recorded chat.update edits (this
        app's fake Slack gave its messages other ids)."""
        self.done = 0

    def expect(self, calls: list[Call]) -> None:
        for call in calls:
            learner = learner_of(call)
            if learner is not None:
                self.work[learner].append(call)

    async def handle(self, context: AsyncBoltContext, body: dict[str, object]) -> None:
        calls = self.work.pop(context.user_id or "", []) + self.work.pop(context.channel_id or "", [])
        for call in calls:
            args = dict(call.args)
            if call.method == "chat.update":
                args["ts"] = self.last_posted[str(args["channel"])]
            if call.method in JSON_BODIED:
                answer = await self.client.api_call(call.method, json=args)
            else:
                answer = await self.client.api_call(call.method, params=args)
            if call.method == "chat.postMessage":
                self.last_posted[str(args["channel"])] = str(answer["ts"])
        self.database.execute(
            "INSERT INTO seen VALUES (?, ?)", (f"{context.user_id}-{self.done}", json.dumps(body))
        )
        self.done += 1


@asynccontextmanager
async def same_work_bolt(fake: FakeSlack, folder: str) -> AsyncIterator[SameWorkRound]:
    """Rounds through an `AsyncApp` that does Lessonloop's Slack work and no more."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    app = AsyncApp(client=client, signing_secret=SIGNING_SECRET)
    same_work = SameWork(client, folder)

    @app.event("message")
    async def message(context: AsyncBoltContext, body: dict[str, object]) -> None:
        await same_work.handle(context, body)

    @app.action(re.compile(".*"))
    async def pressed(ack: AsyncAck, context: AsyncBoltContext, body: dict[str, object]) -> None:
        await ack()
        await same_work.handle(context, body)

    try:
        async with serving(app) as transport:

            async def play(requests: list[Request], calls: list[Call]) -> float:
                same_work.expect(calls)
                done_before = same_work.done
                started = time.perf_counter()
                statuses = await asyncio.gather(*(transport.post(body, kind) for body, kind in requests))
                while same_work.done - done_before < len(requests):
                    await asyncio.sleep(0.0005)
                seconds = time.perf_counter() - started
                assert set(statuses) == {200}, statuses
                return seconds

            yield play
    finally:
        same_work.database.close()


async def run(
    learners: int, rounds: int, *, replay: TimedEngine | None = None
) -> tuple[dict[str, object], TimedEngine]:
    """Rounds alternate between the two apps, so a busy moment on the machine hits both.

    Each app has a fake Slack of its own: the bare app's "ok" replies must not land in the
    DMs the learners read their next move from. With `replay` (the engine of an earlier
    run), Lessonloop's engine replays that run's replies instead of working."""
    fake, bare_fake, same_work_fake = FakeSlack(), FakeSlack(), FakeSlack()
    for each in (fake, bare_fake, same_work_fake):
        await each.start()
        each.add_workspace(TEAM, BOT_TOKEN)
    ours = bare = same_work = 0.0
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/bench.db")
        upgrade(database)
        content = load_content([ROOT / "content"])
        engine = (
            TimedEngine(content, database) if replay is None else ReplayingEngine(content, database, replay)
        )
        try:
            async with (
                lessonloop(fake, engine, learners) as ours_round,
                bare_bolt(bare_fake) as bare_round,
                same_work_bolt(same_work_fake, folder) as same_work_round,
            ):
                for number in range(WARM_UP_ROUNDS + rounds):
                    if number == WARM_UP_ROUNDS:
                        ours = bare = same_work = engine.cpu_seconds = 0.0
                    seconds, requests, calls = await ours_round(number)
                    ours += seconds
                    bare += await bare_round(requests)
                    same_work += await same_work_round(requests, calls)
        finally:
            database.dispose()
            for each in (fake, bare_fake, same_work_fake):
                await each.stop()
    for each in (fake, same_work_fake):
        if each.violations:
            raise SystemExit(f"the fake Slack refused messages: {each.violations[:3]}")
    if len(same_work_fake.calls) != len(fake.calls):
        raise SystemExit(f"the same-work app made {len(same_work_fake.calls)} calls, not {len(fake.calls)}")
    events = learners * rounds
    figures: dict[str, object] = {
        "events": events,
        "learners": learners,
        "lessonloop_ms_per_event": round(ours / events * 1000, 3),
        "lessonloop_events_per_second": round(events / ours),
        "bare_bolt_ms_per_event": round(bare / events * 1000, 3),
        "bare_bolt_events_per_second": round(events / bare),
        "ratio": round(ours / bare, 2),
        "same_work_bolt_ms_per_event": round(same_work / events * 1000, 3),
        "ratio_to_same_work": round(ours / same_work, 2),
        "engine_cpu_ms_per_event": round(engine.cpu_seconds / events * 1000, 3),
        "engine": "replayed" if replay is not None else "real",
        "web_api_calls_per_event": round(len(fake.calls) / (learners * (WARM_UP_ROUNDS + rounds)), 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    return figures, engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    parser.add_argument(
        "--engine-replayed",
        action="store_true",
        help="run twice; the second run's engine replays the first's replies (no engine, no "
        "engine database work): what the Slack side alone costs",
    )
    arguments = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as one process would have
    result, engine = asyncio.run(run(arguments.learners, arguments.rounds))
    if arguments.engine_replayed:
        result, _replayed = asyncio.run(run(arguments.learners, arguments.rounds, replay=engine))
    print(json.dumps(result, indent=2))
    if arguments.readme and not arguments.engine_replayed:
        update_readme_row(
            ROOT / "README.md",
            "slack",
            f"{result['lessonloop_events_per_second']} events/s, "
            f"{result['lessonloop_ms_per_event']} ms/event vs bare Bolt {result['bare_bolt_ms_per_event']} "
            f"ms/event: {result['ratio']}× "
            f"({result['learners']} learners, {result['events']} signed HTTP events, SQLite)",
            "≤ 1.5 × bare Bolt app's time per event",
            str(result["machine"]),
        )
        update_readme_row(
            ROOT / "README.md",
            "slack, same work",
            f"{result['lessonloop_ms_per_event']} ms/event vs {result['same_work_bolt_ms_per_event']} "
            f"ms/event for a Bolt app making the same Web API calls and committing a row: "
            f"{result['ratio_to_same_work']}×",
            "≤ 1.3 × that app's time per event",
            str(result["machine"]),
        )


if __name__ == "__main__":
    main()
