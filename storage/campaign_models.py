"""Marketers' campaigns as they run: which learners each campaign chose and what each got
(a variant, or nothing: the holdout), their clicks, and which campaign a conversion is
attributed to (`bot.campaigns`).

An assignment is made once per learner and campaign and never changes, so launching
again sends nothing twice and the holdout stays the control group it was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class CampaignLaunch(Base):
    """A campaign a marketer launched: `running` (a triggered one keeps choosing learners
    as they qualify) or `paused` (nothing more of it is sent until it is launched again)."""

    __tablename__ = "campaign_launches"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    launched_at: Mapped[datetime]
    paused_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class CampaignAssignment(Base):
    """One learner chosen by one campaign, and what came of it."""

    __tablename__ = "campaign_assignments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "learner_id", name="uq_campaign_assignment"),
        Index("ix_campaign_assignments_learner", "learner_id", "assigned_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    variant: Mapped[str] = mapped_column(String(32))
    """The variant's id, or `holdout` (the control group: sent nothing)."""
    outcome: Mapped[str] = mapped_column(String(16))
    """queued (a message is in the outbox, or went out), holdout, or why the learner was left
    out: stopped (they said `stop`), unreachable (the platform refused them), capped (the
    frequency cap), unaddressed (no conversation to write to)"""
    assigned_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    """When the platform took the message: the touch conversions are attributed to."""


class CampaignClick(Base):
    """A press of a campaign's call-to-action link, through the redirect (`/c/<token>`)."""

    __tablename__ = "campaign_clicks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_assignments.id", ondelete="CASCADE"), index=True
    )
    clicked_at: Mapped[datetime]


class ConversionTouch(Base):
    """The campaign a conversion is attributed to, by `model`: `first` (the earliest touch
    within the attribution window before it) and `last` (the latest). A holdout learner's
    touch is their assignment: what makes the lift measurable."""

    __tablename__ = "conversion_touches"

    conversion_id: Mapped[int] = mapped_column(
        ForeignKey("conversions.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(8), primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_assignments.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str] = mapped_column(String(32))
    content_id: Mapped[str | None] = mapped_column(String(130))
    """What the touch sent: course, course/lesson, survey id, or None for a message."""
    touched_at: Mapped[datetime]
