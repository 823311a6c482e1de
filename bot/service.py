"""`lessonloop serve`: every platform whose settings are present, their outboxes, the sweep
of due lessons, and one HTTP application with every route, in one process.

`lessonloop run slack|telegram` is the same process with one platform. How a platform
connects follows from its settings: Slack over Socket Mode when `SLACK_APP_TOKEN` is set,
else over HTTP; Telegram by webhook when a webhook URL is set, else by long polling. On
SIGTERM (or SIGINT) the process stops taking requests and updates, finishes the work in
hand and exits 0.

The process runs on uvloop's event loop where it is installed (every platform but
Windows), asyncio's own elsewhere: it spends most of its time on the loop's side of
sending and receiving HTTP, which uvloop does in C (README's broadcast rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from telegram.error import InvalidToken, NetworkError

from bot.adapters.inbox_worker import DEFAULT_LEASE_S
from bot.adapters.slack.app import EVENTS_PATH, SlackBot, slack_bot
from bot.adapters.slack.settings import (
    SlackConfigError,
    SlackSettings,
    keep_tokens_out_of_logs,
    slack_settings,
)
from bot.adapters.telegram.app import telegram_bot
from bot.adapters.telegram.settings import (
    TelegramConfigError,
    TelegramSettings,
    keep_token_out_of_logs,
    telegram_settings,
)
from bot.bootstrap import Core
from bot.campaigns.attribution import ConversionAttributor
from bot.campaigns.clicks import ClickRedirect
from bot.campaigns.launch import CampaignTriggers
from bot.customers.records_endpoint import DATA_PATH, NO_DATA_ACCESS, CustomerRecords, DataAccess
from bot.delivery.sweep import EVERY_S as SWEEP_EVERY_S
from bot.delivery.sweep import DueSweep
from bot.handoff.helpdesk_replies import REPLIES_PATH, HelpdeskReplies
from bot.web.dashboard.overview import Reader
from bot.web.dashboard.pages import DASHBOARD_PATH, Dashboard
from bot.web.dashboard.settings import DashboardSettings
from bot.web.health import HEALTH_PATH, READY_PATH, health_routes
from bot.web.server import WebServer
from bot.xapi.sender import LrsSender

new_loop: Callable[[], asyncio.AbstractEventLoop] | None
try:
    from uvloop import new_event_loop as new_loop
except ImportError:  # not built for this platform: asyncio's own loop does the same, slower
    new_loop = None

T = TypeVar("T")

SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_SIGNING_SECRET")


def run_on_serving_loop(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on the loop a serving process runs on."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main)


class NothingToServeError(Exception):
    """No platform is configured, or one is configured wrongly; the message says what to set."""


@dataclass(frozen=True)
class Platforms:
    """Which platforms this process serves, and how each connects."""

    slack: SlackSettings | None = None
    slack_over_http: bool = False
    telegram: TelegramSettings | None = None

    @property
    def telegram_by_webhook(self) -> bool:
        return self.telegram is not None and self.telegram.webhook_url is not None

    @property
    def takes_http(self) -> bool:
        """Whether a platform needs the HTTP application (Slack's events, Telegram's webhook)."""
        return self.slack_over_http or self.telegram_by_webhook


def configured_platforms(environ: Mapping[str, str], *, dashboard: bool = False) -> Platforms:
    """Every platform whose settings are present, each connecting as its settings say.
    `dashboard`: the dashboard is configured, so no platform at all is fine (a process
    serving only the report in a browser)."""
    present_slack = any((environ.get(name) or "").strip() for name in SLACK_VARIABLES)
    present_telegram = bool((environ.get("TELEGRAM_BOT_TOKEN") or "").strip())
    if not (present_slack or present_telegram):
        if dashboard:
            return Platforms()
        raise NothingToServeError(
            "nothing to serve: set TELEGRAM_BOT_TOKEN for Telegram, and SLACK_BOT_TOKEN with "
            "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP) for Slack; README's "
            "Telegram and Slack sections say where to find each"
        )
    problems: list[str] = []
    slack: SlackSettings | None = None
    over_http = not (environ.get("SLACK_APP_TOKEN") or "").strip()
    if present_slack:
        try:
            slack = slack_settings(environ, http=over_http)
        except SlackConfigError as error:
            problems.append(f"Slack: {error}")
    telegram: TelegramSettings | None = None
    if present_telegram:
        url = (environ.get("TELEGRAM_WEBHOOK_URL") or "").strip() or None
        try:
            telegram = telegram_settings(environ, webhook=url is not None, url=url)
        except TelegramConfigError as error:
            problems.append(f"Telegram: {error}")
    if problems:
        raise NothingToServeError("; ".join(problems))
    return Platforms(slack=slack, slack_over_http=over_http and slack is not None, telegram=telegram)


def one_platform(platform: str, environ: Mapping[str, str], *, http: bool, url: str | None) -> Platforms:
    """`run slack [--http]` or `run telegram [--webhook --url URL]`."""
    try:
        if platform == "slack":
            return Platforms(slack=slack_settings(environ, http=http), slack_over_http=http)
        return Platforms(telegram=telegram_settings(environ, webhook=http, url=url))
    except (SlackConfigError, TelegramConfigError) as error:
        raise NothingToServeError(str(error)) from None


@dataclass(frozen=True)
class Listening:
    """Where the process takes HTTP requests."""

    host: str
    port: int | None
    """None: only if a platform needs it, on `platform_port`."""
    platform_port: int = 0
    support_port: int | None = None
    """Helpdesk replies on a port of their own (off the public address); None: on `port`."""


def serve(
    core: Core,
    platforms: Platforms,
    listening: Listening,
    *,
    inbox_lease_s: float = DEFAULT_LEASE_S,
    data_access: DataAccess = NO_DATA_ACCESS,
    dashboard: DashboardSettings | None = None,
    lrs_sender: LrsSender | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT; the exit code."""
    keep_tokens_out_of_logs()
    if platforms.telegram is not None:
        keep_token_out_of_logs(platforms.telegram.token)
        os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta
    try:
        run_on_serving_loop(
            _serve(
                core,
                platforms,
                listening,
                inbox_lease_s,
                data_access,
                dashboard=dashboard,
                lrs_sender=lrs_sender,
            )
        )
    except InvalidToken:
        print(
            "lessonloop: Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): check it with @BotFather "
            "(/mybots → API Token), or /revoke and set the new one",
            file=sys.stderr,
        )
        return 2
    except NetworkError as error:
        where = platforms.telegram.base_url if platforms.telegram is not None else "Telegram"
        print(f"lessonloop: cannot reach the Telegram Bot API at {where}...: {error}", file=sys.stderr)
        return 1
    return 0


