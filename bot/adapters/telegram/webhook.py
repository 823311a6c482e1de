"""Receiving updates by webhook: store first, answer second.

Telegram does not resend an update it got a 200 for, so the 200 goes out only after the
update is committed to the inbox (`TelegramBot.store`); the work follows, and a crash
before the 200 makes Telegram deliver it again (the inbox drops the copy it already has).
Every request must carry the secret given to `setWebhook` in
`X-Telegram-Bot-Api-Secret-Token`; anything else gets 403 before its body is read. An
update that cannot be parsed is logged and acknowledged, or Telegram would retry it forever.

PTB's own webhook server answers before its handlers run, hence this route, served by the
process's one HTTP application (`bot.web`).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Bot, Update

from bot.adapters.telegram.events import ALLOWED_UPDATES, well_formed

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
MAX_CONNECTIONS = 40

Handle = Callable[[Update], Awaitable[None]]


class Webhook:
    def __init__(self, bot: Bot, handle: Handle, *, secret: str, path: str) -> None:
        self.bot = bot
        self.handle = handle
        self.secret = secret
        self.path = path

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.path, self._receive)]

    async def register(self, url: str) -> None:
        """Tell Telegram where to send updates, with the secret and the update types we use."""
        await self.bot.set_webhook(
            url,
            secret_token=self.secret,
            allowed_updates=list(ALLOWED_UPDATES),
            max_connections=MAX_CONNECTIONS,
            drop_pending_updates=False,
        )

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("refused a webhook request without the right secret token from %s", request.remote)
            return web.Response(status=403)
        try:
            document = json.loads(await request.read())
        except ValueError:
            log.warning("refused a webhook request whose body is not JSON")
            return web.Response(status=400)
        if not well_formed(document):
            log.warning("refused a webhook request whose body is not a Telegram update")
            return web.Response(status=400)
        try:
            update = Update.de_json(document, self.bot)
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            # Answered 200: Telegram would resend a refused update for ever.
            log.warning("skipping a webhook update that could not be read: %r", error)
            return web.Response()
        await self.handle(update)
        return web.Response()
