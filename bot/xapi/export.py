"""The recorded rows as xAPI statements, oldest first, read from the database in batches.

Four sources, each read in pages in its own time order and merged: lesson completions
(the `lesson_completed` marks of the interaction log), quiz answers, finished quiz
attempts, and NPS/CSAT scores. A statement's id is a uuid5 of the row it records, in a
namespace made from `xapi_activity_base`, so exporting again gives the same ids and an LRS
drops the statements it already has.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, TypeAlias
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from bot.content.model import ContentPack
from bot.xapi.activities import Activities
from bot.xapi.statements import (
    ANSWERED,
    COMPLETED,
    FAILED,
    PASSED,
    Actor,
    Context,
    Result,
    Score,
    Statement,
    as_json,
)
from storage.db import Database
from storage.lrs_deliveries import LearningRecord
from storage.models import (
    Enrolment,
    Interaction,
    Learner,
    LearnerIdentity,
    QuizAnswer,
    QuizAttempt,
    SurveyAnswer,
    SurveyResponse,
)

_Query: TypeAlias = Select[*tuple[Any, ...]]
_Row: TypeAlias = Row[*tuple[Any, ...]]

BATCH = 500
"""Rows read per query and source: memory stays flat however long the log is."""

HOME_PAGES = {"slack": "https://slack.com/", "telegram": "https://telegram.org"}
"""An account's homePage: a Slack user id is unique only in its workspace, so the team id
follows `https://slack.com/`; a terminal learner's is `xapi_activity_base` + `console`."""
PLATFORM_NAMES = {"slack": "Slack", "telegram": "Telegram", "console": "terminal"}


@dataclass(frozen=True)
class _Learners:
    """What a page of rows needs to know about its learners: who they are, and the
    enrolment of each (learner, course) for `context.registration`."""

    actors: dict[int, tuple[Actor, str]]
    enrolments: dict[tuple[int, str], int]


