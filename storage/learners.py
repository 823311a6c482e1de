"""Finding the learner behind a platform identity, creating them at first contact, and
saving what an event changed about them.

Every event reads and writes one learner, so this is the hottest path in the product. It
uses Core statements and a plain `LearnerRecord` rather than the ORM: loading an ORM
entity and flushing it through the unit of work cost more than the rest of an event's
SQL together (see bench/engine.py). Only the columns an event changed are written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage.models import Learner, LearnerIdentity

_LEARNERS = cast(Table, Learner.__table__)
_IDENTITIES = cast(Table, LearnerIdentity.__table__)


@dataclass
class LearnerRecord:
    """A learner's row as the engine reads and changes it during one event.

    Dict fields are replaced, never changed in place, so `save_learner` can tell what
    changed by comparing with the copy taken at load.
    """

    id: int
    first_name: str
    last_name: str
    locale: str | None
    locale_hint: str | None
    timezone: str | None
    chosen_timezone: str | None
    timezone_asked_at: datetime | None
    subscribed: bool
    source: str | None
    attributes: dict[str, str]
    answers: dict[str, str]
    conversation: str
    created_at: datetime
    last_seen_at: datetime
    unreachable_at: datetime | None = None
    """Set when a platform said the learner blocked the bot; cleared when they write again."""
    waiting_since: datetime | None = None
    """Since when a lesson step of a course with reminders has waited for them."""
    reminders_sent: int = 0
    reminder_due_at: datetime | None = None
    paused_at: datetime | None = None
    """Set after the last unanswered nudge; cleared when they write again."""
    last_surveyed_at: datetime | None = None
    customer_id: int | None = None
    """The company's customer this learner is (`storage.customer_links`)."""
    referred_by_id: int | None = None
    """The learner whose invite link brought this one."""


@dataclass(frozen=True)
class IdentityRecord:
    id: int
    conversation_id: str


_COLUMNS = [field.name for field in fields(LearnerRecord)]
_FIND = (
    select(*(_LEARNERS.c[name] for name in _COLUMNS), _IDENTITIES.c.id, _IDENTITIES.c.conversation_id)
    .join(_IDENTITIES, _IDENTITIES.c.learner_id == _LEARNERS.c.id)
    .where(
        _IDENTITIES.c.platform == bindparam("platform"),
        _IDENTITIES.c.workspace == bindparam("workspace"),
        _IDENTITIES.c.user_id == bindparam("user_id"),
    )
)
_FIND_LOCKED = _FIND.with_for_update(of=_LEARNERS)


def find_learner(
    session: Session, platform: str, workspace: str, user_id: str, *, lock: bool
) -> tuple[LearnerRecord, IdentityRecord] | None:
    """The learner known as `user_id` on `platform`; `lock` holds their row until commit.

    Locking serialises one learner's events across processes on PostgreSQL, so two
    workers never both read the same step and both write the next one.
    """
    query = _FIND_LOCKED if lock else _FIND
    parameters = {"platform": platform, "workspace": workspace, "user_id": user_id}
    row = session.connection().execute(query, parameters).first()
    if row is None:
        return None
    values = tuple(row)
    learner = LearnerRecord(*values[: len(_COLUMNS)])
    return learner, IdentityRecord(values[-2], values[-1])


_BY_ID = select(*(_LEARNERS.c[name] for name in _COLUMNS)).where(_LEARNERS.c.id == bindparam("learner_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()


def load_learner(session: Session, learner_id: int, *, lock: bool) -> LearnerRecord | None:
    """The learner with this id (when the bot speaks first, there is no platform event to
    find them by); `lock` as in `find_learner`."""
    row = session.connection().execute(_BY_ID_LOCKED if lock else _BY_ID, {"learner_id": learner_id}).first()
    return None if row is None else LearnerRecord(*tuple(row))


_EXISTS = select(_LEARNERS.c.id).where(_LEARNERS.c.id == bindparam("learner_id"))


def learner_exists(session: Session, learner_id: int) -> bool:
    return session.connection().execute(_EXISTS, {"learner_id": learner_id}).first() is not None


def create_learner(
    session: Session,
    *,
    platform: str,
    workspace: str,
    user_id: str,
    conversation_id: str,
    first_name: str,
    last_name: str,
    now: datetime,
) -> tuple[LearnerRecord, IdentityRecord]:
    learner = LearnerRecord(
        id=0,
        first_name=first_name,
        last_name=last_name,
        locale=None,
        locale_hint=None,
        timezone=None,
        chosen_timezone=None,
        timezone_asked_at=None,
        subscribed=True,
        source=None,
        attributes={},
        answers={},
        conversation="",
        created_at=now,
        last_seen_at=now,
    )
    connection = session.connection()
    values = {name: getattr(learner, name) for name in _COLUMNS if name != "id"}
    learner.id = connection.execute(insert(_LEARNERS).returning(_LEARNERS.c.id), values).scalar_one()
    identity_id = connection.execute(
        insert(_IDENTITIES).returning(_IDENTITIES.c.id),
        {
            "learner_id": learner.id,
            "platform": platform,
            "workspace": workspace,
            "user_id": user_id,
            "conversation_id": conversation_id,
            "created_at": now,
        },
    ).scalar_one()
    return learner, IdentityRecord(identity_id, conversation_id)


def snapshot(learner: LearnerRecord) -> LearnerRecord:
    """A copy to compare with after the event (dicts are replaced, so a shallow copy does)."""
    return replace(learner)


def save_learner(session: Session, before: LearnerRecord, after: LearnerRecord) -> None:
    """Write the columns the event changed, and nothing if it changed none."""
    changed: dict[str, Any] = {
        name: getattr(after, name) for name in _COLUMNS if getattr(after, name) != getattr(before, name)
    }
    if changed:
        statement = _update_statement(frozenset(changed))
        session.connection().execute(statement, {**changed, "learner_id": after.id})


@functools.cache
def _update_statement(columns: frozenset[str]) -> Update:
    """One prepared UPDATE per set of changed columns (a handful occur), so it is compiled once."""
    return (
        update(_LEARNERS)
        .where(_LEARNERS.c.id == bindparam("learner_id"))
        .values({name: bindparam(name, type_=_LEARNERS.c[name].type) for name in sorted(columns)})
    )


def move_conversation(session: Session, identity: IdentityRecord, conversation_id: str) -> None:
    """Remember the new address to write to (a user can reinstall or change DMs)."""
    session.connection().execute(
        update(_IDENTITIES).where(_IDENTITIES.c.id == identity.id).values(conversation_id=conversation_id)
    )
