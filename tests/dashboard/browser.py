"""Debian's Chromium for the browser tests, through Playwright (never `playwright install`:
it downloads a browser of its own). Missing outside CI: the test is skipped and says why;
in CI (`CI=true`, where `.ci/run` installs it) it fails instead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox"]  # CI runs as root, where Chromium's sandbox refuses to start


def chromium_or_skip() -> str:
    if CHROMIUM.exists():
        return str(CHROMIUM)
    reason = (
        f"no Chromium at {CHROMIUM}: `apt-get install chromium` (Debian's package) to run the browser tests"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
