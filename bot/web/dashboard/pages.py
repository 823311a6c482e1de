"""`/dashboard`'s routes: the login page, the overview, each chart's CSV, and the static
files (ECharts and the page's own script), for the process's one HTTP application.

Every page but the login page needs a session (or the token); a wrong password waits
`wrong_password_delay_s` before its answer, and guesses are checked one at a time, so a
password cannot be tried quickly. Nothing here logs a password, a token or a cookie.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.metrics.report import ReportError
from bot.web.dashboard.access import DashboardAccess, end_session, keep_session
from bot.web.dashboard.figures import CHARTS, ChartTable
from bot.web.dashboard.filters import PERIOD_KINDS, chosen, filter_of
from bot.web.dashboard.overview import Reader
from bot.web.dashboard.passwords import matches

log = logging.getLogger(__name__)

DASHBOARD_PATH = "/dashboard"
LOGIN_PATH = "/dashboard/login"
LOGOUT_PATH = "/dashboard/logout"
CSV_PATH = "/dashboard/data/{chart}.csv"
STATIC_PATH = "/dashboard/static/{name}"
HERE = Path(__file__).parent
STATIC = {
    "echarts.min.js": ("echarts/echarts.min.js", "text/javascript"),
    "dashboard.js": ("dashboard.js", "text/javascript"),
    "dashboard.css": ("dashboard.css", "text/css"),
}
WRONG_PASSWORD_DELAY_S = 1.0
MAX_FORM = 4096
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
"""ECharts sets inline styles on its tooltips: styles may be inline, scripts may not."""


class Dashboard:
    def __init__(
        self,
        reader: Reader,
        access: DashboardAccess,
        *,
        wrong_password_delay_s: float = WRONG_PASSWORD_DELAY_S,
        behind_https: bool = False,
    ) -> None:
        """`behind_https`: `public_url` is https, so the session cookie is marked Secure even
        when a proxy in front speaks plain HTTP to this process."""
        self._reader = reader
        self._access = access
        self._behind_https = behind_https
        self._delay_s = wrong_password_delay_s
        self._guessing = asyncio.Lock()
        self._pages = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(), auto_reload=False
        )

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(DASHBOARD_PATH, self._overview),
            web.get(LOGIN_PATH, self._login_page),
            web.post(LOGIN_PATH, self._log_in),
            web.post(LOGOUT_PATH, self._log_out),
            web.get(CSV_PATH, self._csv),
            web.get(STATIC_PATH, self._static),
        ]

    def _page(self, template: str, values: Mapping[str, object], status: int = 200) -> web.Response:
        html = self._pages.get_template(template).render(values)
        return web.Response(text=html, status=status, content_type="text/html", headers=HEADERS)

    def _with_token(self, request: web.Request) -> web.StreamResponse | None:
        """A `?token=` link: the session cookie, and the same page without the token in its
        address (nor in the history, nor in a referrer). None: not such a link."""
        if "token" not in request.query:
            return None
        rest = {key: value for key, value in request.query.items() if key != "token"}
        if not self._access.valid_token(request.query["token"]):
            raise web.HTTPFound(LOGIN_PATH + "?" + urlencode({"refused": "token"}))
        found = _redirect(request.path + ("?" + urlencode(rest) if rest else ""))
        keep_session(found, self._access, request.secure or self._behind_https)
        return found

    def _require_session(self, request: web.Request) -> None:
        if not self._access.signed_in(request):
            raise web.HTTPFound(LOGIN_PATH + "?" + urlencode({"next": request.path_qs}))

    async def _overview(self, request: web.Request) -> web.StreamResponse:
        by_token = self._with_token(request)
        if by_token is not None:
            return by_token
        self._require_session(request)
        asked = filter_of(request.query)
        values: dict[str, object] = {"asked": asked, "kinds": PERIOD_KINDS, "charts": ()}
        try:
            picked = chosen(asked, self._reader.definitions, self._reader.clock())
        except ReportError as error:
            return self._page("overview.html", {**values, "problem": str(error)}, 400)
        found = await asyncio.to_thread(self._reader.overview, picked.period, picked.segment)
        chart_data = {table.key: {"columns": table.columns, "rows": table.rows} for table in found.charts}
        return self._page(
            "overview.html",
            {
                **values,
                "overview": found,
                "charts": found.charts,
                "period": picked.period,
                "segment": picked.segment.describe(),
                "definitions": found.report.definitions.described(),
                "chart_data": chart_data,
            },
        )

    async def _csv(self, request: web.Request) -> web.StreamResponse:
        self._require_session(request)
        key = request.match_info["chart"]
        if key not in CHARTS:
            raise web.HTTPNotFound(text=f"no chart {key!r}; the charts are {', '.join(CHARTS)}")
        try:
            picked = chosen(filter_of(request.query), self._reader.definitions, self._reader.clock())
        except ReportError as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        table = await asyncio.to_thread(self._reader.chart, key, picked.period, picked.segment)
        name = f"lessonloop-{key}-{picked.period.label.replace('..', '_')}.csv"
        return web.Response(
            text=as_csv(table),
            content_type="text/csv",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _login_page(self, request: web.Request) -> web.Response:
        refused = request.query.get("refused", "")
        problem = "That link's token is not valid." if refused == "token" else ""
        return self._page(
            "login.html",
            {
                "next": _local(request.query.get("next", "")),
                "problem": problem,
                "has_password": bool(self._access.password_hash),
            },
        )

    async def _log_in(self, request: web.Request) -> web.StreamResponse:
        if (request.content_length or 0) > MAX_FORM:
            raise web.HTTPRequestEntityTooLarge(MAX_FORM, request.content_length or 0)
        form = await request.post()
        password, after = str(form.get("password", "")), _local(str(form.get("next", "")))
        async with self._guessing:  # one guess at a time, each at least as slow as the hash
            right = bool(self._access.password_hash) and await asyncio.to_thread(
                matches, password, self._access.password_hash
            )
            if not right:
                await asyncio.sleep(self._delay_s)
        if not right:
            log.warning("dashboard: a wrong password from %s", request.remote)
            refused = {
                "next": after,
                "problem": "Wrong password.",
                "has_password": bool(self._access.password_hash),
            }
            return self._page("login.html", refused, 401)
        found = _redirect(after)
        keep_session(found, self._access, request.secure or self._behind_https)
        return found

    async def _log_out(self, _request: web.Request) -> web.StreamResponse:
        found = _redirect(LOGIN_PATH)
        end_session(found)
        return found

    async def _static(self, request: web.Request) -> web.StreamResponse:
        known = STATIC.get(request.match_info["name"])
        if known is None:
            raise web.HTTPNotFound()
        path, kind = known
        return web.FileResponse(
            HERE / "static" / path, headers={"Content-Type": kind, "Cache-Control": "public, max-age=3600"}
        )


def _redirect(location: str) -> web.Response:
    """A 302 to `location` that may carry a cookie (aiohttp's HTTPFound is for raising)."""
    return web.Response(status=302, headers={**HEADERS, "Location": location})


def _local(target: str) -> str:
    """Where to go after logging in: a dashboard page of this site only (never another site)."""
    if target.startswith(DASHBOARD_PATH) and not target.startswith("//") and "\\" not in target:
        return target
    return DASHBOARD_PATH


def as_csv(table: ChartTable) -> str:
    """The chart's numbers as computed (shares as fractions), one header row."""
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\n")
    rows.writerow(table.columns)
    for row in table.rows:
        rows.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue()
