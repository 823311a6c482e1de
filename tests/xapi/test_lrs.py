"""Learning records sent to a real LRS as they happen: learners take the course, the quiz
and the survey through the real engine, the sender posts their statements to Ralph, and
the test reads them back through Ralph's API; Ralph stopped, and a statement it refuses.
On SQLite and PostgreSQL, one Ralph for the module."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.__main__ import main
from bot.adapters.database_work import DatabaseWork
from bot.bootstrap import assemble
from bot.config import ConfigError, HandoffSettings, LrsSettings, load_settings
from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.service import Listening, Platforms, serve_until
from bot.xapi.export import StatementExport
from bot.xapi.lrs import LrsClient
from bot.xapi.sender import LrsSender
from bot.xapi.statements import as_json
from storage.db import Database
from storage.lrs_deliveries import claim_deliveries, lrs_status, queue_new_records
from storage.models import Enrolment, LearnerIdentity
from tests.engine.chat import Clock
from tests.xapi.history import slack_chat, take_the_course
from tests.xapi.ralph import Ralph

CONTENT = Path(__file__).parent / "content"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"


@pytest.fixture(scope="module")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ralph]:
    lrs = Ralph(tmp_path_factory.mktemp("ralph"))
    lrs.start()
    yield lrs
    lrs.stop()


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([CONTENT])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def base(request: pytest.FixtureRequest, database: Database) -> str:
    """Activity ids (and so statement ids) of this test and backend alone: the module's
    tests share one Ralph, which keeps what an earlier test sent."""
    return f"https://learning.example.com/{database.engine.dialect.name}/{request.node.originalname}/"


def _sender(work: DatabaseWork, ralph: Ralph, pack: ContentPack, base: str, clock: Clock) -> LrsSender:
    return LrsSender(
        work, LrsClient(ralph.settings), lambda: StatementExport(work.database, pack, base), clock=clock
    )


async def _rounds(sender: LrsSender) -> list[int]:
    """`send_due` until nothing is due: how many each round claimed."""
    claimed: list[int] = []
    async with sender.lrs:
        while count := await sender.send_due():
            claimed.append(count)
    return claimed


def _send_everything(sender: LrsSender) -> list[int]:
    return asyncio.run(_rounds(sender))


def _actor(user: str, name: str) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": "https://slack.com/T0001", "name": user},
    }


def _registration(database: Database, base: str, user: str) -> str:
    with database.transaction() as session:
        enrolment_id = session.scalars(
            select(Enrolment.id)
            .join(LearnerIdentity, LearnerIdentity.learner_id == Enrolment.learner_id)
            .where(LearnerIdentity.user_id == user)
        ).one()
    return str(uuid5(uuid5(NAMESPACE_URL, base), f"enrolment/{enrolment_id}"))


def _short(statement: dict[str, Any]) -> tuple[str, str]:
    return statement["verb"]["id"].rsplit("/", 1)[1], statement["object"]["id"].split("/", 5)[-1]


def test_each_learning_record_reaches_ralph_once_as_the_statement_the_export_writes(
    *,
    database: Database,
    database_work: DatabaseWork,
    ralph: Ralph,
    pack: ContentPack,
    base: str,
    clock: Clock,
) -> None:
    engine = Engine(pack, database, clock=clock)
    take_the_course(slack_chat(engine), clock)
    take_the_course(slack_chat(engine, "U777", "Bo", "Ray"), clock, views=("Tray",))
    sender = _sender(database_work, ralph, pack, base, clock)

    assert _send_everything(sender) == [16]
    assert _send_everything(sender) == []  # all marked sent: nothing goes twice

    exported = {
        s["id"]: s
        for s in (
            json.loads(json.dumps(as_json(x))) for x in StatementExport(database, pack, base).statements()
        )
    }
    ann, bo = (
        ralph.statements_of(_actor("U042", "Ann Lee"), base),
        ralph.statements_of(_actor("U777", "Bo Ray"), base),
    )
    assert [_short(s) for s in ann] == [
        ("completed", "courses/onboarding/lessons/welcome"),
        ("answered", "quizzes/basics/questions/home"),
        ("answered", "quizzes/basics/questions/views"),
        ("answered", "quizzes/basics/questions/colour"),
        ("passed", "quizzes/basics"),
        ("answered", "surveys/feedback/questions/recommend"),
        ("answered", "surveys/feedback/questions/happy"),
        ("completed", "courses/onboarding/lessons/check"),
    ]
    assert [_short(s)[0] for s in bo] == [_short(s)[0] for s in ann[:4]] + ["failed"] + [
        _short(s)[0] for s in ann[5:]
    ]
    # What Ralph keeps is what was sent, with its own `stored` and `authority` beside it.
    for statement in ann + bo:
        assert statement["authority"]["account"]["name"] == "lessonloop"
        sent = {key: value for key, value in statement.items() if key not in ("stored", "authority")}
        assert sent == exported[statement["id"]]
    assert len(exported) == 16

    lesson, home, views, _, passed, nps, _, _ = ann
    assert lesson["actor"] == _actor("U042", "Ann Lee")
    assert lesson["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/lesson"
    assert lesson["context"]["contextActivities"]["parent"] == [
        {
            "objectType": "Activity",
            "id": base + "courses/onboarding",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/course",
                "name": {"en": "Onboarding", "de": "Einstieg"},
            },
        }
    ]
    assert home["verb"]["id"] == ANSWERED
    assert home["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
    assert home["object"]["definition"]["interactionType"] == "choice"
    assert home["object"]["definition"]["correctResponsesPattern"] == ["projects"]
    assert home["result"] == {
        "score": {"scaled": 1.0},
        "success": True,
        "response": "projects",
        "duration": "PT7S",
    }
    assert views["object"]["definition"]["correctResponsesPattern"] == ["board[,]list"]
    assert views["result"]["response"] == "board[,]list"
    assert passed["result"]["score"] == {"scaled": 1.0, "raw": 3, "min": 0, "max": 3}
    assert bo[4]["verb"]["id"] == "http://adlnet.gov/expapi/verbs/failed"
    assert bo[4]["result"]["success"] is False
    assert bo[2]["result"]["success"] is False
    assert nps["verb"]["id"] == ANSWERED
    assert nps["object"]["definition"]["interactionType"] == "likert"
    assert [point["id"] for point in nps["object"]["definition"]["scale"]] == [str(n) for n in range(11)]
    assert nps["result"] == {"response": "9"}
    # One registration per enrolment: every course statement of a learner carries theirs.
    for user, statements in (("U042", ann), ("U777", bo)):
        course_statements = [s for s in statements if "/surveys/" not in s["object"]["id"]]
        assert {s["context"]["registration"] for s in course_statements} == {
            _registration(database, base, user)
        }
    assert ann[0]["context"]["registration"] != bo[0]["context"]["registration"]

    with database.transaction() as session:
        status = lrs_status(session)
    assert (status.queued, status.sent, status.failed, status.last_error) == (0, 16, 0, None)


def test_while_ralph_is_down_the_statements_wait_and_go_when_it_is_back(
    *,
    database: Database,
    database_work: DatabaseWork,
    ralph: Ralph,
    pack: ContentPack,
    base: str,
    clock: Clock,
) -> None:
    take_the_course(slack_chat(Engine(pack, database, clock=clock), "U300", "Cy", "Day"), clock)
    sender = _sender(database_work, ralph, pack, base, clock)
    ralph.stop()
    try:
        assert _send_everything(sender) == [8]
        with database.transaction() as session:
            status = lrs_status(session)
        assert (status.queued, status.sent, status.failed) == (8, 0, 0)
        assert status.last_error is not None
        assert status.last_error.startswith(f"the LRS at {ralph.settings.endpoint} cannot be reached")
        assert "s3cret" not in status.last_error
    finally:
        ralph.start()
    assert _send_everything(sender) == []  # backing off: the first retry is 2 s later
    clock.advance(seconds=2)
    assert _send_everything(sender) == [8]
    assert len(ralph.statements_of(_actor("U300", "Cy Day"), base)) == 8

    # A process that claimed rows and died: they are sent once its lease has run out.
    take_the_course(slack_chat(Engine(pack, database, clock=clock), "U301", "Di", "Eve"), clock)
    with database.transaction() as session:
        queue_new_records(session, clock())
    with database.transaction() as session:
        assert len(claim_deliveries(session, clock(), 100)) == 8
    assert _send_everything(sender) == []
    clock.advance(minutes=2)
    assert _send_everything(sender) == [8]
    assert len(ralph.statements_of(_actor("U301", "Di Eve"), base)) == 8


def test_a_statement_ralph_refuses_is_failed_with_its_reason_and_the_others_go(
    *,
    database: Database,
    database_work: DatabaseWork,
    ralph: Ralph,
    pack: ContentPack,
    base: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
) -> None:
    engine = Engine(pack, database, clock=clock)
    take_the_course(slack_chat(engine, "U400", "Flo", "Gee"), clock)
    take_the_course(slack_chat(engine, "U401", "Hal", "Ito"), clock)
    with database.transaction() as session:  # an account without a name: not an xAPI agent
        session.execute(update(LearnerIdentity).where(LearnerIdentity.user_id == "U401").values(user_id=""))

    assert _send_everything(_sender(database_work, ralph, pack, base, clock)) == [16]

    assert len(ralph.statements_of(_actor("U400", "Flo Gee"), base)) == 8
    with database.transaction() as session:
        status = lrs_status(session)
    assert (status.queued, status.sent, status.failed) == (0, 8, 8)
    assert status.last_error is not None
    assert status.last_error.startswith("the LRS refused it with 422: ")
    assert '"loc":["body",0,"actor"' in status.last_error  # Ralph's own words on what is wrong

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LESSONLOOP_CONFIG", raising=False)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LESSONLOOP_XAPI_LRS_ENDPOINT", ralph.settings.endpoint)
    monkeypatch.setenv("LESSONLOOP_XAPI_LRS_KEY", ralph.settings.key)
    monkeypatch.setenv("LESSONLOOP_XAPI_LRS_SECRET", ralph.settings.secret)
    assert main(["xapi", "status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        f"xAPI statements: sending to {ralph.settings.endpoint}",
        "  queued  0",
        "  sent    8",
        "  failed  8",
    ]
    assert out[4].startswith("  last error at 2026-11-24T09:0")
    assert "the LRS refused it with 422" in out[4]


def test_two_senders_share_the_outbox_without_sending_a_record_twice(
    database: Database, ralph: Ralph, pack: ContentPack, base: str, clock: Clock
) -> None:
    take_the_course(slack_chat(Engine(pack, database, clock=clock), "U500", "Jo", "Kim"), clock)
    works = [DatabaseWork(database, name=f"lrs-{n}") for n in range(2)]
    senders = [
        LrsSender(
            work,
            LrsClient(ralph.settings),
            lambda: StatementExport(database, pack, base),
            clock=clock,
            batch=3,
        )
        for work in works
    ]

    async def both() -> list[list[int]]:
        return list(await asyncio.gather(*(_rounds(sender) for sender in senders)))

    try:
        claimed = asyncio.run(both())
    finally:
        for work in works:
            work.close()
    assert sum(sum(rounds) for rounds in claimed) == 8
    assert len(ralph.statements_of(_actor("U500", "Jo Kim"), base)) == 8


def test_an_lrs_needs_its_key_and_secret_which_are_never_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="xapi_lrs_endpoint needs xapi_lrs_key and xapi_lrs_secret"):
        load_settings({"LESSONLOOP_XAPI_LRS_ENDPOINT": "https://lrs.example.com/xAPI/"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="must not carry credentials"):
        load_settings(
            {
                "LESSONLOOP_XAPI_LRS_ENDPOINT": "https://key:secret@lrs.example.com/xAPI/",
                "LESSONLOOP_XAPI_LRS_KEY": "k",
                "LESSONLOOP_XAPI_LRS_SECRET": "s",
            },
            cwd=tmp_path,
        )
    settings = load_settings(
        {
            "LESSONLOOP_XAPI_LRS_ENDPOINT": "https://lrs.example.com/xAPI",
            "LESSONLOOP_XAPI_LRS_KEY": "lessonloop-key",
            "LESSONLOOP_XAPI_LRS_SECRET": "very-secret",
        },
        cwd=tmp_path,
    )
    assert settings.lrs == LrsSettings("https://lrs.example.com/xAPI/", "lessonloop-key", "very-secret")
    assert "very-secret" not in repr(settings)
    assert "lessonloop-key" not in repr(settings)
    assert "https://lrs.example.com/xAPI/" in repr(settings)


def test_serve_sends_what_was_recorded_and_stops_cleanly(
    *,
    database: Database,
    ralph: Ralph,
    pack: ContentPack,
    base: str,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    core = assemble(pack, database, HandoffSettings(), clock=clock)
    take_the_course(slack_chat(core.engine, "U600", "Lu", "May"), clock)
    work = DatabaseWork(database, name="lrs")
    sender = LrsSender(
        work, LrsClient(ralph.settings), lambda: StatementExport(database, pack, base), clock=clock
    )

    async def serve_until_sent() -> int:
        stopping = asyncio.Event()
        serving = asyncio.create_task(
            serve_until(stopping, core, Platforms(), Listening("127.0.0.1", None), lrs_sender=sender)
        )
        try:
            for _ in range(200):
                assert not serving.done(), serving.exception()
                if (
                    len(found := await asyncio.to_thread(ralph.statements_of, _actor("U600", "Lu May"), base))
                    == 8
                ):
                    return len(found)
                await asyncio.sleep(0.05)
            return 0
        finally:
            stopping.set()
            await asyncio.wait_for(serving, timeout=30)

    try:
        assert asyncio.run(serve_until_sent()) == 8
    finally:
        work.close()
    assert f"lessonloop: sending xAPI statements to {ralph.settings.endpoint}" in capsys.readouterr().out
    with database.transaction() as session:
        assert lrs_status(session).sent == 8


def test_a_busy_or_failing_lrs_is_tried_again_when_it_says_or_after_a_backoff(
    database: Database, database_work: DatabaseWork, pack: ContentPack, clock: Clock
) -> None:
    """A local LRS that answers 429 (Retry-After: 30), then 503, then takes the statements."""
    take_the_course(slack_chat(Engine(pack, database, clock=clock), "U700"), clock)
    answers = [
        web.Response(status=429, headers={"Retry-After": "30"}, text="slow down"),
        web.Response(status=503, text="upstream unavailable"),
    ]
    received: list[tuple[dict[str, str], list[dict[str, Any]]]] = []

    async def statements(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.json()))
        return answers.pop(0) if answers else web.json_response([s["id"] for s in received[-1][1]])

    async def rounds() -> list[int]:
        app = web.Application()
        app.router.add_post("/xAPI/statements", statements)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        lrs = LrsClient(LrsSettings(f"http://127.0.0.1:{port}/xAPI/", "key-7", "secret-7"))
        sender = LrsSender(
            database_work, lrs, lambda: StatementExport(database, pack, "https://x.example/"), clock=clock
        )
        claimed = []
        try:
            async with lrs:
                for wait in (0, 29, 1, 3, 1):  # 429: 30 s; 503 on the 2nd attempt: 2**2 s
                    clock.advance(seconds=wait)
                    claimed.append(await sender.send_due())
        finally:
            await runner.cleanup()
        return claimed

    assert asyncio.run(rounds()) == [8, 0, 8, 0, 8]
    assert len(received) == 3
    headers, body = received[0]
    assert headers["X-Experience-API-Version"] == "1.0.3"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"key-7:secret-7").decode()
    assert len(body) == 8
    assert all(b == body for _, b in received)  # the same statements each time, the same ids
    with database.transaction() as session:
        status = lrs_status(session)
    assert (status.queued, status.sent, status.failed, status.last_error) == (0, 8, 0, None)
