"""Which campaign a conversion came from: the campaign messages a learner of the converting
customer (or the converting learner) got within the attribution window before it, the
earliest recorded as the first touch and the latest as the last.

A holdout learner is touched by being chosen (`assigned_at`), though sent nothing: their
conversions count against the holdout, so a variant's conversion rate can be compared with
the rate of the same kind of learners left alone. That difference, the lift, is what says
whether the campaign caused the upgrades or only reached people who would have upgraded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import cast

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.content.model import ContentPack
from storage.campaign_models import CampaignAssignment, ConversionTouch
from storage.customer_models import Conversion
from storage.db import Database
from storage.models import Learner, UtcDateTime

_CONVERSIONS = cast(Table, Conversion.__table__)
_ASSIGNMENTS = cast(Table, CampaignAssignment.__table__)
_TOUCHES = cast(Table, ConversionTouch.__table__)
_LEARNERS = cast(Table, Learner.__table__)

CHUNK = 500


class ConversionAttributor:
    """Attributes conversions as they arrive (an import, the records endpoint), each in its
    own transaction after theirs: the `on_conversions` of `bot.customers`."""

    def __init__(self, database: Database, content: Callable[[], ContentPack], window: timedelta) -> None:
        self._database = database
        self._content = content
        self._window = window

    def __call__(self, conversion_ids: Sequence[int]) -> None:
        with self._database.transaction() as session:
            attribute(session, self._content(), self._window, conversion_ids)


@dataclass(frozen=True)
class _Touch:
    assignment_id: int
    campaign_id: str
    variant: str
    at: datetime
    learner_id: int
    customer_id: int | None


def attribute(
    session: Session, content: ContentPack, window: timedelta, conversion_ids: Sequence[int] | None = None
) -> int:
    """Record the first and last touch of each conversion named (None: every conversion not
    attributed yet); how many were attributed. A conversion with no campaign message in
    the window before it stays unattributed (organic)."""
    ids = list(conversion_ids) if conversion_ids is not None else _unattributed(session)
    attributed = 0
    chunks = iter(ids)
    while chunk := list(islice(chunks, CHUNK)):
        attributed += _attribute_chunk(session, content, window, chunk)
    return attributed


def _unattributed(session: Session) -> list[int]:
    touched = select(_TOUCHES.c.conversion_id)
    return list(session.scalars(select(_CONVERSIONS.c.id).where(_CONVERSIONS.c.id.not_in(touched))))


def _attribute_chunk(session: Session, content: ContentPack, window: timedelta, ids: list[int]) -> int:
    conversions = session.execute(
        select(
            _CONVERSIONS.c.id,
            _CONVERSIONS.c.customer_id,
            _CONVERSIONS.c.learner_id,
            _CONVERSIONS.c.converted_at,
        ).where(_CONVERSIONS.c.id.in_(ids))
    ).all()
    customers = {row.customer_id for row in conversions if row.customer_id is not None}
    learners = {row.learner_id for row in conversions if row.learner_id is not None}
    touches = list(_touches(session, customers, learners))
    rows: list[dict[str, object]] = []
    for conversion in conversions:
        before = sorted(
            (
                touch
                for touch in touches
                if _theirs(touch, conversion.learner_id, conversion.customer_id)
                and conversion.converted_at - window <= touch.at <= conversion.converted_at
            ),
            key=lambda touch: (touch.at, touch.assignment_id),
        )
        if before:
            rows += [
                _row(conversion.id, "first", before[0], content),
                _row(conversion.id, "last", before[-1], content),
            ]
    if rows:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(_TOUCHES).on_conflict_do_nothing(), rows)
    return len(rows) // 2


def _theirs(touch: _Touch, learner_id: int | None, customer_id: int | None) -> bool:
    return touch.learner_id == learner_id or (customer_id is not None and touch.customer_id == customer_id)


def _touches(session: Session, customers: Iterable[int], learners: Iterable[int]) -> Iterable[_Touch]:
    """Every campaign touch of these customers' learners and of these learners."""
    touched_at = func.coalesce(_ASSIGNMENTS.c.sent_at, _ASSIGNMENTS.c.assigned_at, type_=UtcDateTime())
    found = session.execute(
        select(
            _ASSIGNMENTS.c.id,
            _ASSIGNMENTS.c.campaign_id,
            _ASSIGNMENTS.c.variant,
            touched_at,
            _LEARNERS.c.id,
            _LEARNERS.c.customer_id,
        )
        .join(_LEARNERS, _LEARNERS.c.id == _ASSIGNMENTS.c.learner_id)
        .where(
            or_(_LEARNERS.c.customer_id.in_(list(customers)), _LEARNERS.c.id.in_(list(learners))),
            or_(
                and_(_ASSIGNMENTS.c.outcome == "queued", _ASSIGNMENTS.c.sent_at.is_not(None)),
                _ASSIGNMENTS.c.outcome == "holdout",
            ),
        )
    )
    for row in found:
        yield _Touch(*row)


def _row(conversion_id: int, model: str, touch: _Touch, content: ContentPack) -> dict[str, object]:
    return {
        "conversion_id": conversion_id,
        "model": model,
        "assignment_id": touch.assignment_id,
        "campaign_id": touch.campaign_id,
        "variant": touch.variant,
        "content_id": _what_was_sent(content, touch),
        "touched_at": touch.at,
    }


def _what_was_sent(content: ContentPack, touch: _Touch) -> str | None:
    campaign = content.campaigns.get(touch.campaign_id)
    variant = (
        next((each for each in campaign.variants if each.id == touch.variant), None) if campaign else None
    )
    if variant is None:
        return None
    sends = variant.sends
    if sends.course_id and sends.lesson_id:
        return f"{sends.course_id}/{sends.lesson_id}"
    return sends.course_id or sends.survey_id
