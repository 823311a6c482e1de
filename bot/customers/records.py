"""One builder per kind: a row's cells (by column, trimmed) into a typed record, every
problem noted on the way in words a person fixing the spreadsheet can act on.

An order or conversion without an id of its own is known by a digest of what identifies it
(the customer, the time, the amount and currency; the customer, goal and time), so
importing the same export again changes nothing, whatever way its amounts or times are
written; such rows repeated within one file are one record, and said so.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TypeVar

from bot.customers.columns import (
    CellError,
    RecordKind,
    cents,
    cents_not_below_zero,
    currency_code,
    email_address,
    moment,
    text,
    whole_number,
)
from storage.customer_records import (
    DEFAULT_GOAL,
    AccountRef,
    ConversionRecord,
    CustomerRecord,
    OrderRecord,
    Record,
    SubscriptionRecord,
)

T = TypeVar("T")

MAX_SHOWN = 40
"""How much of a bad value a problem quotes."""
ACCOUNT_KEY_LENGTH = 128
DIGEST_PREFIX = "digest:"

Header = tuple[frozenset[str], frozenset[str]]
"""A row's columns, and those of them its kind does not name."""


class Cells:
    """One row's cells by column (stripped), and the problems found reading them."""

    def __init__(self, kind: RecordKind, cells: Mapping[str, str], columns: Header) -> None:
        self._kind = kind
        self._cells = cells
        self.columns, self._others = columns
        self.problems: list[str] = []

    def raw(self, column: str) -> str:
        return self._cells.get(column, "")

    def read(self, column: str, parse: Callable[[str], T]) -> T | None:
        """The cell read by `parse`; None when it is empty or cannot be read (a problem noted)."""
        value = self.raw(column)
        if not value:
            return None
        try:
            return parse(value)
        except CellError as error:
            self.problems.append(f"{column} {shown(value)} {error}")
            return None

    def require(self, column: str, parse: Callable[[str], T]) -> T | None:
        if not self.raw(column):
            spec = next(each for each in self._kind.columns if each.name == column)
            self.problems.append(f"no {column}; {spec.needed_for}")
            return None
        return self.read(column, parse)

    def others(self) -> tuple[dict[str, str], frozenset[str]]:
        """The columns this kind does not name: those with a value, and all of them."""
        return {name: value for name in sorted(self._others) if (value := self.raw(name))}, self._others


def shown(value: str) -> str:
    return json.dumps(value if len(value) <= MAX_SHOWN else value[:MAX_SHOWN] + "…", ensure_ascii=False)


# --- one builder per kind ---------------------------------------------------------------------

_ID, _LONG_ID, _NAME, _PLAN, _SOURCE, _GOAL = text(128), text(160), text(200), text(64), text(128), text(64)
"""The sizes of the columns they go into."""


@functools.cache
def _given(columns: frozenset[str], fields: tuple[tuple[str, str], ...]) -> frozenset[str]:
    """Which of a record's `fields` (field, the column it is read from) a source with
    `columns` gives: worked out once per file."""
    return frozenset(field for field, column in fields if column in columns)


def _customer(row: Cells) -> CustomerRecord | None:
    external_id = row.require("customer_id", _ID)
    email = row.read("email", email_address)
    name = row.read("name", _NAME)
    plan = row.read("plan", _PLAN)
    account_id = row.read("account_id", _ID)
    account_name = row.read("account_name", _NAME)
    seats = row.read("seats", whole_number)
    signed_up_at = row.read("signup_date", moment)
    source = row.read("source", _SOURCE)
    attributes, attribute_columns = row.others()
    if external_id is None or row.problems:
        return None
    given = _given(row.columns, _CUSTOMER_FIELDS)
    account = None
    if account_id:
        account = AccountRef(account_id, account_name)
    elif account_name:
        folded = " ".join(account_name.split()).casefold()
        account = AccountRef(f"name:{folded}"[:ACCOUNT_KEY_LENGTH], account_name)
    return CustomerRecord(
        external_id,
        given,
        email=email,
        name=name or "",
        plan=plan,
        account=account,
        seats=seats,
        signed_up_at=signed_up_at,
        source=source,
        attributes=attributes,
        attribute_columns=attribute_columns,
    )


