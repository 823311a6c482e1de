"""Who a Slack learner is (name, time zone, locale) and where their DM with the app is.

`users.info` is rate limited (Tier 4) and a learner's profile rarely changes, so answers
are remembered for an hour per process. Neither lookup may stop the learner's event: a
failed `users.info` gives the profile last seen, or an empty one (the engine keeps the
names it has); a failed `conversations.open` gives None, and the caller posts to the user
id, which Slack takes as their DM with the app. The engine stores `tz` and `locale` on the
learner, for scheduling lessons in their own time later, and ties a learner whose profile
email (given with the `users:read.email` scope) is a customer's to that customer.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.web_api import FAILED, error_code

log = logging.getLogger(__name__)

PROFILE_TTL_S = 3600.0
REMEMBERED = 10_000

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Profile:
    first_name: str = ""
    last_name: str = ""
    locale: str | None = None
    timezone: str | None = None
    email: str | None = None


class People:
    """Profiles and DM channel ids, remembered per (team, user), the oldest forgotten first."""

    def __init__(self) -> None:
        self._profiles: OrderedDict[tuple[str, str], tuple[float, Profile]] = OrderedDict()
        self._channels: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def profile(self, client: AsyncWebClient, team: str, user: str) -> Profile:
        key = (team, user)
        remembered = self._profiles.get(key)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
        try:
            response = await client.users_info(user=user, include_locale=True)
        except FAILED as error:
            log.warning("users.info for %s in %s failed: %s", user, team, error_code(error))
            return remembered[1] if remembered else Profile()
        found = _object(response.get("user"))
        details = _object(found.get("profile"))
        first, _, last = (_text(details, "real_name") or _text(found, "real_name") or "").partition(" ")
        profile = Profile(
            first_name=_text(details, "first_name") or first,
            last_name=_text(details, "last_name") or last,
            locale=_text(found, "locale"),
            timezone=_text(found, "tz"),
            email=_text(details, "email"),
        )
        _remember(self._profiles, key, (time.monotonic() + PROFILE_TTL_S, profile))
        return profile

    async def direct_channel(self, client: AsyncWebClient, team: str, user: str) -> str | None:
        """The id of the learner's DM with the app (opened if need be); None if Slack
        could not say."""
        key = (team, user)
        if key not in self._channels:
            try:
                response = await client.conversations_open(users=user)
            except FAILED as error:
                log.warning("conversations.open for %s in %s failed: %s", user, team, error_code(error))
                return None
            channel = _text(_object(response.get("channel")), "id")
            if channel is None:
                return None
            _remember(self._channels, key, channel)
        return self._channels[key]


def _object(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _text(found: dict[str, object], key: str) -> str | None:
    value = found.get(key)
    return value if isinstance(value, str) and value else None


def _remember(cache: OrderedDict[K, V], key: K, value: V) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > REMEMBERED:
        cache.popitem(last=False)
