"""A learner's invite link as Slack can open it, and the invite an install carries back.

With installs in many workspaces and `public_url` set, the link is the app's install page
on `serve` with the token as `?ref=`: the install page keeps it in the OAuth `state` it
issues (`DatabaseOAuthStates`), so when the colleague has installed the app, the state
Slack sends back still holds it, and the installer starts as the inviter's referral
(`SlackBot`). Otherwise there is no install to carry it through: the link opens the app
in the learner's workspace (`app_redirect`, with the app id `auth.test` gives), and
whoever follows it arrives unreferred.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from urllib.parse import urlencode

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.web_api import FAILED, error_code
from bot.links.deep_links import INVITE_PREFIX, TELEGRAM_PAYLOAD_LIMIT
from bot.messages import InviteLink, LinkReply, Reply, TextReply

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
APP_REDIRECT = "https://slack.com/app_redirect"
REF = "ref"
STATE_SEPARATOR = "."
"""Between the state's own random part and the invite token it carries (neither holds one)."""
_TOKEN = re.compile(rf"^[A-Za-z0-9_-]{{1,{TELEGRAM_PAYLOAD_LIMIT - len(INVITE_PREFIX)}}}$")
"""What an invite token may be: it becomes a `start` payload (`bot.links.deep_links`) once carried."""


class InviteLinks:
    def __init__(self, install_page: str | None) -> None:
        """`install_page`: the public address of `/slack/install`, when installs in many
        workspaces are taken there; None to open the app in the learner's workspace."""
        self._install_page = install_page
        self._app_ids: dict[str, str] = {}

    async def written_out(self, client: AsyncWebClient, team: str, replies: Sequence[Reply]) -> list[Reply]:
        """`replies` with each invite as its text and its link, which Slack shows as any link."""
        shown: list[Reply] = []
        for reply in replies:
            if not isinstance(reply, InviteLink):
                shown.append(reply)
                continue
            shown.append(TextReply(reply.text))
            url = await self._url(client, team, reply.token)
            if url is not None:
                shown.append(LinkReply(url, url))
        return shown

    async def _url(self, client: AsyncWebClient, team: str, token: str) -> str | None:
        if self._install_page is not None:
            return f"{self._install_page}?{urlencode({REF: token})}"
        app = await self._app_id(client, team)
        return f"{APP_REDIRECT}?{urlencode({'app': app, 'team': team})}" if app else None

    async def _app_id(self, client: AsyncWebClient, team: str) -> str | None:
        if team not in self._app_ids:
            try:
                response = await client.auth_test()
            except FAILED as error:
                log.warning(
                    "auth.test in %s failed: %s; an invite goes without its link", team, error_code(error)
                )
                return None
            app = response.get("app_id")
            if not isinstance(app, str) or not app:
                log.warning("auth.test in %s named no app; an invite goes without its link", team)
                return None
            self._app_ids[team] = app
        return self._app_ids[team]


def carried_state(state: str, ref: str | None) -> str:
    """The OAuth state to issue: its random part, and the invite token if the install page
    was opened with a well-formed one."""
    return f"{state}{STATE_SEPARATOR}{ref}" if ref and _TOKEN.match(ref) else state


def carried_ref(state: str) -> str | None:
    """The invite token a state carries, if any."""
    _random, separator, ref = state.partition(STATE_SEPARATOR)
    return ref if separator and _TOKEN.match(ref) else None
