"""`lessonloop run slack` as a process, over HTTP and Socket Mode, against the fake Slack:
it answers, stops cleanly on SIGTERM, says clearly what is missing, and never logs a secret
even at DEBUG."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.slack.settings import SlackConfigError, slack_settings
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.slack.payloads import event_body
from tests.slack.process import SlackProcess, environment, until

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET)
HELP = {
    "type": "message",
    "channel": "DU0ANN",
    "channel_type": "im",
    "user": "U0ANN",
    "text": "help",
    "ts": "1.0",
}


async def run_until_answered(env: dict[str, str], fake: FakeSlack, http: bool) -> str:
    """Start the command, send it one event, wait for the reply, stop it; its stderr."""
    process = await SlackProcess.start(env, http=http)
    try:
        body = event_body(TEAM, HELP, "Ev0PROCESS")
        if http:
            assert await process.event(body) == 200
        else:
            await fake.socket.deliver("events_api", body)
        await until(lambda: bool(fake.made("chat.postMessage")))
        assert fake.made("chat.postMessage")[0].args["channel"] == "DU0ANN"
    finally:
        logged = await process.stop()
    return logged


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_run_slack_serves_a_learner_and_logs_no_secret(mode: str, database_url: str) -> None:
    async def scenario() -> str:
        fake = FakeSlack()
        await fake.start()
        fake.add_workspace(TEAM, BOT_TOKEN)
        fake.app_tokens.add(APP_TOKEN)
        slack = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url}
        try:
            if mode == "http":
                env = environment(database_url, SLACK_SIGNING_SECRET=SIGNING_SECRET, **slack)
                return await run_until_answered(env, fake, http=True)
            env = environment(database_url, SLACK_APP_TOKEN=APP_TOKEN, **slack)
            return await run_until_answered(env, fake, http=False)
        finally:
            await fake.stop()
            assert fake.violations == []

    logged = asyncio.run(scenario())
    assert "DEBUG" in logged  # it did log, at the most talkative level
    for secret in SECRETS:
        assert secret not in logged


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_a_missing_token_is_named_without_a_traceback(database_url: str) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "run", "slack"],
        env={**environment(database_url), "LESSONLOOP_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (finished.returncode, finished.stderr) == (
        2,
        "lessonloop: missing SLACK_BOT_TOKEN (OAuth & Permissions → Bot User OAuth Token, xoxb-...); "
        "SLACK_APP_TOKEN (Basic Information → App-Level Tokens, connections:write, xapp-...)\n",
    )


@pytest.mark.parametrize(
    ("http", "environ", "message"),
    [
        (
            True,
            {"SLACK_BOT_TOKEN": BOT_TOKEN},
            "missing SLACK_SIGNING_SECRET (Basic Information → Signing Secret)",
        ),
        (
            False,
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_APP_TOKEN": APP_TOKEN},
            "installing in many workspaces (SLACK_CLIENT_ID) needs --http: "
            "Slack sends installers back to /slack/oauth_redirect",
        ),
        (
            True,
            {"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": SIGNING_SECRET},
            "set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information → App Credentials) "
            "to install in many workspaces, or neither for one workspace",
        ),
    ],
    ids=["http-without-signing-secret", "oauth-without-http", "client-id-without-secret"],
)
def test_settings_that_cannot_work_are_explained(http: bool, environ: dict[str, str], message: str) -> None:
    with pytest.raises(SlackConfigError) as refused:
        slack_settings(environ, http=http)
    assert str(refused.value) == message


def test_settings_keep_secrets_out_of_their_repr() -> None:
    environ = {
        "SLACK_CLIENT_ID": "1.2",
        "SLACK_CLIENT_SECRET": "client-secret-value",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api",
        "SLACK_SCOPES": "chat:write, commands",
    }
    settings = slack_settings(environ, http=True)
    assert (settings.multi_workspace, settings.api_url, settings.scopes) == (
        True,
        "http://127.0.0.1:9/api/",
        ("chat:write", "commands"),
    )
    assert "client-secret-value" not in repr(settings)
    assert SIGNING_SECRET not in repr(settings)
