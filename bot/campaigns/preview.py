"""How many learners a launch would reach now, per variant and holdout, and how many it
would leave out and why: the launch's own query, counted instead of written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.campaigns.audience import LEARNERS, conditions
from bot.campaigns.launch import fired, frequency_limit
from bot.campaigns.split import arm_sql, bucket_sql, split_of
from bot.content.model import HOLDOUT, Campaign, CampaignSends
from storage.campaign_models import CampaignAssignment
from storage.campaigns import LEFT_OUT, would_assign


@dataclass(frozen=True)
class ArmPreview:
    arm: str
    sends: str
    """What the arm sends, in words (course X, survey Y, a message)."""
    reached: int = 0
    """Learners who would be sent it (for the holdout: who would be its control group)."""
    left_out: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AudiencePreview:
    arms: tuple[ArmPreview, ...]
    chosen_before: int

    @property
    def total(self) -> int:
        return sum(arm.reached + sum(arm.left_out.values()) for arm in self.arms)


def audience_preview(
    session: Session, campaign: Campaign, now: datetime, default_locale: str
) -> AudiencePreview:
    segment = conditions(campaign.segment, now, default_locale) + fired(campaign, now)
    arm = arm_sql(split_of(campaign), bucket_sql(campaign.id, LEARNERS.c.id))
    counts = would_assign(
        session,
        campaign.id,
        segment,
        arm,
        platforms=campaign.segment.platforms,
        cap=frequency_limit(campaign),
        now=now,
    )
    sends = {variant.id: describe(variant.sends) for variant in campaign.variants}
    arms = []
    for name in (HOLDOUT, *sends):
        if name == HOLDOUT and campaign.holdout <= 0:
            continue
        reached = counts.get((name, HOLDOUT if name == HOLDOUT else "queued"), 0)
        left = {why: counts.get((name, why), 0) for why in LEFT_OUT}
        arms.append(ArmPreview(name, sends.get(name, "nothing"), reached, left))
    assignments = CampaignAssignment.__table__.c
    before = session.scalar(select(func.count()).where(assignments.campaign_id == campaign.id))
    return AudiencePreview(tuple(arms), int(before or 0))


def describe(sends: CampaignSends) -> str:
    if sends.message is not None:
        return f"a message linking to {sends.message.url}"
    if sends.survey_id is not None:
        return f"survey {sends.survey_id}"
    if sends.lesson_id is not None:
        return f"lesson {sends.course_id}/{sends.lesson_id}"
    return f"course {sends.course_id}"
