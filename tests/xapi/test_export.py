"""A learner's course, quiz and survey, taken through the real engine, exported as xAPI
statements: their shapes, their ids across exports, and the command, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from bot.__main__ import main
from bot.config import ConfigError, load_settings
from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.xapi.export import StatementExport
from bot.xapi.statements import as_json, duration
from storage.db import Database
from storage.models import Enrolment
from tests.engine.chat import Clock
from tests.xapi.history import slack_chat, take_the_course
from tests.xapi.schema import STATEMENT

CONTENT = Path(__file__).parent / "content"
BASE = "https://learning.example.com/xapi/"
SCHEMA = Draft202012Validator(STATEMENT)

COURSE = {
    "objectType": "Activity",
    "id": BASE + "courses/onboarding",
    "definition": {
        "type": "http://adlnet.gov/expapi/activities/course",
        "name": {"en": "Onboarding", "de": "Einstieg"},
    },
}
QUIZ = {
    "objectType": "Activity",
    "id": BASE + "quizzes/basics",
    "definition": {"type": "http://adlnet.gov/expapi/activities/assessment", "name": {"en": "Basics"}},
}
SURVEY = {
    "objectType": "Activity",
    "id": BASE + "surveys/feedback",
    "definition": {"type": "http://id.tincanapi.com/activitytype/survey", "name": {"en": "Feedback"}},
}
ANN = {
    "objectType": "Agent",
    "name": "Ann Lee",
    "account": {"homePage": "https://slack.com/T0001", "name": "U042"},
}


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([CONTENT])


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _exported(
    database: Database, pack: ContentPack, since: datetime | None = None, *, batch: int = 500
) -> list[dict[str, Any]]:
    """The statements as an LRS reads them: through JSON."""
    statements = StatementExport(database, pack, BASE, batch=batch).statements(since)
    return [json.loads(json.dumps(as_json(statement))) for statement in statements]


def _enrolment_registration(database: Database) -> str:
    with database.transaction() as session:
        enrolment_id = session.scalars(select(Enrolment.id)).one()
    return str(uuid5(uuid5(NAMESPACE_URL, BASE), f"enrolment/{enrolment_id}"))


def test_a_course_quiz_and_survey_become_statements_in_the_order_they_happened(
    database: Database, pack: ContentPack, clock: Clock
) -> None:
    take_the_course(slack_chat(Engine(pack, database, clock=clock)), clock)

    statements = _exported(database, pack)

    for statement in statements:
        SCHEMA.validate(statement)
    assert not SCHEMA.is_valid({**statements[0], "verb": {"id": "completed"}})  # the schema can say no
    assert [
        (s["verb"]["id"].rsplit("/", 1)[1], s["object"]["id"].removeprefix(BASE)) for s in statements
    ] == [
        ("completed", "courses/onboarding/lessons/welcome"),
        ("answered", "quizzes/basics/questions/home"),
        ("answered", "quizzes/basics/questions/views"),
        ("answered", "quizzes/basics/questions/colour"),
        ("passed", "quizzes/basics"),
        ("answered", "surveys/feedback/questions/recommend"),
        ("answered", "surveys/feedback/questions/happy"),
        ("completed", "courses/onboarding/lessons/check"),
    ]
    timestamps = [s["timestamp"] for s in statements]
    assert timestamps == sorted(timestamps)
    assert all(s["actor"] == ANN and s["version"] == "1.0.3" and "authority" not in s for s in statements)
    registration = _enrolment_registration(database)
    course_statements = [s for s in statements if "surveys/" not in s["object"]["id"]]
    assert {s["context"].get("registration") for s in course_statements} == {registration}

    lesson, question, _, true_false, passed, nps, csat, _ = statements
    assert lesson == {
        "id": lesson["id"],
        "actor": ANN,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": BASE + "courses/onboarding/lessons/welcome",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/lesson",
                "name": {"en": "Welcome", "de": "Willkommen"},
            },
        },
        "result": {"completion": True},
        "context": {
            "registration": registration,
            "contextActivities": {"parent": [COURSE]},
            "platform": "Slack",
        },
        "timestamp": "2026-11-24T09:00:14.000Z",
        "version": "1.0.3",
    }
    assert question["object"] == {
        "objectType": "Activity",
        "id": BASE + "quizzes/basics/questions/home",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "name": {"en": "Where do tasks live?"},
            "interactionType": "choice",
            "correctResponsesPattern": ["projects"],
            "choices": [
                {"id": "projects", "description": {"en": "In projects"}},
                {"id": "inbox", "description": {"en": "In the inbox"}},
            ],
        },
    }
    assert question["result"] == {
        "score": {"scaled": 1.0},
        "success": True,
        "response": "projects",
        "duration": "PT7S",
    }
    assert question["context"] == {
        "registration": registration,
        "contextActivities": {"parent": [QUIZ], "grouping": [COURSE]},
        "platform": "Slack",
    }
    views = statements[2]
    assert views["object"]["definition"]["correctResponsesPattern"] == ["board[,]list"]
    # Shown at 09:00:28 (after the first answer), toggled twice, submitted at 09:00:49.
    assert views["result"] == {
        "score": {"scaled": 1.0},
        "success": True,
        "response": "board[,]list",
        "duration": "PT21S",
    }
    assert true_false["result"]["response"] == "true"
    assert passed["verb"] == {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}}
    assert passed["result"] == {
        "score": {"scaled": 1.0, "raw": 3, "min": 0, "max": 3},
        "success": True,
        "completion": True,
        "duration": "PT35S",
    }
    assert passed["context"]["contextActivities"] == {"parent": [COURSE]}
    assert nps["object"]["definition"] == {
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "name": {"en": "How likely are you to recommend us?"},
        "interactionType": "likert",
        "scale": [{"id": str(point), "description": {"en": str(point)}} for point in range(11)],
    }
    assert nps["result"] == {"response": "9"}
    assert nps["context"] == {"contextActivities": {"parent": [SURVEY]}, "platform": "Slack"}
    assert [point["id"] for point in csat["object"]["definition"]["scale"]] == ["1", "2", "3", "4", "5"]
    assert csat["result"] == {"response": "4"}


def test_a_failed_quiz_is_failed_with_its_score_and_the_wrong_answer_scores_zero(
    database: Database, pack: ContentPack, clock: Clock
) -> None:
    take_the_course(slack_chat(Engine(pack, database, clock=clock)), clock, views=("Tray",))

    statements = _exported(database, pack)

    views = next(s for s in statements if s["object"]["id"].endswith("/views"))
    assert views["result"] == {
        "score": {"scaled": 0.0},
        "success": False,
        "response": "tray",
        "duration": "PT14S",
    }
    failed = next(s for s in statements if s["object"]["id"] == QUIZ["id"])
    assert failed["verb"] == {"id": "http://adlnet.gov/expapi/verbs/failed", "display": {"en-US": "failed"}}
    assert failed["result"]["score"] == {"scaled": 2 / 3, "raw": 2, "min": 0, "max": 3}
    assert failed["result"]["success"] is False


def test_a_second_export_gives_the_same_ids_and_others_learners_get_their_own_registration(
    database: Database, pack: ContentPack, clock: Clock
) -> None:
    engine = Engine(pack, database, clock=clock)
    take_the_course(slack_chat(engine), clock)
    first = _exported(database, pack)
    take_the_course(slack_chat(engine, "U777", "Bo", ""), clock)

    again = _exported(database, pack)

    assert again[: len(first)] == first
    assert len(again) == 2 * len(first)
    assert len({s["id"] for s in again}) == len(again)
    bo = again[len(first) :]
    assert {json.dumps(s["actor"]) for s in bo} == {
        json.dumps(
            {
                "objectType": "Agent",
                "name": "Bo",
                "account": {"homePage": "https://slack.com/T0001", "name": "U777"},
            }
        )
    }
    registrations = {s["context"].get("registration") for s in again} - {None}
    assert len(registrations) == 2
    assert (
        _exported(database, pack, since=datetime(2026, 11, 24, 9, 1, 17, tzinfo=UTC) + timedelta(seconds=1))
        == bo
    )
    assert _exported(database, pack, batch=2) == again


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    """A working directory without a lessonloop.toml, the settings in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LESSONLOOP_CONFIG", raising=False)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LESSONLOOP_CONTENT_DIR", str(CONTENT))
    monkeypatch.setenv("LESSONLOOP_XAPI_ACTIVITY_BASE", BASE.rstrip("/"))
    return tmp_path


