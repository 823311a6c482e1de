"""A template cannot hang or bloat the bot: each render has a budget of work and output, a
render that exceeds it is logged and replaced by its plain text, and `validate` says so."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from bot.content.loader import validate_paths
from bot.content.templates import LearnerView, TemplateProblem, placeholders, render_text

ADA = LearnerView("Ada", "Ada Lovelace", "en", "telegram", {})
LONG = {"note": "x" * 4000}
BOMBS = [
    "A{% for a in answers.note %}{% for b in answers.note %}{% endfor %}{% endfor %}B",
    'A{{ "a" * 10**9 }}B',
    'A{{ "a".center(10**9) }}B',
    'A{{ "a" | center(10**9) }}B',
    "A{{ 9**999999 }}B",
    'A{{ "%0999999999d" % 1 }}B',
    'A{{ answers.note | replace("", answers.note) }}B',
    "A{% for a in answers.note %}{{ answers.note }}{% endfor %}B",
    'A{{ answers.note | replace("x", "xxxxxxxxxx") | replace("x", "xxxxxxxxxx") }}B',
]


@pytest.mark.parametrize("source", BOMBS)
def test_a_template_bomb_fails_fast_to_its_plain_text(source: str, caplog: pytest.LogCaptureFixture) -> None:
    started = time.perf_counter()
    with caplog.at_level(logging.ERROR, logger="bot.content.templates"):
        out = render_text(source, ADA, LONG)
    assert time.perf_counter() - started < 1.0
    assert out == "AB"
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith("content template exceeded its budget")


def test_ordinary_templates_are_untouched() -> None:
    source = (
        '{% for c in "abc" %}{{ c | upper }}{% endfor %} {{ "-" * 3 }} {{ learner.first_name | center(9) }}'
    )
    assert render_text(source, ADA, {}) == "ABC ---    Ada   "


def test_validate_reports_a_bomb_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(
        "kind: course\nid: c\ntitle: C\nlessons:\n  - id: a\n    title: A\n    steps:\n"
        "      - say: 'Hi{{ \"a\" * 10**9 }}'\n",
        encoding="utf-8",
    )
    assert [str(error) for error in validate_paths([tmp_path])] == [
        "c.yaml:8:14: lesson 1, step 1 (lessons/0/steps/0/say): this template does too much work for one "
        "message "
        "(a string of 1000000000 characters); keep texts short and loops small"
    ]


def test_validate_renders_with_long_answers() -> None:
    [problem] = [found for found in placeholders(BOMBS[0]) if isinstance(found, TemplateProblem)]
    assert "too much work" in problem.message
