"""Who may read `/dashboard` on the serving process: nobody without a session or the token;
the token link signs in and leaves the address; a tampered cookie, a wrong token and a wrong
password are refused; the CSV speaks to a script holding the token."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from yarl import URL

from bot.web.dashboard.access import NO_DASHBOARD, SESSION_COOKIE
from storage.db import Database
from tests.dashboard.seeded import seed
from tests.dashboard.serving import PASSWORD, TOKEN, serving

DEFLECTION_CSV = (
    "outcome,questions\n"
    "resolved by Helped,2\n"
    "resolved by silence,2\n"
    "pending,0\n"
    "asked again,0\n"
    "escalated,1\n"
    "unanswered,1\n"
)


def _jar() -> aiohttp.CookieJar:
    """One that keeps cookies from an IP address (127.0.0.1), as a browser does."""
    return aiohttp.CookieJar(unsafe=True)


async def _status(session: aiohttp.ClientSession, url: str, **options: object) -> tuple[int, str]:
    async with session.get(url, allow_redirects=False, **options) as answer:  # type: ignore[arg-type]
        return answer.status, answer.headers.get("Location", "")


def test_the_dashboard_lets_in_the_token_and_the_password_and_nobody_else(database: Database) -> None:
    seed(database)

    async def scenario() -> None:
        async with serving(database) as base, aiohttp.ClientSession(cookie_jar=_jar()) as session:
            page = f"{base}/dashboard?period=month"
            assert await _status(session, page) == (
                302,
                "/dashboard/login?next=/dashboard?period%3Dmonth",
            )
            assert await _status(session, f"{page}&token=not-the-token") == (
                302,
                "/dashboard/login?refused=token",
            )
            assert await _status(session, f"{base}/dashboard/data/deflection.csv") == (
                302,
                "/dashboard/login?next=/dashboard/data/deflection.csv",
            )

            async with session.get(f"{page}&token={TOKEN}", allow_redirects=False) as by_link:
                assert (by_link.status, by_link.headers["Location"]) == (302, "/dashboard?period=month")
                cookie = by_link.headers["Set-Cookie"]
            assert "HttpOnly" in cookie
            assert "SameSite=Lax" in cookie
            assert "Path=/dashboard" in cookie
            value = session.cookie_jar.filter_cookies(URL(page))[SESSION_COOKIE].value
            async with session.get(page, allow_redirects=False) as signed_in:
                assert signed_in.status == 200
                assert "Customer churn rate" in await signed_in.text()

            expires, _, signature = value.partition(".")
            flipped = "1" if signature[-1] == "0" else "0"
            forged = (f"{int(expires) + 3600}.{signature}", f"{expires}.{signature[:-1]}{flipped}", "", "1.2")
            for tampered in forged:
                async with aiohttp.ClientSession(cookies={SESSION_COOKIE: tampered}) as forger:
                    assert (await _status(forger, page))[0] == 302

            bearer = {"Authorization": f"Bearer {TOKEN}"}
            async with aiohttp.ClientSession(headers=bearer) as script:
                async with script.get(f"{base}/dashboard/data/deflection.csv?period=month") as csv:
                    assert csv.status == 200
                    assert csv.content_type == "text/csv"
                    assert await csv.text() == DEFLECTION_CSV
                async with script.get(f"{base}/dashboard/data/nothing.csv") as unknown:
                    assert unknown.status == 404
                async with script.get(f"{base}/dashboard?segment=colour=red") as unreadable:
                    assert unreadable.status == 400
                    assert "&#39;colour&#39; is not a segment key" in await unreadable.text()
            async with aiohttp.ClientSession(
                headers={"Authorization": "Bearer guessed-token-000000"}
            ) as guess:
                assert (await _status(guess, f"{base}/dashboard/data/deflection.csv"))[0] == 302

            async with aiohttp.ClientSession(cookie_jar=_jar()) as person:
                form = {"password": "retention is a point", "next": "/dashboard?period=week"}
                async with person.post(f"{base}/dashboard/login", data=form, allow_redirects=False) as wrong:
                    assert wrong.status == 401
                    assert "Wrong password." in await wrong.text()
                    assert "Set-Cookie" not in wrong.headers
                form["password"] = PASSWORD
                async with person.post(f"{base}/dashboard/login", data=form, allow_redirects=False) as right:
                    assert (right.status, right.headers["Location"]) == (302, "/dashboard?period=week")
                assert (await _status(person, f"{base}/dashboard"))[0] == 200
                async with person.post(f"{base}/dashboard/logout", allow_redirects=False) as out:
                    assert out.status == 302
                assert (await _status(person, f"{base}/dashboard"))[0] == 302

            async with aiohttp.ClientSession() as elsewhere:
                form = {"password": PASSWORD, "next": "//evil.example/"}
                async with elsewhere.post(
                    f"{base}/dashboard/login", data=form, allow_redirects=False
                ) as sent:
                    assert sent.headers["Location"] == "/dashboard"
                async with elsewhere.get(f"{base}/dashboard/static/echarts.min.js") as script_file:
                    assert script_file.status == 200
                    assert "Apache" in (await script_file.text())[:600]
                assert (await _status(elsewhere, f"{base}/dashboard/static/..%2Fpages.py"))[0] == 404

    asyncio.run(scenario())


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_without_a_password_or_token_there_is_no_dashboard(database: Database) -> None:
    async def scenario() -> int:
        async with serving(database, NO_DASHBOARD) as base, aiohttp.ClientSession() as session:
            return (await _status(session, f"{base}/dashboard"))[0]

    assert asyncio.run(scenario()) == 404
