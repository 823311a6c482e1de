"""A crowd of Telegram learners, each done with lesson one of a small course and due lesson
two now, inserted in bulk (a turn each would take minutes): the broadcast benchmark sends
them their lesson, the SIGKILL test kills `serve` while it does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from storage.customer_models import Customer
from storage.db import Database
from storage.models import Enrolment, Learner, LearnerIdentity
from tests.telegram.fake_chats import Person

FIRST_ID = 700_000_000
"""The first learner's Telegram user and chat id; the others follow."""
CHUNK = 10_000
"""Rows a statement inserts."""
LESSON_TWO_TEXT = "Here is what is new this week."
COURSE = f"""\
kind: course
id: news
title: News
lessons:
  - id: one
    title: One
    steps:
      - say: Welcome.
  - id: two
    title: Two
    steps:
      - say: {LESSON_TWO_TEXT}
"""


def write_course(folder: Path) -> Path:
    """The course as a content folder of one file; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "news.yaml").write_text(COURSE, encoding="utf-8")
    return folder


def people(learners: int) -> list[Person]:
    """The crowd as the fake Telegram knows them, the n-th with the n-th chat."""
    return [Person(FIRST_ID + n, f"Learner{n}", language_code="en") for n in range(learners)]


def seed(database: Database, learners: int, *, due: bool = True, plan: str | None = None) -> None:
    """`learners` learners on Telegram, each done with lesson one and due lesson two now
    (or, not `due`, waiting for nothing). With a `plan`, each is a customer on it (the
    n-th learner the n-th customer), for a campaign's segment."""
    now = datetime.now(UTC)
    with database.transaction() as session:
        connection = session.connection()
        for start in range(0, learners, CHUNK):
            chunk = range(start, min(start + CHUNK, learners))
            if plan is not None:
                connection.execute(
                    insert(Customer),
                    [
                        {
                            "id": n + 1,
                            "external_id": f"customer-{n + 1}",
                            "name": "",
                            "plan": plan,
                            "attributes": {},
                            "created_at": now,
                            "updated_at": now,
                        }
                        for n in chunk
                    ],
                )
            connection.execute(
                insert(Learner),
                [
                    {
                        "id": n + 1,
                        "created_at": now,
                        "last_seen_at": now,
                        "attributes": {},
                        "answers": {},
                        "customer_id": n + 1 if plan is not None else None,
                    }
                    for n in chunk
                ],
            )
            connection.execute(
                insert(LearnerIdentity),
                [
                    {
                        "learner_id": n + 1,
                        "platform": "telegram",
                        "workspace": "",
                        "user_id": str(FIRST_ID + n),
                        "conversation_id": str(FIRST_ID + n),
                        "created_at": now,
                    }
                    for n in chunk
                ],
            )
            connection.execute(
                insert(Enrolment),
                [
                    {
                        "learner_id": n + 1,
                        "course_id": "news",
                        "status": "active",
                        "lesson_id": "two",
                        "completed_lessons": ["one"],
                        "started_at": now - timedelta(days=7),
                        "last_activity_at": now - timedelta(days=7),
                        "next_due_at": now - timedelta(seconds=1) if due else None,
                    }
                    for n in chunk
                ],
            )
