"""Courses and lessons: enrolling, sending steps until one needs the learner, moving on.

A lesson runs step by step: messages, images and links go out at once; a question stops
the lesson until the learner answers; a quiz or survey step hands over to that flow and
the lesson carries on when it ends. The position is saved after every event, so a
restarted bot continues at the same step.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.content.model import (
    SKIP_LESSON,
    AfterPrevious,
    AskChoice,
    AskText,
    Branch,
    CallToAction,
    Course,
    Lesson,
    LinkCustomer,
    RunQuiz,
    RunSurvey,
    Say,
    ShowImage,
    ShowLink,
    Step,
)
from bot.flows import customers, invitations, quizzes, surveys
from bot.messages import Choice, ChoiceAccepted, ChoicePrompt, ImageReply, LinkReply
from bot.phrases import when
from bot.schedule.timing import next_lesson_due
from bot.schedule.zones import known_zone
from bot.state import LessonFrame, OpenPrompt, PromptKind
from bot.turn import Turn
from storage.enrolments import EnrolmentRecord

log = logging.getLogger(__name__)

MAX_STEPS_PER_RUN = 200
"""A `goto` loop in content must not hang the bot: stop and end the lesson instead."""
ANSWER_LIMIT = 2000


def enrolment_in(turn: Turn, course_id: str) -> EnrolmentRecord | None:
    return turn.enrolments.find(course_id)


def start_course(turn: Turn, course: Course, source: str | None = None, lesson: Lesson | None = None) -> None:
    """Enrol (or re-enrol) the learner and start the lesson they are due (or `lesson`)."""
    enrolment = enrolment_in(turn, course.id)
    if enrolment is None and course.description is not None:
        turn.send_text(turn.text(course.description))  # what the course is, before it starts
    if enrolment is None:
        enrolment = EnrolmentRecord(
            id=0,
            learner_id=turn.learner.id,
            course_id=course.id,
            status="active",
            lesson_id=course.lessons[0].id,
            completed_lessons=[],
            source=source,
            started_at=turn.now,
            last_activity_at=turn.now,
        )
        turn.enrolments.add(enrolment)
        turn.mark("enrolled", course.id, source)
    elif enrolment.status in ("completed", SKIPPED_TO_THE_END):
        turn.send_text(turn.say("course_again", title=turn.text(course.title)))
        enrolment.status = "active"
        enrolment.lesson_id = course.lessons[0].id
        turn.mark("re_enrolled", course.id)
    if course.schedule.keeps_time:
        _ask_time_zone_once(turn)
    if lesson is not None:
        enrolment.lesson_id = lesson.id
    start_lesson(turn, course, lesson or course.lesson(enrolment.lesson_id or "") or course.lessons[0])


SKIPPED_TO_THE_END = "ended"
"""An enrolment whose last lesson ended with some lessons skipped: over, not completed."""
BUSY_RETRY = timedelta(hours=1)
"""A scheduled lesson that finds the learner in the middle of something waits this long."""


def deliver_due_lesson(turn: Turn, course_id: str, lesson_id: str) -> None:
    """A scheduled lesson, if the learner is still due it: nothing if they moved on (took it
    themselves, finished the course, the content dropped it); later if they are in the
    middle of a lesson, quiz or survey, which it must not interrupt (or paused)."""
    course = turn.content.courses.get(course_id)
    lesson = course.lesson(lesson_id) if course is not None else None
    enrolment = enrolment_in(turn, course_id)
    if course is None or lesson is None or enrolment is None:
        return
    if enrolment.status != "active" or enrolment.lesson_id != lesson_id:
        return
    if turn.conversation.active is not None or turn.learner.paused_at is not None:
        enrolment.next_due_at = turn.now + BUSY_RETRY
        return
    enrolment.last_activity_at = turn.now
    start_lesson(turn, course, lesson)


def retell_if_unseen(turn: Turn, course_id: str, lesson_id: str) -> None:
    """A scheduled lesson tried again after its sender died, whose first turn committed and
    ended the lesson (nothing was left open to show again): the platform may never have
    shown it, so if the learner has done nothing since, it is told again. Telling it again
    changes nothing the first telling did not (the next lesson's date is worked out anew
    from now); only the mark says it was told twice."""
    course = turn.content.courses.get(course_id)
    lesson = course.lesson(lesson_id) if course is not None else None
    enrolment = enrolment_in(turn, course_id)
    if course is None or lesson is None or enrolment is None or lesson_id not in enrolment.completed_lessons:
        return
    if turn.learner.last_seen_at >= enrolment.last_activity_at:
        return  # they wrote after it: whatever they saw, they have moved on
    start_lesson(turn, course, lesson)
    turn.marks.clear()  # started and completed once already
    turn.mark("lesson_retold", f"{course.id}/{lesson.id}")


def _ask_time_zone_once(turn: Turn) -> None:
    """A course on a schedule runs on the learner's clock: if nobody told us their zone, say
    so once, in a line they may ignore (the `timezone` command answers it), and go on."""
    learner = turn.learner
    if learner.timezone_asked_at is not None or known_zone(learner.chosen_timezone, learner.timezone):
        return
    learner.timezone_asked_at = turn.now
    turn.mark("timezone_asked")
    turn.send_text(turn.say("timezone_first_ask", zone=turn.default_zone.key))


def start_lesson(turn: Turn, course: Course, lesson: Lesson) -> None:
    """Begin `lesson` from its first step, replacing whatever flow was active."""
    turn.conversation.stack = [LessonFrame(course.id, lesson.id, 0)]
    send_heading(turn, course, lesson)
    turn.mark("lesson_started", f"{course.id}/{lesson.id}")
    run(turn)


def send_heading(turn: Turn, course: Course, lesson: Lesson) -> None:
    """ "Lesson 2 of 5: ...", when a lesson starts or the learner comes back to it."""
    turn.about = f"{course.id}/{lesson.id}"
    number = course.lessons.index(lesson) + 1
    turn.send_text(
        turn.say("lesson_heading", number=number, total=len(course.lessons), title=turn.text(lesson.title))
    )


def _frame_content(turn: Turn, frame: LessonFrame) -> tuple[Course, Lesson] | None:
    course = turn.content.courses.get(frame.course_id)
    lesson = course.lesson(frame.lesson_id) if course else None
    if course is None or lesson is None:
        log.warning("lesson %s/%s is no longer in the content", frame.course_id, frame.lesson_id)
        return None
    return course, lesson


def _after(lesson: Lesson, index: int, step: Step, frame: LessonFrame | None = None) -> int:
    if step.goto:
        target = lesson.index_of(step.goto)
        if target is not None:
            if frame is not None and step.goto == SKIP_LESSON:
                frame.skipped = True
            return target
    return index + 1


def run(turn: Turn) -> None:
    """Send the steps of the active lesson until one needs an answer or the lesson ends."""
    frame = turn.conversation.active
    if not isinstance(frame, LessonFrame):
        return
    found = _frame_content(turn, frame)
    if found is None:
        turn.conversation.stack.clear()
        return
    course, lesson = found
    for _ in range(MAX_STEPS_PER_RUN):
        if frame.step >= len(lesson.steps):
            _finish_lesson(turn, course, lesson, frame)
            return
        step = lesson.steps[frame.step]
        action = step.action
        content_id = f"{course.id}/{lesson.id}/{frame.step}"
        turn.about = content_id
        if isinstance(action, AskChoice):
            labels = [turn.text(option.label) for option in action.options]
            values = [option.value for option in action.options]
            turn.ask(turn.text(action.text), PromptKind.LESSON_CHOICE, values, labels, content_id)
            return
        if isinstance(action, AskText):
            turn.send_text(turn.text(action.text))
            return
        if isinstance(action, LinkCustomer):
            turn.send_text(turn.text(action.prompt))
            return
        if isinstance(action, RunQuiz | RunSurvey):
            frame.step = _after(lesson, frame.step, step, frame)
            if isinstance(action, RunQuiz):
                quizzes.start(turn, turn.content.quizzes[action.quiz_id])
            else:
                surveys.start(turn, turn.content.surveys[action.survey_id])
            return
        if isinstance(action, Branch):
            value = turn.learner.answers.get(action.on)
            target = action.cases.get(value or "", action.default)
            jump = lesson.index_of(target) if target else None
            frame.step = jump if jump is not None else frame.step + 1
            continue
        _send_step(turn, action)
        frame.step = _after(lesson, frame.step, step, frame)
    log.error("lesson %s/%s ran %d steps without pausing; ending it", course.id, lesson.id, MAX_STEPS_PER_RUN)
    _finish_lesson(turn, course, lesson, frame)


def _send_step(turn: Turn, action: Say | ShowImage | ShowLink | CallToAction) -> None:
    if isinstance(action, Say):
        turn.send_text(turn.text(action.text))
    elif isinstance(action, ShowImage):
        caption = turn.text(action.caption) if action.caption else ""
        turn.send(ImageReply(action.url, turn.text(action.alt), caption))
    elif isinstance(action, ShowLink):
        turn.send(LinkReply(action.url, turn.text(action.title)))
    else:
        button = Choice("cta", turn.text(action.button), url=action.url)
        turn.send(ChoicePrompt(turn.text(action.text), (button,)))


def _finish_lesson(turn: Turn, course: Course, lesson: Lesson, frame: LessonFrame) -> None:
    """The lesson ended: completed, or skipped (`goto: skip`), which completion rates and
    progress do not count; a lesson taken again after a failed quiz hands back to it."""
    turn.about = f"{course.id}/{lesson.id}"
    stack = turn.conversation.stack
    if len(stack) > 1:  # a lesson taken again after its quiz was failed: the quiz comes again
        stack.pop()
        turn.send_text(turn.say("lesson_done", title=turn.text(lesson.title)))
        turn.mark("remedial_completed", f"{course.id}/{lesson.id}")
        turn.caller_resumes = True
        return
    stack.clear()
    enrolment = enrolment_in(turn, course.id)
    if frame.skipped:
        turn.send_text(turn.say("lesson_skipped", title=turn.text(lesson.title)))
        turn.mark("lesson_skipped", f"{course.id}/{lesson.id}")
    else:
        turn.send_text(turn.say("lesson_done", title=turn.text(lesson.title)))
        turn.mark("lesson_completed", f"{course.id}/{lesson.id}")
    if enrolment is None:
        return
    enrolment.last_activity_at = turn.now
    if not frame.skipped and lesson.id not in enrolment.completed_lessons:
        enrolment.completed_lessons = [*enrolment.completed_lessons, lesson.id]
    position = course.lessons.index(lesson)
    if position + 1 < len(course.lessons):
        upcoming = course.lessons[position + 1]
        enrolment.lesson_id = upcoming.id
        if not isinstance(course.schedule.cadence, AfterPrevious):
            _schedule_next(turn, course, upcoming, enrolment)
            return
        turn.ask(
            turn.say("next_lesson_prompt", title=turn.text(upcoming.title)),
            PromptKind.NEXT_LESSON,
            ["next", "later"],
            [turn.say("next_lesson"), turn.say("later")],
            course.id,
        )
        return
    enrolment.lesson_id = None
    if any(each.id not in enrolment.completed_lessons for each in course.lessons):
        # The end, with lessons skipped: not a completed course (its rate stays honest).
        enrolment.status = SKIPPED_TO_THE_END
        turn.mark("course_ended", course.id, "lessons skipped")
        turn.send_text(turn.say("course_ended_skipped", title=turn.text(course.title)))
        return
    if enrolment.status != "completed":
        enrolment.status = "completed"
        enrolment.completed_at = turn.now
        turn.mark("course_completed", course.id)
        invitations.on_course_completed(turn, course.id)
    turn.send_text(turn.say("course_done", title=turn.text(course.title)))


def _schedule_next(turn: Turn, course: Course, upcoming: Lesson, enrolment: EnrolmentRecord) -> None:
    """A course on a cadence: the next lesson comes when the schedule says, inside the
    window on the learner's clock (`bot.schedule.timing`); the sweep sends it then."""
    zone = turn.zone
    due = next_lesson_due(course.schedule, zone, turn.now)
    enrolment.next_due_at = due
    when_text = when(due.astimezone(zone), turn.now.astimezone(zone).date(), turn.locale)
    turn.send_text(turn.say("next_lesson_scheduled", title=turn.text(upcoming.title), when=when_text))
    turn.mark("lesson_scheduled", f"{course.id}/{upcoming.id}", due.isoformat())


