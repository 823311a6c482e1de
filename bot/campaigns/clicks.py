"""Campaign links through a redirect that counts the click: `GET /c/<token>?to=<url>`.

The token is the assignment (learner and campaign variant) signed together with the
destination, so nobody can count clicks for someone else, and the redirect cannot be
used to send people to a page the campaign never linked (an open redirect). A click is
recorded, then the browser goes on to the page; a bad token gets a short page saying so.
Both platforms' link buttons (Slack's, Telegram's URL buttons) carry the tracked URL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from bot.links.signing import sign, verified
from bot.messages import CampaignMessage, ChoicePrompt, LinkReply, Outreach, Reply
from storage.campaigns import record_click
from storage.db import Database

log = logging.getLogger(__name__)

CLICK_PATH = "/c/{token}"
_PURPOSE = "click"

ReachOut = Callable[[Outreach], tuple[Reply, ...]]


class ClickLinks:
    """Makes and checks the tracked links of campaign messages."""

    def __init__(self, public_url: str, secret: str) -> None:
        self._base = public_url.rstrip("/")
        self._secret = secret

    @property
    def tracking(self) -> bool:
        """Without a public address or a secret, links go straight to their page, uncounted."""
        return bool(self._base and self._secret)

    def tracked(self, url: str, assignment_id: int) -> str:
        if not self.tracking:
            return url
        token = sign(self._secret, f"{_PURPOSE}:{url}", str(assignment_id))
        return f"{self._base}/c/{token}?to={quote(url, safe='')}"

    def assignment_of(self, token: str, url: str) -> int | None:
        value = verified(self._secret, f"{_PURPOSE}:{url}", token)
        return int(value) if value is not None and value.isdigit() else None

    def track(self, replies: tuple[Reply, ...], assignment_id: int) -> tuple[Reply, ...]:
        """`replies` with every link (buttons and link cards) going through the redirect."""
        return tuple(self._tracked_reply(reply, assignment_id) for reply in replies)

    def reaching_out(self, reach_out: ReachOut) -> ReachOut:
        """`reach_out`, with a campaign message's links tracked."""

        def tracked_reach_out(outreach: Outreach) -> tuple[Reply, ...]:
            replies = reach_out(outreach)
            if isinstance(outreach, CampaignMessage) and self.tracking:
                return self.track(replies, outreach.assignment_id)
            return replies

        return tracked_reach_out

    def _tracked_reply(self, reply: Reply, assignment_id: int) -> Reply:
        if isinstance(reply, ChoicePrompt) and any(choice.url for choice in reply.choices):
            choices = tuple(
                replace(choice, url=self.tracked(choice.url, assignment_id)) if choice.url else choice
                for choice in reply.choices
            )
            return replace(reply, choices=choices)
        if isinstance(reply, LinkReply):
            return replace(reply, url=self.tracked(reply.url, assignment_id))
        return reply


class ClickRedirect:
    """The redirect's route, for the process's one HTTP application (`bot.web`)."""

    def __init__(self, links: ClickLinks, database: Database, clock: Callable[[], datetime]) -> None:
        self._links = links
        self._database = database
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        return [web.get(CLICK_PATH, self._click)]

    async def _click(self, request: web.Request) -> web.Response:
        url = request.query.get("to", "")
        assignment_id = self._links.assignment_of(request.match_info["token"], url)
        if assignment_id is None or not url.startswith(("https://", "http://")):
            return web.Response(
                status=404, text="This link is not valid (it may have been copied incompletely).\n"
            )
        try:
            await asyncio.to_thread(self._record, assignment_id)
        except Exception:  # the person still gets to the page; the click is lost, and logged
            log.exception("a click on assignment %s could not be recorded", assignment_id)
        raise web.HTTPFound(url)

    def _record(self, assignment_id: int) -> None:
        with self._database.transaction() as session:
            record_click(session, assignment_id, self._clock())
