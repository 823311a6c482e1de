"""Which zone a learner is in, and reading one from what a learner types."""

from __future__ import annotations

import zoneinfo
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.zones import CITY_ALIASES, find_zone, learner_zone, zone_named

UTC = ZoneInfo("UTC")


def test_the_learners_choice_wins_then_the_platforms_then_the_default() -> None:
    assert learner_zone("Europe/Lisbon", "Asia/Seoul", UTC) == ZoneInfo("Europe/Lisbon")
    assert learner_zone(None, "Asia/Seoul", UTC) == ZoneInfo("Asia/Seoul")
    assert learner_zone(None, None, ZoneInfo("America/Chicago")) == ZoneInfo("America/Chicago")


def test_a_zone_nobody_knows_counts_as_none() -> None:
    assert learner_zone(None, "Mars/Olympus_Mons", UTC) == UTC
    assert learner_zone("", "", UTC) == UTC
    assert zone_named("../../etc/passwd") is None
    assert zone_named("/etc/localtime") is None


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("berlin", "Europe/Berlin"),
        ("  New   York ", "America/New_York"),
        ("são paulo", "America/Sao_Paulo"),
        ("SAO_PAULO", "America/Sao_Paulo"),
        ("europe/BERLIN", "Europe/Berlin"),
        ("Seoul", "Asia/Seoul"),
        ("Mumbai", "Asia/Kolkata"),
        ("Beijing", "Asia/Shanghai"),
        ("San Francisco", "America/Los_Angeles"),
        ("Washington D.C.", "America/New_York"),
        ("Zürich", "Europe/Zurich"),
        ("Paris, France", "Europe/Paris"),
        ("Indianapolis", "America/Indianapolis"),
        ("utc", "UTC"),
        ("서울", "Asia/Seoul"),
    ],
)
def test_a_city_or_a_zone_name_finds_its_zone(typed: str, zone: str) -> None:
    assert find_zone(typed).zone == ZoneInfo(zone)


def test_a_near_miss_suggests_places_and_nonsense_suggests_nothing() -> None:
    assert find_zone("Berln").zone is None
    assert find_zone("Berln").suggestions == ("Berlin (Europe/Berlin)",)
    assert find_zone("Narnia").suggestions == ()
    assert find_zone("").zone is None


def test_every_alias_is_a_zone_the_system_knows() -> None:
    assert [zone for zone in CITY_ALIASES.values() if zone not in zoneinfo.available_timezones()] == []
    assert find_zone("Montreal").zone == ZoneInfo("America/Toronto")  # an alias wins over a link's name
