"""What the company already knows about its customers, imported from its CRM and billing:
accounts (the companies of B2B customers), customers, their subscriptions, orders and the
conversions marketing counts (`bot.customers` reads the files and the webhook records).

A learner is tied to one customer (`Learner.customer_id`); one customer may have several
learners, and one account several customers. Every table is keyed by the company's own id
(`external_id`), so importing the same file twice changes nothing. Money is kept in
integer cents, so the metrics sum exactly on both databases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class Account(Base):
    """A company whose people are customers (B2B): the metrics report per account."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Customer(Base):
    """A customer as the company's records know them; `attributes` holds any other column."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    """Lower-cased: how a Slack profile finds its customer."""
    name: Mapped[str] = mapped_column(String(200), default="")
    plan: Mapped[str | None] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    seats: Mapped[int | None] = mapped_column(Integer)
    signed_up_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(128))
    """The acquisition source the company recorded (a learner's own `source` wins in segments)."""
    attributes: Mapped[dict[str, str]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Subscription(Base):
    """One period of a subscription at one price: a plan change is a new period from its
    date (and the previous one ends), so the metrics can tell expansion from contraction."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("external_id", "started_at", name="uq_subscription_period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    plan: Mapped[str] = mapped_column(String(64), default="")
    mrr_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="")
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Order(Base):
    """A payment; `external_id` is the order id, or a digest of the row without one."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(160), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    ordered_at: Mapped[datetime]
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="")
    attributes: Mapped[dict[str, str]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Conversion(Base):
    """A goal reached (`upgraded`, or any the company names), by a customer or one learner,
    attributed to the campaign messages before it (`storage.campaign_models.ConversionTouch`)."""

    __tablename__ = "conversions"
    __table_args__ = (Index("ix_conversions_converted_at", "converted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(160), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    goal: Mapped[str] = mapped_column(String(64))
    converted_at: Mapped[datetime]
    revenue_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="")
    created_at: Mapped[datetime]
