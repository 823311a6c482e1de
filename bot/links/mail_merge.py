"""Customers' personal Telegram links, for the company to send (`lessonloop link`).

Each link opens the bot with a signed payload of the customer (`bot.links.deep_links`), so
whoever starts the bot through it is tied to that customer's record. The bot's username
is asked of Telegram (`getMe`) when the deployment has its token and none is given.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterable, Mapping
from typing import TextIO

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.adapters.telegram.settings import TelegramConfigError, telegram_settings
from bot.links.deep_links import customer_payload, telegram_link
from storage.customer_links import CustomerContact

COLUMNS = ("customer_id", "email", "telegram_link")


class LinkCommandError(Exception):
    """What is missing for the links; the message says what to set or pass."""


def bot_username(given: str | None, environ: Mapping[str, str]) -> str:
    """`--bot` (with or without its @), else the username Telegram gives the configured token."""
    if given:
        return given.removeprefix("@")
    if not (environ.get("TELEGRAM_BOT_TOKEN") or "").strip():
        raise LinkCommandError(
            "which bot should the links open? Pass --bot USERNAME (its @username, from @BotFather), "
            "or set TELEGRAM_BOT_TOKEN so Telegram can be asked"
        )
    try:
        settings = telegram_settings(environ, webhook=False, url=None)
    except TelegramConfigError as error:
        raise LinkCommandError(f"{error}; or pass --bot USERNAME") from None
    try:
        return asyncio.run(_asked_username(settings.token, settings.base_url))
    except InvalidToken:
        raise LinkCommandError(
            "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): check it with @BotFather, "
            "or pass --bot USERNAME"
        ) from None
    except NetworkError as error:
        raise LinkCommandError(
            f"cannot reach Telegram to ask the bot's username ({error}): pass --bot USERNAME"
        ) from None


async def _asked_username(token: str, base_url: str) -> str:
    async with Bot(token, base_url=base_url) as bot:  # entering asks `getMe`
        return bot.username


def customer_link(secret: str, bot: str, customer: CustomerContact) -> str:
    return telegram_link(bot, customer_payload(secret, customer.id))


def write_links(secret: str, bot: str, customers: Iterable[CustomerContact], out: TextIO) -> int:
    """A CSV of every customer's link, with the company's id and email to merge on; how many."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for customer in customers:
        writer.writerow((customer.external_id, customer.email or "", customer_link(secret, bot, customer)))
        count += 1
    return count
