"""A round of spaced review: the quiz questions a learner missed in a course, asked again
on the days `bot.schedule.review` says, a few a day, never in the middle of something.

The sweep queues a round when a question falls due; this picks which to ask now (longest
waiting first, within the course's `review: per_day`) and asks them as a short quiz of
one quiz's questions (`quizzes.start_review`). What is not asked today waits for the
window's opening tomorrow; so does a question asked and left unanswered.
"""

from __future__ import annotations

from datetime import timedelta

from bot.flows import quizzes
from bot.schedule.review import reviews_to_send
from bot.schedule.timing import days_later
from bot.turn import Turn
from storage.review_items import asked_in_review, course_reviews, postpone_reviews

BUSY_RETRY = timedelta(hours=1)
"""A round that finds the learner in the middle of something tries again this long after."""


def start_round(turn: Turn, course_id: str) -> None:
    course = turn.content.courses.get(course_id)
    learner_id, now = turn.learner.id, turn.now
    if course is None or course.review.per_day <= 0:
        postpone_reviews(turn.session, learner_id, course_id, now, now + timedelta(days=1))
        return
    if turn.conversation.active is not None:
        postpone_reviews(turn.session, learner_id, course_id, now, now + BUSY_RETRY)
        return
    zone, today = turn.zone, now.astimezone(turn.zone).date()
    items = course_reviews(turn.session, learner_id, course_id)
    asked_today = sum(
        1 for item in items if item.last_asked_at and item.last_asked_at.astimezone(zone).date() == today
    )
    askable = {
        f"{item.quiz_id}/{item.question_id}": item.due_at
        for item in items
        if item.quiz_id in turn.content.quizzes
        and turn.content.quizzes[item.quiz_id].question(item.question_id)
    }
    picked = reviews_to_send(askable, now, course.review.per_day, asked_today)
    tomorrow = days_later(course.schedule.window, course.schedule.holidays, zone, now, 1)
    postpone_reviews(turn.session, learner_id, course_id, now, tomorrow)
    if not picked:
        return
    quiz_id = picked[0].split("/", 1)[0]
    question_ids = [key.split("/", 1)[1] for key in picked if key.split("/", 1)[0] == quiz_id]
    asked_in_review(
        turn.session, learner_id, quiz_id=quiz_id, question_ids=question_ids, now=now, again_at=tomorrow
    )
    quizzes.start_review(turn, turn.content.quizzes[quiz_id], question_ids, course_id)
