"""What the Telegram adapter needs from the environment, checked before anything connects.

A missing or mistyped token must be one clear line naming the variable and where BotFather
shows it, not a traceback from inside python-telegram-bot. The token is part of every Bot
API URL (`https://api.telegram.org/bot<token>/sendMessage`), and httpx logs each request's
URL at INFO: `keep_token_out_of_logs` holds httpx at WARNING and masks the token in every
record that still reaches a handler, tracebacks included.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
"""`123456789:AAH...`: the bot's numeric id, a colon, and 35 URL-safe characters (today)."""
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
"""What Telegram accepts as a webhook `secret_token`."""
MASK = "<telegram-token>"


class TelegramConfigError(Exception):
    """A Telegram setting is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class TelegramSettings:
    token: str = field(repr=False)
    api_root: str | None = None
    """A self-hosted Bot API server (`http://127.0.0.1:8081`); None for Telegram's own."""
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_url: str | None = None
    messages_per_second: float = 30.0
    """The bot's overall sending rate: Telegram's free limit, unless the deployment pays for
    broadcasts (`allow_paid_broadcast`, up to 1,000) or runs its own Bot API server."""

    @property
    def base_url(self) -> str:
        """PTB's `base_url`: the token is appended to it."""
        return f"{self.api_root}/bot" if self.api_root else "https://api.telegram.org/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_root}/file/bot" if self.api_root else "https://api.telegram.org/file/bot"

    @property
    def webhook_path(self) -> str:
        """The local path to serve: the public URL's path (a proxy may forward it as is)."""
        return urlsplit(self.webhook_url or "").path or "/"


def telegram_settings(environ: Mapping[str, str], *, webhook: bool, url: str | None) -> TelegramSettings:
    """The settings from `environ` (and `--url`) for polling or, with `webhook`, a webhook."""

    def get(name: str) -> str | None:
        return (environ.get(name) or "").strip() or None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is None:
        raise TelegramConfigError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather (/newbot) and set the token "
            "it gives you, e.g. 123456789:AAH..."
        )
    if not TOKEN_PATTERN.match(token):
        raise TelegramConfigError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then about 35 letters, "
            "digits, _ or -); copy it again from @BotFather (/mybots → API Token)"
        )
    api_root = get("TELEGRAM_API_BASE_URL")
    if api_root is not None:
        parts = urlsplit(api_root)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TelegramConfigError(
                f"TELEGRAM_API_BASE_URL must be the http(s) address of a Bot API server, "
                f"e.g. http://127.0.0.1:8081 (got {api_root!r})"
            )
        api_root = api_root.rstrip("/")
        if api_root.endswith("/bot"):
            api_root = api_root[: -len("/bot")]
    rate = _messages_per_second(get("TELEGRAM_MESSAGES_PER_SECOND"))
    if not webhook:
        return TelegramSettings(token=token, api_root=api_root, messages_per_second=rate)
    secret = get("TELEGRAM_WEBHOOK_SECRET")
    if secret is None or not SECRET_PATTERN.match(secret):
        raise TelegramConfigError(
            "--webhook needs TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -; "
            "Telegram sends it with every update so the bot can refuse anyone else"
        )
    # Telegram itself calls only https:// webhooks; a self-hosted Bot API server may use http.
    schemes = ("https",) if api_root is None else ("https", "http")
    if url is None or urlsplit(url).scheme not in schemes or not urlsplit(url).netloc:
        raise TelegramConfigError(
            "--webhook needs --url, the public https:// address Telegram should send updates to "
            "(e.g. https://bot.example.com/telegram)"
        )
    return TelegramSettings(
        token=token, api_root=api_root, webhook_secret=secret, webhook_url=url, messages_per_second=rate
    )


def _messages_per_second(value: str | None) -> float:
    if value is None:
        return 30.0
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not 1 <= rate <= 1000:
        raise TelegramConfigError(
            f"TELEGRAM_MESSAGES_PER_SECOND must be a number from 1 to 1000 (Telegram's free limit is 30; "
            f"paid broadcasts allow up to 1000), not {value!r}"
        )
    return rate


class _TokenMask(logging.Filter):
    """Replaces the token in a record's message and traceback before any handler formats it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, MASK), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, MASK)
        return True


def keep_token_out_of_logs(token: str) -> None:
    """Silence httpx's per-request lines and mask the token in whatever is still logged.

    A filter on a logger does not see its children's records, so the mask goes on the
    handlers of the root logger (those `logging.basicConfig` installed), where every
    record ends up; httpx, whose own records carry the URL, gets one as well.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for filtered in (*logging.getLogger().handlers, logging.getLogger("httpx")):
        if not any(isinstance(f, _TokenMask) and f.token == token for f in filtered.filters):
            filtered.addFilter(_TokenMask(token))
