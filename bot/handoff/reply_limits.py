"""Whether a support person's reply fits one message on the learner's platform.

A reply is one answer from a person, so it is never split: what does not fit is refused
where it was written (the helpdesk gets a 413, the Slack thread or Telegram group a note
saying how much fits), instead of failing at the platform and being retried for a day.
Lengths are counted as the reply will be sent, with the "💬 Sam from support: " line start
and, for Slack, after escaping `&<>`; in UTF-16 code units, Telegram's count, never less
than Slack's count of characters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from telegram.constants import MessageLimit

from bot.adapters.slack.blocks import escape as slack_escape
from bot.adapters.telegram.render import units
from bot.phrases import phrase
from storage.handoffs import HandoffCase

SLACK_TEXT_LIMIT = 40_000
"""chat.postMessage answers `msg_too_long` beyond this (Slack's documented truncation point)."""


@dataclass(frozen=True)
class Platform:
    """How a learner's platform receives a relayed reply: its name, one message's limit,
    and the text as the platform is sent it."""

    name: str
    limit: int
    as_sent: Callable[[str], str]


PLATFORMS = {
    "telegram": Platform("Telegram", MessageLimit.MAX_TEXT_LENGTH, lambda text: text),
    "slack": Platform("Slack", SLACK_TEXT_LIMIT, slack_escape),
}
"""Terminal learners are absent: their replies stay queued, there is nothing to fit."""


@dataclass(frozen=True)
class TooLong:
    """A reply that would not fit one message on the learner's platform."""

    platform: Platform
    text_length: int
    room: int
    """How many units of text fit after the "💬 Sam from support: " start."""
    start: str

    def error(self) -> str:
        return (
            f"the reply is too long for {self.platform.name}: {self.text_length} characters of text, "
            f"at most {self.room} fit in one message ({self.platform.limit} with “{self.start.strip()}” "
            "before it)"
        )


def too_long_for(case: HandoffCase, agent: str, text: str) -> TooLong | None:
    """The reply measured as the learner's platform will be sent it (`relay_reply` words it
    with the `support_reply` phrase, "Someone" standing in for a missing agent); None if it fits."""
    platform = PLATFORMS.get(case.platform)
    if platform is None or not text:
        return None
    name = agent or phrase("support_agent", case.locale)
    start = phrase("support_reply", case.locale, agent=name, text="")
    text_length = units(platform.as_sent(text))
    room = platform.limit - units(platform.as_sent(start))
    return TooLong(platform, text_length, room, start) if text_length > room else None
