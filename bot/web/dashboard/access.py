"""Who may read the dashboard: a person with the password (a signed session cookie after
logging in), or whoever holds the token (a link or a bearer header).

The session cookie is `expiry.signature`, signed with a key made from the password hash and
the token: every process of a deployment reads the same cookies without another setting,
and changing either logs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field

from aiohttp import web

SESSION_COOKIE = "lessonloop_dashboard"
SESSION_S = 12 * 3600
"""A working day; then the password again."""


@dataclass(frozen=True)
class DashboardAccess:
    password_hash: str = field(default="", repr=False)
    """`dashboard_password_hash`: scrypt or PBKDF2 (`bot.web.dashboard.passwords`)."""
    token: str = field(default="", repr=False)

    @property
    def configured(self) -> bool:
        return bool(self.password_hash or self.token)

    def _key(self) -> bytes:
        material = f"lessonloop dashboard session\0{self.password_hash}\0{self.token}"
        return hashlib.sha256(material.encode()).digest()

    def session_cookie(self, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + SESSION_S)
        return f"{expires}.{self._signature(str(expires))}"

    def _signature(self, expires: str) -> str:
        return hmac.new(self._key(), f"session:{expires}".encode(), hashlib.sha256).hexdigest()

    def valid_session(self, cookie: str, now: float | None = None) -> bool:
        expires, _, signature = cookie.partition(".")
        if not expires.isdigit() or not hmac.compare_digest(signature, self._signature(expires)):
            return False
        return int(expires) > (time.time() if now is None else now)

    def valid_token(self, offered: str) -> bool:
        return bool(self.token) and hmac.compare_digest(offered.encode(), self.token.encode())

    def signed_in(self, request: web.Request) -> bool:
        """A valid session cookie, or the token as `Authorization: Bearer ...`."""
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer ") and self.valid_token(bearer.removeprefix("Bearer ").strip()):
            return True
        return self.valid_session(request.cookies.get(SESSION_COOKIE, ""))


NO_DASHBOARD = DashboardAccess()
"""Neither a password nor a token: `/dashboard` is not served."""


def keep_session(response: web.StreamResponse, access: DashboardAccess, secure: bool) -> None:
    """Set the session cookie: HttpOnly (no script reads it), SameSite=Lax (other sites'
    pages cannot post with it, a link from a mail still opens the dashboard)."""
    response.set_cookie(
        SESSION_COOKIE,
        access.session_cookie(),
        max_age=SESSION_S,
        path="/dashboard",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def end_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/dashboard")
