"""Surveys on their triggers: inviting when a trigger fires, and starting the survey when
the invitation falls due, if it may start then.

A survey declares its `triggers:` in YAML: N days after a learner's first contact, after a
course is completed, every M days, after a hand-off is resolved (a CSAT). Each fires once
per learner (an invitation per survey and reason); a recurring one invites the next time
when it is sent. When it falls due it waits, rather than start: while the learner is in
the middle of a lesson, quiz or survey (it must not interrupt them), inside the quiet
period after their last survey (the `survey_quiet_days` setting), and outside the hours
surveys go out on the learner's clock (`SURVEY_HOURS`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.content.model import (
    AfterCourse,
    AfterHandoffResolved,
    ContentPack,
    DaysAfterFirstContact,
    DeliveryWindow,
    EveryDays,
)
from bot.flows import surveys
from bot.schedule.timing import days_later, is_open, next_opening
from bot.turn import Turn
from storage.survey_invitations import (
    close_invitation,
    cover_invitations,
    find_invitation,
    invite,
    postpone_invitation,
)

SURVEY_HOURS = DeliveryWindow(time(9), time(20))
"""When a survey may go out on the learner's clock: daytime, every day."""
BUSY_RETRY = timedelta(hours=1)
NO_HOLIDAYS: frozenset[date] = frozenset()

FIRST_CONTACT = "first-contact"


def _opening(turn: Turn, at: datetime) -> datetime:
    return next_opening(SURVEY_HOURS, NO_HOLIDAYS, turn.zone, at)


def _days_after(turn: Turn, at: datetime, days: int) -> datetime:
    return days_later(SURVEY_HOURS, NO_HOLIDAYS, turn.zone, at, days)


def on_first_contact(turn: Turn) -> None:
    """A new learner: the surveys due some days after first contact, and the first of each
    recurring survey."""
    for survey in turn.content.surveys.values():
        for trigger in survey.triggers:
            if isinstance(trigger, DaysAfterFirstContact):
                due = _days_after(turn, turn.now, trigger.days)
                invite(
                    turn.session, turn.learner.id, survey.id, reason=FIRST_CONTACT, due_at=due, now=turn.now
                )
            elif isinstance(trigger, EveryDays):
                due = _days_after(turn, turn.now, trigger.days)
                invite(turn.session, turn.learner.id, survey.id, reason="every:1", due_at=due, now=turn.now)


def on_course_completed(turn: Turn, course_id: str) -> None:
    """The surveys asked after `course_id`: due once the lesson that finished it has ended."""
    for survey in turn.content.surveys.values():
        if AfterCourse(course_id) in survey.triggers:
            due = _opening(turn, turn.now)
            reason = f"course:{course_id}"
            invite(turn.session, turn.learner.id, survey.id, reason=reason, due_at=due, now=turn.now)


def surveys_after_handoff(content: ContentPack) -> tuple[str, ...]:
    """The surveys (CSATs) to send once a person from support resolved a learner's question."""
    return tuple(
        survey.id for survey in content.surveys.values() if AfterHandoffResolved() in survey.triggers
    )


def send_invited(turn: Turn, invitation_id: int) -> None:
    """Start the survey invited to, or move the invitation to when it may start."""
    invitation = find_invitation(turn.session, invitation_id)
    if invitation is None or invitation.status != "queued":
        return
    survey = turn.content.surveys.get(invitation.survey_id)
    if survey is None:
        close_invitation(turn.session, invitation.id, "dropped", turn.now)
        return
    last = turn.learner.last_surveyed_at
    if turn.conversation.active is not None:
        postpone_invitation(turn.session, invitation.id, turn.now + BUSY_RETRY)
    elif last is not None and turn.now < last + turn.survey_quiet:
        postpone_invitation(turn.session, invitation.id, _opening(turn, last + turn.survey_quiet))
    elif not is_open(SURVEY_HOURS, NO_HOLIDAYS, turn.zone, turn.now):
        postpone_invitation(turn.session, invitation.id, _opening(turn, turn.now))
    else:
        close_invitation(turn.session, invitation.id, "sent", turn.now)
        cover_invitations(turn.session, turn.learner.id, survey.id, turn.now + turn.survey_quiet, turn.now)
        turn.mark("survey_invited", survey.id, invitation.reason)
        turn.send_text(turn.say("survey_heading", title=turn.text(survey.title)))
        surveys.start(turn, survey)
        _invite_next_time(turn, survey.id, invitation.reason)


def _invite_next_time(turn: Turn, survey_id: str, reason: str) -> None:
    """A recurring survey, sent: its next time is due M days from now."""
    if not reason.startswith("every:"):
        return
    survey = turn.content.surveys[survey_id]
    every = next((trigger for trigger in survey.triggers if isinstance(trigger, EveryDays)), None)
    if every is not None:
        number = int(reason.removeprefix("every:")) + 1
        due = _days_after(turn, turn.now, every.days)
        invite(turn.session, turn.learner.id, survey_id, reason=f"every:{number}", due_at=due, now=turn.now)
