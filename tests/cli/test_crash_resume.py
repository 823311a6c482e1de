"""Kill `lessonloop chat` mid-lesson (SIGKILL, no clean-up), start it again: same step."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0


class RunningChat:
    """A chat process we can type into and read from while it runs."""

    def __init__(self, database_url: str) -> None:
        environment = {
            **os.environ,
            "LESSONLOOP_DATABASE_URL": database_url,
            "LESSONLOOP_CONTENT_DIR": str(ROOT / "content"),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--learner", "Ann"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environment,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, expected: str) -> list[str]:
        """Every line printed up to and including `expected`."""
        seen: list[str] = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            seen.append(line)
            if line == expected:
                return seen
        raise AssertionError(f"{expected!r} never came; saw {seen!r}")

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def finish(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=TIMEOUT) == 0
        if self.process.stdout is not None:
            self.process.stdout.close()


def test_a_killed_chat_resumes_at_the_same_step(database_url: str) -> None:
    first = RunningChat(database_url)
    first.wait_for("  2. What you get with Tasklane Pro")
    first.type("1")
    first.wait_for("  3. Just looking around")
    first.type("2")  # welcome: I get the work done
    first.wait_for("  2. Later")
    first.type("1")  # Next lesson: Your first project
    first.wait_for("What will your first project be called? Just type a name; you can change it later.")
    first.kill()

    second = RunningChat(database_url)
    assert second.wait_for(
        "What will your first project be called? Just type a name; you can change it later."
    ) == [
        "Welcome back, Ann!",
        "What will your first project be called? Just type a name; you can change it later.",
    ]
    second.type("Hermes")
    second.wait_for("> Hermes")
    assert second.wait_for("  2. I'm stuck")[0].startswith("Great name! Click + New project")
    second.finish()
