"""Launching, pausing and triggering campaigns: the learners chosen and their messages
queued in the outbox, where the delivery worker sends them like every other outreach
(the same windows, rate limits, retries and crash guarantees).

A launch is idempotent: a learner already chosen keeps their assignment and gets no second
message, so launching again only reaches learners who joined the segment since (and
releases what a pause held). A campaign on a trigger chooses learners as they come to
qualify, on every `CampaignTriggers.run` after its launch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, exists
from sqlalchemy.orm import Session

from bot.campaigns.audience import LEARNERS, conditions
from bot.campaigns.split import arm_sql, bucket_sql, split_of
from bot.content.model import Campaign, ContentPack
from bot.schedule.timing import local_instant, next_opening
from bot.schedule.zones import zone_named
from storage.campaigns import (
    FrequencyLimit,
    assign,
    hold_messages,
    launch_status,
    queue_assigned,
    release_held,
    set_launch_status,
    zones_waiting,
)
from storage.db import Database
from storage.models import Enrolment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Launched:
    campaign_id: str
    chosen: int
    """Learners chosen by this launch (not before): in a variant, the holdout, or left out."""
    queued: int
    """Messages put in the outbox by this launch."""
    released: int
    """Messages a pause had held, now going out."""


def launch(
    session: Session, campaign: Campaign, now: datetime, zone: ZoneInfo, default_locale: str
) -> Launched:
    """Launch (or resume) `campaign`: choose its learners and queue their messages. A
    triggered campaign chooses only those whose trigger has fired; later ones follow."""
    set_launch_status(session, campaign.id, "running", now)
    released = release_held(session, campaign.id)
    chosen, queued = choose_and_queue(session, campaign, now, zone, default_locale)
    return Launched(campaign.id, chosen, queued, released)


def pause(session: Session, campaign_id: str, now: datetime) -> int:
    """Nothing more of the campaign goes out until it is launched again; how many messages
    were held (those already claimed by a sender still go)."""
    set_launch_status(session, campaign_id, "paused", now)
    return hold_messages(session, campaign_id)


def choose_and_queue(
    session: Session, campaign: Campaign, now: datetime, zone: ZoneInfo, default_locale: str
) -> tuple[int, int]:
    segment = conditions(campaign.segment, now, default_locale) + fired(campaign, now)
    arm = arm_sql(split_of(campaign), bucket_sql(campaign.id, LEARNERS.c.id))
    platforms = campaign.segment.platforms
    chosen = assign(
        session, campaign.id, segment, arm, platforms=platforms, cap=frequency_limit(campaign), now=now
    )
    due_by_zone = {
        name: first_due(campaign, found, now)
        for name in zones_waiting(session, campaign.id)
        if name and (found := zone_named(name)) is not None
    }
    queued = queue_assigned(
        session,
        campaign.id,
        platforms=platforms,
        due_by_zone=due_by_zone,
        due_otherwise=first_due(campaign, zone, now),
        now=now,
    )
    return chosen, queued


def frequency_limit(campaign: Campaign) -> FrequencyLimit | None:
    cap = campaign.frequency_cap
    return FrequencyLimit(cap.messages, cap.days) if cap is not None else None


def fired(campaign: Campaign, now: datetime) -> list[ColumnElement[bool]]:
    """A triggered campaign's learners: those who completed its course at least `days` ago."""
    when = campaign.when
    if when.kind != "trigger" or when.after_completed is None:
        return []
    enrolments = cast(Table, Enrolment.__table__).c
    since = now - timedelta(days=when.days)
    return [
        exists().where(
            enrolments.learner_id == LEARNERS.c.id,
            enrolments.course_id == when.after_completed,
            enrolments.status == "completed",
            enrolments.completed_at <= since,
        )
    ]


def first_due(campaign: Campaign, zone: ZoneInfo, now: datetime) -> datetime:
    """When a learner in `zone` is first sent the campaign: now, or at its local time (on
    its date, or when that time next comes round), moved into its window."""
    when = campaign.when
    due = now
    if when.kind == "at" and when.at is not None:
        due = _next_local(when.at, when.on, zone, now)
    return next_opening(campaign.window, frozenset(), zone, due)


def _next_local(wall: time, on: date | None, zone: ZoneInfo, now: datetime) -> datetime:
    local_today = now.astimezone(zone).date()
    if on is not None:
        return max(local_instant(on, wall, zone), now)  # a date already gone: as soon as launched
    today = local_instant(local_today, wall, zone)
    return today if today >= now else local_instant(local_today + timedelta(days=1), wall, zone)


class CampaignTriggers:
    """Chooses the learners of running triggered campaigns as their triggers fire: run from
    the sweep, in each serving process (the unique assignment makes two at once harmless)."""

    def __init__(
        self,
        database: Database,
        content: Callable[[], ContentPack],
        zone: ZoneInfo,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._database = database
        self._content = content
        self._zone = zone
        self._clock = clock

    def run(self) -> int:
        """Queue the messages of every running triggered campaign's newly qualified learners."""
        content, now, total = self._content(), self._clock(), 0
        for campaign in content.campaigns.values():
            if campaign.when.kind != "trigger":
                continue
            with self._database.transaction() as session:
                if launch_status(session, campaign.id) != "running":
                    continue
                _chosen, queued = choose_and_queue(session, campaign, now, self._zone, content.default_locale)
            total += queued
        if total:
            log.info("%s triggered campaign messages queued", total)
        return total
