"""The settings behind the report's definitions: defaults, and clear refusals."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.metrics.definitions import Definitions, report_definitions


def test_defaults_follow_the_companys_zone_and_are_described() -> None:
    settings = load_settings({"LESSONLOOP_DEFAULT_TIMEZONE": "Europe/Berlin"}, Path("/nonexistent"))

    definitions = report_definitions(settings)

    assert definitions == Definitions(zone=ZoneInfo("Europe/Berlin"), active_days=90, gross_margin=1.0)
    assert [each.term for each in definitions.described()] == [
        "customer",
        "active",
        "churned",
        "acquired",
        "purchase",
        "revenue",
        "gross margin",
        "period",
    ]
    assert "a purchase in the 90 days before it" in definitions.described()[1].meaning


def test_report_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "LESSONLOOP_REPORT_TIMEZONE": "America/New_York",
            "LESSONLOOP_ACTIVE_DAYS": "30",
            "LESSONLOOP_GROSS_MARGIN": "0.75",
        },
        tmp_path,
    )

    assert (settings.report_timezone, settings.active_days, settings.gross_margin) == (
        "America/New_York",
        30,
        0.75,
    )
    assert report_definitions(settings).zone == ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LESSONLOOP_GROSS_MARGIN", "80%", "gross_margin must be a share from 0 to 1, e.g. 0.8 for 80%"),
        ("LESSONLOOP_GROSS_MARGIN", "1.5", "gross_margin must be a share from 0 to 1"),
        ("LESSONLOOP_ACTIVE_DAYS", "0", "active_days must be a whole number of days from 1 to 3650"),
        ("LESSONLOOP_CLV_MODEL", "fancy", "clv_model must be one of simple, bgnbd, not 'fancy'"),
        ("LESSONLOOP_REPORT_TIMEZONE", "Berlin", "report_timezone must be an IANA time zone name"),
    ],
)
def test_a_malformed_setting_is_refused_with_how_to_write_it(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_settings({variable: value}, tmp_path)


def test_the_bgnbd_model_is_refused_with_what_to_do() -> None:
    with pytest.raises(ConfigError, match='set clv_model = "simple"'):
        report_definitions(Settings(clv_model="bgnbd"))