class StatementExport:
    def __init__(
        self, database: Database, pack: ContentPack, activity_base: str, *, batch: int = BATCH
    ) -> None:
        self._database = database
        self._batch = batch
        self._activities = Activities(pack, activity_base)
        self._base = activity_base
        self._namespace = uuid5(NAMESPACE_URL, activity_base)

    def statements(self, since: datetime | None = None) -> Iterator[Statement]:
        """Every statement recorded from `since` on (all without it), oldest first."""
        # Each source comes in its own time order; merged, ties in time follow the rank
        # (a lesson's completion before a quiz answer recorded at the same instant).
        sources = (
            self._paged(0, _completions(since), Interaction.at, Interaction.id, self._completed),
            self._paged(1, _answers(since), QuizAnswer.answered_at, QuizAnswer.id, self._answered),
            self._paged(2, _attempts(since), QuizAttempt.finished_at, QuizAttempt.id, self._finished),
            self._paged(3, _ratings(since), SurveyAnswer.answered_at, SurveyAnswer.id, self._rated),
        )
        for _at, _rank, _row_id, statement in heapq.merge(*sources):
            yield statement

    def of_records(self, records: Iterable[LearningRecord]) -> dict[LearningRecord, Statement]:
        """The statements of these records, as `statements` words them; a record whose row
        is gone (its learner was deleted) has none."""
        ids: dict[str, list[int]] = {}
        for record in records:
            ids.setdefault(record.kind, []).append(record.id)
        sources = {
            "lesson_completed": (_completions(None), Interaction.id, self._completed),
            "quiz_answer": (_answers(None), QuizAnswer.id, self._answered),
            "quiz_attempt": (_attempts(None), QuizAttempt.id, self._finished),
            "survey_answer": (_ratings(None), SurveyAnswer.id, self._rated),
        }
        found: dict[LearningRecord, Statement] = {}
        with self._database.transaction() as session:
            for kind, kind_ids in ids.items():
                query, row_id, build = sources[kind]
                rows = session.execute(query.where(row_id.in_(kind_ids))).all()
                learners = _learners(session, rows, self._base)
                found.update({LearningRecord(kind, row.id): build(row, learners) for row in rows})
        return found

    def _paged(
        self,
        rank: int,
        query: _Query,
        at: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
        row_id: InstrumentedAttribute[int],
        build: Callable[[_Row, _Learners], Statement],
    ) -> Iterator[tuple[datetime, int, int, Statement]]:
        last: tuple[datetime, int] | None = None
        while True:
            page_query = query.order_by(at, row_id).limit(self._batch)
            if last is not None:
                page_query = page_query.where(or_(at > last[0], and_(at == last[0], row_id > last[1])))
            with self._database.transaction() as session:
                rows = session.execute(page_query).all()
                learners = _learners(session, rows, self._base)
            for row in rows:
                yield row.at, rank, row.id, build(row, learners)
            if len(rows) < self._batch:
                return
            last = (rows[-1].at, rows[-1].id)

    def _completed(self, row: _Row, learners: _Learners) -> Statement:
        course_id, _, lesson_id = str(row.content_id).partition("/")
        actor, platform = learners.actors[row.learner_id]
        return Statement(
            self._id("lesson_completed", row.id),
            actor,
            COMPLETED,
            self._activities.lesson(course_id, lesson_id),
            row.at,
            Result(completion=True),
            Context(
                self._registration(learners, row.learner_id, course_id),
                parent=(self._activities.course(course_id),),
                platform=PLATFORM_NAMES.get(platform, platform),
            ),
        )

    def _answered(self, row: _Row, learners: _Learners) -> Statement:
        actor, platform = learners.actors[row.learner_id]
        course_id = self._activities.course_of_quiz(row.quiz_id)
        shown_at = row.previous_at or row.started_at
        return Statement(
            self._id("quiz_answer", row.id),
            actor,
            ANSWERED,
            self._activities.question(row.quiz_id, row.question_id),
            row.at,
            Result(
                success=row.correct,
                response="[,]".join(row.chosen.split(",")),
                score=Score(1.0 if row.correct else 0.0),
                duration=row.at - shown_at if shown_at <= row.at else None,
            ),
            Context(
                self._registration(learners, row.learner_id, course_id),
                parent=(self._activities.quiz(row.quiz_id),),
                grouping=(self._activities.course(course_id),) if course_id else (),
                platform=PLATFORM_NAMES.get(platform, platform),
            ),
        )

    def _finished(self, row: _Row, learners: _Learners) -> Statement:
        actor, platform = learners.actors[row.learner_id]
        course_id = self._activities.course_of_quiz(row.quiz_id)
        asked = row.question_count
        return Statement(
            self._id("quiz_attempt", row.id),
            actor,
            PASSED if row.passed else FAILED,
            self._activities.quiz(row.quiz_id),
            row.at,
            Result(
                success=bool(row.passed),
                completion=True,
                score=Score(row.correct_count / asked if asked else 0.0, row.correct_count, 0, asked),
                duration=row.at - row.started_at,
            ),
            Context(
                self._registration(learners, row.learner_id, course_id),
                parent=(self._activities.course(course_id),) if course_id else (),
                platform=PLATFORM_NAMES.get(platform, platform),
            ),
        )

    def _rated(self, row: _Row, learners: _Learners) -> Statement:
        actor, platform = learners.actors[row.learner_id]
        return Statement(
            self._id("survey_answer", row.id),
            actor,
            ANSWERED,
            self._activities.rating(row.survey_id, row.question_id, row.question_type),
            row.at,
            Result(response=str(row.score)),
            Context(
                parent=(self._activities.survey(row.survey_id),),
                platform=PLATFORM_NAMES.get(platform, platform),
            ),
        )

    def _id(self, kind: str, row_id: int) -> UUID:
        return uuid5(self._namespace, f"{kind}/{row_id}")

    def _registration(self, learners: _Learners, learner_id: int, course_id: str | None) -> UUID | None:
        enrolment_id = learners.enrolments.get((learner_id, course_id)) if course_id else None
        return None if enrolment_id is None else uuid5(self._namespace, f"enrolment/{enrolment_id}")


