"""Updates per second through the whole Telegram stack, against a bare PTB echo bot.

Both bots poll the same fake Telegram (tests/telegram/fake_bot_api.py), which runs in a
child process, as Telegram would be elsewhere, and plays a crowd of learners: each acts
as soon as the bot has confirmed its previous update and answered it. Lessonloop's
learners take the bundled courses (they answer the newest open quiz poll, press a
button of the newest keyboard, submit a ticked multiple-answer question, or type); the
echo bot's learners just type. Lessonloop runs as `lessonloop run telegram` builds it
(PTB, `Pacing`, the engine, SQLite in a temporary file), except that `Pacing`'s rate
limits are off: the fake has none, and the point is the cost of the software, not of
Telegram's one message a second per chat. The echo bot is python-telegram-bot's own
example, polling with PTB's `Updater`, as concurrent as Lessonloop (both handle
different chats side by side). The two workloads are not the same by design: an echo
update costs one `sendMessage`, a Lessonloop update about four Bot API calls (answer the
press, edit the pressed message, the lesson's messages) and a database transaction, and
the target compares time per update all the same.

The machine is shared, so the two bots are measured in alternating rounds (echo, then
Lessonloop, `--rounds` times) and the ratio reported is the median of the rounds' ratios;
every round is in the JSON. Prints JSON; `--readme` writes README's row.

    .venv/bin/python bench/telegram.py [--learners 50] [--updates 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on the path, and its name would hide the
# `telegram` package: put the repository there instead.
sys.path[0] = str(ROOT)
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Update  # noqa: E402
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: E402

from bench.readme import update_readme_row  # noqa: E402
from bot.adapters.telegram.app import telegram_bot  # noqa: E402
from bot.adapters.telegram.pacing import Pacing  # noqa: E402
from bot.adapters.telegram.settings import TelegramSettings  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.engine import Engine  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.cores import core_of  # noqa: E402
from tests.telegram.fake_bot_api import TOKEN, FakeTelegram  # noqa: E402
from tests.telegram.fake_chats import Person  # noqa: E402

TARGET_RATIO = 1.5
FIRST_ID = 900_000
QUIET_S = 0.025


# --- the fake Telegram and its learners (child process) -----------------------------------


class Crowd:
    """Learners who act again once the bot has confirmed their last update and finished
    answering it: its newest message asks for something (buttons, a quiz poll), or
    nothing more came for `QUIET_S` (a question to answer by typing). The echo bot's
    answer is its one message. A call Telegram refused counts as an answer too: a tick
    pressed on an older copy of a multiple-answer question (the learner pressed a stale
    button and got the question again) can be answered by one edit that changes nothing,
    which Telegram refuses as "not modified", and a learner waiting for a visible change
    would wait for ever."""

    def __init__(self, fake: FakeTelegram, learners: int, updates: int, *, echo: bool) -> None:
        self.fake = fake
        self.people = [Person(FIRST_ID + n, f"Learner{n}", language_code="en") for n in range(learners)]
        self.wanted = updates
        self.echo = echo
        self.sent = 0
        self.done = 0
        self.serial = itertools.count()
        self.waiting: dict[int, int] = {}  # update id -> learner index
        self.confirmed: set[int] = set()
        self.replies = [0] * learners  # calls to their chat (refused ones too) since they last acted
        self.typed = [False] * learners  # the learner's last action was free text
        self.finished = asyncio.Event()
        self.started = 0.0
        self.ended = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        fake.watchers.append(self._watch)

    def start(self) -> None:
        self.started = time.perf_counter()
        for index in range(len(self.people)):
            self._act(index, first=True)

    def _watch(self, what: str, number: int) -> None:
        if what == "confirmed" and number in self.waiting:
            index = self.waiting.pop(number)
            self.confirmed.add(index)
        elif what in {"sent", "refused"} and 0 <= number - FIRST_ID < len(self.people):
            index = number - FIRST_ID
            self.replies[index] += 1
        else:
            return
        if index in self.confirmed and self.replies[index]:
            if self.echo or self._asks(index):
                self._answered(index)
            else:
                loop = asyncio.get_running_loop()
                loop.call_later(QUIET_S, self._quiet, index, self.replies[index])

    def _asks(self, index: int) -> bool:
        """Whether the bot's newest message to the learner waits for a press or a vote."""
        person = self.people[index]
        latest = next((m for m in reversed(self.fake.transcript(person)) if m.from_bot), None)
        if latest is None:
            return False
        poll = latest.poll
        return any(b.callback_data for b in latest.buttons) or (
            poll is not None and not poll.closed and person.id not in poll.votes
        )

    def _quiet(self, index: int, replies: int) -> None:
        if index in self.confirmed and self.replies[index] == replies:
            self._answered(index)

    def _answered(self, index: int) -> None:
        self.confirmed.discard(index)
        self.replies[index] = 0
        self.done += 1
        if self.done >= self.wanted:
            self.ended = self.ended or time.perf_counter()
            self.finished.set()
        elif self.sent < self.wanted:
            self._act(index)

    def _act(self, index: int, *, first: bool = False) -> None:
        self.sent += 1
        task = asyncio.create_task(self._next_update(index, first))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _next_update(self, index: int, first: bool) -> None:
        person, serial = self.people[index], next(self.serial)
        if first or self.echo:
            update_id = await self.fake.say(person, "/start" if first else f"hello {serial}")
        else:
            update_id = await self._learn(index, serial)
        self.waiting[update_id] = index

    async def _learn(self, index: int, serial: int) -> int:
        """What a learner does after the bot's latest messages: vote, press, or type (an
        answer, or `/start` rather than a second free text in a row)."""
        person = self.people[index]
        typed, self.typed[index] = self.typed[index], False
        for message in reversed(self.fake.transcript(person)[-10:]):
            if not message.from_bot:
                break
            poll = message.poll
            if poll is not None and not poll.closed and person.id not in poll.votes:
                return await self.fake.answer_poll(person, poll.id, [serial % len(poll.options)])
            buttons = [button for button in message.buttons if button.callback_data]
            if buttons:
                ticked = any(button.text.startswith("☑️") for button in buttons)
                button = buttons[-1] if ticked else buttons[serial % len(buttons)]
                return await self.fake.press(person, message.message_id, str(button.callback_data))
        self.typed[index] = not typed
        return await self.fake.say(person, "/start" if typed else f"answer {serial}")


