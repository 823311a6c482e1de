"""Which time zone a learner is in: the one they chose, else their platform's, else the
deployment's default; and reading a zone from what a learner types (a city or an IANA name).

The learner's own choice wins over the platform's, as it does for `language`: someone who
says where they are (travelling, or with a profile never updated) is not overruled by it.
"""

from __future__ import annotations

import difflib
import unicodedata
import zoneinfo
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
"""The areas of the tz database's city zones; links like `US/Eastern` name no city."""

CITY_ALIASES = {
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "portland": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "boston": "America/New_York",
    "philadelphia": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "new york city": "America/New_York",
    "nyc": "America/New_York",
    "dallas": "America/Chicago",
    "houston": "America/Chicago",
    "austin": "America/Chicago",
    "montreal": "America/Toronto",
    "rio de janeiro": "America/Sao_Paulo",
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "hanoi": "Asia/Bangkok",
    "busan": "Asia/Seoul",
    "incheon": "Asia/Seoul",
    "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo",
    "abu dhabi": "Asia/Dubai",
    "tel aviv": "Asia/Jerusalem",
    "saint petersburg": "Europe/Moscow",
    "st petersburg": "Europe/Moscow",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "milan": "Europe/Rome",
    "geneva": "Europe/Zurich",
    "manchester": "Europe/London",
    "edinburgh": "Europe/London",
    "canberra": "Australia/Sydney",
    "서울": "Asia/Seoul",
    "부산": "Asia/Seoul",
    "인천": "Asia/Seoul",
    "도쿄": "Asia/Tokyo",
    "베이징": "Asia/Shanghai",
    "뉴욕": "America/New_York",
    "런던": "Europe/London",
    "파리": "Europe/Paris",
    "베를린": "Europe/Berlin",
    "샌프란시스코": "America/Los_Angeles",
    "로스앤젤레스": "America/Los_Angeles",
}
"""Big cities that are not the name of their zone (and a few in Korean, which the bot speaks)."""


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone with this exact IANA name, or None (a platform may report anything)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # ValueError: a path-like or odd key
        return None


def known_zone(chosen: str | None, reported: str | None) -> ZoneInfo | None:
    """The learner's zone if anyone told us: their own choice, else their platform's."""
    return zone_named(chosen) or zone_named(reported)


def learner_zone(chosen: str | None, reported: str | None, default: ZoneInfo) -> ZoneInfo:
    """The zone a learner's windows and times are read in: the one place that order is decided."""
    return known_zone(chosen, reported) or default


@dataclass(frozen=True)
class ZoneSearch:
    """What a learner's text names: a zone, or the closest places to suggest instead."""

    zone: ZoneInfo | None
    suggestions: tuple[str, ...] = ()
    """Places written the way a learner would ("Berlin (Europe/Berlin)")."""


def find_zone(text: str) -> ZoneSearch:
    """The zone an IANA name (any case) or a city ("são paulo", "New York", "Mumbai") names."""
    wanted = _key(text)
    if not wanted:
        return ZoneSearch(None)
    names, places = _iana_names(), _places()
    for key in (wanted, _key(text.split(",", 1)[0])):  # "Berlin, Germany"
        found = names.get(key) or places.get(key)
        if found is not None:
            return ZoneSearch(ZoneInfo(found))
    close = difflib.get_close_matches(wanted, [*places, *names], n=3, cutoff=0.75)
    shown = dict.fromkeys(_shown(key, places.get(key) or names[key]) for key in close)
    return ZoneSearch(None, tuple(shown))


def _key(text: str) -> str:
    """Text as it is looked up: no accents, no case, `_` and runs of spaces as one space."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    plain = unicodedata.normalize("NFC", plain)  # Hangul decomposed above, composed again
    return " ".join(plain.replace("_", " ").replace(".", "").casefold().split())


def _shown(key: str, zone: str) -> str:
    if key == _key(zone):
        return zone
    return f"{key.title() if key.isascii() else key} ({zone})"


@cache
def _iana_names() -> dict[str, str]:
    return {_key(name): name for name in sorted(zoneinfo.available_timezones())}


@cache
def _places() -> dict[str, str]:
    """City name to zone, from the last part of every city zone, then the aliases."""
    places: dict[str, str] = {}
    # Fewer parts first: America/Indianapolis before America/Indiana/Indianapolis.
    for name in sorted(zoneinfo.available_timezones(), key=lambda name: (name.count("/"), name)):
        if name.split("/", 1)[0] in REGIONS and "/" in name:
            places.setdefault(_key(name.rsplit("/", 1)[1]), name)
    return {**places, **{_key(city): zone for city, zone in CITY_ALIASES.items()}}
