"""Settings from lessonloop.toml and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, HandoffSettings, Settings, load_settings


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    assert load_settings({}, tmp_path) == Settings()
    assert Settings().database_url == "sqlite:///lessonloop.db"


def test_the_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "lessonloop.toml").write_text(
        '[lessonloop]\ndatabase_url = "sqlite:///from-file.db"\ndefault_locale = "ko"\nlog_level = "info"\n'
    )

    settings = load_settings({"LESSONLOOP_DATABASE_URL": "sqlite:///from-env.db"}, tmp_path)

    assert settings == Settings(
        database_url="sqlite:///from-env.db",
        content_dir=Path("content"),
        default_locale="ko",
        log_level="INFO",
    )


def test_lessonloop_config_names_another_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('[lessonloop]\ncontent_dir = "lessons"\n')

    assert load_settings({"LESSONLOOP_CONFIG": str(other)}, tmp_path).content_dir == Path("lessons")


def test_a_missing_named_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({"LESSONLOOP_CONFIG": str(tmp_path / "nope.toml")}, tmp_path)


def test_a_malformed_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "lessonloop.toml").write_text("[lessonloop\n")

    with pytest.raises(ConfigError, match=r"lessonloop\.toml"):
        load_settings({}, tmp_path)


def test_the_database_password_never_appears_when_settings_are_printed() -> None:
    settings = Settings(database_url="postgresql+psycopg://lessonloop:s3cret@db.internal/lessonloop")

    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings)
    assert "postgresql+psycopg://lessonloop:***@db.internal/lessonloop" in repr(settings)


def test_support_destinations_and_hours_come_from_file_and_environment(tmp_path: Path) -> None:
    (tmp_path / "lessonloop.toml").write_text(
        '[lessonloop]\nsupport_hours = "Mon-Fri 9:00-18:00 CET"\nsupport_slack_channel = "C0SUPPORT"\n'
    )
    environment = {
        "LESSONLOOP_SUPPORT_TELEGRAM_CHAT": "-1001234567890",
        "LESSONLOOP_SUPPORT_WEBHOOK_URL": "https://desk.example.com/hooks/lessonloop",
        "LESSONLOOP_SUPPORT_WEBHOOK_SECRET": "wh-s3cret-value",
    }

    support = load_settings(environment, tmp_path).handoff

    assert support == HandoffSettings(
        slack_channel="C0SUPPORT",
        telegram_chat="-1001234567890",
        webhook_url="https://desk.example.com/hooks/lessonloop",
        webhook_secret="wh-s3cret-value",
        hours="Mon-Fri 9:00-18:00 CET",
    )
    assert support.destinations == ("slack", "telegram", "webhook")
    assert "wh-s3cret-value" not in repr(load_settings(environment, tmp_path))


def test_no_support_destination_means_no_hand_offs(tmp_path: Path) -> None:
    assert load_settings({}, tmp_path).handoff.destinations == ()


@pytest.mark.parametrize(
    ("environment", "complaint"),
    [
        ({"LESSONLOOP_SUPPORT_WEBHOOK_URL": "https://desk.example.com/hook"}, "needs support_webhook_secret"),
        (
            {"LESSONLOOP_SUPPORT_WEBHOOK_URL": "desk.example.com", "LESSONLOOP_SUPPORT_WEBHOOK_SECRET": "x"},
            "must be an https:// address",
        ),
        ({"LESSONLOOP_SUPPORT_TELEGRAM_CHAT": "@oursupport"}, "numeric chat id"),
    ],
)
def test_a_support_destination_that_cannot_work_is_refused(
    tmp_path: Path, environment: dict[str, str], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_settings(environment, tmp_path)


def test_the_default_time_zone_is_utc_and_can_be_set(tmp_path: Path) -> None:
    assert load_settings({}, tmp_path).default_timezone == "UTC"
    (tmp_path / "lessonloop.toml").write_text('[lessonloop]\ndefault_timezone = "Europe/Berlin"\n')
    assert load_settings({}, tmp_path).default_timezone == "Europe/Berlin"
    environment = {"LESSONLOOP_DEFAULT_TIMEZONE": "Asia/Seoul"}
    assert load_settings(environment, tmp_path).default_timezone == "Asia/Seoul"
    assert "default_timezone='Asia/Seoul'" in repr(load_settings(environment, tmp_path))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("berlin", "default_timezone must be an IANA time zone name such as Europe/Berlin or "
         "America/New_York (did you mean 'Europe/Berlin'? got 'berlin')"),
        ("Mars/Olympus_Mons", "default_timezone must be an IANA time zone name such as Europe/Berlin or "
         "America/New_York (got 'Mars/Olympus_Mons')"),
    ],
)  # fmt: skip
def test_a_default_time_zone_that_is_no_zone_is_refused_naming_the_setting(
    tmp_path: Path, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"LESSONLOOP_DEFAULT_TIMEZONE": value}, tmp_path)
    assert str(refused.value) == message


def test_the_outbox_lease_is_two_minutes_unless_set_and_never_below_a_slow_call(tmp_path: Path) -> None:
    assert load_settings({}, tmp_path).outbox_lease_seconds == 120.0
    assert load_settings({"LESSONLOOP_OUTBOX_LEASE_SECONDS": "45"}, tmp_path).outbox_lease_seconds == 45.0
    with pytest.raises(ConfigError, match="outbox_lease_seconds must be at least 30 seconds"):
        load_settings({"LESSONLOOP_OUTBOX_LEASE_SECONDS": "1"}, tmp_path)
    with pytest.raises(ConfigError, match="outbox_lease_seconds must be a positive number"):
        load_settings({"LESSONLOOP_OUTBOX_LEASE_SECONDS": "soon"}, tmp_path)
