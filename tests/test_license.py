"""Lessonloop is Apache-2.0, and its installed metadata says so in the form tools read."""

from __future__ import annotations

from importlib.metadata import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_declares_apache_2_0_with_its_license_file() -> None:
    installed = metadata("lessonloop")

    assert installed["License-Expression"] == "Apache-2.0"
    assert installed.get_all("License-File") == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").split()[:5] == [
        "Apache",
        "License",
        "Version",
        "2.0,",
        "January",
    ]
