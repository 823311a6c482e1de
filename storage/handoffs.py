"""Hand-offs to people, and their outbox of deliveries to support destinations.

A hand-off is opened with one delivery row per configured destination; the dispatchers
claim them (`storage.outbox`), and the platform's reference to the posted message is kept
so that a support reply to it finds its hand-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.orm import Session

from storage.models import Handoff, HandoffDelivery, Interaction, Learner, LearnerIdentity
from storage.outbox import LEASE, claim_due, mark_failed

TRANSCRIPT_TURNS = 10

_HANDOFFS = cast(Table, Handoff.__table__)
_DELIVERIES = cast(Table, HandoffDelivery.__table__)
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
    session: Session, destinations: Sequence[str], now: datetime, limit: int = 20, *, lease: timedelta = LEASE
) -> list[DueDelivery]:
    """Take up to `limit` due deliveries to `destinations` for this process, for `lease` (see
    the module)."""
    which = _DELIVERIES.c.destination.in_(list(destinations))
    claimed = claim_due(session, _DELIVERIES, which, now, limit, lease=lease)
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
    mark_failed(session, _DELIVERIES, delivery_id, error, retry_at)


def handoff_of_message(session: Session, destination: str, chat: str, message_id: str) -> int | None:
    """The hand-off whose support message is `message_id` in `chat`, if it is one."""
    return session.scalar(
        select(_DELIVERIES.c.handoff_id).where(
            _DELIVERIES.c.destination == destination,
            _DELIVERIES.c.external_chat == chat,
            _DELIVERIES.c.external_id == message_id,
        )
    )


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
