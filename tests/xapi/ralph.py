"""A real LRS for the tests: Ralph (`ralph-malph`) on 127.0.0.1, its fs backend appending
to a file under the test's directory, HTTP Basic auth from its credentials file.

Started as a subprocess (`tests/xapi/ralph_server.py`) once per test module; `stop` and
`start` again on the same port is an outage the sender must ride out. Statements are read
back through Ralph's own GET /xAPI/statements, by agent: its `verb=` and `activity=`
filters compare an IRI to a string and find nothing.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import bcrypt

from bot.config import LrsSettings

KEY, SECRET = "lessonloop", "s3cret-for-ralph"
REPOSITORY = Path(__file__).parents[2]
START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Ralph:
    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.settings = LrsSettings(f"http://127.0.0.1:{self.port}/xAPI/", KEY, SECRET)
        self._directory = directory
        self._process: subprocess.Popen[bytes] | None = None
        self._log = directory / "ralph.log"
        auth_file = directory / "auth.json"
        # The credentials file as `ralph auth --write-to-disk` writes it (Ralph's docs);
        # few bcrypt rounds, so the test does not wait on the hash.
        hashed = bcrypt.hashpw(SECRET.encode(), bcrypt.gensalt(rounds=4)).decode("ascii")
        agent = {"objectType": "Agent", "account": {"homePage": "https://lessonloop.invalid/", "name": KEY}}
        user = {"agent": agent, "scopes": ["all"], "hash": hashed, "username": KEY}
        auth_file.write_text(json.dumps([user]), encoding="utf-8")
        self._environment = {
            **os.environ,
            "PYTHONPATH": str(REPOSITORY),
            "RALPH_APP_DIR": str(directory),
            "RALPH_AUTH_FILE": str(auth_file),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(directory),
        }

    def start(self) -> None:
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-W", "ignore", "-m", "tests.xapi.ralph_server", str(self.port)],
                env=self._environment,
                cwd=self._directory,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Ralph exited: {self._log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"Ralph did not start: {self._log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def statements_of(self, actor: dict[str, Any], base: str) -> list[dict[str, Any]]:
        """Every statement Ralph stored about `actor` (an Agent with an account) on an
        activity under `base` (one test's, on one backend), oldest first."""
        agent = json.dumps({"objectType": "Agent", "account": actor["account"]})
        query = urllib.parse.urlencode({"agent": agent, "limit": 500})
        request = urllib.request.Request(
            f"{self.settings.endpoint}statements?{query}",
            headers={
                "X-Experience-API-Version": "1.0.3",
                "Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            found: list[dict[str, Any]] = json.load(response)["statements"]
        ours = [statement for statement in found if statement["object"]["id"].startswith(base)]
        return sorted(ours, key=lambda statement: (statement["timestamp"], statement["stored"]))
