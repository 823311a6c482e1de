"""Events per second through the engine with SQLite persistence, on one core.

A population of scripted learners takes the bundled courses: each presses the first button
of the newest prompt it was shown (the first score on a scale, submit after one pick on a
multiple-answer question) and types a short answer when there is no button. Learners take
turns, so every event loads, changes and saves a different learner, as in production.
Only `Engine.handle` is timed. Prints JSON; `--readme` also rewrites README's table row.

    .venv/bin/python bench/engine.py [--learners 200] [--events 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.readme import update_readme_row  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.messages import (  # noqa: E402
    ChoicePrompt,
    InboundEvent,
    Platform,
    QuizQuestionReply,
    RatingScale,
    Reply,
    Sender,
)
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402


def next_event(learner: int, serial: int, replies: tuple[Reply, ...]) -> InboundEvent:
    """What a scripted learner does after seeing `replies`."""
    sender = Sender(Platform.CONSOLE, f"bench-{learner}", first_name=f"Learner{learner}")
    pressed: tuple[str, ...] = ()
    text: str | None = None
    for reply in reversed(replies):
        if isinstance(reply, QuizQuestionReply):
            pressed = (reply.submit.id,) if reply.submit and reply.selected else (reply.choices[0].id,)
            break
        if isinstance(reply, RatingScale):
            pressed = (reply.choices[serial % len(reply.choices)].id,)
            break
        if isinstance(reply, ChoicePrompt) and not reply.choices[0].url:
            pressed = (reply.choices[0].id,)
            break
    if not pressed:
        text = "start" if not replies or serial % 50 == 0 else f"answer {serial}"
    return InboundEvent(
        sender=sender,
        conversation_id=f"bench-{learner}",
        event_id=f"bench-{learner}-{serial}",
        received_at=datetime.now(UTC),
        text=text,
        choices=pressed,
    )


def run(learners: int, events: int) -> dict[str, object]:
    load = os.getloadavg()[0]  # the machine may be shared: how busy it was, in the JSON
    content = load_content([ROOT / "content"])
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/bench.db")
        upgrade(database)
        engine = Engine(content, database)
        last: dict[int, tuple[Reply, ...]] = {}
        latencies: list[float] = []
        scripting = 0.0
        run_started = time.perf_counter()
        for serial in range(events):
            learner = serial % learners
            scripted = time.perf_counter()
            event = next_event(learner, serial, last.get(learner, ()))
            started = time.perf_counter()
            last[learner] = engine.handle(event)
            latencies.append(time.perf_counter() - started)
            scripting += started - scripted
        # Wall clock, less the scripted learners' own work: this includes what the engine
        # leaves to background threads on the same core (SQLite's WAL checkpoints).
        total = time.perf_counter() - run_started - scripting
        database.dispose()
    ordered = sorted(latencies)
    return {
        "events": events,
        "learners": learners,
        "events_per_second": round(events / total),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
        "load_average_at_start": load,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    arguments = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    result = run(arguments.learners, arguments.events)
    print(json.dumps(result, indent=2))
    if arguments.readme:
        update_readme_row(
            ROOT / "README.md",
            "engine",
            f"{result['events_per_second']} events/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
            f"({result['learners']} learners, {result['events']} events, SQLite)",
            "≥ 1,000 events/s, p99 < 5 ms",
            str(result["machine"]),
        )


if __name__ == "__main__":
    main()
