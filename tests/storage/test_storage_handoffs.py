"""The hand-off outboxes: every row claimed by exactly one sender, even with two at once;
a row whose sender died comes back after its lease; a failed one after its backoff."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from storage.db import Database
from storage.handoffs import (
    TranscriptLine,
    claim_deliveries,
    delivered,
    delivery_failed,
    handoff_of_message,
    mark_resolved,
    open_handoff,
)
from storage.learner_messages import (
    claim_learner_messages,
    learner_message_failed,
    learner_messages_sent,
    queue_learner_message,
    release_learner_messages,
)
from storage.learners import create_learner
from storage.outbox import LEASE

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ASKED = TranscriptLine(NOW - timedelta(minutes=1), "learner", "can I pay by bitcoin?")


def _learner(database: Database, user: str = "U0ANN", platform: str = "slack") -> int:
    with database.transaction() as session:
        learner, _ = create_learner(
            session,
            platform=platform,
            workspace="T0ACME",
            user_id=user,
            conversation_id=f"D{user}",
            first_name="Ann",
            last_name="Lee",
            now=NOW,
        )
        return learner.id


def _open(database: Database, learner_id: int, destinations: list[str]) -> int:
    with database.transaction() as session:
        return open_handoff(
            session,
            learner_id=learner_id,
            platform="slack",
            locale="en",
            faq_question_id=None,
            reason="unanswered",
            question="can I pay by bitcoin?",
            transcript=[ASKED],
            destinations=destinations,
            now=NOW,
        )


def test_a_hand_off_is_claimed_once_per_destination_with_its_case(database: Database) -> None:
    learner_id = _learner(database)
    handoff_id = _open(database, learner_id, ["slack", "webhook"])

    with database.transaction() as session:
        claimed = claim_deliveries(session, ["slack", "webhook"], NOW)
    with database.transaction() as session:
        again = claim_deliveries(session, ["slack", "webhook"], NOW)

    assert [(d.destination, d.attempts, d.handoff.id) for d in claimed] == [
        ("slack", 1, handoff_id),
        ("webhook", 1, handoff_id),
    ]
    case = claimed[0].handoff
    assert (case.learner_name, case.platform, case.user_id, case.reason, case.status) == (
        "Ann Lee",
        "slack",
        "U0ANN",
        "unanswered",
        "open",
    )
    assert case.transcript == (ASKED,)
    assert again == []


def test_two_senders_at_once_never_take_the_same_row(database: Database) -> None:
    learner_id = _learner(database)
    opened = {_open(database, learner_id, ["webhook"]) for _ in range(60)}
    taken: list[list[int]] = [[], []]

    def sender(number: int) -> None:
        own = Database(database.url)
        try:
            while True:
                with own.transaction() as session:
                    batch = claim_deliveries(session, ["webhook"], NOW, limit=5)
                if not batch:
                    return
                with own.transaction() as session:
                    for delivery in batch:
                        delivered(session, delivery.id, "hook", str(delivery.id), NOW)
                taken[number].extend(delivery.handoff.id for delivery in batch)
        finally:
            own.dispose()

    threads = [threading.Thread(target=sender, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = taken[0] + taken[1]
    assert sorted(everything) == sorted(opened)  # each once: no row lost, none twice


def test_a_row_left_by_a_dead_sender_comes_back_after_its_lease(database: Database) -> None:
    learner_id = _learner(database)
    _open(database, learner_id, ["webhook"])
    with database.transaction() as session:
        assert len(claim_deliveries(session, ["webhook"], NOW)) == 1
    # The sender died before it marked the row: nobody may take it while its lease runs.
    with database.transaction() as session:
        assert claim_deliveries(session, ["webhook"], NOW + LEASE - timedelta(seconds=1)) == []
    with database.transaction() as session:
        [again] = claim_deliveries(session, ["webhook"], NOW + LEASE)
    assert again.attempts == 2


def test_a_failed_delivery_is_due_again_at_its_retry_time(database: Database) -> None:
    learner_id = _learner(database)
    _open(database, learner_id, ["webhook"])
    with database.transaction() as session:
        [first] = claim_deliveries(session, ["webhook"], NOW)
        delivery_failed(session, first.id, "HTTP 503", NOW + timedelta(seconds=5))
    with database.transaction() as session:
        assert claim_deliveries(session, ["webhook"], NOW + timedelta(seconds=4)) == []
        [second] = claim_deliveries(session, ["webhook"], NOW + timedelta(seconds=5))
        delivered(session, second.id, "C0SUPPORT", "1764000000.000001", NOW)
    with database.transaction() as session:
        assert claim_deliveries(session, ["webhook"], NOW + timedelta(days=1)) == []
        assert handoff_of_message(session, "webhook", "C0SUPPORT", "1764000000.000001") == first.handoff.id
        assert handoff_of_message(session, "slack", "C0SUPPORT", "1764000000.000001") is None


def test_a_hand_off_is_resolved_once(database: Database) -> None:
    handoff_id = _open(database, _learner(database), ["webhook"])
    with database.transaction() as session:
        assert mark_resolved(session, handoff_id, "slack:U0AGENT", NOW) is True
        assert mark_resolved(session, handoff_id, "slack:U0OTHER", NOW) is False


def test_messages_to_learners_go_to_the_process_of_their_platform(database: Database) -> None:
    ann = _learner(database, "U0ANN", "slack")
    bob = _learner(database, "51002", "telegram")
    with database.transaction() as session:
        assert queue_learner_message(session, ann, "slack", kind="support_reply", text="Hi Ann", now=NOW)
        assert queue_learner_message(session, bob, "telegram", kind="support_reply", text="Hi Bob", now=NOW)
        assert not queue_learner_message(session, bob, "slack", kind="support_reply", text="lost", now=NOW)

    with database.transaction() as session:
        [to_ann] = claim_learner_messages(session, "slack", NOW)
        learner_messages_sent(session, [to_ann.id], NOW)
    with database.transaction() as session:
        assert claim_learner_messages(session, "slack", NOW + LEASE) == []
        [to_bob] = claim_learner_messages(session, "telegram", NOW)

    assert (to_ann.workspace, to_ann.conversation_id, to_ann.text) == ("T0ACME", "DU0ANN", "Hi Ann")
    assert (to_bob.conversation_id, to_bob.text, to_bob.kind) == ("D51002", "Hi Bob", "support_reply")


def test_a_claim_lasts_the_lease_it_was_given(database: Database) -> None:
    ann = _learner(database, "U0ANN", "slack")
    lease = timedelta(seconds=10)
    with database.transaction() as session:
        assert queue_learner_message(session, ann, "slack", kind="support_reply", text="Hi Ann", now=NOW)
    with database.transaction() as session:
        [first] = claim_learner_messages(session, "slack", NOW, lease=lease)
    with database.transaction() as session:
        assert claim_learner_messages(session, "slack", NOW + lease - timedelta(seconds=1), lease=lease) == []
        [again] = claim_learner_messages(session, "slack", NOW + lease, lease=lease)

    assert (again.id, again.attempts) == (first.id, 2)


def test_the_longest_due_are_claimed_first(database: Database) -> None:
    ann = _learner(database, "U0ANN", "slack")
    with database.transaction() as session:
        for text in ("retried", "waiting"):
            assert queue_learner_message(session, ann, "slack", kind="support_reply", text=text, now=NOW)
    with database.transaction() as session:
        [retried, _waiting] = claim_learner_messages(session, "slack", NOW)
        learner_message_failed(session, retried.id, "503", NOW + timedelta(minutes=1))
        release_learner_messages(session, [_waiting.id], NOW)

    with database.transaction() as session:
        [first] = claim_learner_messages(session, "slack", NOW + timedelta(minutes=2), limit=1)

    # Due since NOW, against the retry's NOW + 1 min: the older id waits its turn.
    assert (first.text, first.user_id) == ("waiting", "U0ANN")


def test_a_claim_reads_only_the_rows_it_takes(database: Database) -> None:
    """Its statements, as SQLite plans them, use the indexes and sort nothing: a claim
    that read every due row, or every identity of a workspace, grew slower with each row."""
    if not database.is_sqlite:
        pytest.skip("the plan checked is SQLite's (PostgreSQL's depends on statistics)")
    learners = [_learner(database, f"U{n:04}") for n in range(50)]
    with database.transaction() as session:
        for learner_id in learners:
            assert queue_learner_message(
                session, learner_id, "slack", kind="support_reply", text="Hi", now=NOW
            )
    statements: list[tuple[str, Sequence[Any]]] = []

    def remember(
        _conn: object, _cursor: object, statement: str, parameters: Sequence[Any], *_rest: object
    ) -> None:
        statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        with database.transaction() as session:
            assert len(claim_learner_messages(session, "slack", NOW, limit=10)) == 10
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)

    with database.engine.connect() as connection:
        plans = [
            " / ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in statements
            if sql.lstrip().upper().startswith(("SELECT", "UPDATE"))
        ]
    assert len(plans) >= 3, plans  # the claim, the rows claimed, the learners' ids
    # Each learner's platform ids by learner: not a walk of the workspace's identities in
    # user id order, looking for theirs (the smallest user id of a learner).
    assert any("learner_identities USING INDEX ix_learner_identities_learner_id" in plan for plan in plans)
    for plan in plans:
        assert "TEMP B-TREE" not in plan, plan
        assert "SCAN" not in plan.replace("SCAN CONSTANT", ""), plan