def write_jsonl(statements: Iterable[Statement], out: IO[str]) -> int:
    """One statement per line, compact; how many were written."""
    written = 0
    for statement in statements:
        out.write(json.dumps(as_json(statement), ensure_ascii=False, separators=(",", ":")) + "\n")
        written += 1
    return written


def _completions(since: datetime | None) -> _Query:
    query = select(Interaction.id, Interaction.at, Interaction.learner_id, Interaction.content_id).where(
        Interaction.direction == "mark", Interaction.kind == "lesson_completed"
    )
    return query if since is None else query.where(Interaction.at >= since)


def _answers(since: datetime | None) -> _Query:
    earlier = aliased(QuizAnswer)
    previous_at = (
        select(func.max(earlier.answered_at))
        .where(earlier.attempt_id == QuizAnswer.attempt_id, earlier.id < QuizAnswer.id)
        .scalar_subquery()
    )
    query = select(
        QuizAnswer.id,
        QuizAnswer.answered_at.label("at"),
        QuizAnswer.question_id,
        QuizAnswer.chosen,
        QuizAnswer.correct,
        QuizAttempt.learner_id,
        QuizAttempt.quiz_id,
        QuizAttempt.started_at,
        previous_at.label("previous_at"),
    ).join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
    return query if since is None else query.where(QuizAnswer.answered_at >= since)


def _attempts(since: datetime | None) -> _Query:
    query = select(
        QuizAttempt.id,
        QuizAttempt.finished_at.label("at"),
        QuizAttempt.learner_id,
        QuizAttempt.quiz_id,
        QuizAttempt.question_count,
        QuizAttempt.correct_count,
        QuizAttempt.passed,
        QuizAttempt.started_at,
    ).where(QuizAttempt.finished_at.is_not(None), QuizAttempt.passed.is_not(None))
    return query if since is None else query.where(QuizAttempt.finished_at >= since)


def _ratings(since: datetime | None) -> _Query:
    query = (
        select(
            SurveyAnswer.id,
            SurveyAnswer.answered_at.label("at"),
            SurveyAnswer.survey_id,
            SurveyAnswer.question_id,
            SurveyAnswer.question_type,
            SurveyAnswer.score,
            SurveyResponse.learner_id,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.question_type.in_(("nps", "csat")), SurveyAnswer.score.is_not(None))
    )
    return query if since is None else query.where(SurveyAnswer.answered_at >= since)


def _learners(session: Session, rows: Sequence[_Row], base: str) -> _Learners:
    """Each learner's first identity (the platform they started on) is their actor on
    every statement, so an LRS sees one person even when they later linked another."""
    learner_ids = {row.learner_id for row in rows}
    if not learner_ids:
        return _Learners({}, {})
    named = select(Learner.id, func.trim(Learner.first_name + " " + Learner.last_name))
    names: dict[int, str] = dict(session.execute(named.where(Learner.id.in_(learner_ids))).all())
    actors: dict[int, tuple[Actor, str]] = {}
    identities = session.execute(
        select(
            LearnerIdentity.learner_id,
            LearnerIdentity.platform,
            LearnerIdentity.workspace,
            LearnerIdentity.user_id,
        )
        .where(LearnerIdentity.learner_id.in_(learner_ids))
        .order_by(LearnerIdentity.id.desc())
    ).all()
    for learner_id, platform, workspace, user_id in identities:
        home_page = HOME_PAGES.get(platform, base + platform)
        if platform == "slack":
            home_page += workspace
        actors[learner_id] = (Actor(home_page, user_id, names.get(learner_id) or ""), platform)
    for learner_id in learner_ids - set(actors):  # never linked to a platform: known by our id
        actors[learner_id] = (Actor(base + "learners", str(learner_id), names.get(learner_id) or ""), "")
    enrolments = session.execute(
        select(Enrolment.learner_id, Enrolment.course_id, Enrolment.id).where(
            Enrolment.learner_id.in_(learner_ids)
        )
    ).all()
    return _Learners(actors, {(learner, course): enrolment for learner, course, enrolment in enrolments})
