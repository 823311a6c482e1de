"""Settings from `lessonloop.toml` and the environment (the environment wins).

`lessonloop.toml` sits in the working directory (or wherever `LESSONLOOP_CONFIG` points)
and holds a `[lessonloop]` table; every key has an environment variable of the same name
in capitals with a `LESSONLOOP_` prefix. README lists them all.
"""

from __future__ import annotations

import os
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from bot.schedule.zones import find_zone, zone_named
from bot.web.dashboard.passwords import readable_hash
from storage.db import DEFAULT_URL


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class HandoffSettings:
    """Where questions the bot cannot settle are handed to a person, and the hours support
    keeps (told to the learner). No destination: hand-offs are off."""

    slack_channel: str | None = None
    """A Slack channel id (`C0123...`) in the workspace of `SLACK_BOT_TOKEN`."""
    telegram_chat: str | None = None
    """A Telegram support group's chat id (`-100...`)."""
    webhook_url: str | None = field(default=None, repr=False)
    """Kept out of `repr` too: some helpdesks put a token in the URL."""
    webhook_secret: str = field(default="", repr=False)
    hours: str = ""
    """Free text, e.g. "Mon-Fri 9:00-18:00 CET"."""

    @property
    def destinations(self) -> tuple[str, ...]:
        chosen = [
            ("slack", self.slack_channel),
            ("telegram", self.telegram_chat),
            ("webhook", self.webhook_url),
        ]
        return tuple(name for name, where in chosen if where)


@dataclass(frozen=True)
class LrsSettings:
    """The Learning Record Store that `serve` sends every new learning record to, as an
    xAPI statement (`bot.xapi.sender`); no endpoint: none is sent."""

    endpoint: str = ""
    """The LRS's xAPI address, ending in `/` (https://lrs.example.com/xAPI/): statements go
    to its `statements` resource."""
    key: str = field(default="", repr=False)
    """HTTP Basic auth: the key (user name) and secret the LRS issued for Lessonloop."""
    secret: str = field(default="", repr=False)

    @property
    def configured(self) -> bool:
        return bool(self.endpoint)


