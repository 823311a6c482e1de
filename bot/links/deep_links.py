"""The signed payloads a learner arrives with: a customer's personal link (the company sends
it to tie the chat to its customer record) and a learner's invite link (a referral).

Both travel as a Telegram `start` payload (`https://t.me/<bot>?start=<payload>`), which is
also how a course id arrives, so each begins with a prefix no course id can have: ids
start with a letter or digit (`bot.content.schema.ID_PATTERN`), these with `_`. The value
behind the prefix is `bot.links.signing`'s token of a database id, signed for its purpose, so a
customer link is never taken as an invite, nor one person's link made up by another.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.links.signing import sign, verified

CUSTOMER_PREFIX = "_c"
INVITE_PREFIX = "_i"
CUSTOMER_PURPOSE = "customer"
INVITE_PURPOSE = "invite"
TELEGRAM_PAYLOAD_LIMIT = 64
"""Telegram takes at most 64 characters of A-Z a-z 0-9 _ - after `start=`."""


@dataclass(frozen=True)
class CustomerLink:
    """A customer's personal link: the learner is this customer (`customers.id`)."""

    customer_id: int


@dataclass(frozen=True)
class Invite:
    """An invite link: the learner was invited by this learner (`learners.id`)."""

    inviter_id: int


@dataclass(frozen=True)
class Forged:
    """A payload in the form of ours whose signature does not hold (edited, made up, signed
    for the other purpose or with another `link_secret`, or no secret is set)."""


SignedPayload = CustomerLink | Invite | Forged


def customer_payload(secret: str, customer_id: int) -> str:
    """The `start` payload of customer `customer_id`'s personal link."""
    return _fitting(CUSTOMER_PREFIX + sign(secret, CUSTOMER_PURPOSE, str(customer_id)))


def invite_token(secret: str, learner_id: int) -> str:
    """The token of learner `learner_id`'s invite link, without the prefix: each platform
    puts it in its own kind of link (`invite_payload` for Telegram, `?ref=` for Slack)."""
    return sign(secret, INVITE_PURPOSE, str(learner_id))


def invite_payload(token: str) -> str:
    """The `start` payload of an invite link, from its token."""
    return _fitting(INVITE_PREFIX + token)


def telegram_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


def read_payload(secret: str, payload: str) -> SignedPayload | None:
    """What a signed payload says; None for any other payload (a course id)."""
    for prefix, purpose, kind in (
        (CUSTOMER_PREFIX, CUSTOMER_PURPOSE, CustomerLink),
        (INVITE_PREFIX, INVITE_PURPOSE, Invite),
    ):
        if payload.startswith(prefix):
            value = verified(secret, purpose, payload[len(prefix) :])
            return kind(int(value)) if value is not None and value.isdigit() else Forged()
    return None


def logged_form(payload: str) -> str:
    """A payload as the interaction log keeps it: a signed one only by its kind, so the log
    holds nobody's link."""
    if payload.startswith(CUSTOMER_PREFIX):
        return "customer_link"
    if payload.startswith(INVITE_PREFIX):
        return "invite_link"
    return payload


def _fitting(payload: str) -> str:
    if len(payload) > TELEGRAM_PAYLOAD_LIMIT:
        raise ValueError(f"a start payload takes at most {TELEGRAM_PAYLOAD_LIMIT} characters: {payload!r}")
    return payload
