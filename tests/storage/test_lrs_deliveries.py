"""Which learning records the LRS outbox queues: all of them on the first look, then what
is new, including a record stamped before the newest one queued (a turn that began
earlier and committed later), each once however often it is looked for."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.content.loader import load_content
from bot.engine import Engine
from storage.db import Database
from storage.lrs_deliveries import queue_new_records
from storage.lrs_models import LrsDelivery
from tests.engine.chat import Clock
from tests.xapi.history import slack_chat, take_the_course

CONTENT = Path(__file__).parents[1] / "xapi" / "content"


def _queued(database: Database) -> list[tuple[str, str]]:
    """Kinds in the order they are claimed, each with when it happened (and is due from)."""
    with database.transaction() as session:
        rows = session.execute(
            select(LrsDelivery.record_kind, LrsDelivery.next_attempt_at).order_by(
                LrsDelivery.next_attempt_at, LrsDelivery.id
            )
        )
        return [(kind, f"{at:%H:%M:%S}") for kind, at in rows]


def _look(database: Database, clock: Clock) -> int:
    with database.transaction() as session:
        return queue_new_records(session, clock())


def test_the_first_look_queues_the_history_and_later_ones_what_is_new_once(database: Database) -> None:
    pack, clock = load_content([CONTENT]), Clock()
    engine = Engine(pack, database, clock=clock)
    take_the_course(slack_chat(engine), clock)

    assert _look(database, clock) == 8
    assert _queued(database) == [
        ("lesson_completed", "09:00:14"),
        ("quiz_answer", "09:00:28"),
        ("quiz_answer", "09:00:49"),
        ("quiz_answer", "09:00:56"),
        ("quiz_attempt", "09:00:56"),
        ("survey_answer", "09:01:03"),
        ("survey_answer", "09:01:10"),
        ("lesson_completed", "09:01:17"),
    ]
    assert _look(database, clock) == 0

    # Another learner's turns, stamped up to a minute before the newest record queued.
    clock.now = clock.now.replace(minute=0, second=0)
    take_the_course(slack_chat(engine, "U777", "Bo"), clock)
    assert _look(database, clock) == 8
    assert _look(database, clock) == 0
    assert len(_queued(database)) == 16
