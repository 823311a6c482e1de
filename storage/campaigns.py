"""The campaign tables' queries: choosing a campaign's learners and queueing their messages
(each one statement over the whole audience, so a launch to 100,000 learners is a few
statements, not 100,000 round trips), pausing and resuming, what one assignment is, and
the counts per variant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    Table,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.campaign_models import CampaignAssignment, CampaignClick, CampaignLaunch, ConversionTouch
from storage.customer_models import Conversion
from storage.models import Learner, LearnerIdentity, LearnerMessage, UtcDateTime

_LAUNCHES = cast(Table, CampaignLaunch.__table__)
_ASSIGNMENTS = cast(Table, CampaignAssignment.__table__)
_CLICKS = cast(Table, CampaignClick.__table__)
_TOUCHES = cast(Table, ConversionTouch.__table__)
_LEARNERS = cast(Table, Learner.__table__)
_IDENTITIES = cast(Table, LearnerIdentity.__table__)
_TO_LEARNERS = cast(Table, LearnerMessage.__table__)
_CONVERSIONS = cast(Table, Conversion.__table__)

QUEUED, HOLDOUT = "queued", "holdout"
LEFT_OUT = ("stopped", "unreachable", "paused", "unaddressed", "capped")
"""Why a chosen learner gets nothing, in the order they are tested."""
HELD = "held"
"""An outbox row of a paused campaign: not claimed until the campaign is launched again."""


def _count(result: object) -> int:
    """The rows an INSERT or UPDATE wrote (its `rowcount`, kept by `_COUNTED`)."""
    return int(cast(Any, result).rowcount or 0)


_COUNTED = {"preserve_rowcount": True}
"""SQLAlchemy keeps an INSERT's row count only when asked."""


def _moment(value: datetime) -> ColumnElement[datetime]:
    # Typed as the columns are: on SQLite an untyped datetime is stored in another format.
    return bindparam(None, value, type_=UtcDateTime())


@dataclass(frozen=True)
class FrequencyLimit:
    """At most `messages` campaign messages per learner in `days` days, across campaigns."""

    messages: int
    days: int


def launch_status(session: Session, campaign_id: str) -> str | None:
    """running, paused, or None (never launched)."""
    return session.scalar(select(_LAUNCHES.c.status).where(_LAUNCHES.c.campaign_id == campaign_id))


def set_launch_status(session: Session, campaign_id: str, status: str, now: datetime) -> None:
    known = launch_status(session, campaign_id)
    paused_at = now if status == "paused" else None
    if known is None:
        session.execute(
            insert(_LAUNCHES).values(
                campaign_id=campaign_id, status=status, launched_at=now, paused_at=paused_at, updated_at=now
            )
        )
    else:
        session.execute(
            update(_LAUNCHES)
            .where(_LAUNCHES.c.campaign_id == campaign_id)
            .values(status=status, paused_at=paused_at, updated_at=now)
        )


def _on_platforms(platforms: Sequence[str]) -> list[ColumnElement[bool]]:
    return [_IDENTITIES.c.platform.in_(list(platforms))] if platforms else []


def _addresses(platforms: Sequence[str]) -> Subquery:
    """Where each learner's campaign message goes: their first identity on the campaign's
    platforms (any platform when it names none). Grouped once for the whole launch and
    joined, rather than looked up learner by learner."""
    first = func.min(_IDENTITIES.c.id).label("identity_id")
    return (
        select(_IDENTITIES.c.learner_id, first)
        .where(*_on_platforms(platforms))
        .group_by(_IDENTITIES.c.learner_id)
        .subquery("addresses")
    )


