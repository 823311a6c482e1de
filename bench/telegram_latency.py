"""How long a Telegram learner waits, with Telegram's pacing on: press to spinner stopped,
and any update to its first reply.

The real adapter (`lessonloop run telegram`'s: PTB, the engine, `Pacing` with its default
limits: 30 messages a second in all, a burst of five per chat and then one a second)
polls a fake Telegram (tests/telegram/fake_bot_api.py) in this process, SQLite in a
temporary file. Each learner starts the drill lesson (tests/telegram/drill.py: every turn
four messages and an edit of the pressed one) and then presses the newest button on screen
every `--every` seconds, skipping a moment with none, `--presses` times: faster than the
pace lets the replies come, so they fall behind, and a press on a button whose turn's
replies have not come yet is a stale one, told in the chat.

`press_to_answer`: from a press to Telegram receiving its `answerCallbackQuery`.
`update_to_first_reply`: from an update (the `/start` or a press) to the first call its
turn makes in the chat: the edit of the pressed message, or "That button has expired".
The replies of one learner's turns come in order, so the k-th of those calls in a chat
belongs to the learner's k-th update. Both grow with how far the learner runs ahead; the
second is mostly the per-chat pace. Prints JSON; `--readme` writes README's rows.

    .venv/bin/python bench/telegram_latency.py [--learners 50] [--presses 12] [--every 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # as bench/telegram.py: this folder's name would hide `telegram`
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bench.readme import update_readme_row  # noqa: E402
from bot.adapters.telegram.app import telegram_bot  # noqa: E402
from bot.adapters.telegram.pacing import Pacing  # noqa: E402
from bot.adapters.telegram.settings import TelegramSettings  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.phrases import phrase  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.cores import core_of  # noqa: E402
from tests.telegram.drill import COURSE, Pressed, drill_content, press_every  # noqa: E402
from tests.telegram.fake_bot_api import TOKEN, Call, FakeTelegram  # noqa: E402
from tests.telegram.fake_chats import Person  # noqa: E402

FIRST_ID = 610_000
TARGET_ANSWER_P99_MS = 1000.0
EXPIRED = {phrase("expired", "en"), phrase("expired_nothing", "en")}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p99 of 50 values is the largest)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def turn_starts(calls: list[Call], chat: int) -> list[float]:
    """When each turn's first call to `chat` was made, in order: the greeting after
    `/start`, then per press the edit of the pressed message or the "expired" text."""
    starts: list[float] = []
    for call in calls:
        if call.params.get("chat_id") != chat:
            continue
        first_message = call.method == "sendMessage" and not starts
        if first_message or call.method == "editMessageText" or call.params.get("text") in EXPIRED:
            starts.append(call.at)
    return starts


async def a_learner(
    fake: FakeTelegram, person: Person, presses: int, every_s: float
) -> tuple[float, list[Pressed]]:
    """When the learner sent `/start`, and their presses."""
    started = time.monotonic()
    update_id = await fake.say(person, f"/start {COURSE}")
    await fake.handled(update_id)
    while not any(b.callback_data for m in fake.transcript(person) for b in m.buttons):
        await asyncio.sleep(0.05)
    pressed = await press_every(fake, person, presses, every_s)
    await fake.handled(pressed[-1].update_id)  # stored, and so on its way
    return started, pressed


async def measure(learners: int, presses: int, every_s: float) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/bench.db")
        upgrade(database)
        engine = Engine(drill_content(Path(folder) / "content"), database)
        fake = FakeTelegram()
        await fake.start()
        settings = TelegramSettings(token=TOKEN, api_root=fake.root)
        people = [Person(FIRST_ID + n, f"Learner{n}", language_code="en") for n in range(learners)]
        try:
            async with telegram_bot(core_of(engine), settings, pacing=Pacing(), long_poll_s=1) as bot:
                stopping = asyncio.Event()
                polling = asyncio.create_task(bot.poll(stopping))
                runs = await asyncio.gather(*(a_learner(fake, p, presses, every_s) for p in people))
                await bot.drained()
                stopping.set()
                await polling
        finally:
            await fake.close()
            database.dispose()
    answered = {str(c.params["callback_query_id"]): c.at for c in fake.called("answerCallbackQuery")}
    to_answer: list[float] = []
    to_reply: list[float] = []
    for person, (started, pressed) in zip(people, runs, strict=True):
        to_answer += [answered[press.query_id] - press.at for press in pressed]
        updates = [started, *(press.at for press in pressed)]
        starts = turn_starts(fake.calls, person.id)
        if len(starts) != len(updates):
            raise SystemExit(f"{person.first_name}: {len(starts)} turns answered for {len(updates)} updates")
        to_reply += [start - at for start, at in zip(starts, updates, strict=True)]
    ms = 1000
    return {
        "learners": learners,
        "presses": len(to_answer),
        "updates": len(to_reply),
        "press_to_answer_p50_ms": round(ms * statistics.median(to_answer), 1),
        "press_to_answer_p99_ms": round(ms * percentile(to_answer, 0.99), 1),
        "press_to_answer_max_ms": round(ms * max(to_answer), 1),
        "update_to_first_reply_p50_ms": round(ms * statistics.median(to_reply), 1),
        "update_to_first_reply_p99_ms": round(ms * percentile(to_reply, 0.99), 1),
        "api_calls": len(fake.calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50, help="learners at once, in the crowd run")
    parser.add_argument("--presses", type=int, default=12, help="presses per learner")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between presses")
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    arguments = parser.parse_args()
    load = os.getloadavg()[0]
    fast = asyncio.run(measure(1, arguments.presses, arguments.every))
    crowd = asyncio.run(measure(arguments.learners, arguments.presses, arguments.every))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    result = {
        "every_s": arguments.every,
        "fast_learner": fast,
        "crowd": crowd,
        "press_to_answer_p99_ms": max(fast["press_to_answer_p99_ms"], crowd["press_to_answer_p99_ms"]),
        "update_to_first_reply_p99_ms": max(
            fast["update_to_first_reply_p99_ms"], crowd["update_to_first_reply_p99_ms"]
        ),
        "target_press_to_answer_p99_ms": TARGET_ANSWER_P99_MS,
        "load_average_at_start": load,
        "machine": machine,
    }
    print(json.dumps(result, indent=2))
    if arguments.readme:
        for name, run in (("telegram latency, fast learner", fast), ("telegram latency, crowd", crowd)):
            update_readme_row(
                ROOT / "README.md",
                name,
                f"press → answerCallbackQuery p50 {run['press_to_answer_p50_ms']} ms, p99 "
                f"{run['press_to_answer_p99_ms']} ms; update → first reply p50 "
                f"{run['update_to_first_reply_p50_ms']} ms, p99 {run['update_to_first_reply_p99_ms']} ms "
                f"({run['learners']} learner(s) pressing every {arguments.every:g} s, "
                f"{run['presses']} presses, real pacing, SQLite)",
                "press → answer p99 < 1,000 ms",
                machine,
            )


if __name__ == "__main__":
    main()
