"""The Telegram settings read from the environment: the sending rate a deployment may raise."""

from __future__ import annotations

import pytest

from bot.adapters.telegram.settings import TelegramConfigError, telegram_settings
from tests.telegram.fake_bot_api import TOKEN


def test_the_rate_is_telegrams_free_limit_unless_raised() -> None:
    assert telegram_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, webhook=False, url=None).messages_per_second == 30
    raised = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_MESSAGES_PER_SECOND": "1000"}
    assert telegram_settings(raised, webhook=False, url=None).messages_per_second == 1000


@pytest.mark.parametrize("value", ["0", "-5", "fast", "5000"])
def test_a_rate_telegram_would_not_allow_is_refused_saying_why(value: str) -> None:
    with pytest.raises(TelegramConfigError) as refused:
        telegram_settings(
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_MESSAGES_PER_SECOND": value}, webhook=False, url=None
        )
    assert str(refused.value) == (
        "TELEGRAM_MESSAGES_PER_SECOND must be a number from 1 to 1000 (Telegram's free limit is 30; "
        f"paid broadcasts allow up to 1000), not {value!r}"
    )
