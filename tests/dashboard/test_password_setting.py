"""The dashboard's password reaches the settings only as a hash: `lessonloop dashboard
hash-password` makes it, the settings refuse anything else, and neither the hash nor the
token is ever printed with the settings."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import ConfigError, load_settings
from bot.web.dashboard.passwords import hashed, matches, readable_hash

TOKEN = "wall-screen-token-7f3a9c"


def test_hash_password_prints_a_salted_scrypt_hash_and_never_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))

    assert main(["dashboard", "hash-password"]) == 0
    out, err = capsys.readouterr()

    made = out.strip()
    assert made.startswith("scrypt$32768$8$1$")
    assert matches("correct horse battery", made)
    assert not matches("correct horse batterY", made)
    assert made != hashed("correct horse battery")  # salted: the same password, another hash
    assert "correct horse" not in out + err
    assert "dashboard_password_hash" in err


def test_a_short_password_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("secret\n"))

    assert main(["dashboard", "hash-password"]) == 2
    assert capsys.readouterr() == ("", "lessonloop: choose a password of at least 10 characters\n")


def test_a_pbkdf2_hash_made_elsewhere_is_read() -> None:
    digest = hashlib.pbkdf2_hmac("sha256", b"correct horse battery", b"seasalt", 100_000)
    stored = f"pbkdf2_sha256$100000$seasalt${base64.b64encode(digest).decode()}"

    assert matches("correct horse battery", stored)
    assert not matches("correct horse", stored)
    assert not readable_hash("pbkdf2_sha256$1000$seasalt$" + base64.b64encode(digest).decode())


def test_the_settings_take_a_hash_and_a_token_and_keep_them_out_of_repr(tmp_path: Path) -> None:
    made = hashed("correct horse battery")
    settings = load_settings(
        {"LESSONLOOP_DASHBOARD_PASSWORD_HASH": made, "LESSONLOOP_DASHBOARD_TOKEN": TOKEN}, cwd=tmp_path
    )

    assert (settings.dashboard_password_hash, settings.dashboard_token) == (made, TOKEN)
    assert made not in repr(settings)
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "LESSONLOOP_DASHBOARD_PASSWORD_HASH",
            "correct horse battery",
            "dashboard_password_hash must be what `lessonloop dashboard hash-password` prints "
            "(scrypt$... or pbkdf2_sha256$...), never the password itself",
        ),
        (
            "LESSONLOOP_DASHBOARD_TOKEN",
            "short",
            "dashboard_token must be at least 16 characters (e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe())'`), not a short word",
        ),
    ],
)
def test_a_password_or_a_short_token_in_the_settings_is_refused(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({variable: value}, cwd=tmp_path)

    assert str(refused.value) == message
