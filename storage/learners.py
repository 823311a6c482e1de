"""Finding the learner behind a platform identity, creating them at first contact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storage.models import Learner, LearnerIdentity


def find_learner(
    session: Session, platform: str, workspace: str, user_id: str, *, lock: bool
) -> tuple[Learner, LearnerIdentity] | None:
    """The learner known as `user_id` on `platform`; `lock` holds their row until commit.

    Locking serialises one learner's events across processes on PostgreSQL, so two
    workers never both read the same step and both write the next one.
    """
    query = _FIND_LOCKED if lock else _FIND
    row = session.execute(query, {"platform": platform, "workspace": workspace, "user_id": user_id}).first()
    return (row[0], row[1]) if row else None


# Built once: this runs for every event, and a prebuilt statement keeps its cache key.
_FIND = (
    select(Learner, LearnerIdentity)
    .join(LearnerIdentity, LearnerIdentity.learner_id == Learner.id)
    .where(
        LearnerIdentity.platform == bindparam("platform"),
        LearnerIdentity.workspace == bindparam("workspace"),
        LearnerIdentity.user_id == bindparam("user_id"),
    )
)
_FIND_LOCKED = _FIND.with_for_update(of=Learner)


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
) -> tuple[Learner, LearnerIdentity]:
    learner = Learner(
        first_name=first_name,
        last_name=last_name,
        subscribed=True,
        attributes={},
        answers={},
        conversation="",
        created_at=now,
        last_seen_at=now,
    )
    session.add(learner)
    session.flush()
    identity = LearnerIdentity(
        learner_id=learner.id,
        platform=platform,
        workspace=workspace,
        user_id=user_id,
        conversation_id=conversation_id,
        created_at=now,
    )
    session.add(identity)
    session.flush()
    return learner, identity