DEFAULT_XAPI_ACTIVITY_BASE = "https://lessonloop.invalid/"
"""`.invalid` is reserved (RFC 2606): the ids are names, not addresses, until a company
sets a domain of its own."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    content_dir: Path = Path("content")
    default_locale: str = "en"
    default_timezone: str = "UTC"
    """The IANA zone of learners who neither set one nor have a platform that reports one."""
    log_level: str = "WARNING"
    handoff: HandoffSettings = HandoffSettings()
    inbox_lease_seconds: float = 30.0
    """How long a process's claim on a stored request lasts unless renewed: after that
    long without a sign of life, another process (or a restart) takes the request over."""
    outbox_lease_seconds: float = 120.0
    """How long a claimed outbox row (a lesson, a reminder, a support reply) is left to the
    process sending it: after that, another process (or a restart) sends it instead. Longer
    than any platform call may take (a slow call outliving it may go out twice); shorter
    means a crashed process's rows wait less."""
    survey_quiet_days: int = 30
    """No survey sent on a trigger sooner than this after the learner's last survey."""
    public_url: str = ""
    """Where learners' browsers reach `serve` (https://bot.example.com): campaign links go
    through its click redirect. Without it they link straight to their page, uncounted."""
    link_secret: str = field(default="", repr=False)
    """Signs click redirects, customers' deep links and invite links, so nobody can forge
    them for someone else."""
    data_token: str = field(default="", repr=False)
    """The bearer token a CRM or billing system sends records with (`/data/...`)."""
    data_secret: str = field(default="", repr=False)
    """Or the HMAC secret it signs them with, as the helpdesk signs `/support/replies`."""
    attribution_days: int = 14
    """A conversion is attributed to the campaign messages of this many days before it."""
    report_timezone: str = ""
    """The zone whose midnights bound a report's periods; empty: `default_timezone`."""
    active_days: int = 90
    """A customer without subscriptions is active while their last purchase is this recent."""
    gross_margin: float = 1.0
    """The share of revenue kept after the cost of serving it (0 to 1), for lifetime value."""
    clv_model: str = "simple"
    """How lifetime value is estimated: `simple` (revenue per customer x margin / churn)."""
    xapi_activity_base: str = DEFAULT_XAPI_ACTIVITY_BASE
    """The IRI every xAPI activity id starts with (`bot.xapi`), ending in `/`."""
    dashboard_password_hash: str = field(default="", repr=False)
    """The dashboard's password as `lessonloop dashboard hash-password` writes it (scrypt or
    PBKDF2, salted): the password itself is never stored."""
    dashboard_token: str = field(default="", repr=False)
    """Or a token for a link (`/dashboard?token=...`) or a bearer header, for a wall screen or a script."""
    lrs: LrsSettings = LrsSettings()

    def __repr__(self) -> str:
        # The database URL may carry a password: never print it.
        url = make_url(self.database_url).render_as_string(hide_password=True)
        return (
            f"Settings(database_url={url!r}, content_dir={str(self.content_dir)!r}, "
            f"default_locale={self.default_locale!r}, default_timezone={self.default_timezone!r}, "
            f"log_level={self.log_level!r}, "
            f"handoff={self.handoff!r}, inbox_lease_seconds={self.inbox_lease_seconds!r}, "
            f"outbox_lease_seconds={self.outbox_lease_seconds!r}, "
            f"survey_quiet_days={self.survey_quiet_days!r}, public_url={self.public_url!r}, "
            f"attribution_days={self.attribution_days!r}, report_timezone={self.report_timezone!r}, "
            f"active_days={self.active_days!r}, gross_margin={self.gross_margin!r}, "
            f"clv_model={self.clv_model!r}, xapi_activity_base={self.xapi_activity_base!r}, lrs={self.lrs!r})"
        )


_SUPPORT_KEYS = (
    "support_hours",
    "support_slack_channel",
    "support_telegram_chat",
    "support_webhook_url",
    "support_webhook_secret",
)
_KEYS = (
    "database_url",
    "content_dir",
    "default_locale",
    "default_timezone",
    "log_level",
    "inbox_lease_seconds",
    "outbox_lease_seconds",
    "survey_quiet_days",
    "public_url",
    "link_secret",
    "data_token",
    "data_secret",
    "attribution_days",
    "report_timezone",
    "active_days",
    "gross_margin",
    "clv_model",
    "xapi_activity_base",
    "dashboard_password_hash",
    "dashboard_token",
    "xapi_lrs_endpoint",
    "xapi_lrs_key",
    "xapi_lrs_secret",
    *_SUPPORT_KEYS,
)


