"""How Lessonloop calls Slack's Web API, and what a failed call looks like.

A call fails in more ways than `SlackApiError` with Slack's own JSON. A proxy in front of
Slack (Envoy, a load balancer) answers 502/503 as `text/plain`: slack_sdk then raises
`SlackApiError` whose `response.data` is a `str`; HTML sent as `application/json` raises
`SlackApiError` whose `response` is aiohttp's own, with no `.get`; `text/html` leaves an
empty dict. A 200 whose body is `text/plain`, or JSON but not an object, makes slack_sdk's
own check of `ok` raise `AttributeError`. Connections refused or reset raise
`aiohttp.ClientError` (after slack_sdk's one retry), and a stalled call `TimeoutError`.
Callers catch `FAILED` around the call and log `error_code(error)`.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)

RATE_LIMIT_RETRIES = 3
TIMEOUT_S = 30.0
"""Per HTTP request: slack_sdk's own default, which it does not apply to a session it is
given (aiohttp's default would wait five minutes on a stalled call)."""

FAILED: tuple[type[Exception], ...] = (SlackClientError, aiohttp.ClientError, TimeoutError, AttributeError)
"""What a Web API call (or a `response_url` post) raises when Slack cannot be used; keep
the `try` around the call alone, so an `AttributeError` of our own is not taken for one."""


def retry_handlers() -> list[AsyncRetryHandler]:
    """slack_sdk's defaults plus waiting out 429s (`retry_handlers=` replaces the defaults)."""
    return [*async_default_handlers(), AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]


def session() -> aiohttp.ClientSession:
    """The HTTP session the Web API clients and `response_url` posts share."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))


def error_code(error: BaseException) -> str:
    """Slack's error code (`channel_not_found`), else the HTTP status of an answer that was
    not Slack's JSON (`HTTP 503`), else the kind of failure (`ClientConnectorError`)."""
    response = getattr(error, "response", None)
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    if isinstance(status, int):
        return f"HTTP {status}"
    return type(error).__name__
