"""`/healthz` and `/readyz`, for a load balancer or an orchestrator.

Alive means the process answers; ready means it can do its work: the database answers and
its schema is the one this version needs (a process that started before an operator's
migration, or one pointed at the wrong database, is taken out of rotation, not restarted).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


def health_routes(database: Database) -> list[web.RouteDef]:
    head = head_revision()

    async def alive(_request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def ready(_request: web.Request) -> web.Response:
        try:
            current = await asyncio.to_thread(current_revision, database)
        except SQLAlchemyError as error:
            log.warning("not ready: the database does not answer: %s", type(error).__name__)
            return web.json_response({"ready": False, "reason": "the database does not answer"}, status=503)
        if current != head:
            reason = f"the database is at revision {current}, this version needs {head}"
            return web.json_response({"ready": False, "reason": reason}, status=503)
        return web.json_response({"ready": True})

    return [web.get(HEALTH_PATH, alive), web.get(READY_PATH, ready)]
