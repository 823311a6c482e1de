"""The inbox: requests stored before they are acknowledged, handed out per learner in order.

A platform that gets its 200 will not resend, so an adapter stores the raw request here in
one short transaction and only then acknowledges it; a duplicate delivery is dropped by the
unique (platform, event id) right there. Entries are then worked off one learner at a
time, oldest first: `take_next` gives a learner's oldest waiting entry to one process,
unless another process holds it under a live claim. A claim is a lease: its holder renews
it while alive (`renew_claims`); once it is older than the lease, the holder is presumed
dead and the next `take_next` takes the entry over, so a restart or another process
finishes it. Taking and finishing run under a per-learner lock (PostgreSQL advisory
transaction lock; SQLite's `BEGIN IMMEDIATE` serialises every writer anyway), which is
what keeps two processes from working one learner's entries out of order.

Nothing here knows a platform: Slack's adapter uses it, and Telegram's could.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Insert, Table, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import InboxEntry, ProcessedEvent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""An entry taken this often without finishing (each time its process died) is given up."""
_LOCK_CLASS = 0x4C4C4942  # "LLIB": the advisory-lock namespace of the inbox

_INBOX = cast(Table, InboxEntry.__table__)
_PROCESSED = cast(Table, ProcessedEvent.__table__)


@dataclass(frozen=True)
class Arrival:
    """A request as received, before it is stored."""

    platform: str
    event_id: str
    learner_key: str
    kind: str
    payload: str
    received_at: datetime


@dataclass(frozen=True)
class Entry(Arrival):
    """A stored request handed to a process to work on: the arrival, with its row."""

    id: int
    attempts: int
    """How often it was taken, this time included: above 1, an earlier process died on it."""


def _row(arrival: Arrival, *, claimed_by: str | None, claimed_at: datetime | None) -> dict[str, object]:
    """The inbox row of `arrival`, claimed already or not."""
    return {
        "platform": arrival.platform,
        "event_id": arrival.event_id,
        "learner_key": arrival.learner_key,
        "kind": arrival.kind,
        "payload": arrival.payload,
        "received_at": arrival.received_at,
        "claimed_by": claimed_by,
        "claimed_at": claimed_at,
        "attempts": 0 if claimed_by is None else 1,
    }


def store(session: Session, arrival: Arrival) -> bool:
    """Insert `arrival` unless its (platform, event id) is stored already; True if new."""
    connection = session.connection()
    values = _row(arrival, claimed_by=None, claimed_at=None)
    return connection.execute(_STORE[connection.dialect.name], values).first() is not None


def store_and_take_all(
    session: Session, arrivals: Sequence[Arrival], *, worker: str, now: datetime, lease: timedelta
) -> list[tuple[bool, Entry | None]]:
    """Store each of `arrivals` (all of one platform) and take it for `worker` if nothing
    older of its learner is unfinished, as if one after the other; False for a duplicate.

    One multi-row insert and one lookup serve them all in the common case (storing is what
    every acknowledgement waits for, and under load many arrive together): each entry is
    inserted already claimed, and the claim is withdrawn if, under the learner's lock, an
    older unfinished entry turns up; then `take_next` decides what the learner gets."""
    if not arrivals:
        return []
    platform = arrivals[0].platform
    assert all(each.platform == platform for each in arrivals), "one platform per call"
    connection = session.connection()
    rows = [_row(each, claimed_by=worker, claimed_at=now) for each in arrivals]
    inserted = {row.event_id: row.id for row in connection.execute(_STORE_ALL[connection.dialect.name], rows)}
    keys = sorted({each.learner_key for each in arrivals})
    for key in keys:  # sorted, so two processes locking the same learners cannot deadlock
        _lock_learner(session, platform, key)
    unfinished = connection.execute(_UNFINISHED, {"platform": platform, "learner_keys": keys}).all()
    oldest: dict[str, int] = {}
    for row in unfinished:
        oldest[row.learner_key] = min(row.id, oldest.get(row.learner_key, row.id))
    results: list[tuple[bool, Entry | None]] = []
    for each in arrivals:
        entry_id = inserted.pop(each.event_id, None)  # pop: a repeat within `arrivals` is a duplicate
        if entry_id is None:
            results.append((False, None))
            continue
        if oldest[each.learner_key] == entry_id:
            results.append((True, _claimed_entry(entry_id, each)))
            continue
        connection.execute(_UNCLAIM, {"entry_id": entry_id})
        results.append(
            (True, take_next(session, platform, each.learner_key, worker=worker, now=now, lease=lease))
        )
    return results


