"""The support report on a hand-built week: the period is the week of Monday 2 March 2026
(UTC), `NOW` is three weeks later."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from bot.metrics.periods import period_containing
from bot.metrics.segment import ReportSegment
from bot.metrics.support import SupportReport, UnansweredTopic, support_report
from storage.db import Database
from storage.models import FaqQuestion, Handoff, HandoffDelivery
from tests.metrics.hand_built import customer, learner, logged

EVERYONE = ReportSegment()
WEEK = period_containing("week", date(2026, 3, 2), ZoneInfo("UTC"))
NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
_QUESTIONS = cast(Table, FaqQuestion.__table__)
_HANDOFFS = cast(Table, Handoff.__table__)
_DELIVERIES = cast(Table, HandoffDelivery.__table__)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _asked(
    session: Session,
    learner_id: int,
    text: str,
    asked: datetime,
    *,
    entry: str | None = None,
    outcome: str | None = None,
    decision: str | None = None,
) -> int:
    found: int = session.execute(
        insert(_QUESTIONS).returning(_QUESTIONS.c.id),
        {
            "learner_id": learner_id,
            "platform": "console",
            "text": text,
            "locale": "en",
            "decision": decision or ("answered" if entry else "unanswered"),
            "entry_id": entry,
            "candidates": {},
            "outcome": outcome,
            "asked_at": asked,
        },
    ).scalar_one()
    return found


def _handed_off(
    session: Session,
    learner_id: int,
    question_id: int | None,
    reason: str,
    opened: datetime,
    *,
    sent: tuple[datetime | None, ...] = (),
    replies: tuple[datetime, ...] = (),
    resolved: datetime | None = None,
) -> None:
    handoff_id = session.execute(
        insert(_HANDOFFS).returning(_HANDOFFS.c.id),
        {
            "learner_id": learner_id,
            "platform": "console",
            "locale": "en",
            "faq_question_id": question_id,
            "reason": reason,
            "question": "?",
            "transcript": [],
            "status": "resolved" if resolved else "open",
            "opened_at": opened,
            "resolved_at": resolved,
        },
    ).scalar_one()
    for destination, sent_at in zip(("slack", "webhook"), sent, strict=False):
        session.execute(
            insert(_DELIVERIES),
            {
                "handoff_id": handoff_id,
                "destination": destination,
                "status": "sent" if sent_at else "failed",
                "attempts": 1,
                "next_attempt_at": opened,
                "sent_at": sent_at,
            },
        )
    logged(session, learner_id, replies, direction="mark", kind="support_replied", content_id=str(handoff_id))


def _history(database: Database) -> None:
    with database.transaction() as session:
        pro = customer(session, "pro-customer", NOW, plan="pro")
        ann, bob, dan, eve = (learner(session, name, at(1, 8)) for name in ("ann", "bob", "dan", "eve"))
        cem = learner(session, "cem", at(1, 8), pro)

        _asked(session, ann, "refunds?", at(2, 10), entry="refunds", outcome="helped")  # hard
        _asked(session, ann, "vat?", at(3, 10), entry="vat")  # soft: nothing for a day
        _asked(session, bob, "sso?", at(8, 20), entry="sso")  # asked again the next week, within a day
        _asked(session, bob, "sso again?", at(9, 8), entry="sso-setup")  # not this week's
        excel = _asked(session, cem, "How do I export to Excel?", at(4, 10))
        _asked(session, cem, "how do I  export to excel", at(5, 10))
        refund = _asked(session, dan, "Where is my refund?", at(6, 9), entry="refunds", outcome="need_human")
        invoice = _asked(
            session, eve, "Can I pay by invoice?", at(7, 10), decision="suggested", outcome="no_match"
        )
        _asked(session, eve, "export to excel", datetime(2026, 2, 20, tzinfo=UTC))  # before the week

        _handed_off(
            session,
            cem,
            excel,
            "unanswered",
            at(4, 10),
            sent=(at(4, 10, 2), at(4, 10, 5)),  # support could see it 2 minutes after
            replies=(at(4, 10, 30), at(4, 11)),  # first human reply after 30 minutes
            resolved=at(4, 12),
        )
        _handed_off(
            session, dan, refund, "need_human", at(6, 9, 10), sent=(at(6, 9, 16),), replies=(at(6, 13, 10),)
        )  # asked at 9:00: 16 minutes to a person, 240 to a reply
        _handed_off(session, eve, invoice, "no_match", at(7, 10), sent=(None,))  # never delivered
        _handed_off(session, eve, None, "unanswered", datetime(2026, 2, 27, tzinfo=UTC), replies=(at(2, 9),))


def test_a_week_of_support(database: Database) -> None:
    _history(database)

    with database.transaction() as session:
        report = support_report(session, WEEK, EVERYONE, NOW, "en")

    assert report == SupportReport(
        asked=7,
        answered=4,
        hard_resolved=1,
        soft_resolved=1,
        pending=0,
        deflection_rate=2 / 7,
        escalations=3,
        escalation_reasons=(("need_human", 1), ("no_match", 1), ("unanswered", 1)),
        delivered=2,
        replied=2,
        resolved=1,
        median_minutes_to_handoff=9.0,
        median_minutes_to_first_human_reply=135.0,
        top_unanswered=(
            UnansweredTopic("How do I export to Excel?", 2, at(5, 10)),
            UnansweredTopic("Can I pay by invoice?", 1, at(7, 10)),
            UnansweredTopic("Where is my refund?", 1, at(6, 9)),
        ),
    )


def test_a_segment_and_an_empty_week(database: Database) -> None:
    _history(database)

    with database.transaction() as session:
        pro = support_report(session, WEEK, ReportSegment(plans=("pro",)), NOW, "en")
        empty = support_report(
            session, period_containing("week", date(2026, 2, 9), ZoneInfo("UTC")), EVERYONE, NOW, "en"
        )

    assert (pro.asked, pro.answered, pro.escalations, pro.median_minutes_to_first_human_reply) == (
        2,
        0,
        1,
        30.0,
    )
    assert pro.top_unanswered == (UnansweredTopic("How do I export to Excel?", 2, at(5, 10)),)
    assert empty == SupportReport(0, 0, 0, 0, 0, None, 0, (), 0, 0, 0, None, None, ())
