"""Messages on screen with buttons, kept in the database for whichever process handles the
learner next: saved for several learners at once, found again, forgotten once answered."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.slack.prompts import ShownChanges, find_shown, save_shown
from bot.adapters.slack.updates import Shown
from storage.db import Database

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BLOCKS = ({"type": "section", "block_id": "ask:3:t", "text": {"type": "mrkdwn", "text": "Ready?"}},)


def shown(channel: str, ts: str, prompt_id: str, response_url: str | None = None) -> Shown:
    return Shown(channel, ts, BLOCKS, prompt_id, "ask", response_url)


def test_changes_of_several_learners_are_saved_together_and_found_per_learner(database: Database) -> None:
    with database.transaction() as session:
        save_shown(
            session,
            [
                ShownChanges("T1", "U1", {"3": shown("D1", "1.1", "3")}, NOW),
                ShownChanges("T1", "U2", {"3": shown("D2", "2.2", "3", "https://hooks/x")}, NOW),
                ShownChanges("T2", "U1", {"4": shown("D3", "3.3", "4")}, NOW),
            ],
        )
    with database.transaction() as session:
        assert find_shown(session, "T1", "U1", ["3", "4"]) == {"3": shown("D1", "1.1", "3")}
        assert find_shown(session, "T1", "U2", ["3"]) == {"3": shown("D2", "2.2", "3", "https://hooks/x")}
        assert find_shown(session, "T2", "U1", ["3", "4"]) == {"4": shown("D3", "3.3", "4")}


def test_an_answered_prompt_is_forgotten_and_a_new_one_replaces_an_old_row(database: Database) -> None:
    with database.transaction() as session:
        save_shown(session, [ShownChanges("T1", "U1", {"3": shown("D1", "1.1", "3")}, NOW)])
    with database.transaction() as session:
        save_shown(
            session,
            [
                ShownChanges("T1", "U1", {"3": None, "5": shown("D1", "1.2", "5")}, NOW),
                ShownChanges("T1", "U2", {"5": shown("D2", "2.1", "5")}, NOW),
            ],
        )
        save_shown(session, [ShownChanges("T1", "U2", {"5": shown("D2", "2.9", "5")}, NOW)])
    with database.transaction() as session:
        assert find_shown(session, "T1", "U1", ["3", "5"]) == {"5": shown("D1", "1.2", "5")}
        assert find_shown(session, "T1", "U2", ["5"]) == {"5": shown("D2", "2.9", "5")}
