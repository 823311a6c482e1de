"""Quizzes: one question at a time, feedback at once, a score, and a retry of the misses.

Each answer is stored as it comes, so a score survives a restart mid-quiz. A retry asks
only the questions missed; its score is the learner's whole-quiz score after the retry
(what was right before, plus what is right now), which is what "passed" should mean.
"""

from __future__ import annotations

from bot.content.model import Course, LessonRef, QuestionType, Quiz, QuizQuestion, RunQuiz
from bot.messages import Choice, ChoiceAccepted, QuizQuestionReply
from bot.schedule.review import next_review
from bot.state import LessonFrame, OpenPrompt, PromptKind, QuizFrame, choice_id
from bot.turn import Turn
from storage.quiz_records import record_answer, score_attempt, start_attempt
from storage.review_items import end_review, put_under_review, under_review

SUBMIT = "__submit__"


def start(turn: Turn, quiz: Quiz, question_ids: list[str] | None = None) -> None:
    """Push the quiz onto the conversation and ask its first question."""
    retry = question_ids is not None
    asked = question_ids if question_ids is not None else [question.id for question in quiz.questions]
    already_right = len(quiz.questions) - len(asked)
    attempt_id = start_attempt(
        turn.session,
        learner_id=turn.learner.id,
        quiz_id=quiz.id,
        is_retry=retry,
        question_count=len(quiz.questions),
        correct_count=already_right,
        now=turn.now,
    )
    turn.conversation.stack.append(QuizFrame(quiz.id, attempt_id, asked, correct=already_right))
    if retry:
        turn.send_text(turn.say("quiz_retry_intro", count=len(asked)))
    else:
        turn.send_text(turn.say("quiz_intro", title=turn.text(quiz.title), count=len(asked)))
        if quiz.intro:
            turn.send_text(turn.text(quiz.intro))
    turn.mark("quiz_started", quiz.id, "retry" if retry else None)
    ask_current(turn)


def start_review(turn: Turn, quiz: Quiz, question_ids: list[str], course_id: str) -> None:
    """Ask missed questions again, as a round of review (`bot.flows.review`)."""
    turn.conversation.stack.append(QuizFrame(quiz.id, 0, question_ids, review_course=course_id))
    turn.send_text(turn.say("review_intro", count=len(question_ids)))
    turn.mark("review_started", quiz.id, ",".join(question_ids))
    ask_current(turn)


def _active(turn: Turn) -> tuple[QuizFrame, Quiz] | None:
    frame = turn.conversation.active
    if not isinstance(frame, QuizFrame) or frame.quiz_id not in turn.content.quizzes:
        return None
    return frame, turn.content.quizzes[frame.quiz_id]


def _current_question(frame: QuizFrame, quiz: Quiz) -> QuizQuestion | None:
    if frame.finished or frame.position >= len(frame.question_ids):
        return None
    return quiz.question(frame.question_ids[frame.position])


def ask_current(turn: Turn, prompt: OpenPrompt | None = None) -> None:
    """Send the current question; with `prompt`, re-send it with the selection so far."""
    active = _active(turn)
    if active is None:
        return
    frame, quiz = active
    question = _current_question(frame, quiz)
    if question is None:
        return
    turn.about = f"{quiz.id}/{question.id}"
    labels = [turn.text(option.text) for option in question.options]
    values = [option.id for option in question.options]
    multiple = question.type is QuestionType.MULTIPLE
    if multiple:
        labels.append(turn.say("quiz_submit"))
        values.append(SUBMIT)
    if prompt is None:
        context = f"{frame.attempt_id}/{question.id}"
        turn.conversation.close_prompts_of(PromptKind.QUIZ_ANSWER, keep_context=context)
        prompt = turn.open_prompt(PromptKind.QUIZ_ANSWER, values, labels, context)
    option_count = len(question.options)
    choices = tuple(Choice(choice_id(prompt, index), labels[index]) for index in range(option_count))
    text = turn.text(question.text)
    if multiple and not frame.selected:
        text = f"{text}\n{turn.say('quiz_multiple_hint')}"
    turn.send(
        QuizQuestionReply(
            question=text,
            choices=choices,
            correct=tuple(choices[i].id for i, option in enumerate(question.options) if option.correct),
            multiple=multiple,
            explanation=turn.text(question.explanation) if question.explanation else "",
            prompt_id=str(prompt.seq),
            number=frame.position + 1,
            total=len(frame.question_ids),
            selected=tuple(choices[values.index(option_id)].id for option_id in frame.selected),
            submit=Choice(choice_id(prompt, option_count), labels[option_count]) if multiple else None,
        )
    )


