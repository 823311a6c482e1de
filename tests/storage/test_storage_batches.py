"""`Database.batch`: many transactions, one commit, each transaction still all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.db import Database
from storage.events import claim_event
from storage.models import ProcessedEvent
from tests.committed_rows import committed_event_ids

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class BrokenError(Exception):
    pass


def fail_after_writing(database: Database, event_id: str, *, flushed: bool) -> None:
    """A transaction that claims an event and adds an ORM row, then breaks."""
    with database.transaction() as session:
        claim_event(session, "slack", event_id, NOW)
        session.add(ProcessedEvent(platform="slack", event_id=f"{event_id}-orm", received_at=NOW))
        if flushed:
            session.flush()
        raise BrokenError


def claim_then_break(database: Database, event_id: str) -> None:
    """A batch that claims an event, then breaks outside any transaction."""
    with database.batch():
        with database.transaction() as session:
            claim_event(session, "slack", event_id, NOW)
        raise BrokenError


def test_a_batch_commits_its_transactions_together_at_its_end(database: Database) -> None:
    with database.batch():
        for event_id in ("a", "b"):
            with database.transaction() as session:
                claim_event(session, "slack", event_id, NOW)
        assert committed_event_ids(database) == []
    assert committed_event_ids(database) == ["a", "b"]


def test_a_failing_transaction_is_undone_and_the_others_in_its_batch_stay(database: Database) -> None:
    with database.batch():
        with database.transaction() as session:
            claim_event(session, "slack", "kept", NOW)
        with pytest.raises(BrokenError):
            fail_after_writing(database, "undone", flushed=True)
        with database.transaction() as session:
            claim_event(session, "slack", "after", NOW)
    assert committed_event_ids(database) == ["after", "kept"]


def test_objects_added_but_not_flushed_by_a_failed_transaction_are_not_saved_later(
    database: Database,
) -> None:
    with database.batch():
        with pytest.raises(BrokenError):
            fail_after_writing(database, "pending", flushed=False)
        with database.transaction() as session:
            session.add(ProcessedEvent(platform="slack", event_id="next", received_at=NOW))
    assert committed_event_ids(database) == ["next"]


def test_a_transaction_sees_what_the_earlier_ones_of_its_batch_did(database: Database) -> None:
    with database.batch():
        with database.transaction() as session:
            assert claim_event(session, "slack", "once", NOW) is True
        with database.transaction() as session:
            assert claim_event(session, "slack", "once", NOW) is False


def test_an_error_outside_any_transaction_undoes_the_whole_batch(database: Database) -> None:
    with pytest.raises(BrokenError):
        claim_then_break(database, "lost")
    assert committed_event_ids(database) == []


def test_batches_do_not_nest(database: Database) -> None:
    with database.batch(), pytest.raises(RuntimeError, match="already open"), database.batch():
        pass
