"""Several processes serving one database, as several webhook workers would.

Every worker receives the same deliveries (as when a platform retries to another worker)
for the same brand-new learner, all at once. There must be exactly one learner, each
delivery handled exactly once, and no update lost: each handled "courses" command opens
one new prompt, so the learner's stored prompt counter must equal the number of events.
"""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

from sqlalchemy import func, select

from bot.content.loader import load_content
from bot.engine import Engine
from bot.messages import ChoicePrompt, InboundEvent, Platform, Sender
from bot.state import load_conversation
from storage.db import Database
from storage.models import Interaction, Learner, LearnerIdentity, ProcessedEvent

CONTENT = Path(__file__).parent / "content"
WORKERS = 3
EVENTS = 40


def _worker(database_url: str, seed: int, start: Event, answered: Queue[int]) -> None:
    database = Database(database_url)
    engine = Engine(load_content([CONTENT]), database)
    sender = Sender(Platform.TELEGRAM, "4242", first_name="Ann")
    count = 0
    order = list(range(EVENTS))
    random.Random(seed).shuffle(order)  # each worker meets the deliveries in its own order
    start.wait()
    try:
        for number in order:
            event = InboundEvent(sender, "4242", f"update:{number}", datetime.now(UTC), text="courses")
            replies = engine.handle(event)
            if replies:
                assert isinstance(replies[-1], ChoicePrompt), replies
                count += 1
    finally:
        database.dispose()
        answered.put(count)


def test_workers_sharing_a_database_handle_each_delivery_once(database: Database, database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    answered: Queue[int] = context.Queue()
    workers = [
        context.Process(target=_worker, args=(database_url, seed, start, answered)) for seed in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    start.set()
    counts = [answered.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    assert sum(counts) == EVENTS
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Learner)) == 1
        assert session.scalar(select(func.count()).select_from(LearnerIdentity)) == 1
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == EVENTS
        inbound = select(func.count()).select_from(Interaction).where(Interaction.direction == "in")
        assert session.scalar(inbound) == EVENTS
        stored = session.scalars(select(Learner.conversation)).one()
        assert load_conversation(stored).prompt_seq == EVENTS