def finish_and_take_all(
    session: Session,
    platform: str,
    work: Sequence[tuple[str, Entry | None, bool]],
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
) -> list[Entry | None]:
    """For each (learner key, entry finished or None, retake_own): mark the entry done (its
    work and replies are out), then `take_next` for the learner in the same transaction, so
    no other process can slip in between; one update and one lookup for them all when
    nothing more waits for those learners."""
    if not work:
        return []
    keys = sorted({learner_key for learner_key, _entry, _retake in work})
    for key in keys:
        _lock_learner(session, platform, key)
    connection = session.connection()
    done_ids = [entry.id for _key, entry, _retake in work if entry is not None]
    if done_ids:
        connection.execute(_MARK_ALL_DONE, {"entry_ids": done_ids, "now": now})
    waiting = {
        row.learner_key
        for row in connection.execute(_UNFINISHED, {"platform": platform, "learner_keys": keys})
    }
    return [
        take_next(session, platform, key, worker=worker, now=now, lease=lease, retake_own=retake)
        if key in waiting
        else None
        for key, _entry, retake in work
    ]


def take_next(
    session: Session,
    platform: str,
    learner_key: str,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    retake_own: bool = False,
) -> Entry | None:
    """Claim the learner's oldest waiting entry for `worker`; None if there is none or a
    live claim is on it (its holder takes the rest in turn). `retake_own`: `worker`'s own
    claim counts as lapsed (the work on it was lost, though the process lives)."""
    _lock_learner(session, platform, learner_key)
    connection = session.connection()
    while True:
        row = connection.execute(_OLDEST_WAITING, {"platform": platform, "learner_key": learner_key}).first()
        if row is None:
            return None
        claimed_at: datetime | None = row.claimed_at
        live = claimed_at is not None and claimed_at > now - lease
        if row.claimed_by is not None and live and not (retake_own and row.claimed_by == worker):
            return None
        if row.attempts >= MAX_ATTEMPTS:
            log.error("gave up %s event %s after %d attempts", platform, row.event_id, row.attempts)
            connection.execute(_MARK_DONE, {"entry_id": row.id, "now": now})
            continue
        attempts = row.attempts + 1
        connection.execute(_CLAIM, {"entry_id": row.id, "worker": worker, "now": now, "attempts": attempts})
        return Entry(
            id=row.id,
            platform=platform,
            event_id=row.event_id,
            learner_key=learner_key,
            kind=row.kind,
            payload=row.payload,
            received_at=row.received_at,
            attempts=attempts,
        )


def _claimed_entry(entry_id: int, arrival: Arrival) -> Entry:
    return Entry(**vars(arrival), id=entry_id, attempts=1)


def renew_claims(session: Session, worker: str, now: datetime) -> int:
    """Show that `worker` is alive: its claims on unfinished entries start a new lease."""
    result = session.execute(
        update(_INBOX).where(_INBOX.c.claimed_by == worker, _INBOX.c.done_at.is_(None)).values(claimed_at=now)
    )
    return int(cast(Any, result).rowcount)


