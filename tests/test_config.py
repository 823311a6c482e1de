"""Settings from lessonloop.toml and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings


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
