"""Hand-offs to people and the two outboxes they fill: deliveries to support, messages to learners.

Both outboxes are claimed the same way, so that any number of processes can send from
them and no row goes out twice: one statement picks the due rows (`FOR UPDATE SKIP
LOCKED` on PostgreSQL, so a second process skips what the first is taking; SQLite's
`BEGIN IMMEDIATE` lets one writer claim at a time) and pushes their `next_attempt_at`
forward by a lease while it counts the attempt. The sender then calls the platform
outside any transaction (a slow Slack must not hold the database) and marks the row sent,
or due again after a backoff. A process that dies mid-send leaves the row to be claimed
again when the lease ends: a crash between the platform's answer and our commit is the
one case where a row is sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, insert, select, update
from sqlalchemy.orm import Session

from storage.models import Handoff, HandoffDelivery, Interaction, Learner, LearnerIdentity, LearnerMessage

LEASE = timedelta(minutes=2)
"""How long a claimed row is left to its sender: longer than any platform call may take."""
TRANSCRIPT_TURNS = 10

_HANDOFFS = cast(Table, Handoff.__table__)
_DELIVERIES = cast(Table, HandoffDelivery.__table__)
_TO_LEARNERS = cast(Table, LearnerMessage.__table__)
_INTERACTIONS = cast(Table, Interaction.__table__)
_LEARNERS = cast(Table, Learner.__table__)
_IDENTITIES = cast(Table, LearnerIdentity.__table__)

_BOT_KINDS = ("text", "choices", "quiz_question", "rating_scale")


@dataclass(frozen=True)
class TranscriptLine:
    """One turn of the conversation as support reads it: who spoke, and what."""

    at: datetime
    speaker: str
    """learner or bot"""
    text: str


@dataclass(frozen=True)
class HandoffCase:
    """A hand-off with everything a support destination shows."""

    id: int
    learner_id: int
    learner_name: str
    platform: str
    user_id: str
    """The learner's id on `platform` (a Slack user id, a Telegram user id)."""
    reason: str
    question: str
    transcript: tuple[TranscriptLine, ...]
    status: str
    opened_at: datetime
    locale: str


@dataclass(frozen=True)
class DueDelivery:
    id: int
    destination: str
    attempts: int
    """Including this one."""
    handoff: HandoffCase


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


# --- opening -------------------------------------------------------------------------------


def recent_turns(session: Session, learner_id: int, limit: int = TRANSCRIPT_TURNS) -> list[TranscriptLine]:
    """The learner's last `limit` turns from the interaction log, oldest first: what they
    typed or pressed, and what the bot said."""
    rows = session.execute(
        select(_INTERACTIONS.c.at, _INTERACTIONS.c.direction, _INTERACTIONS.c.kind, _INTERACTIONS.c.detail)
        .where(_INTERACTIONS.c.learner_id == learner_id, _INTERACTIONS.c.direction.in_(["in", "out"]))
        .order_by(_INTERACTIONS.c.id.desc())
        .limit(limit * 4)
    ).all()
    lines: list[TranscriptLine] = []
    for at, direction, kind, detail in rows:
        if not detail:
            continue
        if direction == "in" and kind == "text":
            lines.append(TranscriptLine(at, "learner", detail))
        elif direction == "out" and kind == "choice_accepted":
            lines.append(TranscriptLine(at, "learner", f"[pressed] {detail}"))
        elif direction == "out" and kind in _BOT_KINDS:
            lines.append(TranscriptLine(at, "bot", detail))
        if len(lines) == limit:
            break
    return lines[::-1]


def open_handoff(
    session: Session,
    *,
    learner_id: int,
    platform: str,
    locale: str,
    faq_question_id: int | None,
    reason: str,
    question: str,
    transcript: Sequence[TranscriptLine],
    destinations: Sequence[str],
    now: datetime,
) -> int:
    """Store the hand-off and one pending delivery per destination, in the caller's transaction."""
    handoff_id: int = session.execute(
        insert(_HANDOFFS).returning(_HANDOFFS.c.id),
        {
            "learner_id": learner_id,
            "platform": platform,
            "locale": locale,
            "faq_question_id": faq_question_id,
            "reason": reason,
            "question": question,
            "transcript": [
                {"at": line.at.isoformat(), "speaker": line.speaker, "text": line.text} for line in transcript
            ],
            "status": "open",
            "opened_at": now,
        },
    ).scalar_one()
    session.execute(
        insert(_DELIVERIES),
        [
            {
                "handoff_id": handoff_id,
                "destination": destination,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
            }
            for destination in destinations
        ],
    )
    return handoff_id


# --- the outbox to support -------------------------------------------------------------------


def claim_deliveries(
    session: Session, destinations: Sequence[str], now: datetime, limit: int = 20
) -> list[DueDelivery]:
    """Take up to `limit` due deliveries to `destinations` for this process (see the module)."""
    claimed = _claim(session, _DELIVERIES, _DELIVERIES.c.destination.in_(list(destinations)), now, limit)
    if not claimed:
        return []
    rows = session.execute(
        select(_DELIVERIES.c.id, _DELIVERIES.c.destination, _DELIVERIES.c.handoff_id).where(
            _DELIVERIES.c.id.in_(list(claimed))
        )
    ).all()
    cases = {case.id: case for case in find_cases(session, {row.handoff_id for row in rows})}
    return [
        DueDelivery(row.id, row.destination, claimed[row.id], cases[row.handoff_id])
        for row in sorted(rows, key=lambda row: row.id)
    ]


