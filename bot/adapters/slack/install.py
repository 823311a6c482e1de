"""Installing the app in many workspaces: Slack's OAuth flow, with installations kept in
Lessonloop's own database.

slack_sdk's SQLAlchemy stores hold the rows (tables from `storage.slack_models`, created
by migration 0003, never by the stores at run time). They are synchronous, so Bolt's async
app calls them through a worker thread. Only the bot token is looked up per request
(`installation_store_bot_only`): the app acts as its bot, never as the installing user.
Bolt confirms the token with `auth.test`, and on any failure answers the request 200 and
drops it; asked on every request, a Slack outage would drop every one, so the answer is
remembered per token for the process (`authorize`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.adapters.slack.settings import SlackSettings
from storage.slack_models import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE

log = logging.getLogger(__name__)

STATE_EXPIRATION_S = 600


def oauth_settings(settings: SlackSettings, engine: Engine) -> AsyncOAuthSettings:
    """Bolt's install flow (`/slack/install`, `/slack/oauth_redirect`) on our database."""
    assert settings.client_id is not None
    return AsyncOAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(settings.scopes),
        installation_store=DatabaseInstallations(settings.client_id, engine),
        installation_store_bot_only=True,
        state_store=DatabaseOAuthStates(engine),
        state_expiration_seconds=STATE_EXPIRATION_S,
        logger=log,
    )


def authorize(oauth: AsyncOAuthSettings) -> AsyncInstallationStoreAuthorize:
    """Bolt's own authorize for `oauth`, but with each token's `auth.test` remembered."""
    return AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=oauth.installation_store,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        token_rotation_expiration_minutes=oauth.token_rotation_expiration_minutes,
        bot_only=oauth.installation_store_bot_only,
        cache_enabled=True,
    )


class DatabaseInstallations(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store, off the event loop."""

    def __init__(self, client_id: str, engine: Engine) -> None:
        self._store = SQLAlchemyInstallationStore(
            client_id,
            engine,
            bots_table_name=BOTS_TABLE,
            installations_table_name=INSTALLATIONS_TABLE,
            logger=log,
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self._store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self._store.save_bot, bot)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        found: Bot | None = await asyncio.to_thread(
            self._store.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found: Installation | None = await asyncio.to_thread(
            self._store.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self._store.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self._store.delete_installation, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self._store.delete_all, enterprise_id=enterprise_id, team_id=team_id)


class DatabaseOAuthStates(AsyncOAuthStateStore):
    """The one-time `state` of each install attempt (CSRF protection), in our database."""

    def __init__(self, engine: Engine) -> None:
        self._store = SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRATION_S, engine=engine, logger=log, table_name=OAUTH_STATES_TABLE
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state: str = await asyncio.to_thread(self._store.issue)
        return state

    async def async_consume(self, state: str) -> bool:
        consumed: bool = await asyncio.to_thread(self._store.consume, state)
        return consumed
