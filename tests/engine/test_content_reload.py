"""An author edits content while the bot runs: a valid change is answered from at once, a
broken one is reported with its file and line and changes nothing."""

from __future__ import annotations

import logging
import shutil
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