def load_settings(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    where = Path(environ.get("LESSONLOOP_CONFIG") or (cwd or Path.cwd()) / "lessonloop.toml")
    values: dict[str, str] = {}
    if where.is_file():
        try:
            table = tomllib.loads(where.read_text(encoding="utf-8")).get("lessonloop", {})
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{where}: {error}") from error
        unknown = sorted(set(table) - set(_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}")
        values.update({key: str(value) for key, value in table.items()})
    elif "LESSONLOOP_CONFIG" in environ:
        raise ConfigError(f"LESSONLOOP_CONFIG points to {where}, which does not exist")
    for key in _KEYS:
        from_env = environ.get(f"LESSONLOOP_{key.upper()}")
        if from_env:
            values[key] = from_env
    return Settings(
        database_url=values.get("database_url", DEFAULT_URL),
        content_dir=Path(values.get("content_dir", "content")),
        default_locale=values.get("default_locale", "en"),
        default_timezone=_time_zone(values.get("default_timezone", "UTC")),
        log_level=values.get("log_level", "WARNING").upper(),
        handoff=_handoff_settings(values),
        inbox_lease_seconds=_positive_seconds("inbox_lease_seconds", values.get("inbox_lease_seconds", "30")),
        outbox_lease_seconds=_outbox_lease(values.get("outbox_lease_seconds", "120")),
        survey_quiet_days=_quiet_days(values.get("survey_quiet_days", "30")),
        public_url=_public_url(values.get("public_url", "")),
        link_secret=values.get("link_secret", ""),
        data_token=values.get("data_token", ""),
        data_secret=values.get("data_secret", ""),
        attribution_days=_attribution_days(values.get("attribution_days", "14")),
        report_timezone=_time_zone(values["report_timezone"], "report_timezone")
        if values.get("report_timezone")
        else "",
        active_days=_active_days(values.get("active_days", "90")),
        gross_margin=_gross_margin(values.get("gross_margin", "1.0")),
        clv_model=_clv_model(values.get("clv_model", "simple")),
        xapi_activity_base=_xapi_activity_base(values.get("xapi_activity_base", DEFAULT_XAPI_ACTIVITY_BASE)),
        dashboard_password_hash=_dashboard_password_hash(values.get("dashboard_password_hash", "")),
        dashboard_token=_dashboard_token(values.get("dashboard_token", "")),
        lrs=_lrs_settings(values),
    )


def _handoff_settings(values: Mapping[str, str]) -> HandoffSettings:
    def get(key: str) -> str | None:
        return values.get(key, "").strip() or None

    url, secret = get("support_webhook_url"), get("support_webhook_secret")
    if url is not None:
        if urlsplit(url).scheme not in ("https", "http") or not urlsplit(url).netloc:
            raise ConfigError(f"support_webhook_url must be an https:// address (got {url!r})")
        if secret is None:
            raise ConfigError(
                "support_webhook_url needs support_webhook_secret (LESSONLOOP_SUPPORT_WEBHOOK_SECRET): "
                "every delivery is signed with it so the receiver can tell it came from Lessonloop"
            )
    chat = get("support_telegram_chat")
    if chat is not None and not chat.lstrip("-").isdigit():
        raise ConfigError(
            f"support_telegram_chat must be the group's numeric chat id, e.g. -1001234567890 (got {chat!r})"
        )
    return HandoffSettings(
        slack_channel=get("support_slack_channel"),
        telegram_chat=chat,
        webhook_url=url,
        webhook_secret=secret or "",
        hours=get("support_hours") or "",
    )


def _time_zone(value: str, key: str = "default_timezone") -> str:
    if zone_named(value.strip()) is not None:
        return value.strip()
    if not zoneinfo.available_timezones():
        raise ConfigError(
            f"{key} {value!r} cannot be looked up: this system has no time zone database "
            "(install it: `apt-get install tzdata`, or `pip install tzdata`)"
        )
    meant = find_zone(value).zone
    hint = f"did you mean {meant.key!r}? " if meant is not None else ""
    raise ConfigError(
        f"{key} must be an IANA time zone name such as Europe/Berlin or America/New_York "
        f"({hint}got {value!r})"
    )


def _positive_seconds(key: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ConfigError(f"{key} must be a positive number of seconds, not {value!r}")
    return seconds


MIN_OUTBOX_LEASE_S = 30.0
"""Slack's client waits this long for one answer (`bot.adapters.slack.web_api`): a shorter
lease would let a call that is merely slow be claimed and sent again."""


def _outbox_lease(value: str) -> float:
    seconds = _positive_seconds("outbox_lease_seconds", value)
    if seconds < MIN_OUTBOX_LEASE_S:
        raise ConfigError(
            f"outbox_lease_seconds must be at least {MIN_OUTBOX_LEASE_S:g} seconds (longer than a slow "
            f"Slack or Telegram call may take), not {value!r}"
        )
    return seconds


MAX_QUIET_DAYS = 3650


def _quiet_days(value: str) -> int:
    if not value.strip().isdigit() or int(value) > MAX_QUIET_DAYS:
        raise ConfigError(
            f"survey_quiet_days must be a whole number of days from 0 to {MAX_QUIET_DAYS}, not {value!r}"
        )
    return int(value)


def _public_url(value: str) -> str:
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"public_url must be the address learners' browsers reach `serve` at, such as "
            f"https://bot.example.com, not {value!r}"
        )
    return value.rstrip("/")


MAX_ATTRIBUTION_DAYS = 365


def _attribution_days(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_ATTRIBUTION_DAYS:
        raise ConfigError(
            f"attribution_days must be a whole number of days from 1 to {MAX_ATTRIBUTION_DAYS}, not {value!r}"
        )
    return int(value)


MAX_ACTIVE_DAYS = 3650


def _active_days(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_ACTIVE_DAYS:
        raise ConfigError(
            f"active_days must be a whole number of days from 1 to {MAX_ACTIVE_DAYS} (how recent a purchase "
            f"keeps a customer without subscriptions active), not {value!r}"
        )
    return int(value)


def _gross_margin(value: str) -> float:
    try:
        margin = float(value)
    except ValueError:
        margin = -1.0
    if not 0 <= margin <= 1:
        raise ConfigError(
            f"gross_margin must be a share from 0 to 1, e.g. 0.8 for 80% (the revenue kept after the cost "
            f"of serving it), not {value!r}"
        )
    return margin


CLV_MODELS = ("simple", "bgnbd")


def _clv_model(value: str) -> str:
    if value.strip() not in CLV_MODELS:
        raise ConfigError(f"clv_model must be one of {', '.join(CLV_MODELS)}, not {value!r}")
    return value.strip()


def _xapi_activity_base(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            "xapi_activity_base must be an http(s) address of your own under which xAPI activity ids "
            f"are made, such as https://learning.example.com/lessonloop/, not {value!r}"
        )
    return value if value.endswith("/") else value + "/"


MIN_DASHBOARD_TOKEN = 16
"""A token is a password nobody types: long enough not to be guessed."""


def _dashboard_password_hash(value: str) -> str:
    value = value.strip()
    if value and not readable_hash(value):
        raise ConfigError(
            "dashboard_password_hash must be what `lessonloop dashboard hash-password` prints "
            "(scrypt$... or pbkdf2_sha256$...), never the password itself"
        )
    return value


def _dashboard_token(value: str) -> str:
    value = value.strip()
    if value and len(value) < MIN_DASHBOARD_TOKEN:
        raise ConfigError(
            f"dashboard_token must be at least {MIN_DASHBOARD_TOKEN} characters (e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe())'`), not a short word"
        )
    return value


def _lrs_settings(values: Mapping[str, str]) -> LrsSettings:
    endpoint = values.get("xapi_lrs_endpoint", "").strip()
    key, secret = values.get("xapi_lrs_key", "").strip(), values.get("xapi_lrs_secret", "").strip()
    if not endpoint:
        if key or secret:
            raise ConfigError(
                "xapi_lrs_key and xapi_lrs_secret need xapi_lrs_endpoint, the LRS's xAPI address"
            )
        return LrsSettings()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            "xapi_lrs_endpoint must be the LRS's xAPI address, such as https://lrs.example.com/xAPI/ "
            f"(statements are sent to its `statements` resource), not {endpoint!r}"
        )
    if parts.username or parts.password:
        raise ConfigError(
            "xapi_lrs_endpoint must not carry credentials: put them in xapi_lrs_key and xapi_lrs_secret "
            "(LESSONLOOP_XAPI_LRS_KEY, LESSONLOOP_XAPI_LRS_SECRET), which are never logged"
        )
    if not (key and secret):
        raise ConfigError(
            "xapi_lrs_endpoint needs xapi_lrs_key and xapi_lrs_secret (LESSONLOOP_XAPI_LRS_KEY, "
            "LESSONLOOP_XAPI_LRS_SECRET): the key and secret the LRS issued for HTTP Basic auth"
        )
    return LrsSettings(endpoint if endpoint.endswith("/") else endpoint + "/", key, secret)
