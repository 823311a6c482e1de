"""`POST /data/customers|subscriptions|orders|conversions`: a CRM or billing system sending
records as they change, one JSON object (or a short array of them) whose keys are the CSV
columns, checked and written exactly as a file's rows are.

Who may send them: a bearer token (`Authorization: Bearer <data_token>`, compared in
constant time), or the HMAC signature a helpdesk puts on `/support/replies`
(`bot.handoff.webhook`, keyed with `data_secret`; an old timestamp is refused). A record
with any problem is a 400 listing them all ("record 2: ..."), and nothing of the request
is written: the sender fixes it and sends it again, and records already written are
unchanged by a repeat.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.customers.columns import KINDS
from bot.customers.importer import ImportReport, OnConversions, import_checked
from bot.customers.rows import Checked, read_documents
from bot.handoff.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_is_valid
from storage.db import Database

DATA_PATH = "/data/{kind}"
MAX_BODY = 256 * 1024
MAX_RECORDS = 1000
"""More belongs in a file: `lessonloop import`."""


@dataclass(frozen=True)
class DataAccess:
    """Who may send records: the bearer token and the signing secret (either may be unset)."""

    token: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)

    @property
    def configured(self) -> bool:
        return bool(self.token or self.secret)


NO_DATA_ACCESS = DataAccess()
"""Neither set: the endpoint is not served."""


class CustomerRecords:
    """The endpoint's route, for the process's one HTTP application (`bot.web`)."""

    def __init__(
        self,
        database: Database,
        access: DataAccess,
        *,
        on_conversions: OnConversions | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._database = database
        self._access = access
        self._on_conversions = on_conversions
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        return [web.post(DATA_PATH, self._receive)]

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if len(body) > MAX_BODY:
            return _refused(
                413, f"the body is over {MAX_BODY} bytes; send at most {MAX_RECORDS} records a request"
            )
        if not self._authorised(request, body):
            return _refused(
                401, "a valid bearer token (Authorization: Bearer ...) or a fresh signature is needed"
            )
        kind = request.match_info["kind"]
        if kind not in KINDS:
            paths = ", ".join(f"/data/{each}" for each in KINDS)
            return _refused(404, f"there is no /data/{kind}; records go to {paths}")
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        documents = (
            document if isinstance(document, list) else [document] if isinstance(document, dict) else None
        )
        if documents is None:
            return _refused(
                400, 'expected a JSON object of columns, e.g. {"customer_id": "C-1042"}, or an array'
            )
        if len(documents) > MAX_RECORDS:
            return _refused(400, f"{len(documents)} records; send at most {MAX_RECORDS} a request")
        checked = read_documents(kind, documents)
        if checked.errors:
            errors = [str(error) for error in checked.errors]
            return web.json_response({"ok": False, "error": errors[0], "errors": errors}, status=400)
        report = await asyncio.to_thread(self._import, checked)
        return web.json_response(
            {
                "ok": True,
                "added": report.added,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "customers_added": report.customers_added,
                "ignored_columns": list(report.ignored_columns),
            }
        )

    def _authorised(self, request: web.Request, body: bytes) -> bool:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if self._access.token and scheme.lower() == "bearer":
            return hmac.compare_digest(given.strip().encode(), self._access.token.encode())
        if not self._access.secret:
            return False
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        signed = request.headers.get(SIGNATURE_HEADER, "")
        return signature_is_valid(self._access.secret, timestamp, body, signed, now=self._clock())

    def _import(self, checked: Checked) -> ImportReport:
        """In a worker thread: the import's transaction, then `on_conversions` after its commit."""
        return import_checked(self._database, checked, on_conversions=self._on_conversions)


def _refused(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)
