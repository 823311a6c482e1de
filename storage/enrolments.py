"""A learner's enrolments as one event reads and changes them: read once, written back
with only the columns that changed.

A scheduled lesson reads the enrolment, runs the lesson and moves the enrolment on, so
this is on the path of every lesson the bot sends. Like `storage.learners` it uses Core
statements and plain records: an ORM entity's load and its flush through the unit of work
cost more than the rest of such a turn's SQL together. `TurnEnrolments` is what a turn
holds: the records it read or made, compared with their state at load when the turn ends.
A list of all the learner's enrolments (`all`) writes the changes first, so it never shows
a stale one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage.models import Enrolment

_ENROLMENTS = cast(Table, Enrolment.__table__)


@dataclass
class EnrolmentRecord:
    """A learner in a course: where they are and whether they finished.

    `completed_lessons` is replaced, never changed in place, so a change shows against the
    copy taken at load."""

    id: int
    learner_id: int
    course_id: str
    status: str
    """active, completed"""
    lesson_id: str | None
    """The lesson the learner is in or will start next; None once the course is done."""
    completed_lessons: list[str]
    source: str | None
    started_at: datetime
    last_activity_at: datetime
    completed_at: datetime | None = None
    next_due_at: datetime | None = None
    """When the next lesson is due to be sent (`storage.due_lessons`)."""


_COLUMNS = [field.name for field in fields(EnrolmentRecord)]
_SELECT = select(*(_ENROLMENTS.c[name] for name in _COLUMNS))
_ONE = _SELECT.where(
    _ENROLMENTS.c.learner_id == bindparam("learner_id"), _ENROLMENTS.c.course_id == bindparam("course_id")
)
_ALL = _SELECT.where(_ENROLMENTS.c.learner_id == bindparam("learner_id")).order_by(
    _ENROLMENTS.c.started_at, _ENROLMENTS.c.id
)
_INSERT = insert(_ENROLMENTS).returning(_ENROLMENTS.c.id)


def learner_enrolments(session: Session, learner_id: int) -> list[EnrolmentRecord]:
    """Every course the learner enrolled in, the first started first."""
    rows = session.connection().execute(_ALL, {"learner_id": learner_id})
    return [EnrolmentRecord(*tuple(row)) for row in rows]


class TurnEnrolments:
    """The enrolments of one learner that one event read or made."""

    def __init__(self, session: Session, learner_id: int) -> None:
        self._session = session
        self._learner_id = learner_id
        self._records: dict[str, EnrolmentRecord] = {}
        self._as_loaded: dict[str, EnrolmentRecord | None] = {}
        """Each record as it is in the database (None: not inserted yet)."""

    def find(self, course_id: str) -> EnrolmentRecord | None:
        """The learner's enrolment in `course_id`, read at most once in the turn."""
        known = self._records.get(course_id)
        if known is not None:
            return known
        row = self._session.connection().execute(
            _ONE, {"learner_id": self._learner_id, "course_id": course_id}
        )
        found = row.first()
        if found is None:
            return None
        record = EnrolmentRecord(*tuple(found))
        self._records[course_id], self._as_loaded[course_id] = record, replace(record)
        return record

    def add(self, record: EnrolmentRecord) -> None:
        """A new enrolment, inserted when the turn's changes are written."""
        self._records[record.course_id], self._as_loaded[record.course_id] = record, None

    def all(self) -> list[EnrolmentRecord]:
        """Every enrolment of the learner, with this turn's changes (written first)."""
        self.save()
        return [
            self._records.get(each.course_id, each)
            for each in learner_enrolments(self._session, self._learner_id)
        ]

    def save(self) -> None:
        """Write what changed since load (insert what is new), and nothing else."""
        connection = self._session.connection()
        for course_id, record in self._records.items():
            before = self._as_loaded[course_id]
            if before is None:
                values = {name: getattr(record, name) for name in _COLUMNS if name != "id"}
                record.id = connection.execute(_INSERT, values).scalar_one()
            else:
                changed = _changed(before, record)
                if not changed:
                    continue
                connection.execute(
                    _update_statement(frozenset(changed)), {**changed, "enrolment_id": record.id}
                )
            self._as_loaded[course_id] = replace(record)


def _changed(before: EnrolmentRecord, after: EnrolmentRecord) -> dict[str, Any]:
    return {name: getattr(after, name) for name in _COLUMNS if getattr(after, name) != getattr(before, name)}


@functools.cache
def _update_statement(columns: frozenset[str]) -> Update:
    """One prepared UPDATE per set of changed columns (a handful occur), compiled once."""
    return (
        update(_ENROLMENTS)
        .where(_ENROLMENTS.c.id == bindparam("enrolment_id"))
        .values({name: bindparam(name, type_=_ENROLMENTS.c[name].type) for name in sorted(columns)})
    )
