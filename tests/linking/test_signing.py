"""Signed link tokens: the value comes back only with the secret and purpose it was signed for."""

from __future__ import annotations

import re

import pytest

from bot.links.signing import sign, verified


@pytest.mark.parametrize("value", ["1", "123456789", "customer_42", "A_b_9"])
def test_a_token_gives_back_its_value(value: str) -> None:
    token = sign("secret", "click", value)
    assert verified("secret", "click", token) == value
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) <= 64


def test_another_purpose_secret_or_an_edit_is_refused() -> None:
    token = sign("secret", "click", "77")
    assert verified("secret", "invite", token) is None
    assert verified("other", "click", token) is None
    assert verified("", "click", token) is None
    assert verified("secret", "click", "78" + token[2:]) is None
    assert verified("secret", "click", token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert verified("secret", "click", "77") is None
    assert verified("secret", "click", "") is None


def test_signatures_holding_dashes_still_verify() -> None:
    tokens = [sign("secret", "click", str(number)) for number in range(400)]
    assert any("-" in token[-16:] for token in tokens)
    assert all(verified("secret", "click", token) == str(number) for number, token in enumerate(tokens))


def test_a_value_outside_the_payload_alphabet_is_not_signed() -> None:
    with pytest.raises(ValueError, match="letters, digits and _"):
        sign("secret", "click", "a-b")