# --- answers --------------------------------------------------------------------------


def waiting_step(turn: Turn) -> tuple[LessonFrame, Lesson, Step] | None:
    """The active lesson and the step it is waiting on, if a lesson is active."""
    frame = turn.conversation.active
    if not isinstance(frame, LessonFrame):
        return None
    found = _frame_content(turn, frame)
    if found is None or frame.step >= len(found[1].steps):
        return None
    return frame, found[1], found[1].steps[frame.step]


def answer_choice(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    """Take a pressed lesson button; False when the lesson has moved past it."""
    waiting = waiting_step(turn)
    if waiting is None:
        return False
    frame, lesson, step = waiting
    action = step.action
    if not isinstance(action, AskChoice) or prompt.context != f"{frame.course_id}/{lesson.id}/{frame.step}":
        return False
    option = action.options[index]
    turn.about = prompt.context
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    if action.store_as:
        turn.learner.answers = {**turn.learner.answers, action.store_as: option.value}
    turn.mark("lesson_answered", prompt.context, option.value)
    target = lesson.index_of(option.goto) if option.goto else None
    frame.skipped = frame.skipped or option.goto == SKIP_LESSON
    frame.step = target if target is not None else _after(lesson, frame.step, step, frame)
    run(turn)
    return True


def waiting_for_text(turn: Turn) -> bool:
    waiting = waiting_step(turn)
    return waiting is not None and isinstance(waiting[2].action, AskText | LinkCustomer)


def answer_text(turn: Turn, text: str) -> None:
    waiting = waiting_step(turn)
    if waiting is None:
        return
    frame, lesson, step = waiting
    action = step.action
    content_id = f"{frame.course_id}/{lesson.id}/{frame.step}"
    if isinstance(action, LinkCustomer):
        if not _took_email(turn, content_id, text):
            return
    elif isinstance(action, AskText):
        turn.learner.answers = {**turn.learner.answers, action.store_as: text[:ANSWER_LIMIT]}
        turn.mark("lesson_answered", content_id, text)
    else:
        return
    frame.step = _after(lesson, frame.step, step, frame)
    run(turn)


def _took_email(turn: Turn, content_id: str, text: str) -> bool:
    """A `link_customer` answer: an address is thanked (tied or not, it reads the same),
    anything else is asked for again, gently."""
    turn.about = content_id
    if not customers.answer_email(turn, text):
        turn.send_text(turn.say("link_not_an_email"))
        turn.mark("reprompted", content_id, text[:ANSWER_LIMIT])
        return False
    turn.send_text(turn.say("link_thanks"))
    turn.mark("lesson_answered", content_id)  # no detail: the inbound row holds the address
    return True


def reshow(turn: Turn) -> None:
    """Show the active lesson's waiting step again (after a restart, or a stray message)."""
    frame = turn.conversation.active
    if isinstance(frame, LessonFrame):
        run(turn)


def next_lesson(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    """The learner pressed "Next lesson" or "Later" after finishing a lesson; False (an
    expired button) once they are in a lesson again, which it must not start over."""
    if turn.conversation.stack:
        return False
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    if prompt.values[index] == "later":
        turn.send_text(turn.say("see_you_later"))
        return True
    course = turn.content.courses.get(prompt.context)
    enrolment = enrolment_in(turn, prompt.context) if course else None
    lesson = course.lesson(enrolment.lesson_id or "") if course and enrolment else None
    if course is None or lesson is None:
        turn.send_text(turn.say("nothing_in_progress"))
        return True
    start_lesson(turn, course, lesson)
    return True
