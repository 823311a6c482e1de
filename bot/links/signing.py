"""Short signed tokens for links a learner's browser or chat app carries back to us: a
campaign's click redirect, a customer's deep link, an invite link. The signature binds the
value to what it is for (`purpose`), so a token made for one use is refused for another,
and nobody without `link_secret` can make one for someone else.

Tokens use only letters, digits, `_` and `-`, so they fit a Telegram `start` payload
(at most 64 of those) as well as a URL path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

SIGNATURE_CHARS = 16
"""96 bits of HMAC-SHA256: far beyond guessing, short enough for a 64-character payload."""
_VALUE = re.compile(r"^[A-Za-z0-9_]+$")


def sign(secret: str, purpose: str, value: str) -> str:
    """`value` (letters, digits and `_`) with its signature for `purpose`."""
    if not _VALUE.fullmatch(value):
        raise ValueError(f"a signed value takes letters, digits and _ only, not {value!r}")
    return f"{value}-{_signature(secret, purpose, value)}"


def verified(secret: str, purpose: str, token: str) -> str | None:
    """The value `token` was signed with for `purpose`, or None if it was not (or no secret is set)."""
    # The signature may hold `-` itself: it is the fixed-length tail, after a `-`.
    value, dash, signature = (
        token[: -SIGNATURE_CHARS - 1],
        token[-SIGNATURE_CHARS - 1 : -SIGNATURE_CHARS],
        token[-SIGNATURE_CHARS:],
    )
    if not secret or dash != "-" or not _VALUE.fullmatch(value):
        return None
    return value if hmac.compare_digest(signature, _signature(secret, purpose, value)) else None


def _signature(secret: str, purpose: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_CHARS]
