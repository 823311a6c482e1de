"""`lessonloop preview COURSE/LESSON`: an author takes one lesson from its first step, as a
new learner would, and nothing of it is left in the configured database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(arguments: list[str], lines: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "LESSONLOOP_DATABASE_URL": f"sqlite:///{database}",
        "LESSONLOOP_CONTENT_DIR": str(ROOT / "content"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_a_preview_takes_one_lesson_from_its_first_step_and_keeps_nothing(tmp_path: Path) -> None:
    configured = tmp_path / "lessonloop.db"

    previewed = run(["preview", "onboarding/invite-team"], ["1"], configured)

    assert previewed.returncode == 0, previewed.stderr
    lines = previewed.stdout.splitlines()
    assert lines[1:5] == [
        "Five short lessons, ten minutes in all: set up your first project, bring in your team and "
        "keep deadlines on track.",
        "📘 Lesson 3 of 5: Invite your team",
        "Tasklane gets much more useful with your teammates in it: you can assign tasks, @mention "
        "people and see who's working on what.",
        "How many people will work with you in Tasklane?",
    ]
    assert "> 1" in lines
    assert "✅ Lesson complete: Invite your team" in lines
    assert not configured.exists()


def test_chat_fresh_with_a_course_and_lesson_is_the_same_preview(tmp_path: Path) -> None:
    configured = tmp_path / "lessonloop.db"

    spelled_out = run(
        ["chat", "--course", "onboarding", "--lesson", "invite-team", "--fresh"], [], configured
    )

    assert "📘 Lesson 3 of 5: Invite your team" in spelled_out.stdout.splitlines()
    assert not configured.exists()


def test_a_preview_of_a_lesson_the_course_lacks_names_its_lessons(tmp_path: Path) -> None:
    previewed = run(["preview", "onboarding/invite"], [], tmp_path / "lessonloop.db")

    assert previewed.returncode == 2
    assert previewed.stderr.splitlines()[-1] == (
        "lessonloop: course 'onboarding' has no lesson 'invite' (its lessons: welcome, first-project, "
        "invite-team, stay-on-track, wrap-up)"
    )
