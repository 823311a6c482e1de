"""Writing the append-only interaction log that every metric is computed from.

Rows are collected during an event and inserted with one executemany at the end of its
transaction: one round trip instead of one per row keeps the hot path fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from storage.models import Interaction

_INSERT = cast(Table, Interaction.__table__).insert()
"""A Core executemany: the ORM's bulk path would cost more than the rows themselves."""
DETAIL_LIMIT = 2000
"""Log details are for metrics and support, not archives: long texts are cut."""


@dataclass(frozen=True)
class Mark:
    """A milestone the engine noticed (lesson completed, quiz answered, ...)."""

    kind: str
    content_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class LoggedInteraction:
    direction: str
    """in, out or mark"""
    kind: str
    content_id: str | None = None
    detail: str | None = None


def record_interactions(
    session: Session, learner_id: int, platform: str, at: datetime, rows: Sequence[LoggedInteraction]
) -> None:
    if not rows:
        return
    session.connection().execute(
        _INSERT,
        [
            {
                "at": at,
                "learner_id": learner_id,
                "platform": platform,
                "direction": row.direction,
                "kind": row.kind,
                "content_id": row.content_id,
                "detail": row.detail[:DETAIL_LIMIT] if row.detail else row.detail,
            }
            for row in rows
        ],
    )
