"""Signed start payloads: they fit Telegram, say what they were made for, and cannot be
mistaken for a course id."""

from __future__ import annotations

import re

import pytest

from bot.content.schema import ID_PATTERN
from bot.links.deep_links import (
    CUSTOMER_PREFIX,
    INVITE_PREFIX,
    TELEGRAM_PAYLOAD_LIMIT,
    CustomerLink,
    Forged,
    Invite,
    customer_payload,
    invite_payload,
    invite_token,
    logged_form,
    read_payload,
)
from tests.linking.records import SECRET

LARGEST_ID = 2**63 - 1
"""The largest database id (a BIGINT)."""


@pytest.mark.parametrize("database_id", [1, 42, LARGEST_ID])
def test_every_payload_fits_a_telegram_start_parameter(database_id: int) -> None:
    for payload in (customer_payload(SECRET, database_id), invite_payload(invite_token(SECRET, database_id))):
        assert len(payload) <= TELEGRAM_PAYLOAD_LIMIT
        assert re.fullmatch(r"[A-Za-z0-9_-]+", payload)


def test_a_payload_gives_back_what_it_was_made_for() -> None:
    assert read_payload(SECRET, customer_payload(SECRET, 42)) == CustomerLink(42)
    assert read_payload(SECRET, invite_payload(invite_token(SECRET, 7))) == Invite(7)
    assert read_payload(SECRET, "upgrade-to-pro") is None  # a course id


def test_a_forged_or_wrong_purpose_payload_is_refused() -> None:
    customer = customer_payload(SECRET, 42)
    invite = invite_payload(invite_token(SECRET, 42))
    assert read_payload(SECRET, INVITE_PREFIX + customer.removeprefix(CUSTOMER_PREFIX)) == Forged()
    assert read_payload(SECRET, CUSTOMER_PREFIX + invite.removeprefix(INVITE_PREFIX)) == Forged()
    assert read_payload("another-secret", customer) == Forged()
    assert read_payload("", customer) == Forged()
    assert read_payload(SECRET, customer.replace("42-", "43-")) == Forged()
    assert read_payload(SECRET, CUSTOMER_PREFIX + "42") == Forged()


def test_no_course_id_can_start_with_a_prefix() -> None:
    for prefix in (CUSTOMER_PREFIX, INVITE_PREFIX):
        assert re.match(ID_PATTERN, prefix + "onboarding") is None


def test_the_log_keeps_a_signed_payload_by_its_kind_only() -> None:
    assert logged_form(customer_payload(SECRET, 42)) == "customer_link"
    assert logged_form(invite_payload(invite_token(SECRET, 42))) == "invite_link"
    assert logged_form("onboarding") == "onboarding"
