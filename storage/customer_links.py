"""The lookups that tie a learner to the company's customer record, and the customers to
make personal links for.

The engine asks these inside a learner's transaction (a Slack profile's email, a signed
link, an email typed at a `link_customer` step); the `link` command lists customers for a
mail merge. Customers themselves are written by the import (`bot.customers`), never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from storage.customer_models import Customer

_CUSTOMERS = cast(Table, Customer.__table__)
_BY_EMAIL = select(_CUSTOMERS.c.id).where(_CUSTOMERS.c.email == bindparam("email")).order_by(_CUSTOMERS.c.id)
_BY_ID = select(_CUSTOMERS.c.id).where(_CUSTOMERS.c.id == bindparam("customer_id"))
_CONTACTS = select(_CUSTOMERS.c.id, _CUSTOMERS.c.external_id, _CUSTOMERS.c.email)


@dataclass(frozen=True)
class CustomerContact:
    """A customer as a mail merge needs them."""

    id: int
    external_id: str
    """The company's own id for them."""
    email: str | None


def customer_with_email(session: Session, email: str) -> int | None:
    """The customer whose email this is (emails are stored lower-cased), the first imported
    if the company's records hold it twice."""
    found = session.connection().execute(_BY_EMAIL, {"email": email.strip().lower()}).first()
    return None if found is None else int(found[0])


def customer_exists(session: Session, customer_id: int) -> bool:
    return session.connection().execute(_BY_ID, {"customer_id": customer_id}).first() is not None


def customer_contacts(session: Session) -> list[CustomerContact]:
    """Every customer, in the order they were imported."""
    rows = session.connection().execute(_CONTACTS.order_by(_CUSTOMERS.c.id))
    return [CustomerContact(int(row.id), row.external_id, row.email) for row in rows]


def customer_contact(session: Session, external_id: str) -> CustomerContact | None:
    """The customer the company knows as `external_id`."""
    row = session.connection().execute(_CONTACTS.where(_CUSTOMERS.c.external_id == external_id)).first()
    return None if row is None else CustomerContact(int(row.id), row.external_id, row.email)
