"""Surveys: NPS and CSAT scores with a follow-up question per band, and free text.

A score is stored the moment it is given, and its follow-up comment lands on the same
answer row, so "NPS with its comment" is one row for whoever reads the results.
"""

from __future__ import annotations

from bot.content.model import Survey, SurveyQuestion, SurveyQuestionType, score_band
from bot.messages import Choice, ChoiceAccepted, RatingScale
from bot.state import OpenPrompt, PromptKind, SurveyFrame, SurveyWait, choice_id
from bot.turn import Turn
from storage.models import SurveyAnswer, SurveyResponse

ANSWER_LIMIT = 4000
TYPED_LABEL_LIMIT = 75
"""A typed answer shown in place of the Skip button is cut to a button label's length."""


def start(turn: Turn, survey: Survey) -> None:
    response = SurveyResponse(learner_id=turn.learner.id, survey_id=survey.id, started_at=turn.now)
    turn.session.add(response)
    turn.session.flush()
    turn.conversation.stack.append(SurveyFrame(survey.id, response.id))
    turn.learner.last_surveyed_at = turn.now  # the quiet period before a triggered one counts from here
    if survey.intro:
        turn.send_text(turn.text(survey.intro))
    turn.mark("survey_started", survey.id)
    ask_current(turn)


def _active(turn: Turn) -> tuple[SurveyFrame, Survey, SurveyQuestion] | None:
    frame = turn.conversation.active
    if not isinstance(frame, SurveyFrame) or frame.survey_id not in turn.content.surveys:
        return None
    survey = turn.content.surveys[frame.survey_id]
    if frame.position >= len(survey.questions):
        return None
    return frame, survey, survey.questions[frame.position]


def ask_current(turn: Turn) -> None:
    """Ask the current question, or its follow-up when that is what we wait for."""
    active = _active(turn)
    if active is None:
        return
    frame, survey, question = active
    turn.about = f"{survey.id}/{question.id}"
    context = f"{frame.response_id}/{question.id}"
    turn.conversation.close_prompts_of(PromptKind.SURVEY_SCORE, keep_context=context)
    turn.conversation.close_prompts_of(PromptKind.SURVEY_SKIP, keep_context=context)
    if frame.waiting_for is SurveyWait.FOLLOW_UP:
        band = _band_of_answer(turn, frame)
        follow_up = question.follow_up.get(band or "")
        if follow_up is not None:
            _ask_for_text(turn, turn.text(follow_up), context)
            return
        frame.waiting_for = SurveyWait.ANSWER
    if question.type is SurveyQuestionType.TEXT:
        text = turn.text(question.text)
        if question.optional:
            _ask_for_text(turn, text, context)
        else:
            turn.send_text(f"{text}\n{turn.say('survey_type_answer')}")
        return
    scores = [str(score) for score in question.scale]
    prompt = turn.open_prompt(PromptKind.SURVEY_SCORE, scores, scores, context)
    low, high = (
        ("nps_low", "nps_high") if question.type is SurveyQuestionType.NPS else ("csat_low", "csat_high")
    )
    turn.send(
        RatingScale(
            text=turn.text(question.text),
            choices=tuple(Choice(choice_id(prompt, index), score) for index, score in enumerate(scores)),
            low_label=turn.say(low),
            high_label=turn.say(high),
            prompt_id=str(prompt.seq),
        )
    )


def _ask_for_text(turn: Turn, text: str, context: str) -> None:
    """A free-text question the learner may skip with a button."""
    turn.ask(
        f"{text}\n{turn.say('survey_type_answer')}",
        PromptKind.SURVEY_SKIP,
        ["skip"],
        [turn.say("survey_skip")],
        context,
    )


def _band_of_answer(turn: Turn, frame: SurveyFrame) -> str | None:
    answer = turn.session.get(SurveyAnswer, frame.answer_id) if frame.answer_id else None
    return answer.band if answer else None


def answer_score(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    active = _active(turn)
    if active is None:
        return False
    frame, survey, question = active
    context = f"{frame.response_id}/{question.id}"
    if prompt.context != context or frame.waiting_for is not SurveyWait.ANSWER:
        return False
    turn.about = f"{survey.id}/{question.id}"
    score = int(prompt.values[index])
    band = score_band(question.type, score)
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    answer = SurveyAnswer(
        response_id=frame.response_id,
        survey_id=survey.id,
        question_id=question.id,
        question_type=question.type.value,
        score=score,
        band=band,
        answered_at=turn.now,
    )
    turn.session.add(answer)
    turn.session.flush()
    turn.mark("survey_answered", f"{survey.id}/{question.id}", str(score))
    if band is not None and band in question.follow_up:
        frame.waiting_for = SurveyWait.FOLLOW_UP
        frame.answer_id = answer.id
        ask_current(turn)
        return True
    _next(turn, frame, survey)
    return True


def waiting_for_text(turn: Turn) -> bool:
    active = _active(turn)
    if active is None:
        return False
    frame, _survey, question = active
    return frame.waiting_for is SurveyWait.FOLLOW_UP or question.type is SurveyQuestionType.TEXT


def answer_text(turn: Turn, text: str) -> None:
    active = _active(turn)
    if active is None:
        return
    frame, survey, question = active
    comment = text[:ANSWER_LIMIT]
    turn.about = f"{survey.id}/{question.id}"
    _typed_over_skip(turn, comment)
    if frame.waiting_for is SurveyWait.FOLLOW_UP:
        answer = turn.session.get(SurveyAnswer, frame.answer_id) if frame.answer_id else None
        if answer is not None:
            answer.comment = comment
        turn.mark("survey_comment", f"{survey.id}/{question.id}", comment)
    else:
        turn.session.add(
            SurveyAnswer(
                response_id=frame.response_id,
                survey_id=survey.id,
                question_id=question.id,
                question_type=question.type.value,
                comment=comment,
                answered_at=turn.now,
            )
        )
        turn.mark("survey_answered", f"{survey.id}/{question.id}", comment)
    _next(turn, frame, survey)


def _typed_over_skip(turn: Turn, answer: str) -> None:
    """The learner typed instead of pressing Skip: the Skip button is answered, by what they
    typed, so adapters take it off the screen as they do after a press."""
    label = answer if len(answer) <= TYPED_LABEL_LIMIT else answer[: TYPED_LABEL_LIMIT - 1] + "…"
    for prompt in turn.conversation.prompts:
        if prompt.kind is PromptKind.SURVEY_SKIP:
            turn.send(ChoiceAccepted(str(prompt.seq), label))
    turn.conversation.close_prompts_of(PromptKind.SURVEY_SKIP)


def skip(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    active = _active(turn)
    if active is None or prompt.context != f"{active[0].response_id}/{active[2].id}":
        return False
    frame, survey, question = active
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    turn.mark("survey_skipped", f"{survey.id}/{question.id}")
    _next(turn, frame, survey)
    return True


def _next(turn: Turn, frame: SurveyFrame, survey: Survey) -> None:
    frame.position += 1
    frame.waiting_for = SurveyWait.ANSWER
    frame.answer_id = None
    if frame.position < len(survey.questions):
        ask_current(turn)
        return
    turn.about = survey.id
    response = turn.session.get(SurveyResponse, frame.response_id)
    if response is not None:
        response.completed_at = turn.now
    turn.send_text(turn.text(survey.thank_you) if survey.thank_you else turn.say("survey_done"))
    turn.mark("survey_completed", survey.id)
    turn.end_flow()
