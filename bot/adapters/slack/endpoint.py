"""Slack's HTTP endpoint: events, interactivity and `/learn` at one path, and Bolt's
install pages when the app is installed in many workspaces.

Bolt's own aiohttp server answers 500, with a traceback, to a body it cannot parse (not
JSON, or JSON that is not an object): Bolt reads the body before it checks the signature,
and its error handler reads it again (`actions: []` trips both). Here a body Bolt cannot
read gets 401 unless it is signed, and 400 if it is; Slack retries every answer that is not
2xx, and a 400 at least says why. Everything else goes to Bolt as its server sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

_Handler = Callable[[web.Request], Awaitable[web.Response]]

UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError)
"""What Bolt raises on a body it cannot read, in building its request or in matching
listeners: text that is not JSON (`ValueError`), JSON that is not an object, or a field
(`team`, `event`, `actions`) of another type than Slack's (the others)."""


def routes(app: AsyncApp, path: str, signing_secret: str) -> list[web.RouteDef]:
    """Events, interactivity and `/learn` at `path`, and the install pages with OAuth."""
    verifier = SignatureVerifier(signing_secret)

    async def on_request(request: web.Request) -> web.Response:
        # A body that is not UTF-8 is not Slack's: its signature fails over the text decoded.
        body = (await request.read()).decode(errors="replace")
        try:
            bolt_request = AsyncBoltRequest(
                body=body, query=request.query_string, headers=dict(request.headers)
            )
            answer = await app.async_dispatch(bolt_request)
        except UNREADABLE as error:  # in building the request, or in Bolt's error handling
            if not verifier.is_valid_request(body, request.headers):
                return web.json_response({"error": "invalid request"}, status=401)
            log.warning("a signed Slack request Bolt cannot read (%s): answered 400", describe(error))
            return web.json_response({"error": "malformed body"}, status=400)
        return await to_aiohttp_response(answer)

    served = [web.post(path, on_request)]
    flow = app.oauth_flow
    if flow is not None:
        served.append(web.get(flow.install_path, _page(flow.handle_installation)))
        served.append(web.get(flow.redirect_uri_path, _page(flow.handle_callback)))
    return served


def _page(handle: Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]) -> _Handler:
    """An install page, served as Bolt's own server does."""

    async def on_request(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await handle(await to_bolt_request(request)))

    return on_request


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"
