"""Posting statements to a Learning Record Store (xAPI 1.0.3, Communication 2.1.2: POST
`statements` with `X-Experience-API-Version`, HTTP Basic auth), and what its answer means
for them: stored, refused for what they say, or not taken for now.

The key and secret are only ever in the request's Authorization header: the endpoint may
not carry them (`bot.config`), and neither the log nor an error message repeats a header.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType

import aiohttp

from bot.config import LrsSettings
from bot.xapi.statements import XAPI_VERSION, Statement, as_json

TIMEOUT_S = 30.0
"""For one POST: well inside the outbox's lease, so a slow LRS is not sent the batch twice."""
REASON_CHARS = 2000
"""How much of the LRS's answer is kept as the reason (a validation report can be long)."""
NOT_NOW = frozenset({401, 403, 404, 408, 425, 429})
"""4xx answers that say nothing about the statements: the LRS's address or Lessonloop's
credentials are wrong (fixed by an operator, then the statements go), or it is busy."""


class LrsUnavailableError(Exception):
    """The LRS did not take the statements now (unreachable, failing, busy, or refusing our
    credentials): the same statements are sent again later. `retry_after` if it said when."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class StatementsRefusedError(Exception):
    """The LRS refused the statements for what they say (400 malformed, 409 a different
    statement with one of their ids, 413 too large, 422 invalid); `reason` is its answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class LrsClient:
    """One HTTP session to the LRS, open while the sender runs (`async with`)."""

    def __init__(self, settings: LrsSettings, *, timeout_s: float = TIMEOUT_S) -> None:
        self.endpoint = settings.endpoint
        self._authorization = aiohttp.encode_basic_auth(settings.key, settings.secret)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> LrsClient:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, statements: Sequence[Statement]) -> None:
        """Store `statements` (one request), or raise what the LRS's answer means."""
        if self._session is None:
            raise RuntimeError("LrsClient.post outside `async with`")
        body = json.dumps([as_json(statement) for statement in statements], ensure_ascii=False)
        headers = {
            "X-Experience-API-Version": XAPI_VERSION,
            "Content-Type": "application/json",
            "Authorization": self._authorization,
        }
        try:
            async with self._session.post(
                self.endpoint + "statements", data=body.encode(), headers=headers
            ) as response:
                if response.status < 300:
                    return
                answer = (await response.text(errors="replace"))[:REASON_CHARS]
                status = response.status
                retry_after = _seconds(response.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError) as error:
            raise LrsUnavailableError(
                f"the LRS at {self.endpoint} cannot be reached: {type(error).__name__}: {error}"
            ) from None
        if status >= 500 or status in NOT_NOW:
            raise LrsUnavailableError(f"the LRS answered {status}: {answer}", retry_after)
        raise StatementsRefusedError(status, answer)


def _seconds(retry_after: str | None) -> float | None:
    """A Retry-After header as seconds from now: delta-seconds or an HTTP date."""
    if not retry_after:
        return None
    if retry_after.strip().isdigit():
        return float(retry_after)
    try:
        when = parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
