"""A text used in many lessons is written once, in a snippets file, and included by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_content, validate_paths
from bot.content.model import LocalText, Say
from bot.engine import Engine
from bot.messages import TextReply
from storage.db import Database
from tests.engine.chat import Chat, Clock

SNIPPETS = """\
kind: snippets
id: shared
snippets:
  support_hours: {en: "Monday to Friday, 9:00-18:00", ko: "평일 9:00-18:00"}
  sign_off: "See you soon, {{ learner.first_name | default('friend') }}!"
"""
COURSE = """\
kind: course
id: hours
title: {en: Hours, ko: 시간}
lessons:
  - id: one
    title: {en: One, ko: 하나}
    steps:
      - say:
          en: "We answer {{ snippet('support_hours') }}."
          ko: "{{ snippet('support_hours') }}에 답해요."
      - say: |
          That's all.
          {{ snippet("sign_off") }}
"""


def _pack(folder: Path, course: str = COURSE, snippets: str = SNIPPETS) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "snippets.yaml").write_text(snippets, encoding="utf-8")
    (folder / "course.yaml").write_text(course, encoding="utf-8")
    return folder


def test_a_learner_reads_the_snippet_in_their_language(tmp_path: Path, database: Database) -> None:
    engine = Engine(load_content([_pack(tmp_path / "content")]), database, clock=Clock())
    english, korean = Chat(engine, "ann"), Chat(engine, "kim", locale="ko", first_name="Kim")
    english.say("start")
    korean.say("start")

    assert english.press("Hours")[2:4] == (
        TextReply("We answer Monday to Friday, 9:00-18:00."),
        TextReply("That's all.\nSee you soon, Ann!\n"),
    )
    assert korean.press("시간")[2] == TextReply("평일 9:00-18:00에 답해요.")


def test_the_bundled_content_uses_its_snippets_cleanly() -> None:
    assert validate_paths([Path(__file__).parents[2] / "content"]) == []


def test_an_unknown_snippet_is_reported_at_its_line(tmp_path: Path) -> None:
    folder = _pack(tmp_path / "content", COURSE.replace('snippet("sign_off")', 'snippet("sign_of")'))

    [unknown, unused] = validate_paths([folder])

    assert str(unknown) == (
        f"{folder}/course.yaml:13:14: lesson 1, step 2 (lessons/0/steps/1/say): there is no snippet with id "
        "'sign_of' "
        "(did you mean 'sign_off'? known snippets: sign_off, support_hours)"
    )
    assert (unused.file, unused.line, unused.warning) == (f"{folder}/snippets.yaml", 5, True)
    assert str(unused).endswith(
        "snippets/sign_off: warning: no text uses snippet 'sign_off': include it with "
        '{{ snippet("sign_off") }}, or remove it'
    )


def test_a_missing_translation_is_a_warning_and_falls_back(tmp_path: Path) -> None:
    folder = _pack(tmp_path / "content", snippets=SNIPPETS.replace(', ko: "평일 9:00-18:00"', ""))

    [warning] = validate_paths([folder])
    pack = load_content([folder])

    assert str(warning) == (
        f"{folder}/course.yaml:10:15: lesson 1, step 1 (lessons/0/steps/0/say/ko): warning: snippet "
        "'support_hours' has "
        "no 'ko' text, so this 'ko' text would show it in en: add a 'ko' text to the snippet"
    )
    assert pack.courses["hours"].lessons[0].steps[0].action == Say(
        LocalText(
            {"en": "We answer Monday to Friday, 9:00-18:00.", "ko": "Monday to Friday, 9:00-18:00에 답해요."},
            "en",
        )
    )


def test_a_snippet_inside_an_expression_or_a_snippet_is_refused(tmp_path: Path) -> None:
    course = COURSE.replace('{{ snippet("sign_off") }}', '{{ snippet("sign_off") | upper }}')
    snippets = SNIPPETS.replace("friend') }}!", "friend') }}! {{ snippet('support_hours') }}")

    found = [error.message for error in validate_paths([_pack(tmp_path / "content", course, snippets)])]

    assert found == [
        'a snippet stands on its own, with its name in quotes: {{ snippet("support_hours") }}',
        "no text uses snippet 'sign_off': include it with {{ snippet(\"sign_off\") }}, or remove it",
        "a snippet cannot include another snippet: write that text out here",
    ]


def test_validate_counts_warnings_apart_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import _validate

    folder = _pack(tmp_path / "content", COURSE.replace('{{ snippet("sign_off") }}', "Bye."))

    assert _validate([folder], folder) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "2 files checked, no problems, 1 warning"
