"""Installing the app in many workspaces: Slack's OAuth flow, with installations kept in
Lessonloop's own database.

slack_sdk's SQLAlchemy stores hold the rows (tables from `storage.slack_models`, created
by migration 0003, never by the stores at run time). They are synchronous, so Bolt's async
app calls them through a worker thread. Only the bot token is looked up per request
(`installation_store_bot_only`): the app acts as its bot, never as the installing user.
Bolt confirms the token with `auth.test`, and on any failure answers the request 200 and
drops it; asked on every request, a Slack outage would drop every one, so the answer is
remembered per token for the process (`authorize`). An install page opened with an invite
(`?ref=`, `bot.adapters.slack.invites`) issues a state that carries it, and the finished
install hands it on (`InstallFlow`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.adapters.slack.invites import REF, carried_ref, carried_state
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


Invited = Callable[[str, str, str, str], Awaitable[None]]
"""Told (team, installing user, invite token, state) when an install came with an invite."""


class InstallFlow(AsyncOAuthFlow):
    """Bolt's install flow, with an invite carried from the install page to the installer."""

    def __init__(self, settings: AsyncOAuthSettings, invited: Invited) -> None:
        super().__init__(settings=settings, logger=log)
        self._invited = invited
        self.success_handler = self._installed

    async def issue_new_state(self, request: AsyncBoltRequest) -> str:
        ref = next(iter(request.query.get(REF) or ()), None)
        store = self.settings.state_store
        if isinstance(store, DatabaseOAuthStates):
            return await store.async_issue(carrying=ref)
        return await super().issue_new_state(request)

    async def _installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        state = next(iter(args.request.query.get("state") or ()), "")
        ref = carried_ref(state)
        team, user = args.installation.team_id, args.installation.user_id
        if ref is not None and team and user:
            try:
                await self._invited(team, user, ref, state)
            except Exception:  # the install itself is done: the installer still gets their page
                log.exception("the invite an install of %s by %s came with could not be kept", team, user)
        return await self.default_callback_options.success(args)


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

    async def async_issue(self, *args: Any, carrying: str | None = None, **kwargs: Any) -> str:
        """A new state, holding the invite token `carrying` when there is one."""
        return await asyncio.to_thread(self._issue, carrying)

    def _issue(self, carrying: str | None) -> str:
        # slack_sdk's `issue` makes the state itself; this one may hold more, stored whole,
        # so `consume` (slack_sdk's) still takes it only once and only as issued.
        state = carried_state(str(uuid4()), carrying)
        expire_at = datetime.fromtimestamp(time.time() + STATE_EXPIRATION_S, tz=UTC)
        with self._store.engine.begin() as connection:
            connection.execute(
                self._store.oauth_states.insert(),
                {"state": state, "expire_at": normalize_datetime_for_db(expire_at)},
            )
        return state

    async def async_consume(self, state: str) -> bool:
        consumed: bool = await asyncio.to_thread(self._store.consume, state)
        return consumed
