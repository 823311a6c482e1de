"""A lesson whose every turn sends four messages: three short texts and a "Next" button.

For a learner who runs ahead of the paced replies (tests/telegram/test_telegram_fast_presses.py,
bench/telegram_latency.py): every message names its step, so the order they arrive in shows
whether any turn's replies overtook another's.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path

from bot.content.loader import load_content
from bot.content.model import ContentPack
from tests.telegram.fake_bot_api import FakeTelegram
from tests.telegram.fake_chats import Person

COURSE = "drill"
STEPS = 60
PARTS = 3
STEP = re.compile(r"^Step (\d+)")


def part(step: int, number: int) -> str:
    return f"Step {step} · {number}/{PARTS}"


def prompt(step: int) -> str:
    return f"Step {step}: ready?"


def drill_content(folder: Path) -> ContentPack:
    """The drill course, written under `folder` and loaded."""
    lines = [
        "kind: course",
        f"id: {COURSE}",
        "title: Drill",
        "lessons:",
        "  - id: drill",
        "    title: Drill",
        "    steps:",
    ]
    for step in range(1, STEPS + 1):
        lines += [f'      - say: "{part(step, number)}"' for number in range(1, PARTS + 1)]
        lines.append(f'      - ask: {{text: "{prompt(step)}", choices: [{{label: Next}}]}}')
    courses = folder / "courses"
    courses.mkdir(parents=True, exist_ok=True)
    (courses / "drill.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_content([folder])


@dataclass(frozen=True)
class Pressed:
    query_id: str
    update_id: int
    at: float
    """`time.monotonic()` when the learner pressed."""


async def press_every(fake: FakeTelegram, person: Person, presses: int, every_s: float) -> list[Pressed]:
    """Press the newest button on screen every `every_s` (skipping a moment with none)."""
    pressed: list[Pressed] = []
    due = time.monotonic()
    while len(pressed) < presses:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        due += every_s
        shown = [m for m in fake.transcript(person) if any(b.callback_data for b in m.buttons)]
        if not shown:
            continue
        message = shown[-1]
        at = time.monotonic()
        update_id = await fake.press(person, message.message_id, str(message.buttons[0].callback_data))
        pressed.append(Pressed(fake.updates[update_id]["callback_query"]["id"], update_id, at))
    return pressed
