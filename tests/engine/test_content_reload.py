"""An author edits content while the bot runs: a valid change is answered from at once, a
broken one is reported with its file and line and changes nothing."""

from __future__ import annotations

import logging
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.content_reload import ContentReloader
from bot.engine import Engine
from storage.db import Database
from tests.engine.chat import Chat

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "No: Tasklane keeps track of the watering rota, but the plants are yours to water."
NEW_ENTRY = f"""
  - id: office-plants
    question: "Can Tasklane water the office plants?"
    phrasings:
      - "does tasklane water plants"
      - "plant watering robot"
    answer: "{ANSWER}"
    tags: [accounts]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copied = tmp_path / "content"
    shutil.copytree(ROOT / "content", copied)
    return copied


def test_an_added_faq_entry_is_answered_without_a_restart(folder: Path, database: Database) -> None:
    engine = Engine(load_content([folder]), database)
    reloader = ContentReloader(folder, "en", engine.use_content)
    chat = Chat(engine)

    chat.say("can tasklane water the office plants?")
    assert ANSWER not in chat.texts()
    assert reloader.check() is False  # nothing changed yet

    with (folder / "faq" / "tasklane.yaml").open("a", encoding="utf-8") as faq:
        faq.write(NEW_ENTRY)
    assert reloader.check() is True

    chat.say("can tasklane water the office plants?")
    assert chat.texts() == [ANSWER]
    assert engine.content.faq_entry("office-plants") is not None


def test_a_broken_edit_is_reported_and_the_bot_keeps_its_content(
    folder: Path, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    engine = Engine(load_content([folder]), database)
    reloader = ContentReloader(folder, "en", engine.use_content)
    before = engine.content
    (folder / "faq" / "half-saved.yaml").write_text(
        "kind: faq\nid: more\nentries:\n  - id: x\n    tittle: 1\n"
    )

    with caplog.at_level(logging.ERROR, logger="bot.content_reload"):
        assert reloader.check() is False

    assert engine.content is before
    problems = [record.getMessage() for record in caplog.records]
    assert any("half-saved.yaml:5:" in problem for problem in problems), problems
    assert problems[-1] == f"the bot keeps the content it had until {folder} is fixed"
    assert reloader.check() is False  # the same broken files are not reported again


def test_a_yaml_bomb_is_refused_with_its_line_without_eating_memory(
    folder: Path, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    engine = Engine(load_content([folder]), database)
    reloader = ContentReloader(folder, "en", engine.use_content)
    before = engine.content
    laughs = "".join(f"x{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]\n" for n in range(1, 10))
    (folder / "faq" / "laughs.yaml").write_text("kind: faq\nid: lol\nx0: &a0 lol\n" + laughs)

    tracemalloc.start()
    started = time.perf_counter()
    with caplog.at_level(logging.ERROR, logger="bot.content_reload"):
        assert reloader.check() is False
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert engine.content is before
    problems = [record.getMessage() for record in caplog.records]
    assert problems == [
        f"content not reloaded: {folder}/faq/laughs.yaml:6:45: aliases (*name) here would repeat more "
        "than 1000 values; write the text out instead of repeating it through anchors",
        f"the bot keeps the content it had until {folder} is fixed",
    ]
    assert elapsed < 15.0  # under tracemalloc, on a busy machine; expanding it took minutes
    assert peak < 30_000_000