def _outcome(
    arm: ColumnElement[str], platforms: Sequence[str], cap: FrequencyLimit | None, now: datetime
) -> ColumnElement[str]:
    learner = _LEARNERS.c
    tests: list[tuple[ColumnElement[bool], ColumnElement[str]]] = [
        (learner.subscribed.is_(False), literal("stopped")),
        (learner.unreachable_at.is_not(None), literal("unreachable")),
        (learner.paused_at.is_not(None), literal("paused")),
        (
            learner.id.not_in(select(_IDENTITIES.c.learner_id).where(*_on_platforms(platforms))),
            literal("unaddressed"),
        ),
    ]
    if cap is not None:
        # Those at the cap, found once (a hashed subplan), not counted per learner: the
        # statement inserts into the table it would count, and PostgreSQL, taking the
        # freshly filled table for an empty one, read all of it again for every learner.
        at_cap = (
            select(_ASSIGNMENTS.c.learner_id)
            .where(
                _ASSIGNMENTS.c.outcome == QUEUED,
                _ASSIGNMENTS.c.assigned_at > _moment(now - timedelta(days=cap.days)),
            )
            .group_by(_ASSIGNMENTS.c.learner_id)
            .having(func.count() >= cap.messages)
        )
        tests.append((learner.id.in_(at_cap), literal("capped")))
    tests.append((arm == HOLDOUT, literal(HOLDOUT)))
    return case(*tests, else_=literal(QUEUED))


def _choices(
    campaign_id: str,
    segment: Sequence[ColumnElement[bool]],
    arm: ColumnElement[str],
    *,
    platforms: Sequence[str],
    cap: FrequencyLimit | None,
    now: datetime,
) -> Select[tuple[str, int, str, str, datetime]]:
    learner = _LEARNERS.c
    # NOT IN a set read once, for the same reason as the cap: as NOT EXISTS, PostgreSQL
    # scanned the rows this very statement was inserting once for each learner.
    chosen_before = select(_ASSIGNMENTS.c.learner_id).where(_ASSIGNMENTS.c.campaign_id == campaign_id)
    outcome = _outcome(arm, platforms, cap, now)
    return select(
        literal(campaign_id).label("campaign_id"),
        learner.id.label("learner_id"),
        arm.label("variant"),
        outcome.label("outcome"),
        _moment(now).label("assigned_at"),
    ).where(*segment, learner.id.not_in(chosen_before))


def assign(
    session: Session,
    campaign_id: str,
    segment: Sequence[ColumnElement[bool]],
    arm: ColumnElement[str],
    *,
    platforms: Sequence[str],
    cap: FrequencyLimit | None,
    now: datetime,
) -> int:
    """Choose the learners of `segment` the campaign has not chosen before, each with their
    `arm` (a variant or the holdout) and what comes of it (queued, holdout, or why they are
    left out: tested before the split, so the holdout is left the same learners the variants
    are); how many were chosen. A learner chosen before keeps what they had."""
    rows = _choices(campaign_id, segment, arm, platforms=platforms, cap=cap, now=now)
    columns = ["campaign_id", "learner_id", "variant", "outcome", "assigned_at"]
    dialect = session.get_bind().dialect.name
    # Two launches at once: the second's rows for the same learners are dropped, not an error.
    statement = (
        postgresql.insert(_ASSIGNMENTS).from_select(columns, rows).on_conflict_do_nothing()
        if dialect == "postgresql"
        else sqlite.insert(_ASSIGNMENTS).from_select(columns, rows).on_conflict_do_nothing()
    )
    return _count(session.execute(statement, execution_options=_COUNTED))


def would_assign(
    session: Session,
    campaign_id: str,
    segment: Sequence[ColumnElement[bool]],
    arm: ColumnElement[str],
    *,
    platforms: Sequence[str],
    cap: FrequencyLimit | None,
    now: datetime,
) -> dict[tuple[str, str], int]:
    """What `assign` would choose now, counted by (arm, outcome), writing nothing."""
    rows = _choices(campaign_id, segment, arm, platforms=platforms, cap=cap, now=now).subquery()
    counted = select(rows.c.variant, rows.c.outcome, func.count()).group_by(rows.c.variant, rows.c.outcome)
    return {(variant, outcome): int(count) for variant, outcome, count in session.execute(counted)}


