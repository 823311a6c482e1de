"""The composition root: the one place the core's parts are built and wired together.

Every command (`chat`, `run slack`, `run telegram`) gets its parts from `assemble`, and an
adapter receives them as a `Core`: the doors it may use and the database for its own
platform state, passed in rather than reached for through another object. One clock is
made here and handed to everything that stamps or compares the times of the learners'
calendar (the engine, the desk, the sweep, the outboxes), so a test can move it for all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.campaigns.clicks import ClickLinks
from bot.config import HandoffSettings
from bot.content.model import ContentPack
from bot.engine import Clock, Engine, utc_now
from bot.handoff.desk import HandoffDesk
from bot.messages import Outreach, Reply
from storage.db import Database
from storage.outbox import LEASE


@dataclass(frozen=True)
class Core:
    """What an adapter is handed."""

    engine: Engine
    """Learners' events (`handle`) and the read-only overview (`overview`)."""
    desk: HandoffDesk
    """Support people's actions: replies, resolving, what to send them."""
    database: Database
    """Only for the adapter's own platform state: its inbox, cursors, messages on screen."""
    content: ContentPack
    """The pack the process started with: for what a platform sets once (a command menu)."""
    clock: Clock
    """The engine's and the desk's clock, for the sweep and the outboxes: when things fall due
    and are sent. Leases, pacing and signatures keep to real time."""
    outbox_lease: timedelta = LEASE
    """How long a claimed outbox row is left to its sender before another process (or a
    restart) sends it instead."""
    click_links: ClickLinks = field(default_factory=lambda: ClickLinks("", ""))
    """Campaign links through the click redirect (untracked without `public_url` and
    `link_secret`), for the outboxes' messages and the redirect's route."""
    attribution_window: timedelta = timedelta(days=14)
    """How far back a conversion's campaign touches count (`attribution_days`)."""
    public_url: str = ""
    """Where learners' browsers reach `serve` (the `public_url` setting, "" if not set): the
    Slack adapter's invite links open its install page there."""

    def reach_out(self, outreach: Outreach) -> tuple[Reply, ...]:
        """What the outboxes word their rows with: the engine's `reach_out`, with a campaign
        message's links going through the click redirect."""
        return self.click_links.reaching_out(self.engine.reach_out)(outreach)


def assemble(
    content: ContentPack,
    database: Database,
    handoff: HandoffSettings,
    default_timezone: str = "UTC",
    survey_quiet_days: int = 30,
    *,
    outbox_lease: timedelta = LEASE,
    clock: Clock = utc_now,
    link_secret: str = "",
    public_url: str = "",
    attribution_days: int = 14,
    every_lesson_open: bool = False,
) -> Core:
    """The core on `content` and `database`, handing off as `handoff` says; learners whose
    zone nobody told us are in `default_timezone`, and surveys sent on triggers keep
    `survey_quiet_days` apart, and a claimed outbox row is its sender's for `outbox_lease`
    (the settings, already checked). Time is `clock`'s (the real one, except in tests).
    `every_lesson_open` is for an author's preview: any lesson starts by its name."""
    engine = Engine(
        content,
        database,
        clock=clock,
        handoff=handoff,
        default_zone=ZoneInfo(default_timezone),
        survey_quiet=timedelta(days=survey_quiet_days),
        link_secret=link_secret,
        every_lesson_open=every_lesson_open,
    )
    return Core(
        engine=engine,
        desk=HandoffDesk(database, handoff, engine.surveys_after_handoff, clock=clock, lease=outbox_lease),
        database=database,
        content=content,
        clock=clock,
        outbox_lease=outbox_lease,
        click_links=ClickLinks(public_url, link_secret),
        attribution_window=timedelta(days=attribution_days),
        public_url=public_url,
    )
