"""Deflection figures from a seeded history of questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.learners import create_learner
from storage.metrics import Deflection, deflection
from storage.models import FaqQuestion

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _ask(database: Database, user: str, history: list[tuple[float, str | None, str | None]]) -> None:
    """`history`: (hours ago, answered entry or None, outcome) per question."""
    with database.transaction() as session:
        learner, _ = create_learner(
            session,
            platform="telegram",
            workspace="",
            user_id=user,
            conversation_id=user,
            first_name=user,
            last_name="",
            now=NOW,
        )
        for hours_ago, entry_id, outcome in history:
            session.add(
                FaqQuestion(
                    learner_id=learner.id,
                    platform="telegram",
                    text="?",
                    locale="en",
                    decision="answered" if entry_id else "unanswered",
                    entry_id=entry_id,
                    outcome=outcome,
                    asked_at=NOW - timedelta(hours=hours_ago),
                )
            )


def test_hard_and_soft_resolutions_are_counted_apart(database: Database) -> None:
    _ask(database, "ann", [(100, "refunds", "helped"), (90, "vat", None), (10, "invoices", None)])
    _ask(database, "bob", [(80, "sso", None), (79, "sso-setup", None), (50, "sso-setup", "need_human")])
    _ask(database, "cem", [(30, None, None), (1000, "refunds", None)])

    figures = deflection(database, NOW - timedelta(days=30), NOW)

    assert figures == Deflection(
        asked=7,
        answered=6,
        hard_resolved=1,  # ann pressed Helped
        soft_resolved=2,  # ann's VAT answer (silence for 80 hours), bob's second SSO answer (29 hours)
        pending=1,  # ann's invoices answer is 10 hours old
        asked_again=1,  # bob asked again one hour after the first SSO answer
        escalated=1,
        unanswered=1,
    )
    assert round(figures.deflection_rate, 3) == 0.429
