"""The webhook destination: each hand-off POSTed as signed JSON to a helpdesk (Zendesk,
Chatwoot, your own), retried until it answers 2xx.

The signature is Stripe-like, so the receiver can check both who sent the body and when:
`X-Lessonloop-Timestamp: <unix seconds>` and `X-Lessonloop-Signature: v1=<hex>`, the hex
being HMAC-SHA256 keyed with the shared secret over `"{timestamp}.{body}"`. README shows
the body and a verification snippet; `bot.handoff.helpdesk_replies` checks replies the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import aiohttp

from bot.delivery.retries import DeliveryRefusedError
from bot.handoff.dispatch import Posted
from storage.handoffs import HandoffCase

TIMESTAMP_HEADER = "X-Lessonloop-Timestamp"
SIGNATURE_HEADER = "X-Lessonloop-Signature"
TIMEOUT_S = 15
"""Well inside the outbox lease (`outbox_lease_seconds`: at least 30 s), so no second
process retries while this one still waits."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def signature_is_valid(
    secret: str, timestamp: str, body: bytes, given: str, *, now: float, tolerance_s: int = 300
) -> bool:
    """True for a signature made with `secret` less than `tolerance_s` ago (replays refused)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)


def handoff_body(case: HandoffCase) -> bytes:
    """The JSON a helpdesk receives (documented in README, "Hand-off to a person")."""
    document = {
        "type": "handoff.opened",
        "handoff_id": case.id,
        "learner": {
            "id": case.learner_id,
            "name": case.learner_name,
            "platform": case.platform,
            "platform_user_id": case.user_id,
            "locale": case.locale,
        },
        "question": case.question,
        "reason": case.reason,
        "transcript": [
            {"at": line.at.isoformat(), "speaker": line.speaker, "text": line.text}
            for line in case.transcript
        ],
        "opened_at": case.opened_at.isoformat(),
    }
    return json.dumps(document, ensure_ascii=False).encode()


class WebhookDestination:
    name = "webhook"

    def __init__(self, url: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._url = url
        self._secret = secret
        self._clock = clock

    def __repr__(self) -> str:
        return "WebhookDestination(<url and secret hidden>)"

    async def post(self, case: HandoffCase) -> Posted:
        body = handoff_body(case)
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
        }
        try:
            # A session per delivery: hand-offs are a few an hour, and nothing is left to close.
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as session,
                session.post(self._url, data=body, headers=headers) as response,
            ):
                await response.read()
                status, retry_after = response.status, response.headers.get("Retry-After", "")
        except (aiohttp.ClientError, TimeoutError) as error:
            # The URL may carry a token of the helpdesk's: name the failure, not the address.
            raise DeliveryRefusedError(f"the webhook could not be reached ({type(error).__name__})") from None
        if 200 <= status < 300:
            return Posted("webhook", str(case.id))
        wait = float(retry_after) if retry_after.isdigit() else None
        raise DeliveryRefusedError(f"the webhook answered HTTP {status}", retry_after=wait)
