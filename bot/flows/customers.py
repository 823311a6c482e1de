"""Tying a learner to the company's customer record, by the strongest key there is.

A signed personal link (`bot.links.deep_links`) names the customer outright, so it ties the
learner even if they were tied to another before. An email, whether from the learner's
Slack profile or typed at a `link_customer` step, only ties a learner nobody has tied yet:
anyone can type any address, and a profile's address says less than the company's own
link. Every tie is marked `linked` with how it was made, for the metrics.
"""

from __future__ import annotations

import logging
import re

from bot.turn import Turn
from storage.customer_links import customer_exists, customer_with_email

log = logging.getLogger(__name__)

BY_EMAIL = "email"
BY_SIGNED_LINK = "signed_link"
BY_TYPED_EMAIL = "typed_email"
EMAIL_LIMIT = 320
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+$")


def looks_like_email(text: str) -> bool:
    return len(text) <= EMAIL_LIMIT and _EMAIL.match(text) is not None


def tie_by_profile_email(turn: Turn, email: str | None) -> None:
    """A learner no customer is tied to yet, whose platform profile carries an email of a
    customer, is that customer."""
    if email and turn.learner.customer_id is None:
        _tie_by_email(turn, email, BY_EMAIL)


def tie_by_signed_link(turn: Turn, customer_id: int) -> None:
    """The customer's own link: the learner is that customer, whoever they were tied to."""
    learner = turn.learner
    if learner.customer_id == customer_id:
        return
    if not customer_exists(turn.session, customer_id):
        log.info("a signed link of customer %s, who is no longer imported: not tied", customer_id)
        return
    if learner.customer_id is not None:
        log.info(
            "learner %s opened customer %s's signed link: tied to them instead of customer %s",
            learner.id,
            customer_id,
            learner.customer_id,
        )
    learner.customer_id = customer_id
    turn.mark("linked", None, BY_SIGNED_LINK)


def answer_email(turn: Turn, text: str) -> bool:
    """An answer to a `link_customer` step: False if it is not an email address (the step
    asks again). An address ties the learner if it is a customer's; the learner is not told
    whether it was, so nobody can find out who the company's customers are."""
    email = text.strip().removeprefix("mailto:")
    if not looks_like_email(email):
        return False
    if turn.learner.customer_id is None:
        _tie_by_email(turn, email, BY_TYPED_EMAIL)
    return True


def _tie_by_email(turn: Turn, email: str, how: str) -> None:
    customer_id = customer_with_email(turn.session, email)
    if customer_id is not None:
        turn.learner.customer_id = customer_id
        turn.mark("linked", None, how)