def delivered(session: Session, delivery_id: int, chat: str, message_id: str, now: datetime) -> None:
    """Sent; `chat` and `message_id` are how the platform will refer to the message."""
    session.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == delivery_id)
        .values(status="sent", sent_at=now, external_chat=chat, external_id=message_id, last_error=None)
    )


def delivery_failed(session: Session, delivery_id: int, error: str, retry_at: datetime | None) -> None:
    """Not sent: due again at `retry_at`, or (None) given up on: status `failed`, kept."""
    _failed(session, _DELIVERIES, delivery_id, error, retry_at)


def handoff_of_message(session: Session, destination: str, chat: str, message_id: str) -> int | None:
    """The hand-off whose support message is `message_id` in `chat`, if it is one."""
    return session.scalar(
        select(_DELIVERIES.c.handoff_id).where(
            _DELIVERIES.c.destination == destination,
            _DELIVERIES.c.external_chat == chat,
            _DELIVERIES.c.external_id == message_id,
        )
    )


def support_message(session: Session, handoff_id: int, destination: str) -> tuple[str, str] | None:
    """Where the hand-off was posted in `destination` (chat, message id), once it was."""
    row = session.execute(
        select(_DELIVERIES.c.external_chat, _DELIVERIES.c.external_id).where(
            _DELIVERIES.c.handoff_id == handoff_id,
            _DELIVERIES.c.destination == destination,
            _DELIVERIES.c.status == "sent",
        )
    ).first()
    return (str(row[0]), str(row[1])) if row is not None else None


# --- hand-offs ---------------------------------------------------------------------------------


def find_cases(session: Session, handoff_ids: set[int]) -> list[HandoffCase]:
    identity = and_(
        _IDENTITIES.c.learner_id == _HANDOFFS.c.learner_id, _IDENTITIES.c.platform == _HANDOFFS.c.platform
    )
    rows = session.execute(
        select(_HANDOFFS, _LEARNERS.c.first_name, _LEARNERS.c.last_name, _IDENTITIES.c.user_id)
        .join(_LEARNERS, _LEARNERS.c.id == _HANDOFFS.c.learner_id)
        .outerjoin(_IDENTITIES, identity)
        .where(_HANDOFFS.c.id.in_(list(handoff_ids)))
    ).all()
    cases: dict[int, HandoffCase] = {}
    for row in rows:
        if row.id in cases:  # a learner with two identities on one platform (two workspaces)
            continue
        cases[row.id] = HandoffCase(
            id=row.id,
            learner_id=row.learner_id,
            learner_name=f"{row.first_name} {row.last_name}".strip(),
            platform=row.platform,
            user_id=row.user_id or "",
            reason=row.reason,
            question=row.question,
            transcript=tuple(
                TranscriptLine(datetime.fromisoformat(line["at"]), line["speaker"], line["text"])
                for line in row.transcript
            ),
            status=row.status,
            opened_at=row.opened_at,
            locale=row.locale,
        )
    return list(cases.values())


def find_case(session: Session, handoff_id: int) -> HandoffCase | None:
    found = find_cases(session, {handoff_id})
    return found[0] if found else None


def mark_resolved(session: Session, handoff_id: int, by: str, now: datetime) -> bool:
    """Resolve an open hand-off; False if it was resolved already (a second press, a retry)."""
    result = session.execute(
        update(_HANDOFFS)
        .where(_HANDOFFS.c.id == handoff_id, _HANDOFFS.c.status == "open")
        .values(status="resolved", resolved_at=now, resolved_by=by[:200])
        .returning(_HANDOFFS.c.id)
    )
    return result.first() is not None


# --- the outbox to learners ----------------------------------------------------------------


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
    session: Session, platform: str, now: datetime, limit: int = 20
) -> list[DueLearnerMessage]:
    """Take up to `limit` due messages to learners on `platform` for this process."""
    claimed = _claim(session, _TO_LEARNERS, _TO_LEARNERS.c.platform == platform, now, limit)
    if not claimed:
        return []
    rows = session.execute(
        select(_TO_LEARNERS).where(_TO_LEARNERS.c.id.in_(list(claimed))).order_by(_TO_LEARNERS.c.id)
    ).all()
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
        )
        for row in rows
    ]


def learner_message_sent(session: Session, message_id: int, now: datetime) -> None:
    session.execute(
        update(_TO_LEARNERS)
        .where(_TO_LEARNERS.c.id == message_id)
        .values(status="sent", sent_at=now, last_error=None)
    )


def learner_message_failed(session: Session, message_id: int, error: str, retry_at: datetime | None) -> None:
    """Not sent: due again at `retry_at`, or (None) given up on: status `failed`, kept."""
    _failed(session, _TO_LEARNERS, message_id, error, retry_at)


def _failed(session: Session, table: Table, row_id: int, error: str, retry_at: datetime | None) -> None:
    values: dict[str, object] = {"last_error": error[:2000]}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = retry_at
    session.execute(update(table).where(table.c.id == row_id).values(values))


def _claim(
    session: Session, table: Table, which: ColumnElement[bool], now: datetime, limit: int
) -> dict[int, int]:
    """Claim due pending rows of `table`: their ids, each with its attempt number."""
    due = (
        select(table.c.id)
        .where(table.c.status == "pending", table.c.next_attempt_at <= now, which)
        .order_by(table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(attempts=table.c.attempts + 1, next_attempt_at=now + LEASE)
        .returning(table.c.id, table.c.attempts)
    )
    return {row.id: row.attempts for row in result}
