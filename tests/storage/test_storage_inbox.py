"""The inbox: a duplicate is dropped when stored, a learner's entries go out oldest first to
one live worker at a time, and a dead worker's claim is taken over after its lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from storage.db import Database
from storage.inbox import (
    MAX_ATTEMPTS,
    Arrival,
    Entry,
    finish_and_take_all,
    forget_done_before,
    learners_waiting,
    renew_claims,
    store,
    store_and_take_all,
    take_next,
)
from storage.models import InboxEntry

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def arrival(event_id: str, learner: str = "T1:U1") -> Arrival:
    return Arrival("slack", event_id, learner, "message", f'{{"event_id": "{event_id}"}}', NOW)


def stored(database: Database, *arrivals: Arrival) -> list[bool]:
    with database.transaction() as session:
        return [store(session, each) for each in arrivals]


def take(database: Database, worker: str, at: datetime = NOW, learner: str = "T1:U1") -> Entry | None:
    with database.transaction() as session:
        return take_next(session, "slack", learner, worker=worker, now=at, lease=LEASE)


def done(database: Database, entry: Entry, at: datetime = NOW) -> None:
    """`entry` marked done by a worker that then stops (takes nothing next)."""
    with database.transaction() as session:
        session.execute(update(InboxEntry).where(InboxEntry.id == entry.id).values(done_at=at))


def test_a_redelivery_is_dropped_when_stored(database: Database) -> None:
    assert stored(database, arrival("Ev1"), arrival("Ev1"), arrival("Ev2")) == [True, False, True]


def test_a_learner_s_entries_go_out_oldest_first_one_at_a_time(database: Database) -> None:
    stored(database, arrival("Ev1"), arrival("Ev2"), arrival("Ev3", learner="T1:U2"))
    first = take(database, "a")
    assert first is not None
    assert (first.event_id, first.attempts) == ("Ev1", 1)
    assert take(database, "b") is None  # Ev1 is a's, live: b may not jump ahead to Ev2
    assert take(database, "a") is None  # nor may a, until it has finished Ev1
    other = take(database, "b", learner="T1:U2")
    assert other is not None
    assert other.event_id == "Ev3"  # other learners go side by side
    done(database, first)
    second = take(database, "b")
    assert second is not None
    assert (second.event_id, second.payload) == ("Ev2", '{"event_id": "Ev2"}')


def test_a_claim_older_than_the_lease_is_taken_over(database: Database) -> None:
    stored(database, arrival("Ev1"))
    assert take(database, "dead") is not None
    assert take(database, "alive", NOW + LEASE - timedelta(seconds=1)) is None
    with database.transaction() as session:
        assert learners_waiting(session, "slack", worker="alive", now=NOW + LEASE, lease=LEASE) == ["T1:U1"]
    taken = take(database, "alive", NOW + LEASE)
    assert taken is not None
    assert (taken.event_id, taken.attempts) == ("Ev1", 2)


def test_a_renewed_claim_is_not_taken_over(database: Database) -> None:
    stored(database, arrival("Ev1"))
    assert take(database, "slow") is not None
    with database.transaction() as session:
        assert renew_claims(session, "slow", NOW + LEASE / 2) == 1
    assert take(database, "other", NOW + LEASE) is None
    with database.transaction() as session:
        assert learners_waiting(session, "slack", worker="other", now=NOW + LEASE, lease=LEASE) == []


def test_an_entry_that_keeps_killing_its_process_is_given_up(database: Database) -> None:
    stored(database, arrival("Ev1"), arrival("Ev2"))
    for attempt in range(MAX_ATTEMPTS):
        taken = take(database, f"worker{attempt}", NOW + attempt * LEASE)
        assert taken is not None
        assert (taken.event_id, taken.attempts) == ("Ev1", attempt + 1)
    after = take(database, "last", NOW + MAX_ATTEMPTS * LEASE)
    assert after is not None
    assert after.event_id == "Ev2"


def test_finished_entries_are_forgotten_after_a_while(database: Database) -> None:
    stored(database, arrival("Ev1"), arrival("Ev2"))
    first = take(database, "a")
    assert first is not None
    done(database, first)
    with database.transaction() as session:
        assert forget_done_before(session, "slack", NOW + timedelta(days=1)) == 1
    assert stored(database, arrival("Ev2")) == [False]  # the waiting one is still there


def test_storing_takes_the_entry_unless_an_older_one_of_the_learner_waits(database: Database) -> None:
    with database.transaction() as session:
        [(stored_now, taken)] = store_and_take_all(
            session, [arrival("Ev1")], worker="a", now=NOW, lease=LEASE
        )
    assert stored_now is True
    assert taken is not None
    assert (taken.event_id, taken.attempts) == ("Ev1", 1)
    with database.transaction() as session:
        # Ev1 is a's and unfinished: b stores Ev2 but may not take it, nor Ev1.
        again = [arrival("Ev2")]
        assert store_and_take_all(session, again, worker="b", now=NOW, lease=LEASE) == [(True, None)]
        assert store_and_take_all(session, again, worker="b", now=NOW, lease=LEASE) == [(False, None)]
    done(database, taken)
    after = take(database, "b")
    assert after is not None
    assert (after.event_id, after.attempts) == ("Ev2", 1)  # the withdrawn claim was not counted


def test_storing_several_at_once_is_storing_them_one_after_the_other(database: Database) -> None:
    stored(database, arrival("Old", learner="T1:U3"))  # stored by a process that died before taking it
    arrivals = [
        arrival("A1", learner="T1:U1"),
        arrival("B1", learner="T1:U2"),
        arrival("A2", learner="T1:U1"),  # A1 waits: stored, left to A1's lane
        arrival("B1", learner="T1:U2"),  # a redelivery within the same call
        arrival("C1", learner="T1:U3"),  # Old waits unclaimed: it is taken instead
    ]
    with database.transaction() as session:
        results = store_and_take_all(session, arrivals, worker="a", now=NOW, lease=LEASE)
    summary = [(ok, entry.event_id if entry is not None else None) for ok, entry in results]
    assert summary == [(True, "A1"), (True, "B1"), (True, None), (False, None), (True, "Old")]
    with database.transaction() as session:
        assert store_and_take_all(session, [arrival("A1")], worker="a", now=NOW, lease=LEASE) == [
            (False, None)
        ]


def test_finishing_several_at_once_hands_each_learner_its_next_entry(database: Database) -> None:
    with database.transaction() as session:
        results = store_and_take_all(
            session,
            [arrival("A1"), arrival("A2"), arrival("B1", learner="T1:U2")],
            worker="a",
            now=NOW,
            lease=LEASE,
        )
    a1, b1 = results[0][1], results[2][1]
    assert a1 is not None
    assert b1 is not None
    with database.transaction() as session:
        following = finish_and_take_all(
            session, "slack", [("T1:U1", a1, False), ("T1:U2", b1, False)], worker="a", now=NOW, lease=LEASE
        )
    assert [entry.event_id if entry is not None else None for entry in following] == ["A2", None]
    assert take(database, "b", learner="T1:U2") is None  # B1 is done: nothing left


def test_finishing_with_retake_own_takes_back_this_worker_s_lost_claim(database: Database) -> None:
    stored(database, arrival("A1"))
    assert take(database, "a") is not None  # its lane then failed, the claim is still live
    with database.transaction() as session:
        assert finish_and_take_all(
            session, "slack", [("T1:U1", None, False)], worker="a", now=NOW, lease=LEASE
        ) == [None]
        retaken = finish_and_take_all(
            session, "slack", [("T1:U1", None, True)], worker="a", now=NOW, lease=LEASE
        )
    assert [(entry.event_id, entry.attempts) for entry in retaken if entry is not None] == [("A1", 2)]
