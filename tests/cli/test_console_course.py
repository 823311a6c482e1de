"""The whole product through the real CLI: `lessonloop chat` driven by a script on stdin.

A learner takes the onboarding course with its quiz and NPS survey and asks three
questions; afterwards the database must hold exactly what happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.phrases import phrase
from storage.db import Database
from storage.models import (
    FaqQuestion,
    Interaction,
)
from tests.onboarding_record import assert_onboarding_walk_recorded

ROOT = Path(__file__).resolve().parents[2]

# One line per turn, as a learner would type them; numbers press the buttons shown.
SCRIPT = [
    "1",  # course: Getting started with Tasklane
    "1",  # welcome: I lead a team
    "1",  # Next lesson
    "Apollo launch",  # first-project: the project's name
    "1",  # Yes, it's there!
    "1",  # Next lesson
    "2",  # invite-team: 2 to 5 people
    "1",  # Next lesson
    "1",  # stay-on-track: reminders in Slack
    "2",  # quiz 1: Workload
    "1,2",  # quiz 2: invite by email, share a link
    "1",  # quiz 3: True
    "1",  # quiz 4
    "1",  # Next lesson
    "Write the launch plan",  # wrap-up: first task
    "9",  # NPS
    "The Workload view",  # promoter follow-up
    "Keep it up",  # anything else
    "how do I reset my password",
    "1",  # Helped
    "can I get a refund?",
    "2",  # Need a human
    "what is the airspeed velocity of an unladen swallow",
]


def chat(database_url: str, lines: list[str], learner: str = "Ann") -> str:
    environment = {
        **os.environ,
        "LESSONLOOP_DATABASE_URL": database_url,
        "LESSONLOOP_CONTENT_DIR": str(ROOT / "content"),
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--learner", learner],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=True,
    )
    assert finished.stderr == ""
    return finished.stdout


def test_a_learner_takes_the_onboarding_course_quiz_survey_and_asks_questions(database_url: str) -> None:
    transcript = chat(database_url, SCRIPT)

    assert transcript.startswith("Hi Ann! I teach short lessons right here in chat")
    assert "> Apollo launch\n" in transcript
    assert "You scored 4/4 (100%) and passed! 🎉" in transcript
    assert "🎉 You've finished “Getting started with Tasklane”!" in transcript
    assert "Sorry" not in transcript
    database = Database(database_url)
    try:
        with database.transaction() as session:
            assert_onboarding_walk_recorded(session)
            questions = session.scalars(select(FaqQuestion).order_by(FaqQuestion.id)).all()
            assert [(q.decision, q.outcome) for q in questions] == [
                ("answered", "helped"),
                ("answered", "need_human"),
                ("unanswered", None),
            ]
            assert questions[0].entry_id is not None
            inbound = session.scalar(
                select(func.count()).select_from(Interaction).where(Interaction.direction == "in")
            )
            assert inbound == len(SCRIPT) + 1  # every line, plus the start the console sends
            kinds = set(session.scalars(select(Interaction.kind).where(Interaction.direction == "mark")))
            assert {
                "enrolled",
                "lesson_completed",
                "quiz_completed",
                "survey_completed",
                "course_completed",
            } <= kinds
            assert {"faq_asked", "faq_outcome"} <= kinds
    finally:
        database.dispose()


def test_the_console_speaks_as_a_terminal(database_url: str) -> None:
    """Numbers, not taps; the open options again after help or progress; a pressed button
    marked differently from a finished course."""
    transcript = chat(database_url, ["1", "help", "progress", "banana", "2"])

    welcome_prompt = (
        "First things first: what brings you to Tasklane?\n"
        "  1. I lead a team\n"
        "  2. I get the work done\n"
        "  3. Just looking around\n"
    )
    after_course = transcript.split("> 1\n", 1)[1]
    assert after_course.startswith(
        "  » Getting started with Tasklane\n"
        "Five short lessons, ten minutes in all: set up your first project, bring in your team and "
        "keep deadlines on track.\n"
        "📘 Lesson 1 of 5: Welcome\n"
    )
    assert transcript.split("> help\n", 1)[1].split("> progress\n")[0] == (
        phrase("help", "en") + "\n" + welcome_prompt
    )
    assert transcript.split("> progress\n", 1)[1].split("> banana\n")[0] == (
        "Your progress:\n• Getting started with Tasklane: 0 of 5 lessons\n" + welcome_prompt
    )
    assert transcript.split("> banana\n", 1)[1].split("> 2\n")[0] == (
        "Please pick one of the options: type its number.\n" + welcome_prompt
    )
    assert transcript.split("> 2\n", 1)[1].startswith("  » I get the work done\n")
