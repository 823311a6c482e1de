"""The outbox to a company's Learning Record Store: one row per learning record (a lesson
completed, a quiz answer, a quiz passed or failed, a score given), sent as an xAPI
statement by `bot.xapi.sender`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class LrsDelivery(Base):
    """A record on its way to the LRS. The statement is worded when it is sent, from the
    record and the content then (its id is fixed by the record: a resend is the same
    statement, which the LRS keeps once)."""

    __tablename__ = "lrs_deliveries"
    __table_args__ = (
        UniqueConstraint("record_kind", "record_id", name="uq_lrs_delivery_record"),
        Index("ix_lrs_deliveries_due", "status", "next_attempt_at", "id"),
        Index("ix_lrs_deliveries_recorded", "record_kind", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(16))
    """lesson_completed (an `Interaction` mark), quiz_answer, quiz_attempt, survey_answer"""
    record_id: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime]
    """When the record happened: where the next look for new records starts."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, sent, failed (the LRS refused the statement: `last_error` says why)"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
