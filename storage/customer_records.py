"""The customer records an import writes (`storage.customers`), typed: what a CSV row or a
JSON record says about one customer, subscription period, order or conversion, already
checked (`bot.customers.records`). Money is in cents, times are aware UTC datetimes.

A record names the fields its source had a column for (`given`): only those are written,
so a billing export of `customer_id,plan` leaves the emails from the CRM's export alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

DEFAULT_GOAL = "upgraded"


@dataclass(frozen=True)
class AccountRef:
    """The company a customer works for, as a row names it."""

    key: str
    """The account's id in the company's records, else `name:` and its name, folded."""
    name: str | None
    """None when the row does not name it (the stored name stays)."""


@dataclass(frozen=True)
class CustomerRecord:
    external_id: str
    given: frozenset[str]
    """Which of the fields below the source had a column for; only those are written."""
    email: str | None = None
    name: str = ""
    plan: str | None = None
    account: AccountRef | None = None
    seats: int | None = None
    signed_up_at: datetime | None = None
    source: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    """Every other column with a value."""
    attribute_columns: frozenset[str] = frozenset()
    """Every other column: one left empty removes that attribute, others are kept."""


@dataclass(frozen=True)
class SubscriptionRecord:
    """One period of a subscription at one price, keyed by (`external_id`, `started_at`)."""

    external_id: str
    started_at: datetime
    customer: str
    """The customer's id in the company's records."""
    plan: str
    mrr_cents: int
    given: frozenset[str]
    """Which of `currency`, `ended_at` the source had a column for."""
    currency: str = ""
    ended_at: datetime | None = None


@dataclass(frozen=True)
class OrderRecord:
    external_id: str
    """The order id, or a digest of the order (`bot.customers.rows`)."""
    customer: str
    ordered_at: datetime
    amount_cents: int
    given: frozenset[str]
    """Whether the source had a `currency` column."""
    currency: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    attribute_columns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ConversionRecord:
    external_id: str
    """The conversion id, or a digest of the conversion (`bot.customers.rows`)."""
    customer: str
    converted_at: datetime
    given: frozenset[str]
    """Which of `goal`, `revenue_cents`, `currency` the source had a column for."""
    goal: str = DEFAULT_GOAL
    revenue_cents: int | None = None
    currency: str = ""


Record = CustomerRecord | SubscriptionRecord | OrderRecord | ConversionRecord