def test_the_command_writes_json_lines_and_refuses_a_since_it_cannot_read(
    database: Database, pack: ContentPack, clock: Clock, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    take_the_course(slack_chat(Engine(pack, database, clock=clock)), clock)
    out = workdir / "statements.jsonl"

    assert main(["xapi", "export", "--since", "2026-11-24T09:01:00", "--out", str(out)]) == 0

    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        s for s in _exported(database, pack) if str(s["timestamp"]) >= "2026-11-24T09:01:00"
    ]
    assert len(lines) == 3
    assert capsys.readouterr().err == f"3 xAPI statements written to {out}\n"

    assert main(["xapi", "export", "--since", "last week"]) == 2
    assert capsys.readouterr().err == (
        "lessonloop: --since 'last week' is not a date; write it as YYYY-MM-DD (2026-11-01) or "
        "YYYY-MM-DDTHH:MM[:SS][+HH:MM] (2026-11-01T09:30Z)\n"
    )


def test_the_activity_base_must_be_an_http_address(tmp_path: Path) -> None:
    environ = {"LESSONLOOP_XAPI_ACTIVITY_BASE": "lessonloop"}
    with pytest.raises(ConfigError, match="xapi_activity_base must be an http"):
        load_settings(environ, cwd=tmp_path)
    assert load_settings({}, cwd=tmp_path).xapi_activity_base == "https://lessonloop.invalid/"


@pytest.mark.parametrize(
    ("length", "shown"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(seconds=7.456), "PT7.46S"),
        (timedelta(minutes=2), "PT2M"),
        (timedelta(hours=26, seconds=3.5), "PT26H3.5S"),
    ],
)
def test_durations_are_iso_8601_to_the_hundredth(length: timedelta, shown: str) -> None:
    assert duration(length) == shown