async def _serve(
    core: Core,
    platforms: Platforms,
    listening: Listening,
    inbox_lease_s: float,
    data_access: DataAccess,
    *,
    dashboard: DashboardSettings | None,
    lrs_sender: LrsSender | None,
) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await serve_until(
        stopping,
        core,
        platforms,
        listening,
        inbox_lease_s=inbox_lease_s,
        data_access=data_access,
        dashboard=dashboard,
        lrs_sender=lrs_sender,
    )


async def serve_until(
    stopping: asyncio.Event,
    core: Core,
    platforms: Platforms,
    listening: Listening,
    *,
    inbox_lease_s: float = DEFAULT_LEASE_S,
    sweep_every_s: float = SWEEP_EVERY_S,
    data_access: DataAccess = NO_DATA_ACCESS,
    dashboard: DashboardSettings | None = None,
    lrs_sender: LrsSender | None = None,
) -> None:
    """The process's work until `stopping` is set (by a signal in `serve`; by a test, which
    also sweeps more often than every few seconds on a clock it moves), then a clean stop."""
    async with AsyncExitStack() as stack:
        slack = telegram = None
        if platforms.slack is not None:
            slack = await stack.enter_async_context(
                slack_bot(core, platforms.slack, inbox_lease_s=inbox_lease_s)
            )
        if platforms.telegram is not None:
            telegram = await stack.enter_async_context(telegram_bot(core, platforms.telegram))
        triggers = CampaignTriggers(
            core.database, lambda: core.engine.content, core.engine.default_zone, clock=core.clock
        )
        # Each platform's outbox sends what the sweep queues.
        sweep = DueSweep(core.database, clock=core.clock, campaign_triggers=triggers.run)
        sweep.start(sweep_every_s)
        stack.callback(sweep.stop)
        _start_sending(stack, lrs_sender)
        routes = health_routes(core.database)
        if core.click_links.tracking:
            routes += ClickRedirect(core.click_links, core.database, core.clock).routes()
        if slack is not None and platforms.slack_over_http:
            routes += slack.routes()
        if telegram is not None and platforms.telegram_by_webhook:
            routes += telegram.webhook_routes()
        base = await _serve_http(
            stack,
            core,
            routes,
            listening,
            needed=platforms.takes_http,
            data_access=data_access,
            dashboard=dashboard,
        )
        if slack is not None:
            await _connect_slack(slack, platforms.slack_over_http, base)
        polling = telegram is not None and not platforms.telegram_by_webhook
        if telegram is not None and platforms.telegram is not None:
            name = f"@{telegram.application.bot.username}"
            if platforms.telegram.webhook_url is not None:
                await telegram.register_webhook(platforms.telegram.webhook_url)
                _say(f"{name} takes updates at {base}{platforms.telegram.webhook_path}")
            else:
                _say(f"{name} is polling for updates")
        if listening.port is not None:
            _say(f"serving at {base} (health: {HEALTH_PATH}, {READY_PATH})")
        if telegram is not None and polling:
            await telegram.poll(stopping)  # until `stopping` is set, or with its error
        else:
            await stopping.wait()


