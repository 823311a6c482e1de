"""The outbox to learners: messages the bot sends on its own, not in answer to an event of
theirs (a support agent's reply, "your question was resolved", a scheduled lesson). The
process serving the learner's platform claims and sends them (`bot.delivery.outbox`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from storage.models import Learner, LearnerIdentity, LearnerMessage
from storage.outbox import LEASE, claim_due, mark_failed

_TO_LEARNERS = cast(Table, LearnerMessage.__table__)
_IDENTITIES = cast(Table, LearnerIdentity.__table__)
_LEARNERS = cast(Table, Learner.__table__)


@dataclass(frozen=True)
class DueLearnerMessage:
    id: int
    learner_id: int
    platform: str
    workspace: str
    conversation_id: str
    kind: str
    text: str
    attempts: int
    course_id: str | None = None
    """With `lesson_id`: a scheduled lesson, worded when it is sent."""
    lesson_id: str | None = None
    user_id: str = ""
    """The learner's id on the platform (Slack keys the messages on screen by it)."""
    invitation_id: int | None = None
    """A survey's: which `SurveyInvitation` it answers."""
    assignment_id: int | None = None
    """A campaign's: which `CampaignAssignment` (the campaign and variant) it sends."""


@dataclass(frozen=True)
class NewOutreach:
    """Something due that the engine words when it is sent (`Engine.reach_out`)."""

    learner_id: int
    kind: str
    """reminder, review or survey (lessons are queued in bulk by `storage.due_lessons`)"""
    course_id: str | None = None
    invitation_id: int | None = None


def queue_learner_message(
    session: Session, learner_id: int, platform: str, *, kind: str, text: str, now: datetime
) -> bool:
    """Queue `text` to the learner on `platform`, where they last talked to the bot;
    False if they are not known there."""
    address = session.execute(
        select(_IDENTITIES.c.workspace, _IDENTITIES.c.conversation_id)
        .where(_IDENTITIES.c.learner_id == learner_id, _IDENTITIES.c.platform == platform)
        .order_by(_IDENTITIES.c.id)
    ).first()
    if address is None:
        return False
    session.execute(
        insert(_TO_LEARNERS),
        {
            "learner_id": learner_id,
            "platform": platform,
            "workspace": address.workspace,
            "conversation_id": address.conversation_id,
            "kind": kind,
            "text": text,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    return True


def claim_learner_messages(
    session: Session, platform: str, now: datetime, limit: int = 20, *, lease: timedelta = LEASE
) -> list[DueLearnerMessage]:
    """Take up to `limit` due messages to learners on `platform` for this process, for `lease`."""
    claimed = claim_due(session, _TO_LEARNERS, _TO_LEARNERS.c.platform == platform, now, limit, lease=lease)
    if not claimed:
        return []
    rows = session.execute(
        select(_TO_LEARNERS).where(_TO_LEARNERS.c.id.in_(list(claimed))).order_by(_TO_LEARNERS.c.id)
    ).all()
    user_ids = _user_ids(session, {row.learner_id for row in rows})
    return [
        DueLearnerMessage(
            row.id,
            row.learner_id,
            row.platform,
            row.workspace,
            row.conversation_id,
            row.kind,
            row.text,
            claimed[row.id],
            row.course_id,
            row.lesson_id,
            user_ids.get((row.learner_id, row.platform, row.workspace), ""),
            row.invitation_id,
            row.assignment_id,
        )
        for row in rows
    ]


def _user_ids(session: Session, learner_ids: set[int]) -> dict[tuple[int, str, str], str]:
    """Each learner's id on each platform and workspace they are known in.

    Looked up by learner, apart: as a subquery per message, SQLite took the index on
    (platform, workspace, user_id) to find the smallest user id, and walked the whole
    workspace's learners in user id order for each message."""
    found: dict[tuple[int, str, str], str] = {}
    identities = select(
        _IDENTITIES.c.learner_id, _IDENTITIES.c.platform, _IDENTITIES.c.workspace, _IDENTITIES.c.user_id
    ).where(_IDENTITIES.c.learner_id.in_(learner_ids))
    for row in session.execute(identities):
        key = (row.learner_id, row.platform, row.workspace)
        found[key] = min(found.get(key, row.user_id), row.user_id)
    return found


def queue_outreach(session: Session, due: list[NewOutreach], now: datetime) -> None:
    """Queue each to its learner where they are first known (the platform they came from)."""
    if not due:
        return
    first = (
        select(func.min(_IDENTITIES.c.id))
        .where(_IDENTITIES.c.learner_id.in_({each.learner_id for each in due}))
        .group_by(_IDENTITIES.c.learner_id)
    )
    addresses = {
        row.learner_id: row
        for row in session.execute(
            select(
                _IDENTITIES.c.learner_id,
                _IDENTITIES.c.platform,
                _IDENTITIES.c.workspace,
                _IDENTITIES.c.conversation_id,
            ).where(_IDENTITIES.c.id.in_(first))
        )
    }
    rows = [
        {
            "learner_id": each.learner_id,
            "platform": address.platform,
            "workspace": address.workspace,
            "conversation_id": address.conversation_id,
            "kind": each.kind,
            "text": "",
            "course_id": each.course_id,
            "invitation_id": each.invitation_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for each in due
        if (address := addresses.get(each.learner_id)) is not None
    ]
    if rows:
        session.execute(insert(_TO_LEARNERS), rows)


def learner_messages_sent(session: Session, message_ids: Sequence[int], now: datetime) -> None:
    session.execute(
        update(_TO_LEARNERS)
        .where(_TO_LEARNERS.c.id.in_(list(message_ids)))
        .values(status="sent", sent_at=now, last_error=None)
    )


def learner_message_failed(session: Session, message_id: int, error: str, retry_at: datetime | None) -> None:
    """Not sent: due again at `retry_at`, or (None) given up on: status `failed`, kept."""
    mark_failed(session, _TO_LEARNERS, message_id, error, retry_at)


def mark_unreachable(session: Session, learner_id: int, now: datetime) -> None:
    """The platform said the learner cannot be written to: the bot stops speaking first."""
    session.execute(update(_LEARNERS).where(_LEARNERS.c.id == learner_id).values(unreachable_at=now))


def release_learner_messages(session: Session, message_ids: list[int], now: datetime) -> None:
    """Hand back rows claimed but not begun (a process stopping): due now, the claim's
    attempt not counted, so the next process takes them at once."""
    if message_ids:
        session.execute(
            update(_TO_LEARNERS)
            .where(_TO_LEARNERS.c.id.in_(message_ids), _TO_LEARNERS.c.status == "pending")
            .values(next_attempt_at=now, attempts=_TO_LEARNERS.c.attempts - 1)
        )
