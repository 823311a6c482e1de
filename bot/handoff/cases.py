"""Handing a learner's question to a person, and bringing the person's answer back.

A hand-off opens, in the same transaction as the event that asked for it, when the learner
presses "Need a human", when no FAQ answer fitted, or when none of the "Did you mean"
candidates did; but only when a support destination is configured (`config.HandoffSettings`), else
the learner gets the FAQ file's support contact as before. The hand-off and one delivery
per destination are rows (`storage.handoffs`); the dispatcher of each running process
sends them (`bot.handoff.dispatch`). What support does next (a reply in the Slack thread,
a reply to the Telegram message, a helpdesk's signed POST, "Mark resolved") comes back
through `relay_reply` and `resolve`, which queue a message to the learner.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.phrases import phrase
from bot.turn import Turn
from storage.db import Database
from storage.events import claim_event
from storage.handoffs import HandoffCase, find_case, mark_resolved, open_handoff, recent_turns
from storage.interactions import LoggedInteraction, record_interactions
from storage.learner_messages import queue_learner_message
from storage.survey_invitations import invite

log = logging.getLogger(__name__)

REASONS = {
    "need_human": "pressed “Need a human” after an answer",
    "unanswered": "the FAQ had no answer",
    "no_match": "none of the suggested questions fitted",
}
"""Why a hand-off was opened, as support reads it."""


def hand_off(turn: Turn, reason: str, question: str, faq_question_id: int | None) -> bool:
    """Open a hand-off for `question` and tell the learner a person will reply; False (and
    nothing done) when no destination is configured."""
    support = turn.handoff
    if not support.destinations:
        return False
    transcript = recent_turns(turn.session, turn.learner.id)
    handoff_id = open_handoff(
        turn.session,
        learner_id=turn.learner.id,
        platform=turn.platform,
        locale=turn.locale,
        faq_question_id=faq_question_id,
        reason=reason,
        question=question,
        transcript=transcript,
        destinations=support.destinations,
        now=turn.now,
    )
    turn.mark("handoff_opened", str(handoff_id), reason)
    log.info("handoff_opened %s (%s) for learner %s", handoff_id, reason, turn.learner.id)
    lines = [turn.say("handoff_opened")]
    if support.hours:
        lines.append(turn.say("handoff_hours", hours=support.hours))
    turn.send_text("\n".join(lines))
    return True


def relay_reply(
    database: Database, handoff_id: int, agent: str, text: str, now: datetime, *, delivery_key: str
) -> bool:
    """Queue a support agent's reply to the learner of the hand-off; False if it was relayed
    already (`delivery_key` names the platform's delivery, so a redelivery does nothing),
    if there is no such hand-off, or if the learner cannot be reached on their platform."""
    with database.transaction() as session:
        if not claim_event(session, "support", delivery_key, now):
            return False
        case = find_case(session, handoff_id)
        if case is None:
            return False
        name = agent or phrase("support_agent", case.locale)
        message = phrase("support_reply", case.locale, agent=name, text=text)
        if not queue_learner_message(
            session, case.learner_id, case.platform, kind="support_reply", text=message, now=now
        ):
            return False
        record_interactions(
            session,
            case.learner_id,
            case.platform,
            now,
            [LoggedInteraction("mark", "support_replied", str(case.id), text)],
        )
    log.info("support_replied to hand-off %s", handoff_id)
    return True


def resolve(
    database: Database, handoff_id: int, by: str, now: datetime, surveys: tuple[str, ...] = ()
) -> HandoffCase | None:
    """Mark the hand-off resolved, queue a note to the learner and invite them to `surveys`
    (the CSATs of `bot.flows.invitations`); the case as it is now, or None if there is no
    such hand-off. Resolving twice does nothing the second time."""
    with database.transaction() as session:
        case = find_case(session, handoff_id)
        if case is None:
            return None
        if mark_resolved(session, handoff_id, by, now):
            note = phrase("handoff_resolved", case.locale, question=_shortened(case.question))
            queue_learner_message(
                session, case.learner_id, case.platform, kind="handoff_resolved", text=note, now=now
            )
            record_interactions(
                session,
                case.learner_id,
                case.platform,
                now,
                [LoggedInteraction("mark", "handoff_resolved", str(case.id), by)],
            )
            for survey_id in surveys:  # after the note: the sweep queues it later
                reason = f"handoff:{case.id}"
                invite(session, case.learner_id, survey_id, reason=reason, due_at=now, now=now)
            log.info("handoff_resolved %s by %s", handoff_id, by)
        return find_case(session, handoff_id)


def _shortened(question: str, limit: int = 120) -> str:
    return question if len(question) <= limit else question[: limit - 1].rstrip() + "…"