def learners_waiting(
    session: Session, platform: str, *, worker: str, now: datetime, lease: timedelta, limit: int = 100
) -> list[str]:
    """Learners with an unfinished entry nobody holds a live claim on: never claimed (its
    process died before taking it) or claimed longer ago than the lease (its process died
    while working on it); and those `worker` claimed itself (the caller skips the ones it
    is working on)."""
    rows = session.execute(
        select(_INBOX.c.learner_key)
        .where(
            _INBOX.c.platform == platform,
            _INBOX.c.done_at.is_(None),
            or_(
                _INBOX.c.claimed_at.is_(None),
                _INBOX.c.claimed_at <= now - lease,
                _INBOX.c.claimed_by == worker,
            ),
        )
        .group_by(_INBOX.c.learner_key)
        .order_by(func.min(_INBOX.c.id))
        .limit(limit)
    )
    return [row.learner_key for row in rows]


def forget_done_before(session: Session, platform: str, cutoff: datetime) -> int:
    """Delete entries finished before `cutoff` (the event ids stay in `processed_events`)."""
    result = session.execute(delete(_INBOX).where(_INBOX.c.platform == platform, _INBOX.c.done_at < cutoff))
    return int(cast(Any, result).rowcount)


def already_handled(session: Session, platform: str, event_id: str) -> bool:
    """Whether the engine committed this event: a process died after that, before replying."""
    found = session.execute(
        select(_PROCESSED.c.event_id).where(
            _PROCESSED.c.platform == platform, _PROCESSED.c.event_id == event_id
        )
    ).first()
    return found is not None


def _lock_learner(session: Session, platform: str, learner_key: str) -> None:
    if session.connection().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:key))"),
            {"namespace": _LOCK_CLASS, "key": f"{platform}:{learner_key}"},
        )


def _insert_unless_present(dialect: Any, *returning: ColumnElement[Any]) -> Insert:
    insert: Callable[[Table], Any] = dialect.insert
    statement: Insert = (
        insert(_INBOX).on_conflict_do_nothing(index_elements=["platform", "event_id"]).returning(*returning)
    )
    return statement


_STORE = {
    "postgresql": _insert_unless_present(postgresql, _INBOX.c.id),
    "sqlite": _insert_unless_present(sqlite, _INBOX.c.id),
}
# Given a list of rows, SQLAlchemy sends these as multi-row INSERTs ("insertmanyvalues");
# a row left out as a duplicate returns nothing, so the ids come back keyed by event id.
_STORE_ALL = {
    "postgresql": _insert_unless_present(postgresql, _INBOX.c.id, _INBOX.c.event_id),
    "sqlite": _insert_unless_present(sqlite, _INBOX.c.id, _INBOX.c.event_id),
}
# Built once: these run two or three times per request, and building one costs more than
# running it on SQLite.
_OLDEST_WAITING = (
    select(
        _INBOX.c.id,
        _INBOX.c.event_id,
        _INBOX.c.kind,
        _INBOX.c.payload,
        _INBOX.c.received_at,
        _INBOX.c.claimed_by,
        _INBOX.c.claimed_at,
        _INBOX.c.attempts,
    )
    .where(
        _INBOX.c.platform == bindparam("platform"),
        _INBOX.c.learner_key == bindparam("learner_key"),
        _INBOX.c.done_at.is_(None),
    )
    .order_by(_INBOX.c.id)
    .limit(1)
)
_UNFINISHED = select(_INBOX.c.id, _INBOX.c.learner_key).where(
    _INBOX.c.platform == bindparam("platform"),
    _INBOX.c.learner_key.in_(bindparam("learner_keys", expanding=True)),
    _INBOX.c.done_at.is_(None),
)
_MARK_ALL_DONE = (
    update(_INBOX)
    .where(_INBOX.c.id.in_(bindparam("entry_ids", expanding=True)))
    .values(done_at=bindparam("now"))
)
_UNCLAIM = (
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("entry_id"))
    .values(claimed_by=None, claimed_at=None, attempts=0)
)
_MARK_DONE = update(_INBOX).where(_INBOX.c.id == bindparam("entry_id")).values(done_at=bindparam("now"))
_CLAIM = (
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("entry_id"))
    .values(claimed_by=bindparam("worker"), claimed_at=bindparam("now"), attempts=bindparam("attempts"))
)