async def fake_server(learners: int, updates: int, echo: bool) -> None:
    fake = FakeTelegram()
    await fake.start()
    crowd = Crowd(fake, learners, updates, echo=echo)
    print(json.dumps({"root": fake.root}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
    crowd.start()
    await crowd.finished.wait()
    elapsed = crowd.ended - crowd.started
    calls = len(fake.calls)
    print(
        json.dumps({"elapsed": elapsed, "updates": crowd.done, "calls": calls, "cpu": time.process_time()}),
        flush=True,
    )
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "bye"
    await fake.close()


# --- the bots (this process) ---------------------------------------------------------------


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """python-telegram-bot's echo example."""
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def run_echo_bot(root: str, go: asyncio.Event, done: asyncio.Event) -> None:
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(True)
        .job_queue(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        await app.start()
        go.set()
        await done.wait()
        await app.updater.stop()
        await app.stop()


async def run_lessonloop(root: str, go: asyncio.Event, done: asyncio.Event) -> None:
    content = load_content([ROOT / "content"])
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/bench.db")
        upgrade(database)
        engine = Engine(content, database)
        settings = TelegramSettings(token=TOKEN, api_root=root)
        try:
            unpaced = Pacing(overall=0, chat_burst=0)
            async with telegram_bot(core_of(engine), settings, pacing=unpaced, long_poll_s=1) as bot:
                stopping = asyncio.Event()
                polling = asyncio.create_task(bot.poll(stopping))
                go.set()
                await done.wait()
                stopping.set()
                await polling
        finally:
            database.dispose()


async def measure(kind: str, learners: int, updates: int) -> dict[str, float]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--fake-server",
        kind,
        "--learners",
        str(learners),
        "--updates",
        str(updates),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    root = json.loads(await child.stdout.readline())["root"]
    go, done = asyncio.Event(), asyncio.Event()
    runner = run_echo_bot if kind == "echo" else run_lessonloop
    bot = asyncio.create_task(runner(root, go, done))
    await go.wait()
    cpu = time.process_time()
    child.stdin.write(b"go\n")
    result = json.loads(await child.stdout.readline())
    cpu = time.process_time() - cpu
    done.set()
    await bot
    child.stdin.write(b"bye\n")
    await child.wait()
    return {
        "updates": result["updates"],
        "seconds": round(result["elapsed"], 3),
        "updates_per_second": round(result["updates"] / result["elapsed"], 1),
        "ms_per_update": round(1000 * result["elapsed"] / result["updates"], 3),
        "api_calls_per_update": round(result["calls"] / result["updates"], 2),
        "bot_cpu_ms_per_update": round(1000 * cpu / result["updates"], 3),
        "fake_cpu_s": round(result["cpu"], 2),
    }


@dataclass(frozen=True)
class Round:
    ratio: float
    echo_bot: dict[str, float]
    lessonloop: dict[str, float]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating echo/Lessonloop rounds")
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    parser.add_argument("--fake-server", choices=["echo", "lessonloop"], help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.fake_server:
        asyncio.run(fake_server(arguments.learners, arguments.updates, arguments.fake_server == "echo"))
        return
    load = os.getloadavg()[0]  # the machine is shared: how busy it was, in the JSON
    rounds: list[Round] = []
    for _ in range(arguments.rounds):
        echo_bot = asyncio.run(measure("echo", arguments.learners, arguments.updates))
        lessonloop = asyncio.run(measure("lessonloop", arguments.learners, arguments.updates))
        ratio = round(lessonloop["ms_per_update"] / echo_bot["ms_per_update"], 2)
        rounds.append(Round(ratio, echo_bot, lessonloop))
    middle = sorted(rounds, key=lambda one: one.ratio)[len(rounds) // 2]
    echo_bot, lessonloop, ratio = middle.echo_bot, middle.lessonloop, middle.ratio
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    result = {
        "learners": arguments.learners,
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "echo_bot": echo_bot,
        "lessonloop": lessonloop,
        "rounds": [asdict(one) for one in rounds],
        "load_average_at_start": load,
        "machine": machine,
    }
    print(json.dumps(result, indent=2))
    if arguments.readme:
        update_readme_row(
            ROOT / "README.md",
            "telegram",
            f"{ratio:.2f} × the echo bot's time per update ({lessonloop['updates_per_second']} vs "
            f"{echo_bot['updates_per_second']} updates/s, {arguments.learners} learners, SQLite; median of "
            f"{len(rounds)} rounds: {', '.join(f'{one.ratio:.2f}' for one in rounds)})",
            "≤ 1.5 × echo bot's time per update",
            machine,
        )


if __name__ == "__main__":
    main()