def answer(turn: Turn, prompt: OpenPrompt, indexes: list[int]) -> bool:
    """Take pressed options: toggle (multiple answer), submit, or judge at once."""
    active = _active(turn)
    if active is None:
        return False
    frame, quiz = active
    question = _current_question(frame, quiz)
    if question is None or prompt.context != f"{frame.attempt_id}/{question.id}":
        return False
    chosen = [prompt.values[index] for index in indexes]
    if question.type is not QuestionType.MULTIPLE:
        _judge(turn, frame, quiz, question, prompt=prompt, chosen=chosen[:1])
    elif len(chosen) > 1:
        _judge(
            turn, frame, quiz, question, prompt=prompt, chosen=[value for value in chosen if value != SUBMIT]
        )
    elif chosen[0] == SUBMIT:
        if not frame.selected:
            turn.send_text(turn.say("quiz_pick_one"))
            return True
        _judge(turn, frame, quiz, question, prompt=prompt, chosen=frame.selected)
    else:
        toggled = chosen[0]
        frame.selected = (
            [value for value in frame.selected if value != toggled]
            if toggled in frame.selected
            else [value for value in prompt.values if value in {*frame.selected, toggled}]
        )
        ask_current(turn, prompt)
    return True


def _judge(
    turn: Turn, frame: QuizFrame, quiz: Quiz, question: QuizQuestion, *, prompt: OpenPrompt, chosen: list[str]
) -> None:
    turn.about = f"{quiz.id}/{question.id}"
    ordered = [option.id for option in question.options if option.id in chosen]
    correct = frozenset(ordered) == question.correct_option_ids
    turn.conversation.close_prompt(prompt.seq)
    label_of = dict(zip(prompt.values, prompt.labels, strict=True))
    turn.send(ChoiceAccepted(str(prompt.seq), ", ".join(label_of[option_id] for option_id in ordered)))
    if frame.review_course is None:
        record_answer(turn.session, frame.attempt_id, question.id, ordered, correct=correct, now=turn.now)
    _keep_for_review(turn, frame, quiz, question, correct=correct)
    if correct:
        frame.correct += 1
    else:
        frame.missed.append(question.id)
    turn.mark("quiz_answered", f"{quiz.id}/{question.id}", "correct" if correct else "wrong")
    lines = [turn.say("quiz_right")]
    if not correct:
        answer = ", ".join(label_of[o.id] for o in question.options if o.correct)
        lines = [turn.say("quiz_wrong", answer=answer)]
    picked = question.option(ordered[0]) if len(ordered) == 1 else None
    if picked is not None and picked.feedback:
        lines.append(turn.text(picked.feedback))
    if question.explanation:
        lines.append(turn.text(question.explanation))
    turn.send_text("\n".join(lines))
    frame.selected = []
    frame.position += 1
    if frame.position < len(frame.question_ids):
        ask_current(turn)
    else:
        _finish(turn, frame, quiz)


def _review_course(turn: Turn, frame: QuizFrame) -> Course | None:
    """The course whose review settings apply: the round's, or the lesson's that ran the quiz."""
    stack = turn.conversation.stack
    course_id = frame.review_course
    if course_id is None and stack and isinstance(stack[0], LessonFrame):
        course_id = stack[0].course_id
    course = turn.content.courses.get(course_id or "")
    return course if course is not None and course.review.per_day > 0 else None


def _keep_for_review(
    turn: Turn, frame: QuizFrame, quiz: Quiz, question: QuizQuestion, *, correct: bool
) -> None:
    """A question missed in a course's quiz comes back on later days; in review, each answer
    moves it along its gaps, or out of review (`bot.schedule.review`)."""
    course = _review_course(turn, frame)
    if course is None or (correct and frame.review_course is None):
        return
    learner_id = turn.learner.id
    item = under_review(turn.session, learner_id, quiz.id, question.id) if frame.review_course else None
    step = item.step if item is not None else None
    due = next_review(step, correct, turn.now, course.schedule, turn.zone)
    if due is None:
        end_review(turn.session, learner_id, quiz.id, question.id)
        turn.mark("review_learned", f"{quiz.id}/{question.id}")
    else:
        put_under_review(
            turn.session,
            learner_id,
            course_id=course.id,
            quiz_id=quiz.id,
            question_id=question.id,
            step=due.step,
            due_at=due.due_at,
        )


