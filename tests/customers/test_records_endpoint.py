"""`POST /data/<kind>` on a real server: a CRM sends records with a bearer token or an HMAC
signature (made here by the fake helpdesk's own code, as README tells a sender to); forged,
stale or missing credentials and bad records change nothing."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import aiohttp
import pytest

from bot.customers.records_endpoint import MAX_BODY, CustomerRecords, DataAccess
from storage.db import Database
from tests.customers.stored import conversions, customers
from tests.helpdesk import FakeHelpdesk
from tests.threaded_server import ThreadedServer

TOKEN = "crm-token-5d1e"
SECRET = "crm-signing-secret-77c2"
ANN = {"customer_id": "C-1", "email": "ann@example.com", "plan": "Free", "seats": 3}


class Handed:
    """The conversion ids handed on, and the thread they were handed on in."""

    def __init__(self) -> None:
        self.ids: list[list[int]] = []
        self.threads: list[str] = []

    def __call__(self, ids: Sequence[int]) -> None:
        self.ids.append(list(ids))
        self.threads.append(threading.current_thread().name)


@pytest.fixture
def handed() -> Handed:
    return Handed()


@pytest.fixture
def base(database: Database, handed: Handed) -> Iterator[str]:
    records = CustomerRecords(database, DataAccess(TOKEN, SECRET), on_conversions=handed)
    server = ThreadedServer(records.routes())
    port = server.start("127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def post(
    url: str, document: object, *, headers: dict[str, str] | None = None, raw: bytes | None = None
) -> tuple[int, dict[str, Any]]:
    body = raw if raw is not None else json.dumps(document).encode()

    async def send() -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers) as answer,
        ):
            return answer.status, await answer.json()

    return asyncio.run(send())


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


def signed(document: object, *, secret: str = SECRET, age_s: int = 0) -> dict[str, str]:
    return FakeHelpdesk(secret).signed(json.dumps(document).encode(), age_s=age_s)


def test_a_record_sent_with_the_bearer_token_is_written_once(base: str, database: Database) -> None:
    url = f"{base}/data/customers"

    assert post(url, ANN, headers=bearer()) == (
        200,
        {"ok": True, "added": 1, "updated": 0, "unchanged": 0, "customers_added": 0, "ignored_columns": []},
    )
    assert post(url, ANN, headers=bearer())[1]["unchanged"] == 1
    assert post(url, {**ANN, "plan": "Pro"}, headers=bearer())[1]["updated"] == 1
    assert [row[:4] for row in customers(database)] == [("C-1", "ann@example.com", "", "Pro")]


def test_records_signed_as_a_helpdesk_signs_its_replies_are_written(base: str, database: Database) -> None:
    batch = [ANN, {"customer_id": "C-2", "name": "Bob", "company": "Acme"}]

    status, answer = post(f"{base}/data/customers", batch, headers=signed(batch))

    assert (status, answer["added"]) == (200, 2)
    assert [row[:5] for row in customers(database)] == [
        ("C-1", "ann@example.com", "", "Free", None),
        ("C-2", None, "Bob", None, "name:acme"),
    ]


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(dict, id="none"),
        pytest.param(lambda: bearer("not-the-token"), id="wrong token"),
        pytest.param(lambda: {"Authorization": "Basic " + TOKEN}, id="not bearer"),
        pytest.param(lambda: signed(ANN, secret="someone-else"), id="other secret"),
        pytest.param(lambda: signed(ANN, age_s=600), id="replayed timestamp"),
        pytest.param(lambda: signed({**ANN, "plan": "Enterprise"}), id="signature of another body"),
    ],
)
def test_without_valid_credentials_nothing_is_written(
    base: str, database: Database, credentials: Callable[[], dict[str, str]]
) -> None:
    assert post(f"{base}/data/customers", ANN, headers=credentials()) == (
        401,
        {
            "ok": False,
            "error": "a valid bearer token (Authorization: Bearer ...) or a fresh signature is needed",
        },
    )
    assert customers(database) == []


def test_a_bad_record_is_a_400_naming_every_problem_and_nothing_is_written(
    base: str, database: Database
) -> None:
    batch = [ANN, {"customer_id": "C-2", "seats": "ten"}, {"email": "cy@example.com", "seats": True}]

    status, answer = post(f"{base}/data/customers", batch, headers=bearer())

    errors = [
        'record 2: seats "ten" is not a whole number; write it in digits, e.g. 10',
        "record 3: seats must be text or a number",
    ]
    assert (status, answer) == (400, {"ok": False, "error": errors[0], "errors": errors})
    assert customers(database) == []


def test_a_missing_required_column_and_a_body_that_is_not_records(base: str) -> None:
    url = f"{base}/data/orders"

    assert post(url, {"customer_id": "C-1", "amount": 49.5}, headers=bearer()) == (
        400,
        {
            "ok": False,
            "error": "record 1: no ordered_at; write when it was ordered, e.g. 2026-03-01",
            "errors": ["record 1: no ordered_at; write when it was ordered, e.g. 2026-03-01"],
        },
    )
    assert post(url, None, raw=b"customer_id=C-1", headers=bearer()) == (
        400,
        {
            "ok": False,
            "error": 'expected a JSON object of columns, e.g. {"customer_id": "C-1042"}, or an array',
        },
    )
    assert post(f"{base}/data/invoices", ANN, headers=bearer()) == (
        404,
        {
            "ok": False,
            "error": "there is no /data/invoices; records go to /data/customers, /data/subscriptions, "
            "/data/orders, /data/conversions",
        },
    )
    status, _ = post(url, None, raw=b"[" + b" " * MAX_BODY + b"]", headers=bearer())
    assert status == 413


def test_new_conversions_are_handed_on_after_the_commit_in_the_database_thread(
    base: str, database: Database, handed: Handed
) -> None:
    upgrade = {"customer_id": "C-5", "converted_at": "2026-03-05T12:00:00Z", "revenue": 49, "currency": "EUR"}

    status, answer = post(f"{base}/data/conversions", upgrade, headers=bearer())
    again = post(f"{base}/data/conversions", upgrade, headers=bearer())

    assert (status, answer["added"], answer["customers_added"]) == (200, 1, 1)
    assert again[1]["unchanged"] == 1
    [stored] = conversions(database)
    assert stored[1:3] == ("C-5", "upgraded")
    assert stored[4] == 4900
    assert handed.ids == [[stored[0]]]
    assert handed.threads[0] != "test-server"  # a worker thread, not the event loop's
