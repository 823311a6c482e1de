"""`lessonloop validate` as an author runs it: every problem in one run, in one stream, and one
file checked against the pack it belongs to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COURSE = """\
kind: course
id: five
title: Five mistakes
lessons:
  - id: one
    titel: One
    steps:
      - say: Hello
        goto: nowhere
      - quiz: five-check
  - id: two
    title: 2
    steps:
      - say: Bye
"""
QUIZ = """\
kind: quiz
id: five-check
title: Check
pass_mark: 1
questions:
  - id: q
    type: single
    text: Which?
    options:
      - {id: a, text: A}
      - {id: b, text: B}
"""


def lessonloop(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LESSONLOOP_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "validate", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_five_mistakes_are_five_problems_in_one_run(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "course.yaml").write_text(COURSE, encoding="utf-8")
    (tmp_path / "content" / "quiz.yaml").write_text(QUIZ, encoding="utf-8")
    (tmp_path / "content" / "survey.yaml").write_text("kind: survey\nid: s\ntitle: [oops\n", encoding="utf-8")

    result = lessonloop(cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "content/course.yaml:6:5: lesson 1 (lessons/0/titel): unknown key 'titel' (did you mean 'title'? "
        "allowed here: id, title, steps)",
        "content/course.yaml:9:9: lesson 1, step 1 (lessons/0/steps/0/goto): goto 'nowhere' points nowhere: "
        "lesson 'one' has no step with id 'nowhere' (none of its steps has an id)",
        "content/course.yaml:12:5: lesson 2 (lessons/1/title): expected text (a string, or a map of locale "
        "to "
        "string), got a number (2) (put it in quotes to make it text)",
        "content/quiz.yaml:6:5: question 1 (questions/0): question 'q' has no correct option: mark one with "
        "`correct: true`",
        "content/survey.yaml:3:8: the [ here starts a list that is not closed as YAML expects: close "
        "it with ] on this line, separating items with commas; if the text is meant to start with [, "
        'put it in quotes: "[oops"',
        "5 problems in 3 files",
    ]


def test_one_valid_file_of_the_bundled_pack_passes() -> None:
    result = lessonloop("content/courses/onboarding.yaml", cwd=ROOT)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "1 file checked, no problems\n"


def test_one_file_reports_only_its_own_problems(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "course.yaml").write_text(COURSE.replace("five-check", "other"), encoding="utf-8")
    (tmp_path / "content" / "quiz.yaml").write_text(QUIZ.replace("five-check", "other"), encoding="utf-8")

    result = lessonloop("content/quiz.yaml", cwd=tmp_path)

    assert result.stdout.splitlines() == [
        "content/quiz.yaml:6:5: question 1 (questions/0): question 'q' has no correct option: mark one with "
        "`correct: true`",
        "1 problem in 1 file",
    ]
