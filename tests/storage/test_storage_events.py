"""`claim_event`: the first delivery of an event is claimed, every redelivery is not."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from storage.db import Database
from storage.events import claim_event
from storage.models import ProcessedEvent

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_first_claim_wins_and_a_redelivery_loses(database: Database) -> None:
    with database.transaction() as session:
        assert claim_event(session, "slack", "Ev1", NOW) is True
    with database.transaction() as session:
        assert claim_event(session, "slack", "Ev1", NOW) is False


def test_a_duplicate_leaves_the_transaction_usable(database: Database) -> None:
    """No IntegrityError: the caller's transaction goes on and commits its other work."""
    with database.transaction() as session:
        assert claim_event(session, "telegram", "42", NOW) is True
        assert claim_event(session, "telegram", "42", NOW) is False
        session.add(ProcessedEvent(platform="telegram", event_id="43", received_at=NOW))
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2


def test_same_event_id_on_another_platform_is_another_event(database: Database) -> None:
    with database.transaction() as session:
        assert claim_event(session, "slack", "1", NOW) is True
        assert claim_event(session, "telegram", "1", NOW) is True


def test_a_claim_rolled_back_with_its_work_can_be_claimed_again(database: Database) -> None:
    """Handling failed, so nothing was done: the redelivery must get to do it."""
    try:
        with database.transaction() as session:
            assert claim_event(session, "slack", "Ev1", NOW) is True
            raise RuntimeError("the handler failed")
    except RuntimeError:
        pass
    with database.transaction() as session:
        assert claim_event(session, "slack", "Ev1", NOW) is True
        count = session.scalar(select(func.count()).select_from(ProcessedEvent))
    assert count == 1
