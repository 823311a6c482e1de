"""A learner's own questions: answer when sure, offer candidates when unsure, never guess.

Every question becomes a `FaqQuestion` row with its candidates, the decision and, once
the learner presses "Helped" or "Need a human", its outcome: what support reads to see
what was deflected and which FAQ entry to write next.
"""

from __future__ import annotations

from bot.content.model import FaqEntry
from bot.faq.matcher import Decision, Match
from bot.flows import lessons
from bot.handoff import cases as handoff
from bot.messages import ChoiceAccepted
from bot.state import OpenPrompt, PromptKind
from bot.turn import Turn
from storage.models import FaqQuestion

QUESTION_LIMIT = 2000


def matched(turn: Turn, text: str) -> Match:
    """How the FAQ matches `text` as a question, as `ask` judges it."""
    return turn.faq.match(text.strip()[:QUESTION_LIMIT], turn.locale)


def ask(turn: Turn, text: str, match: Match | None = None) -> None:
    """Answer, suggest or hand off; `match` is `matched(turn, text)` when the caller has it
    already (the sentence model costs a few ms a question)."""
    question_text = text.strip()[:QUESTION_LIMIT]
    if not question_text:
        turn.send_text(turn.say("ask_what"))
        return
    match = match or matched(turn, question_text)
    best = match.candidates[0] if match.candidates else None
    row = FaqQuestion(
        learner_id=turn.learner.id,
        platform=turn.platform,
        text=question_text,
        locale=turn.locale,
        decision=match.decision.value,
        entry_id=best.entry.id if best and match.decision is Decision.ANSWERED else None,
        score=best.score if best else None,
        candidates={candidate.entry.id: f"{candidate.score:.4f}" for candidate in match.candidates},
        asked_at=turn.now,
    )
    turn.session.add(row)
    turn.session.flush()
    turn.mark("faq_asked", best.entry.id if best else None, f"{match.decision.value} {question_text}")
    if match.decision is Decision.ANSWERED and best is not None:
        _answer(turn, row, best.entry)
    elif match.decision is Decision.SUGGESTED:
        entries = [candidate.entry for candidate in match.candidates]
        turn.ask(
            turn.say("faq_did_you_mean"),
            PromptKind.FAQ_PICK,
            [entry.id for entry in entries] + [""],
            [turn.text(entry.question) for entry in entries] + [turn.say("faq_none_of_these")],
            str(row.id),
        )
    else:
        _unanswered(turn, row, "unanswered")


def _answer(turn: Turn, row: FaqQuestion, entry: FaqEntry) -> None:
    turn.about = entry.id
    turn.send_text(turn.text(entry.answer))
    values, labels = ["helped", "need_human"], [turn.say("faq_helped"), turn.say("faq_need_human")]
    # Mid-flow, opening the related lesson would abandon the prompt the learner comes back to.
    linked = entry.lesson if not turn.conversation.stack else None
    course = turn.content.courses.get(linked.course_id) if linked else None
    lesson = course.lesson(linked.lesson_id) if course and linked else None
    if course and lesson:
        values.append(f"{course.id}/{lesson.id}")
        labels.append(turn.say("faq_related_lesson", title=turn.text(lesson.title)))
    turn.ask(turn.say("faq_was_it_helpful"), PromptKind.FAQ_FEEDBACK, values, labels, str(row.id))


def _unanswered(turn: Turn, row: FaqQuestion, reason: str) -> None:
    """No answer fitted: a person takes over if support is reachable, else the contact;
    then back to whatever the learner was in the middle of."""
    turn.caller_resumes = bool(turn.conversation.stack)
    if handoff.hand_off(turn, reason, row.text, row.id):
        return
    lines = [turn.say("faq_unanswered")]
    if turn.content.support_contact:
        lines.append(turn.text(turn.content.support_contact))
    turn.send_text("\n".join(lines))


def picked(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    """The learner chose one of the "Did you mean" candidates, or none of them."""
    row = turn.session.get(FaqQuestion, int(prompt.context)) if prompt.context.isdigit() else None
    if row is None:
        return False
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    entry = turn.content.faq_entry(prompt.values[index])
    if entry is None:
        row.outcome, row.outcome_at = "no_match", turn.now
        turn.mark("faq_outcome", None, "no_match")
        _unanswered(turn, row, "no_match")
        return True
    row.entry_id = entry.id
    turn.mark("faq_picked", entry.id)
    _answer(turn, row, entry)
    return True


def feedback(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    """ "Helped", "Need a human", or the related lesson, pressed under an answer."""
    row = turn.session.get(FaqQuestion, int(prompt.context)) if prompt.context.isdigit() else None
    if row is None:
        return False
    value = prompt.values[index]
    if value not in {"helped", "need_human"} and turn.conversation.stack:
        return False  # the lesson was offered when nothing was open; now something is, and stays
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    if value == "helped":
        row.outcome, row.outcome_at = "helped", turn.now
        turn.mark("faq_outcome", row.entry_id, "helped")
        turn.send_text(turn.say("faq_glad"))
    elif value == "need_human":
        row.outcome, row.outcome_at = "need_human", turn.now
        turn.mark("faq_outcome", row.entry_id, "need_human")
        if not handoff.hand_off(turn, "need_human", row.text, row.id):
            lines = [turn.say("faq_noted_human")]
            if turn.content.support_contact:
                lines.append(turn.text(turn.content.support_contact))
            turn.send_text("\n".join(lines))
    else:
        turn.mark("faq_lesson_opened", value)
        open_lesson(turn, value)
        return True
    turn.caller_resumes = bool(turn.conversation.stack)
    return True


def open_lesson(turn: Turn, reference: str) -> None:
    """Start the lesson `course/lesson` that a FAQ answer pointed to, and only that one: a
    learner new to the course is enrolled straight into it (not sent through lesson 1 first)."""
    course_id, _, lesson_id = reference.partition("/")
    course = turn.content.courses.get(course_id)
    lesson = course.lesson(lesson_id) if course else None
    if course is None or lesson is None:
        turn.send_text(turn.say("nothing_in_progress"))
        return
    if lessons.enrolment_in(turn, course.id) is None:
        lessons.start_course(turn, course, lesson=lesson)
        return
    lessons.start_lesson(turn, course, lesson)