def _finish(turn: Turn, frame: QuizFrame, quiz: Quiz) -> None:
    """Score the attempt: its row is written here, once, not at every answer."""
    turn.about = quiz.id
    if frame.review_course is not None:
        asked = len(frame.question_ids)
        turn.send_text(turn.say("review_done", correct=frame.correct, total=asked))
        turn.mark("review_completed", quiz.id, f"{frame.correct}/{asked}")
        turn.end_flow()
        return
    total = len(quiz.questions)
    percent = round(100 * frame.correct / total) if total else 100
    passed = percent >= quiz.pass_mark
    score_attempt(
        turn.session, frame.attempt_id, correct=frame.correct, percent=percent, passed=passed, now=turn.now
    )
    values = {"correct": frame.correct, "total": total, "percent": percent}
    turn.send_text(turn.say("quiz_pass" if passed else "quiz_fail", mark=quiz.pass_mark, **values))
    turn.mark("quiz_completed", quiz.id, f"{percent}% {'passed' if passed else 'failed'}")
    if not passed and isinstance(quiz.on_fail, LessonRef) and _go_over_again(turn, quiz, quiz.on_fail):
        return
    if frame.missed and (quiz.retry_missed or _must_retry(frame, quiz)):
        frame.finished = True
        ask_after(turn)
        return
    turn.end_flow()


def _must_retry(frame: QuizFrame, quiz: Quiz) -> bool:
    """`on_fail: retry` and not passed yet: the misses are asked until it is."""
    total = len(quiz.questions)
    percent = round(100 * frame.correct / total) if total else 100
    return quiz.on_fail == "retry" and percent < quiz.pass_mark


def _go_over_again(turn: Turn, quiz: Quiz, remedial: LessonRef) -> bool:
    """`on_fail: {lesson: ...}`: that lesson is taken again, on top of the one that ran the
    quiz, which goes back to the quiz's step, so the quiz comes again when it ends."""
    stack = turn.conversation.stack
    beneath = stack[-2] if len(stack) > 1 else None
    if not isinstance(beneath, LessonFrame):
        return False
    course = turn.content.courses.get(remedial.course_id)
    lesson = course.lesson(remedial.lesson_id) if course is not None else None
    host = turn.content.courses.get(beneath.course_id)
    host_lesson = host.lesson(beneath.lesson_id) if host is not None else None
    if course is None or lesson is None or host_lesson is None:
        return False
    steps = host_lesson.steps[: beneath.step]
    quiz_steps = [n for n, step in enumerate(steps) if step.action == RunQuiz(quiz.id)]
    if not quiz_steps:
        return False
    stack.pop()
    beneath.step = quiz_steps[-1]
    stack.append(LessonFrame(course.id, lesson.id, 0))
    turn.send_text(turn.say("quiz_remedial", title=turn.text(lesson.title)))
    turn.mark("remedial_started", f"{course.id}/{lesson.id}", quiz.id)
    turn.caller_resumes = True
    return True


def ask_after(turn: Turn) -> None:
    """Ask (again) whether to retry the missed questions: the quiz stays until answered.
    A quiz that must be passed (`on_fail: retry`) offers no "Continue"."""
    frame = turn.conversation.active
    if not isinstance(frame, QuizFrame) or not frame.finished:
        return
    turn.about = frame.quiz_id
    quiz = turn.content.quizzes.get(frame.quiz_id)
    if quiz is not None and _must_retry(frame, quiz):
        turn.ask(
            turn.say("quiz_retry_to_pass", count=len(frame.missed)),
            PromptKind.QUIZ_AFTER,
            ["retry"],
            [turn.say("quiz_retry")],
            str(frame.attempt_id),
        )
        return
    turn.ask(
        turn.say("quiz_retry_prompt", count=len(frame.missed)),
        PromptKind.QUIZ_AFTER,
        ["retry", "continue"],
        [turn.say("quiz_retry"), turn.say("continue")],
        str(frame.attempt_id),
    )


def after_quiz(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    """ "Retry missed" or "Continue", pressed at the end of a quiz."""
    active = _active(turn)
    if active is None or not active[0].finished or prompt.context != str(active[0].attempt_id):
        return False
    frame, quiz = active
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    turn.conversation.stack.pop()
    if prompt.values[index] == "retry":
        turn.mark("quiz_retried", quiz.id)
        start(turn, quiz, list(dict.fromkeys(frame.missed)))
        return True
    turn.caller_resumes = True
    return True
