"""The counts a report's campaign lift is computed from: per campaign and arm, grouped in
the database (a few statements for every campaign at once, whatever their audiences), up
to an instant and for a set of learners."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, case, func, literal, select
from sqlalchemy.orm import Session

from storage.campaign_models import CampaignAssignment, CampaignClick, ConversionTouch
from storage.campaigns import LEFT_OUT
from storage.customer_models import Conversion
from storage.models import LearnerMessage

_ASSIGNMENTS = cast(Table, CampaignAssignment.__table__)
_CLICKS = cast(Table, CampaignClick.__table__)
_TOUCHES = cast(Table, ConversionTouch.__table__)
_CONVERSIONS = cast(Table, Conversion.__table__)
_TO_LEARNERS = cast(Table, LearnerMessage.__table__)


@dataclass(frozen=True)
class Attributed:
    """The arm's learners with a conversion credited to it by one touch model, and its revenue."""

    learners: int = 0
    revenue_cents: int = 0


@dataclass(frozen=True)
class ArmTally:
    campaign_id: str
    arm: str
    """A variant's id, or `holdout`."""
    chosen: int = 0
    left_out: Mapping[str, int] = field(default_factory=dict)
    delivered: int = 0
    failed: int = 0
    clicked: int = 0
    last_touch: Attributed = Attributed()
    first_touch: Attributed = Attributed()

    @property
    def audience(self) -> int:
        """Chosen and not left out: sent the variant (or due to be), or held out."""
        return self.chosen - sum(self.left_out.values())


def arm_tallies(session: Session, until: datetime, learners: Select[tuple[int]] | None) -> list[ArmTally]:
    """Per campaign and arm, the learners chosen before `until` (of `learners`; None:
    everyone): left out by reason, delivered before `until`, failed (given up, by now),
    clicked before `until`, and converted before `until` by last and by first touch."""
    where = [_ASSIGNMENTS.c.assigned_at < until]
    if learners is not None:
        where.append(_ASSIGNMENTS.c.learner_id.in_(learners))
    arm = (_ASSIGNMENTS.c.campaign_id, _ASSIGNMENTS.c.variant)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    left: dict[tuple[str, str], dict[str, int]] = {}
    for campaign_id, variant, outcome, count in session.execute(
        select(*arm, _ASSIGNMENTS.c.outcome, func.count())
        .where(*where)
        .group_by(*arm, _ASSIGNMENTS.c.outcome)
    ):
        key = (campaign_id, variant)
        counts.setdefault(key, {})["chosen"] = counts.get(key, {}).get("chosen", 0) + count
        if outcome in LEFT_OUT:
            left.setdefault(key, {})[outcome] = count
    for campaign_id, variant, state, count in _delivery(session, until, where):
        counts.setdefault((campaign_id, variant), {})[state] = count
    clicked = func.count(func.distinct(_CLICKS.c.assignment_id))
    for campaign_id, variant, count in session.execute(
        select(*arm, clicked)
        .select_from(_ASSIGNMENTS.join(_CLICKS, _CLICKS.c.assignment_id == _ASSIGNMENTS.c.id))
        .where(*where, _CLICKS.c.clicked_at < until)
        .group_by(*arm)
    ):
        counts.setdefault((campaign_id, variant), {})["clicked"] = count
    touches: dict[tuple[str, str, str], Attributed] = {}
    for campaign_id, variant, model, converted, revenue in session.execute(
        select(
            *arm,
            _TOUCHES.c.model,
            func.count(func.distinct(_TOUCHES.c.assignment_id)),
            func.coalesce(func.sum(_CONVERSIONS.c.revenue_cents), 0),
        )
        .select_from(
            _ASSIGNMENTS.join(_TOUCHES, _TOUCHES.c.assignment_id == _ASSIGNMENTS.c.id).join(
                _CONVERSIONS, _CONVERSIONS.c.id == _TOUCHES.c.conversion_id
            )
        )
        .where(*where, _CONVERSIONS.c.converted_at < until)
        .group_by(*arm, _TOUCHES.c.model)
    ):
        touches[(campaign_id, variant, model)] = Attributed(int(converted), int(revenue))
    return [
        ArmTally(
            campaign_id=campaign_id,
            arm=variant,
            chosen=found.get("chosen", 0),
            left_out=left.get((campaign_id, variant), {}),
            delivered=found.get("delivered", 0),
            failed=found.get("failed", 0),
            clicked=found.get("clicked", 0),
            last_touch=touches.get((campaign_id, variant, "last"), Attributed()),
            first_touch=touches.get((campaign_id, variant, "first"), Attributed()),
        )
        for (campaign_id, variant), found in sorted(counts.items())
    ]


def _delivery(
    session: Session, until: datetime, where: list[ColumnElement[bool]]
) -> list[tuple[str, str, str, int]]:
    """Delivered (the platform took the message before `until`) and failed, by the latest
    outbox row of each assignment, as `storage.campaigns.arm_counts` reads them."""
    latest = (
        select(_TO_LEARNERS.c.assignment_id, func.max(_TO_LEARNERS.c.id).label("row_id"))
        .where(_TO_LEARNERS.c.assignment_id.is_not(None))
        .group_by(_TO_LEARNERS.c.assignment_id)
        .subquery()
    )
    state = case(
        (_TO_LEARNERS.c.status == "failed", literal("failed")),
        (
            (_ASSIGNMENTS.c.sent_at < until) & (_TO_LEARNERS.c.status == "sent"),
            literal("delivered"),
        ),
        else_=literal("other"),
    )
    found = session.execute(
        select(_ASSIGNMENTS.c.campaign_id, _ASSIGNMENTS.c.variant, state, func.count())
        .select_from(
            _ASSIGNMENTS.join(latest, latest.c.assignment_id == _ASSIGNMENTS.c.id).join(
                _TO_LEARNERS, _TO_LEARNERS.c.id == latest.c.row_id
            )
        )
        .where(*where)
        .group_by(_ASSIGNMENTS.c.campaign_id, _ASSIGNMENTS.c.variant, state)
    )
    return [(campaign_id, variant, reached, int(count)) for campaign_id, variant, reached, count in found]