_CUSTOMER_FIELDS = (
    ("email", "email"),
    ("name", "name"),
    ("plan", "plan"),
    ("account", "account_id"),
    ("account", "account_name"),
    ("seats", "seats"),
    ("signed_up_at", "signup_date"),
    ("source", "source"),
)
"""A customer's fields and the column each is read from."""


def _subscription(row: Cells) -> SubscriptionRecord | None:
    external_id = row.require("subscription_id", _ID)
    customer = row.require("customer_id", _ID)
    plan = row.require("plan", _PLAN)
    mrr_cents = row.require("mrr", cents_not_below_zero)
    currency = row.read("currency", currency_code)
    started_at = row.require("started_at", moment)
    ended_at = row.read("ended_at", moment)
    if started_at is not None and ended_at is not None and ended_at < started_at:
        row.problems.append(
            f"ended_at {shown(row.raw('ended_at'))} is before started_at {shown(row.raw('started_at'))}; "
            "a period ends after it begins"
        )
    if external_id is None or customer is None or plan is None or mrr_cents is None or started_at is None:
        return None
    given = _given(row.columns, (("currency", "currency"), ("ended_at", "ended_at")))
    return SubscriptionRecord(
        external_id, started_at, customer, plan, mrr_cents, given, currency=currency or "", ended_at=ended_at
    )


def _order(row: Cells) -> OrderRecord | None:
    customer = row.require("customer_id", _ID)
    ordered_at = row.require("ordered_at", moment)
    amount_cents = row.require("amount", cents)
    order_id = row.read("order_id", _LONG_ID)
    currency = row.read("currency", currency_code) or ""
    attributes, attribute_columns = row.others()
    if customer is None or ordered_at is None or amount_cents is None:
        return None
    external_id = order_id or _digest("order", customer, ordered_at.isoformat(), amount_cents, currency)
    given = _given(row.columns, (("currency", "currency"),))
    return OrderRecord(
        external_id,
        customer,
        ordered_at,
        amount_cents,
        given,
        currency=currency,
        attributes=attributes,
        attribute_columns=attribute_columns,
    )


def _conversion(row: Cells) -> ConversionRecord | None:
    customer = row.require("customer_id", _ID)
    converted_at = row.require("converted_at", moment)
    goal = row.read("goal", _GOAL) or DEFAULT_GOAL
    revenue_cents = row.read("revenue", cents_not_below_zero)
    currency = row.read("currency", currency_code) or ""
    conversion_id = row.read("conversion_id", _LONG_ID)
    if customer is None or converted_at is None:
        return None
    external_id = conversion_id or _digest("conversion", customer, goal, converted_at.isoformat())
    given = _given(row.columns, (("goal", "goal"), ("revenue_cents", "revenue"), ("currency", "currency")))
    return ConversionRecord(
        external_id, customer, converted_at, given, goal=goal, revenue_cents=revenue_cents, currency=currency
    )


BUILDERS: dict[str, Callable[[Cells], Record | None]] = {
    "customers": _customer,
    "subscriptions": _subscription,
    "orders": _order,
    "conversions": _conversion,
}


def _digest(*identity: object) -> str:
    """The id of a record that has none of its own: the same content, the same id."""
    content = json.dumps(identity, ensure_ascii=False, separators=(",", ":")).encode()
    return DIGEST_PREFIX + hashlib.sha256(content).hexdigest()[:40]


def key(record: Record) -> object:
    """What makes `record` one of its kind."""
    if isinstance(record, SubscriptionRecord):
        return (record.external_id, record.started_at)
    return record.external_id


def repeated(record: Record, first: str) -> str:
    """The problem of a row that repeats the record at `first`."""
    if isinstance(record, CustomerRecord):
        return f"customer_id {shown(record.external_id)} is also on {first}; keep one row per customer"
    if isinstance(record, SubscriptionRecord):
        return (
            f"subscription_id {shown(record.external_id)} with this started_at is also on {first}; "
            "keep one row per period"
        )
    one, column = (
        ("order", "order_id") if isinstance(record, OrderRecord) else ("conversion", "conversion_id")
    )
    if not record.external_id.startswith(DIGEST_PREFIX):
        return f"{column} {shown(record.external_id)} is also on {first}; keep one row per {one}"
    same = (
        "customer_id, ordered_at, amount and currency"
        if one == "order"
        else "customer_id, goal and converted_at"
    )
    return (
        f"the same {same} as {first}, and no {column}: that is one {one}; if there were two, "
        f"give each its {column}"
    )