async def _serve_http(
    stack: AsyncExitStack,
    core: Core,
    routes: list[web.RouteDef],
    listening: Listening,
    *,
    needed: bool,
    data_access: DataAccess = NO_DATA_ACCESS,
    dashboard: DashboardSettings | None = None,
) -> str:
    """Start the HTTP application (and the helpdesk's own port); its base URL, "" if none."""
    helpdesk = HelpdeskReplies(core.desk).routes() if core.desk.settings.webhook_secret else []
    if listening.support_port is None:
        routes = routes + helpdesk
    # Customer records from a CRM or billing system, when a token or secret lets them in;
    # new conversions are attributed to the campaigns before them.
    records: list[web.RouteDef] = []
    if data_access.configured:
        attributor = ConversionAttributor(core.database, lambda: core.engine.content, core.attribution_window)
        records = CustomerRecords(core.database, data_access, on_conversions=attributor).routes()
    routes = routes + records
    # The report in a browser, read-only, when a password or a token lets people in.
    charts: list[web.RouteDef] = []
    if dashboard is not None and dashboard.access.configured:
        reader = Reader(core.database, dashboard.definitions, dashboard.default_locale, core.clock)
        behind_https = core.public_url.startswith("https://")
        charts = Dashboard(reader, dashboard.access, behind_https=behind_https).routes()
    routes = routes + charts
    base = ""
    if listening.port is not None or needed:
        port = listening.port if listening.port is not None else listening.platform_port
        base = f"http://{listening.host}:{await _started(stack, routes, listening.host, port)}"
    if helpdesk and listening.support_port is not None:
        bound = await _started(stack, helpdesk, listening.host, listening.support_port)
        _say(f"helpdesk replies at http://{listening.host}:{bound}{REPLIES_PATH}")
    elif helpdesk and base:
        _say(f"helpdesk replies at {base}{REPLIES_PATH}")
    if records and base:
        _say(f"customer records at {base}{DATA_PATH}")
    if charts and base:
        _say(f"dashboard at {base}{DASHBOARD_PATH}")
    return base


async def _connect_slack(slack: SlackBot, over_http: bool, base: str) -> None:
    if over_http:
        _say(f"Slack requests at {base}{EVENTS_PATH}")
    else:
        await slack.connect()
        _say("connected to Slack in Socket Mode")


async def _started(stack: AsyncExitStack, routes: list[web.RouteDef], host: str, port: int) -> int:
    """A server for `routes`, stopped first when the process stops (before the platforms)."""
    server = WebServer(routes)
    bound = await server.start(host, port)
    stack.push_async_callback(server.stop)
    return bound


def _start_sending(stack: AsyncExitStack, lrs_sender: LrsSender | None) -> None:
    """Every new learning record, to the company's LRS (if one is configured), until the
    process stops."""
    if lrs_sender is None:
        return
    stack.push_async_callback(_stop_sending, lrs_sender, asyncio.create_task(lrs_sender.run()))
    _say(f"sending xAPI statements to {lrs_sender.endpoint}")


LRS_STOP_WAIT_S = 10.0
"""How long a stop waits for the batch being posted to the LRS: past that it is cut off,
and its rows, still claimed, go again once their lease has run out (the LRS keeps a
statement id once), so a slow LRS does not hold a SIGTERM past a supervisor's patience."""


async def _stop_sending(lrs_sender: LrsSender, sending: asyncio.Task[None]) -> None:
    lrs_sender.stop()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sending, LRS_STOP_WAIT_S)


def _say(line: str) -> None:
    print(f"lessonloop: {line}", flush=True)
