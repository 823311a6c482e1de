"""Reminders about a lesson step left unanswered, and the pause after the last one.

When a turn leaves a lesson of a course with `reminders:` waiting for the learner, the
nudges count from then (`bot.schedule.timing.reminder_due`, inside the course's window);
the sweep queues each when due and the engine sends it here, pointing at the exact step.
After the last nudge the learner is paused: the bot sends nothing first (lessons, reviews,
surveys) until they write again, and then picks up where they stopped. Every event of the
learner's starts the count afresh.
"""

from __future__ import annotations

from bot.content.model import Course
from bot.flows import commands
from bot.schedule.timing import reminder_due
from bot.state import LessonFrame
from bot.turn import Turn


def _waiting_lesson(turn: Turn) -> tuple[Course, LessonFrame] | None:
    """The course whose lesson is under whatever the learner is in (a quiz of it, too)."""
    stack = turn.conversation.stack
    if not stack or not isinstance(stack[0], LessonFrame):
        return None
    course = turn.content.courses.get(stack[0].course_id)
    return None if course is None else (course, stack[0])


def count_from_now(turn: Turn) -> None:
    """After a turn: if a lesson with reminders waits for the learner, its nudges count from
    now; if none does, no nudge is due."""
    learner = turn.learner
    waiting = _waiting_lesson(turn)
    if waiting is None or not waiting[0].reminders:
        learner.waiting_since = learner.reminder_due_at = None
        learner.reminders_sent = 0
        return
    course = waiting[0]
    learner.waiting_since = turn.now
    learner.reminders_sent = 0
    learner.reminder_due_at = reminder_due(course.reminders, course.schedule, turn.zone, turn.now, 0)


def resume_if_paused(turn: Turn) -> None:
    """The learner wrote after the last nudge: the bot may speak first again, and they are
    told the lesson goes on where it stopped (the flow shows the step again)."""
    if turn.learner.paused_at is None:
        return
    turn.learner.paused_at = None
    turn.resumed = True
    turn.mark("resumed")
    if turn.conversation.stack:
        turn.send_text(turn.say("resumed_after_pause"))


def remind(turn: Turn) -> None:
    """Send the nudge that fell due: a line naming the lesson, then the step they left; after
    the last one, say so and pause. Nothing if they moved on or wrote since it was queued."""
    learner = turn.learner
    waiting = _waiting_lesson(turn)
    if waiting is None or learner.waiting_since is None or learner.reminder_due_at is not None:
        return
    course, frame = waiting
    lesson = course.lesson(frame.lesson_id)
    if lesson is None:
        return
    learner.reminders_sent += 1
    last = learner.reminders_sent >= len(course.reminders)
    turn.about = f"{course.id}/{lesson.id}"
    turn.mark("reminded", turn.about, str(learner.reminders_sent))
    turn.send_text(turn.say("reminder", name=turn.first_name, title=turn.text(lesson.title)))
    commands.reshow(turn)
    if last:
        learner.paused_at = turn.now
        turn.mark("paused", course.id)
        turn.send_text(turn.say("reminders_paused"))
        return
    learner.reminder_due_at = reminder_due(
        course.reminders, course.schedule, turn.zone, learner.waiting_since, learner.reminders_sent
    )
