"""The campaigns part of a report: per campaign with learners chosen by the period's end,
each arm's funnel and conversions (by last touch, first touch beside it) and each
variant's lift over the holdout, with its 95% interval and p-value (`bot.metrics.lift`).

A campaign is read over its whole life up to the period's end, not over the period alone:
the lift compares conversion rates of arms chosen together, and only the whole audience
since the launch, against every conversion credited to it, is the comparison the split
set up (a period's conversions over a period's assignments would lose the learners chosen
before it who converted in it). The period chooses when to look; the segment, whom."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.content.model import HOLDOUT
from bot.metrics.lift import Lift, lift
from bot.metrics.periods import Period
from bot.metrics.segment import ReportSegment, segment_learners
from storage.campaign_lift import ArmTally, arm_tallies


@dataclass(frozen=True)
class ArmResult:
    tally: ArmTally
    conversion_rate: float | None
    """Learners converted (last touch) / audience; None for an empty arm."""
    lift: Lift | None
    """Over the holdout: None for the holdout itself, without a holdout, or an empty arm."""


@dataclass(frozen=True)
class CampaignResult:
    campaign_id: str
    arms: tuple[ArmResult, ...]
    """The holdout first, then the variants by id."""


def campaign_results(
    session: Session, period: Period, segment: ReportSegment, default_locale: str
) -> tuple[CampaignResult, ...]:
    learners = None if segment.everyone else segment_learners(segment, period.end, default_locale)
    by_campaign: dict[str, list[ArmTally]] = {}
    for tally in arm_tallies(session, period.end, learners):
        by_campaign.setdefault(tally.campaign_id, []).append(tally)
    return tuple(_campaign(campaign_id, tallies) for campaign_id, tallies in sorted(by_campaign.items()))


def _campaign(campaign_id: str, tallies: list[ArmTally]) -> CampaignResult:
    held = next((tally for tally in tallies if tally.arm == HOLDOUT), None)
    ordered = sorted(tallies, key=lambda tally: (tally.arm != HOLDOUT, tally.arm))
    return CampaignResult(campaign_id, tuple(_arm(tally, held) for tally in ordered))


def _arm(tally: ArmTally, held: ArmTally | None) -> ArmResult:
    converted = tally.last_touch.learners
    rate = converted / tally.audience if tally.audience else None
    versus = (
        lift(converted, tally.audience, held.last_touch.learners, held.audience)
        if held is not None and tally.arm != HOLDOUT
        else None
    )
    return ArmResult(tally, rate, versus)
