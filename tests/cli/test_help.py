"""`lessonloop --help` names every action of every command, so nobody has to guess."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_faq_line_names_test_gaps_and_report() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},  # a common terminal: the line must fit on one
        timeout=60,
        check=True,
    ).stdout

    faq_line = next(line.strip() for line in shown.splitlines() if line.strip().startswith("faq "))
    assert faq_line == "faq       FAQ for support: test a match, list the gaps, report deflection"
