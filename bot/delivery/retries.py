"""How every outbox retries: a doubling backoff for about a day, or when the platform said."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 36
"""About a day of retries (2 s doubling to an hour): then the row is `failed`, kept for a
person to look at (a channel the app was removed from, a helpdesk that is gone)."""


class DeliveryRefusedError(Exception):
    """A platform or receiver did not take the message; `retry_after` if it said when to retry."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 ... seconds after the 1st, 2nd, 3rd ... failure, at most an hour."""
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


def retry_at(attempts: int, error: Exception, now: datetime) -> datetime | None:
    """When to try again after `attempts` tries ended in `error`; None after `MAX_ATTEMPTS`."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait = backoff(attempts)
    if isinstance(error, DeliveryRefusedError) and error.retry_after is not None:
        wait = timedelta(seconds=error.retry_after)
    return now + wait


def describe(error: Exception) -> str:
    """What went wrong, for the log and `last_error`: our own words for a refusal, else the
    error's class and message (neither a secret nor a token is ever part of one)."""
    if isinstance(error, DeliveryRefusedError):
        return str(error)
    return f"{type(error).__name__}: {error}"
