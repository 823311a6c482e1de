"""The columns of each kind of customer record, and reading one cell.

A cell that cannot be read raises `CellError` with what is wrong and how to write it, the
way a person fixing a spreadsheet needs it (`bot.customers.rows` puts the file, row and
column in front: `customers.csv:7: seats "ten" is not a whole number; write it in
digits, e.g. 10`). Money becomes integer cents right here, from the digits, never through
a float.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

KINDS = ("customers", "subscriptions", "orders", "conversions")

MAX_SEATS = 2**31 - 1
MAX_CENTS = 10**15
"""Ten trillion in any currency: more is a typo (and must still fit a BIGINT)."""


class CellError(ValueError):
    """A cell that cannot be read; the message says what is wrong and what to write."""


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    needed_for: str = ""
    """Why a required column cannot be empty, as the end of "no customer_id; ..."."""
    alias: str = ""
    """Another header that means the same column."""


@dataclass(frozen=True)
class RecordKind:
    name: str
    """customers, subscriptions, orders, conversions: the CLI's word and the endpoint's path."""
    columns: tuple[Column, ...]
    keeps_other_columns: bool
    """Other columns go into `attributes` (else they are ignored, and said so)."""

    @functools.cached_property
    def column_names(self) -> frozenset[str]:
        return frozenset(column.name for column in self.columns)

    def canonical(self, header: str) -> str:
        """The column a header names: case and surrounding spaces do not matter."""
        name = header.strip().lower()
        return next((column.name for column in self.columns if column.alias and column.alias == name), name)

    def described(self) -> str:
        """The columns, as an error about a header lists them."""
        names = [
            column.name
            + (f" (or {column.alias})" if column.alias else "")
            + (" (required)" if column.required else "")
            for column in self.columns
        ]
        others = (
            "any other column is kept as an attribute" if self.keeps_other_columns else "others are ignored"
        )
        return f"{', '.join(names)}; {others}"


_CUSTOMER_ID = Column(
    "customer_id", required=True, needed_for="write the id your CRM or billing system knows the customer by"
)
_OF_A_CUSTOMER = Column(
    "customer_id",
    required=True,
    needed_for="write the id of the customer it belongs to, as in your customers file",
)

RECORD_KINDS = {
    "customers": RecordKind(
        "customers",
        (
            _CUSTOMER_ID,
            Column("email"),
            Column("name"),
            Column("plan"),
            Column("account_id"),
            Column("account_name", alias="company"),
            Column("seats"),
            Column("signup_date"),
            Column("source"),
        ),
        keeps_other_columns=True,
    ),
    "subscriptions": RecordKind(
        "subscriptions",
        (
            Column(
                "subscription_id",
                required=True,
                needed_for="write the subscription's id in your billing system",
            ),
            _OF_A_CUSTOMER,
            Column("plan", required=True, needed_for="write the plan of this period, e.g. Pro"),
            Column(
                "mrr",
                required=True,
                needed_for="write the monthly recurring revenue of this period, e.g. 49.00 (0 when free)",
            ),
            Column("currency"),
            Column("started_at", required=True, needed_for="write when this period began, e.g. 2026-03-01"),
            Column("ended_at"),
        ),
        keeps_other_columns=False,
    ),
    "orders": RecordKind(
        "orders",
        (
            _OF_A_CUSTOMER,
            Column("ordered_at", required=True, needed_for="write when it was ordered, e.g. 2026-03-01"),
            Column("amount", required=True, needed_for="write the amount paid, e.g. 49.00"),
            Column("order_id"),
            Column("currency"),
        ),
        keeps_other_columns=True,
    ),
    "conversions": RecordKind(
        "conversions",
        (
            _OF_A_CUSTOMER,
            Column("converted_at", required=True, needed_for="write when it happened, e.g. 2026-03-01"),
            Column("goal"),
            Column("revenue"),
            Column("currency"),
            Column("conversion_id"),
        ),
        keeps_other_columns=False,
    ),
}


def text(most: int) -> Callable[[str], str]:
    """Any text of at most `most` characters (the column's size in the database)."""

    def parse(value: str) -> str:
        if len(value) > most:
            raise CellError(f"is {len(value)} characters long; shorten it to {most}")
        return value

    return parse


def whole_number(value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise CellError("is not a whole number; write it in digits, e.g. 10")
    if int(value) > MAX_SEATS:
        raise CellError(f"is too large; the most it takes is {MAX_SEATS}")
    return int(value)


def moment(value: str) -> datetime:
    """An ISO 8601 date (midnight UTC) or date and time; one without an offset is in UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CellError(
            "is not a date; write it as 2026-03-31, or with the time as 2026-03-31T14:30:00Z"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_AMOUNT = re.compile(r"(-?)(\d+)(?:\.(\d*))?")


def cents(value: str) -> int:
    """A decimal amount (49, 49.5, 49.00, -12.00 for a refund) in cents."""
    found = _AMOUNT.fullmatch(value)
    if found is None:
        raise CellError(
            "is not an amount; write it in digits with a dot before the cents and no thousands "
            "separator or currency sign, e.g. 1249.00"
        )
    sign, whole, decimals = found.group(1), found.group(2), found.group(3) or ""
    if len(decimals.rstrip("0")) > 2:
        raise CellError("has more than two decimals; round it to cents, e.g. 49.99")
    amount = int(whole) * 100 + int((decimals + "00")[:2])
    if amount > MAX_CENTS:
        raise CellError(f"is too large; the most it takes is {MAX_CENTS // 100}")
    return -amount if sign else amount


def cents_not_below_zero(value: str) -> int:
    amount = cents(value)
    if amount < 0:
        raise CellError("is below zero; write the amount without a minus, e.g. 49.00")
    return amount


def currency_code(value: str) -> str:
    if not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise CellError("is not a currency code; write its three letters, e.g. EUR")
    return value.upper()


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email_address(value: str) -> str:
    """Lower-cased: how a learner's platform profile finds its customer."""
    if len(value) > 320 or not _EMAIL.fullmatch(value):
        raise CellError("is not an email address; write it as name@example.com")
    return value.lower()