def queue_assigned(
    session: Session,
    campaign_id: str,
    *,
    platforms: Sequence[str],
    due_by_zone: Mapping[str, datetime],
    due_otherwise: datetime,
    now: datetime,
) -> int:
    """Put a message in the outbox for each queued learner of the campaign who has none yet,
    to the learner's first identity on the campaign's platforms, due at the time for their
    zone (`due_by_zone`, keyed by the zone the learner chose or their platform reported;
    else `due_otherwise`); how many."""
    learner = _LEARNERS.c
    addresses = _addresses(platforms)
    zone = func.coalesce(learner.chosen_timezone, learner.timezone)
    due: ColumnElement[datetime] = _moment(due_otherwise)
    if due_by_zone:
        due = case(*((zone == name, _moment(at)) for name, at in due_by_zone.items()), else_=due)
    rows = (
        select(
            _ASSIGNMENTS.c.learner_id,
            _IDENTITIES.c.platform,
            _IDENTITIES.c.workspace,
            _IDENTITIES.c.conversation_id,
            literal("campaign"),
            literal(""),
            _ASSIGNMENTS.c.id,
            literal("pending"),
            literal(0),
            due,
            _moment(now),
        )
        .select_from(
            _ASSIGNMENTS.join(_LEARNERS, _LEARNERS.c.id == _ASSIGNMENTS.c.learner_id)
            .join(addresses, addresses.c.learner_id == _ASSIGNMENTS.c.learner_id)
            .join(_IDENTITIES, _IDENTITIES.c.id == addresses.c.identity_id)
        )
        .where(
            _ASSIGNMENTS.c.campaign_id == campaign_id,
            _ASSIGNMENTS.c.outcome == QUEUED,
            _ASSIGNMENTS.c.id.not_in(_with_messages(campaign_id)),
        )
    )
    columns = [
        "learner_id",
        "platform",
        "workspace",
        "conversation_id",
        "kind",
        "text",
        "assignment_id",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    return _count(
        session.execute(insert(_TO_LEARNERS).from_select(columns, rows), execution_options=_COUNTED)
    )


def zones_waiting(session: Session, campaign_id: str) -> list[str | None]:
    """The zones of the campaign's queued learners who have no message yet (None: unknown)."""
    learner = _LEARNERS.c
    zone = func.coalesce(learner.chosen_timezone, learner.timezone)
    found = session.execute(
        select(zone)
        .distinct()
        .select_from(_ASSIGNMENTS.join(_LEARNERS, _LEARNERS.c.id == _ASSIGNMENTS.c.learner_id))
        .where(
            _ASSIGNMENTS.c.campaign_id == campaign_id,
            _ASSIGNMENTS.c.outcome == QUEUED,
            _ASSIGNMENTS.c.id.not_in(_with_messages(campaign_id)),
        )
    )
    return list(found.scalars())


def _with_messages(campaign_id: str) -> Select[tuple[int | None]]:
    """The campaign's assignments that have an outbox row, as a set read once (see `_choices`)."""
    mine = select(_ASSIGNMENTS.c.id).where(_ASSIGNMENTS.c.campaign_id == campaign_id)
    return select(_TO_LEARNERS.c.assignment_id).where(_TO_LEARNERS.c.assignment_id.in_(mine))


def _campaign_rows(campaign_id: str) -> ColumnElement[bool]:
    return _TO_LEARNERS.c.assignment_id.in_(
        select(_ASSIGNMENTS.c.id).where(_ASSIGNMENTS.c.campaign_id == campaign_id)
    )


def hold_messages(session: Session, campaign_id: str) -> int:
    """A paused campaign's messages not yet claimed stay in the outbox, held; how many."""
    held = (
        update(_TO_LEARNERS)
        .where(_campaign_rows(campaign_id), _TO_LEARNERS.c.status == "pending")
        .values(status=HELD)
    )
    return _count(session.execute(held, execution_options=_COUNTED))


def release_held(session: Session, campaign_id: str) -> int:
    """Launched again: the held messages go out (each still at its own due time)."""
    released = (
        update(_TO_LEARNERS)
        .where(_campaign_rows(campaign_id), _TO_LEARNERS.c.status == HELD)
        .values(status="pending")
    )
    return _count(session.execute(released, execution_options=_COUNTED))


@dataclass(frozen=True)
class Assignment:
    id: int
    campaign_id: str
    learner_id: int
    variant: str
    outcome: str
    sent_at: datetime | None


def find_assignment(session: Session, assignment_id: int) -> Assignment | None:
    row = session.execute(
        select(
            _ASSIGNMENTS.c.id,
            _ASSIGNMENTS.c.campaign_id,
            _ASSIGNMENTS.c.learner_id,
            _ASSIGNMENTS.c.variant,
            _ASSIGNMENTS.c.outcome,
            _ASSIGNMENTS.c.sent_at,
        ).where(_ASSIGNMENTS.c.id == assignment_id)
    ).one_or_none()
    return Assignment(*row) if row is not None else None


def mark_assignment_sent(session: Session, assignment_id: int, now: datetime) -> None:
    """The message was worded and handed to the platform: the touch conversions count from."""
    session.execute(
        update(_ASSIGNMENTS)
        .where(_ASSIGNMENTS.c.id == assignment_id, _ASSIGNMENTS.c.sent_at.is_(None))
        .values(sent_at=now)
    )


def queue_again(
    session: Session, assignment_id: int, due: datetime, now: datetime, *, status: str = "pending"
) -> None:
    """The message could not go out now (outside the campaign's window, the learner busy):
    a new outbox row for it, due at `due`, to where the last one went."""
    rows = _TO_LEARNERS.c
    last = select(func.max(rows.id)).where(rows.assignment_id == assignment_id).scalar_subquery()
    row = session.execute(
        select(
            _TO_LEARNERS.c.learner_id,
            _TO_LEARNERS.c.platform,
            _TO_LEARNERS.c.workspace,
            _TO_LEARNERS.c.conversation_id,
        ).where(_TO_LEARNERS.c.id == last)
    ).one_or_none()
    if row is None:
        return
    session.execute(
        insert(_TO_LEARNERS).values(
            learner_id=row.learner_id,
            platform=row.platform,
            workspace=row.workspace,
            conversation_id=row.conversation_id,
            kind="campaign",
            text="",
            assignment_id=assignment_id,
            status=status,
            attempts=0,
            next_attempt_at=due,
            created_at=now,
        )
    )


def record_click(session: Session, assignment_id: int, now: datetime) -> bool:
    """A press of the campaign's link; False if the assignment is unknown."""
    if session.scalar(select(_ASSIGNMENTS.c.id).where(_ASSIGNMENTS.c.id == assignment_id)) is None:
        return False
    session.execute(insert(_CLICKS).values(assignment_id=assignment_id, clicked_at=now))
    return True


@dataclass(frozen=True)
class ArmCounts:
    """One variant's (or the holdout's) learners, from chosen to converted."""

    arm: str
    chosen: int = 0
    left_out: Mapping[str, int] | None = None
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    clicked: int = 0
    converted: int = 0
    revenue_cents: int = 0


def arm_counts(session: Session, campaign_id: str) -> list[ArmCounts]:
    """Per arm: chosen, left out (by reason), queued (waiting in the outbox), sent (handed
    to the platform), delivered (the platform took it), failed (given up), clicked, and
    converted (a conversion's last touch) with its revenue."""
    mine = _ASSIGNMENTS.c.campaign_id == campaign_id
    by_arm: dict[str, dict[str, int]] = {}
    left: dict[str, dict[str, int]] = {}
    for arm, outcome, count in session.execute(
        select(_ASSIGNMENTS.c.variant, _ASSIGNMENTS.c.outcome, func.count())
        .where(mine)
        .group_by(_ASSIGNMENTS.c.variant, _ASSIGNMENTS.c.outcome)
    ):
        counts = by_arm.setdefault(arm, {})
        counts["chosen"] = counts.get("chosen", 0) + count
        if outcome in LEFT_OUT:
            left.setdefault(arm, {})[outcome] = count
    latest = (
        select(_TO_LEARNERS.c.assignment_id, func.max(_TO_LEARNERS.c.id).label("row_id"))
        .where(_TO_LEARNERS.c.assignment_id.is_not(None))
        .group_by(_TO_LEARNERS.c.assignment_id)
        .subquery()
    )
    state = case(
        (_TO_LEARNERS.c.status == "failed", literal("failed")),
        (_ASSIGNMENTS.c.sent_at.is_not(None) & (_TO_LEARNERS.c.status == "sent"), literal("delivered")),
        (_ASSIGNMENTS.c.sent_at.is_not(None), literal("sent")),
        (_TO_LEARNERS.c.status.in_(("pending", HELD)), literal("queued")),
        else_=literal("dropped"),
    )
    for arm, where, count in session.execute(
        select(_ASSIGNMENTS.c.variant, state, func.count())
        .select_from(
            _ASSIGNMENTS.join(latest, latest.c.assignment_id == _ASSIGNMENTS.c.id).join(
                _TO_LEARNERS, _TO_LEARNERS.c.id == latest.c.row_id
            )
        )
        .where(mine)
        .group_by(_ASSIGNMENTS.c.variant, state)
    ):
        by_arm.setdefault(arm, {})[where] = count
    by_arm_sent = {arm: counts.get("delivered", 0) for arm, counts in by_arm.items()}
    for arm, count in by_arm_sent.items():
        by_arm[arm]["sent"] = by_arm[arm].get("sent", 0) + count  # delivered were sent too
    for arm, count in session.execute(
        select(_ASSIGNMENTS.c.variant, func.count(func.distinct(_CLICKS.c.assignment_id)))
        .select_from(_ASSIGNMENTS.join(_CLICKS, _CLICKS.c.assignment_id == _ASSIGNMENTS.c.id))
        .where(mine)
        .group_by(_ASSIGNMENTS.c.variant)
    ):
        by_arm.setdefault(arm, {})["clicked"] = count
    conversions = _CONVERSIONS
    for arm, count, revenue in session.execute(
        select(
            _ASSIGNMENTS.c.variant,
            func.count(func.distinct(_TOUCHES.c.assignment_id)),
            func.coalesce(func.sum(conversions.c.revenue_cents), 0),
        )
        .select_from(
            _ASSIGNMENTS.join(_TOUCHES, _TOUCHES.c.assignment_id == _ASSIGNMENTS.c.id).join(
                conversions, conversions.c.id == _TOUCHES.c.conversion_id
            )
        )
        .where(mine, _TOUCHES.c.model == "last")
        .group_by(_ASSIGNMENTS.c.variant)
    ):
        by_arm.setdefault(arm, {})["converted"] = count
        by_arm[arm]["revenue_cents"] = int(revenue)
    return [
        ArmCounts(
            arm=arm,
            chosen=counts.get("chosen", 0),
            left_out=left.get(arm, {}),
            queued=counts.get("queued", 0),
            sent=counts.get("sent", 0),
            delivered=counts.get("delivered", 0),
            failed=counts.get("failed", 0),
            clicked=counts.get("clicked", 0),
            converted=counts.get("converted", 0),
            revenue_cents=counts.get("revenue_cents", 0),
        )
        for arm, counts in sorted(by_arm.items())
    ]
