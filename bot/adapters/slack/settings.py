"""What the Slack adapter needs from the environment, checked before anything connects.

A missing token should be one clear line naming the variable and where Slack shows its
value, not a traceback from deep inside Bolt. Secrets are kept out of `repr`, so settings
can be logged; slack_sdk logs request and response bodies (tokens included) at DEBUG, so
its logger is held at INFO whatever level the rest of the bot logs at.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_SCOPES = (
    "chat:write",
    "commands",
    "im:history",
    "im:read",
    "im:write",
    "users:read",
    "users:read.email",
)
"""Bot scopes: DMs in and out, `/learn`, and `users.info` (with `tz` and `locale`, and the
profile's email, which ties a learner to the company's customer with it)."""


class SlackConfigError(Exception):
    """A Slack setting is missing or contradicts another; the message says how to fix it."""


@dataclass(frozen=True)
class SlackSettings:
    signing_secret: str = field(default="", repr=False)
    bot_token: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str | None = None
    """The Web API base URL (slack_sdk's `base_url`); None for Slack's own."""
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    @property
    def multi_workspace(self) -> bool:
        """Installed through Slack's OAuth flow, one bot token per workspace in our database."""
        return self.client_id is not None


def slack_settings(environ: Mapping[str, str], *, http: bool) -> SlackSettings:
    """The settings from `environ` for Socket Mode (`http=False`) or HTTP."""

    def get(name: str) -> str | None:
        return (environ.get(name) or "").strip() or None

    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    if (client_id is None) != (client_secret is None):
        raise SlackConfigError(
            "set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information → App Credentials) "
            "to install in many workspaces, or neither for one workspace"
        )
    if client_id is not None and not http:
        raise SlackConfigError(
            "installing in many workspaces (SLACK_CLIENT_ID) needs --http: "
            "Slack sends installers back to /slack/oauth_redirect"
        )
    missing = []
    if client_id is None and get("SLACK_BOT_TOKEN") is None:
        missing.append("SLACK_BOT_TOKEN (OAuth & Permissions → Bot User OAuth Token, xoxb-...)")
    if http and get("SLACK_SIGNING_SECRET") is None:
        missing.append("SLACK_SIGNING_SECRET (Basic Information → Signing Secret)")
    if not http and get("SLACK_APP_TOKEN") is None:
        missing.append("SLACK_APP_TOKEN (Basic Information → App-Level Tokens, connections:write, xapp-...)")
    if missing:
        raise SlackConfigError("missing " + "; ".join(missing))
    api_url = get("SLACK_API_URL")
    scopes = tuple(scope.strip() for scope in (get("SLACK_SCOPES") or "").split(",") if scope.strip())
    return SlackSettings(
        signing_secret=get("SLACK_SIGNING_SECRET") or "",
        bot_token=None if client_id else get("SLACK_BOT_TOKEN"),
        app_token=get("SLACK_APP_TOKEN"),
        api_url=api_url if api_url is None or api_url.endswith("/") else api_url + "/",
        client_id=client_id,
        client_secret=client_secret,
        scopes=scopes or DEFAULT_SCOPES,
    )


def keep_tokens_out_of_logs() -> None:
    """slack_sdk logs whole requests and responses at DEBUG, OAuth tokens included."""
    sdk = logging.getLogger("slack_sdk")
    sdk.setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
