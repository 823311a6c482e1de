"""Claiming rows of an outbox so that any number of processes can send from it and no
row goes out twice.

One statement picks the due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so a second
process skips what the first is taking; SQLite's `BEGIN IMMEDIATE` lets one writer claim
at a time) and pushes their `next_attempt_at` forward by a lease while it counts the
attempt. The sender then calls the platform outside any transaction (a slow Slack must
not hold the database) and marks the row sent, or due again after a backoff, or failed.
A process that dies mid-send leaves the row to be claimed again when the lease ends: a
crash between the platform's answer and our commit is the one case where a row is sent
twice. Both outboxes (`handoff_deliveries`, `learner_messages`) have the columns used
here: `id`, `status`, `attempts`, `next_attempt_at`, `last_error`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, select, update
from sqlalchemy.orm import Session

LEASE = timedelta(minutes=2)
"""How long a claimed row is left to its sender unless the deployment says otherwise
(`outbox_lease_seconds`): longer than any platform call may take."""


def claim_due(
    session: Session,
    table: Table,
    which: ColumnElement[bool],
    now: datetime,
    limit: int,
    *,
    lease: timedelta = LEASE,
) -> dict[int, int]:
    """Claim due pending rows of `table` for `lease`, the longest due first: their ids,
    each with its attempt number. `table` has an index on (..., status, next_attempt_at, id)."""
    due = (
        select(table.c.id)
        .where(table.c.status == "pending", table.c.next_attempt_at <= now, which)
        # In the order of the due index, so the claim reads only the rows it takes: by id
        # alone, every due row was read and sorted (or, on PostgreSQL, every row sent
        # before skipped), and a claim grew slower with each row sent.
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(attempts=table.c.attempts + 1, next_attempt_at=now + lease)
        .returning(table.c.id, table.c.attempts)
    )
    return {row.id: row.attempts for row in result}


def mark_failed(session: Session, table: Table, row_id: int, error: str, retry_at: datetime | None) -> None:
    """Not sent: due again at `retry_at`, or (None) given up on: status `failed`, kept."""
    values: dict[str, object] = {"last_error": error[:2000]}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = retry_at
    session.execute(update(table).where(table.c.id == row_id).values(values))
