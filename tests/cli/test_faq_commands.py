"""Support's commands: `lessonloop faq test` and `lessonloop faq gaps` on a seeded history."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.db import Database
from storage.learners import create_learner
from storage.models import FaqQuestion

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


def lessonloop(*arguments: str, database_url: str = "sqlite://") -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "LESSONLOOP_DATABASE_URL": database_url,
            "LESSONLOOP_CONTENT_DIR": str(ROOT / "content"),
        },
        timeout=120,
        check=True,
    )
    return result.stdout


def test_faq_test_shows_the_decision_and_the_scores() -> None:
    lines = lessonloop("faq", "test", "how can I get my money back").splitlines()

    assert lines[0] == "decision: answered (answer at 0.50 with a lead of 0.02, suggest from 0.34)"
    assert lines[1].split()[1:] == ["refunds", "Can", "I", "get", "a", "refund?"]
    assert len(lines) == 4


ANSWERED_WITH = {
    "Can we log in through Okta single sign-on": "sso",
    "How do I reset my password?": "reset-password",
}


def _seed(database: Database) -> None:
    history = [
        ("Do you support single sign-on with Okta?", "unanswered", None, 3),
        ("okta sso?", "unanswered", None, 2),
        ("Can we log in through Okta single sign-on", "answered", "need_human", 1),
        ("Can I pay with bitcoin?", "unanswered", None, 2),
        ("do you accept bitcoin payments", "suggested", "no_match", 1),
        ("How do I reset my password?", "answered", "helped", 1),  # settled: not a gap
        ("Is there a Jira integration?", "unanswered", None, 45),  # older than --days 30
    ]
    with database.transaction() as session:
        learner, _ = create_learner(
            session,
            platform="console",
            workspace="",
            user_id="ann",
            conversation_id="ann",
            first_name="Ann",
            last_name="",
            now=NOW,
        )
        for text, decision, outcome, days_ago in history:
            session.add(
                FaqQuestion(
                    learner_id=learner.id,
                    platform="console",
                    text=text,
                    locale="en",
                    decision=decision,
                    entry_id=ANSWERED_WITH.get(text) if decision == "answered" else None,
                    outcome=outcome,
                    asked_at=NOW - timedelta(days=days_ago),
                )
            )


def test_faq_gaps_groups_what_the_bot_could_not_settle(database: Database, database_url: str) -> None:
    _seed(database)

    lines = lessonloop("faq", "gaps", "--days", "30", database_url=database_url).splitlines()

    assert lines[0] == "5 unsettled questions in the last 30 days, in 2 groups:"
    assert lines[1].startswith(
        "   3 × “Do you support single sign-on with Okta?” (no answer 2, asked for a human 1, last"
    )
    assert lines[2:4] == [
        "       also: “okta sso?”",
        "       also: “Can we log in through Okta single sign-on”",
    ]
    assert lines[4].startswith("   2 × “Can I pay with bitcoin?” (no answer 1, no suggestion fitted 1, last")
    assert lines[5:] == ["       also: “do you accept bitcoin payments”"]


def test_faq_gaps_with_nothing_to_report(database_url: str) -> None:
    assert lessonloop("faq", "gaps", database_url=database_url) == (
        "no unanswered or escalated questions in the last 30 days\n"
    )


def test_faq_report_counts_how_questions_were_settled(database: Database, database_url: str) -> None:
    _seed(database)

    assert lessonloop("faq", "report", "--days", "30", database_url=database_url) == (
        "questions asked in the last 30 days: 6\n"
        "       2  answered\n"
        "       1  resolved: learner pressed Helped\n"
        "       0  resolved: no further question within 24 hours\n"
        "       0  answered less than 24 hours ago, no feedback yet\n"
        "       0  answered, but asked again within 24 hours\n"
        "       1  asked for a human\n"
        "       4  not answered\n"
        "deflection: 16.7% of questions settled without a person\n"
    )
