"""What support did and what the bot settled without it, in a period: the FAQ's deflection
(`storage.metrics`, hard and soft), the hand-offs to people, how long they took, and the
questions nobody answered.

- Escalations: hand-offs opened in the period, whatever their reason.
- Time to hand-off: from the learner's question (the FAQ question it came from; the
  hand-off's opening when there is none) to its first delivery posted to a support
  destination, i.e. until a person could see it. Hand-offs never delivered are left out.
- Time to the first human reply: from the hand-off's opening to the first support reply
  relayed to the learner (the `support_replied` mark `bot.handoff.cases.relay_reply`
  writes). Replies support gave outside Lessonloop (by mail, by phone) are not recorded.
- Top unanswered: the unsettled questions (`storage.metrics.UNSETTLED`, the same as the
  `faq gaps` report) grouped by their stemmed words (`bot.faq.lexical.terms`), so
  "Export to Excel?" and "export to excel" are one. `faq gaps` groups by meaning with
  the sentence model; a report must run without it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Select, String, Table, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from bot.faq.lexical import terms
from bot.metrics.periods import Period
from bot.metrics.segment import ReportSegment, segment_learners
from storage.metrics import UNSETTLED, deflection_between
from storage.models import FaqQuestion, Handoff, HandoffDelivery, Interaction

TOP_UNANSWERED = 10

_HANDOFFS = cast(Table, Handoff.__table__)
_DELIVERIES = cast(Table, HandoffDelivery.__table__)
_INTERACTIONS = cast(Table, Interaction.__table__)
_QUESTIONS = cast(Table, FaqQuestion.__table__)


@dataclass(frozen=True)
class UnansweredTopic:
    question: str
    """The wording asked most often."""
    count: int
    last_asked: datetime


@dataclass(frozen=True)
class SupportReport:
    asked: int
    answered: int
    hard_resolved: int
    soft_resolved: int
    pending: int
    """Answered less than a day before `now`, with no feedback: may still become soft."""
    deflection_rate: float | None
    escalations: int
    escalation_reasons: tuple[tuple[str, int], ...]
    """(need_human, unanswered, no_match) with their counts, most frequent first."""
    delivered: int
    """Escalations posted to a support destination."""
    replied: int
    """Escalations a person replied to through Lessonloop."""
    resolved: int
    median_minutes_to_handoff: float | None
    median_minutes_to_first_human_reply: float | None
    top_unanswered: tuple[UnansweredTopic, ...]


def support_report(
    session: Session, period: Period, segment: ReportSegment, now: datetime, default_locale: str
) -> SupportReport:
    learners = None if segment.everyone else segment_learners(segment, now, default_locale)
    figures = deflection_between(session, period.start, now, until=period.end, learners=learners)
    handoffs = _handoffs(session, period, learners)
    to_handoff = [
        (row.delivered - (row.asked_at or row.opened_at)).total_seconds() / 60
        for row in handoffs
        if row.delivered is not None
    ]
    to_reply = [
        (row.first_reply - row.opened_at).total_seconds() / 60
        for row in handoffs
        if row.first_reply is not None
    ]
    reasons = Counter(row.reason for row in handoffs)
    return SupportReport(
        asked=figures.asked,
        answered=figures.answered,
        hard_resolved=figures.hard_resolved,
        soft_resolved=figures.soft_resolved,
        pending=figures.pending,
        deflection_rate=figures.deflection_rate if figures.asked else None,
        escalations=len(handoffs),
        escalation_reasons=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
        delivered=len(to_handoff),
        replied=len(to_reply),
        resolved=sum(1 for row in handoffs if row.resolved_at is not None and row.resolved_at <= now),
        median_minutes_to_handoff=statistics.median(to_handoff) if to_handoff else None,
        median_minutes_to_first_human_reply=statistics.median(to_reply) if to_reply else None,
        top_unanswered=_top_unanswered(session, period, learners),
    )


@dataclass(frozen=True)
class _Escalation:
    reason: str
    asked_at: datetime | None
    opened_at: datetime
    delivered: datetime | None
    first_reply: datetime | None
    resolved_at: datetime | None


def _handoffs(session: Session, period: Period, learners: Select[tuple[int]] | None) -> list[_Escalation]:
    """The period's hand-offs, one row each, with when they were delivered and replied to."""
    handoff, delivery, log = _HANDOFFS.c, _DELIVERIES.c, _INTERACTIONS.c
    delivered = (
        select(delivery.handoff_id, func.min(delivery.sent_at).label("at"))
        .where(delivery.status == "sent")
        .group_by(delivery.handoff_id)
        .subquery()
    )
    replied = (
        select(log.content_id, func.min(log.at).label("at"))
        .where(log.kind == "support_replied", log.at >= period.start)
        .group_by(log.content_id)
        .subquery()
    )
    where = [handoff.opened_at >= period.start, handoff.opened_at < period.end]
    if learners is not None:
        where.append(handoff.learner_id.in_(learners))
    rows = session.execute(
        select(
            handoff.reason,
            _QUESTIONS.c.asked_at,
            handoff.opened_at,
            delivered.c.at,
            replied.c.at,
            handoff.resolved_at,
        )
        .select_from(
            _HANDOFFS.outerjoin(_QUESTIONS, _QUESTIONS.c.id == handoff.faq_question_id)
            .outerjoin(delivered, delivered.c.handoff_id == handoff.id)
            .outerjoin(replied, replied.c.content_id == sql_cast(handoff.id, String))
        )
        .where(*where)
    ).all()
    return [_Escalation(*row) for row in rows]


def _top_unanswered(
    session: Session, period: Period, learners: Select[tuple[int]] | None
) -> tuple[UnansweredTopic, ...]:
    """Grouped by exact wording in the database, then by stemmed words here."""
    question = _QUESTIONS.c
    where = [question.asked_at >= period.start, question.asked_at < period.end, UNSETTLED]
    if learners is not None:
        where.append(question.learner_id.in_(learners))
    rows = session.execute(
        select(question.text, question.locale, func.count(), func.max(question.asked_at))
        .where(*where)
        .group_by(question.text, question.locale)
    ).all()
    counts: Counter[str] = Counter()
    wordings: dict[str, Counter[str]] = {}
    last_asked: dict[str, datetime] = {}
    for text, locale, count, last in rows:
        key = " ".join(terms(text, locale.split("-")[0])) or text.strip().casefold()
        counts[key] += count
        wordings.setdefault(key, Counter())[text.strip()] += count
        last_asked[key] = max(last, last_asked.get(key, last))
    ranked = sorted(counts, key=lambda key: (-counts[key], key))[:TOP_UNANSWERED]
    return tuple(
        UnansweredTopic(
            question=min(wordings[key].items(), key=lambda item: (-item[1], item[0]))[0],
            count=counts[key],
            last_asked=last_asked[key],
        )
        for key in ranked
    )
