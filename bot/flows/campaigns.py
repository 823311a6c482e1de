"""A campaign's message to one learner, worded when it is sent: a course (or one lesson of
it), a survey, or a message with a call-to-action link, as the learner's variant says.

It fits where the learner is, as scheduled lessons do: outside the campaign's window it
waits for the next opening; a learner in the middle of something is offered the course
with a button rather than pulled out of what they are doing (a survey waits an hour). A
message of a campaign that was paused meanwhile, or left the content, is not sent.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.content.model import Campaign, CampaignSends, CampaignVariant
from bot.flows import lessons, surveys
from bot.messages import Choice, ChoicePrompt
from bot.schedule.timing import is_open, next_opening
from bot.state import PromptKind
from bot.turn import Turn
from storage.campaigns import (
    HELD,
    QUEUED,
    Assignment,
    find_assignment,
    launch_status,
    mark_assignment_sent,
    queue_again,
)

BUSY_RETRY = timedelta(hours=1)
NO_HOLIDAYS: frozenset[date] = frozenset()


def send(turn: Turn, assignment_id: int) -> None:
    """Send the learner their variant of the campaign, if it still runs and fits now."""
    found = _campaign_of(turn, assignment_id)
    if found is None:
        return
    assignment, campaign, variant = found
    if launch_status(turn.session, campaign.id) == "paused":
        queue_again(turn.session, assignment.id, turn.now, turn.now, status=HELD)
        return
    if not is_open(campaign.window, NO_HOLIDAYS, turn.zone, turn.now):
        opens = next_opening(campaign.window, NO_HOLIDAYS, turn.zone, turn.now)
        queue_again(turn.session, assignment.id, opens, turn.now)
        return
    busy = turn.conversation.active is not None or turn.learner.paused_at is not None
    if busy and variant.sends.survey_id is not None:
        queue_again(turn.session, assignment.id, turn.now + BUSY_RETRY, turn.now)
        return
    if _say(turn, campaign, variant.sends, busy=busy):
        mark_assignment_sent(turn.session, assignment.id, turn.now)
        turn.mark("campaign_sent", campaign.id, variant.id)


def retell(turn: Turn, assignment_id: int) -> None:
    """Tried again after its sender died, once its turn had committed, with nothing left
    open to show again (the caller shows an open step): if the learner has done nothing
    since, the platform may never have shown it, so a message is sent again and a lesson
    that ran to its end is told again (`lessons.retell_if_unseen`)."""
    found = _campaign_of(turn, assignment_id, retaken=True)
    if found is None:
        return
    assignment, campaign, variant = found
    sends = variant.sends
    if assignment.sent_at is None or turn.learner.last_seen_at > assignment.sent_at:
        return
    if sends.message is not None:
        _say(turn, campaign, sends, busy=False)
        turn.mark("campaign_retold", campaign.id, variant.id)
    elif sends.course_id is not None:
        enrolment = lessons.enrolment_in(turn, sends.course_id)
        finished = enrolment.completed_lessons[-1:] if enrolment is not None else []
        lesson_id = sends.lesson_id or next(iter(finished), None)
        if lesson_id is not None:
            lessons.retell_if_unseen(turn, sends.course_id, lesson_id)


def sample(turn: Turn, campaign: Campaign, variant: CampaignVariant) -> None:
    """What the variant sends to a learner with nothing open, for a preview."""
    _say(turn, campaign, variant.sends, busy=False)


def _campaign_of(
    turn: Turn, assignment_id: int, *, retaken: bool = False
) -> tuple[Assignment, Campaign, CampaignVariant] | None:
    assignment = find_assignment(turn.session, assignment_id)
    if assignment is None or assignment.outcome != QUEUED or (assignment.sent_at is not None and not retaken):
        return None
    campaign = turn.content.campaigns.get(assignment.campaign_id)
    variant = (
        next((each for each in campaign.variants if each.id == assignment.variant), None)
        if campaign
        else None
    )
    if campaign is None or variant is None:
        turn.mark("campaign_dropped", assignment.campaign_id, assignment.variant)
        return None
    return assignment, campaign, variant


def _say(turn: Turn, campaign: Campaign, sends: CampaignSends, *, busy: bool) -> bool:
    """Word what the variant sends; False if its course or survey left the content."""
    if sends.message is not None:
        label = turn.text(sends.message.button)
        link = Choice(f"campaign.{campaign.id}", label, url=sends.message.url)
        turn.send(ChoicePrompt(turn.text(sends.message.text), (link,)))
        return True
    if sends.survey_id is not None:
        survey = turn.content.surveys.get(sends.survey_id)
        if survey is None:
            return False
        turn.send_text(turn.say("survey_heading", title=turn.text(survey.title)))
        surveys.start(turn, survey)
        return True
    course = turn.content.courses.get(sends.course_id or "")
    if course is None:
        return False
    if busy:
        title = turn.text(course.title)
        start = turn.say("campaign_course_start")
        turn.ask(turn.say("campaign_course_offer", title=title), PromptKind.COURSE, [course.id], [start])
        return True
    lesson = course.lesson(sends.lesson_id) if sends.lesson_id else None
    lessons.start_course(turn, course, source=f"campaign:{campaign.id}"[:64], lesson=lesson)
    return True
