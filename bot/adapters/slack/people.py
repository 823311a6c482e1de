"""Who a Slack learner is (name, time zone, locale) and where their DM with the app is.

`users.info` is rate limited (Tier 4) and a learner's profile rarely changes, so answers
are remembered for an hour per process; a failed lookup leaves the profile empty rather
than stopping the learner's event. The engine stores `tz` and `locale` on the learner, for
scheduling lessons in their own time later.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

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
        except SlackApiError as error:
            log.warning("users.info for %s in %s failed: %s", user, team, error.response.get("error"))
            return remembered[1] if remembered else Profile()
        found = response.get("user") or {}
        details = found.get("profile") or {}
        first, _, last = (details.get("real_name") or found.get("real_name") or "").partition(" ")
        profile = Profile(
            first_name=details.get("first_name") or first,
            last_name=details.get("last_name") or last,
            locale=found.get("locale"),
            timezone=found.get("tz"),
        )
        _remember(self._profiles, key, (time.monotonic() + PROFILE_TTL_S, profile))
        return profile

    async def direct_channel(self, client: AsyncWebClient, team: str, user: str) -> str:
        """The id of the learner's DM with the app (opened if need be)."""
        key = (team, user)
        if key not in self._channels:
            response = await client.conversations_open(users=user)
            _remember(self._channels, key, str(response["channel"]["id"]))
        return self._channels[key]


def _remember(cache: OrderedDict[K, V], key: K, value: V) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > REMEMBERED:
        cache.popitem(last=False)
