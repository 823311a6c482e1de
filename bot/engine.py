"""The conversation engine: one inbound event in, the replies out, state saved between.

Adapters come in through `Engine.handle` (a learner's event) and `Engine.overview` (a
learner's standing page, read only). Each event runs in one short transaction that (1)
claims the event id, so a redelivery does nothing, (2) loads and locks the learner, (3)
routes the event to a flow, and (4) saves the conversation and the interaction log.
Nothing about a learner is kept in memory between events.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import HandoffSettings
from bot.content.model import ContentPack
from bot.faq.matcher import Decision, FaqMatcher
from bot.flows import (
    campaigns,
    commands,
    customers,
    invitations,
    lessons,
    nudges,
    questions,
    quizzes,
    review,
    surveys,
)
from bot.flows.progress import Overview, learner_overview
from bot.links.deep_links import logged_form
from bot.messages import (
    CampaignMessage,
    ChoiceAccepted,
    ChoicePrompt,
    ImageReply,
    InboundEvent,
    InviteLink,
    LinkReply,
    Outreach,
    Platform,
    QuizQuestionReply,
    RatingScale,
    Reminder,
    Reply,
    ReviewRound,
    ScheduledLesson,
    Sender,
    TextReply,
)
from bot.phrases import learner_locale, normal_locale, phrase
from bot.state import LessonFrame, OpenPrompt, PromptKind, QuizFrame, dump_conversation, load_conversation
from bot.state import parse_choice_id as parse_choice
from bot.turn import Turn
from storage.db import Database
from storage.enrolments import TurnEnrolments
from storage.events import claim_event
from storage.interactions import LoggedInteraction, record_interactions
from storage.learners import (
    LearnerRecord,
    create_learner,
    find_learner,
    load_learner,
    move_conversation,
    save_learner,
    snapshot,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Engine:
    def __init__(
        self,
        content: ContentPack,
        database: Database,
        *,
        faq: FaqMatcher | None = None,
        clock: Clock = utc_now,
        handoff: HandoffSettings | None = None,
        default_zone: ZoneInfo | None = None,
        survey_quiet: timedelta = timedelta(days=30),
        link_secret: str = "",
        every_lesson_open: bool = False,
    ) -> None:
        self.content = content
        self.database = database
        self.faq = faq or FaqMatcher(content)
        self.clock = clock
        self.handoff = handoff or HandoffSettings()
        self.default_zone = default_zone or ZoneInfo("UTC")
        self.survey_quiet = survey_quiet
        self._link_secret = link_secret
        self.every_lesson_open = every_lesson_open
        """Set for an author's preview: any lesson starts by `start COURSE/LESSON`."""

    def overview(self, sender: Sender) -> Overview:
        """A learner's courses and results, read without changing anything: the door for
        platforms that show a standing page (Slack's App Home)."""
        return learner_overview(self.content, self.database, sender)

    def use_content(self, content: ContentPack) -> None:
        """Answer from `content` from the next event on (a reload that validated)."""
        self.faq.refresh(content)
        self.content = content

    def handle(self, event: InboundEvent) -> tuple[Reply, ...]:
        """The replies to `event`: empty for a redelivery, an apology if something broke."""
        try:
            try:
                return self._handle(event)
            except IntegrityError:
                # Two first events of a new learner raced to create them; the loser retries.
                log.info("retrying event %s after a concurrent first contact", event.event_id)
                return self._handle(event)
        except Exception:
            log.exception("event %s on %s could not be handled", event.event_id, event.sender.platform.value)
            locale = learner_locale(None, event.sender.locale_hint, self.content.default_locale)
            return (TextReply(phrase("apology", locale)),)

    def _handle(self, event: InboundEvent) -> tuple[Reply, ...]:
        sender = event.sender
        now = self.clock()
        with self.database.transaction() as session:
            if not claim_event(session, sender.platform.value, event.event_id, now):
                log.info("event %s on %s was already handled", event.event_id, sender.platform.value)
                return ()
            found = find_learner(
                session,
                sender.platform.value,
                sender.workspace,
                sender.user_id,
                lock=not self.database.is_sqlite,
            )
            first_contact = found is None
            if found is None:
                found = create_learner(
                    session,
                    platform=sender.platform.value,
                    workspace=sender.workspace,
                    user_id=sender.user_id,
                    conversation_id=event.conversation_id,
                    first_name=sender.first_name,
                    last_name=sender.last_name,
                    now=now,
                )
            learner, identity = found
            loaded = snapshot(learner)
            _refresh_profile(learner, event)
            if event.conversation_id and identity.conversation_id != event.conversation_id:
                move_conversation(session, identity, event.conversation_id)
            turn = self._turn(session, learner, sender.platform, now, first_contact=first_contact)
            customers.tie_by_profile_email(turn, sender.email)
            if first_contact:
                invitations.on_first_contact(turn)
            nudges.resume_if_paused(turn)
            route(turn, event)
            nudges.count_from_now(turn)
            turn.enrolments.save()
            learner.conversation = dump_conversation(turn.conversation)
            learner.last_seen_at = now
            learner.unreachable_at = None  # they wrote: they can be written to again
            save_learner(session, loaded, learner)
            record_interactions(session, learner.id, turn.platform, now, _log_rows(event, turn))
            return tuple(turn.replies)

    def reach_out(self, outreach: Outreach) -> tuple[Reply, ...]:
        """What the bot says first (a scheduled lesson, a reminder, a review round, a survey),
        in one transaction like an event: empty if it was done already (shown again, if
        `retaken`), if the learner said `stop`, is gone or unreachable, or if it no longer fits
        where they are (each flow decides, and may move it later: a paused learner is always
        in the middle of a lesson)."""
        now = self.clock()
        with self.database.transaction() as session:
            first_time = claim_event(session, OUTREACH, outreach.id, now)
            if not first_time and not outreach.retaken:
                log.info("outreach %s was done already", outreach.id)
                return ()
            learner = load_learner(session, outreach.learner_id, lock=not self.database.is_sqlite)
            if learner is None or not learner.subscribed or learner.unreachable_at is not None:
                return ()
            loaded = snapshot(learner)
            turn = self._turn(session, learner, outreach.platform, now, first_contact=False)
            if not first_time:  # its sender died after the turn: show it again
                if turn.conversation.stack:
                    commands.reshow(turn)
                elif isinstance(outreach, ScheduledLesson):
                    lessons.retell_if_unseen(turn, outreach.course_id, outreach.lesson_id)
                elif isinstance(outreach, CampaignMessage):
                    campaigns.retell(turn, outreach.assignment_id)
            elif isinstance(outreach, ScheduledLesson):
                lessons.deliver_due_lesson(turn, outreach.course_id, outreach.lesson_id)
                nudges.count_from_now(turn)
            elif isinstance(outreach, Reminder):
                nudges.remind(turn)
            elif isinstance(outreach, ReviewRound):
                review.start_round(turn, outreach.course_id)
            elif isinstance(outreach, CampaignMessage):
                campaigns.send(turn, outreach.assignment_id)
            else:
                invitations.send_invited(turn, outreach.invitation_id)
            turn.enrolments.save()
            learner.conversation = dump_conversation(turn.conversation)
            save_learner(session, loaded, learner)  # not `last_seen_at`: the learner did nothing
            record_interactions(session, learner.id, turn.platform, now, _turn_rows(turn))
            return tuple(turn.replies)

    def sample_campaign(self, campaign_id: str, variant_id: str, platform: Platform) -> tuple[Reply, ...]:
        """What the variant sends, worded for a new learner on `platform` (a preview): the
        turn runs on a learner made for it, and everything it wrote is rolled back."""
        campaign = self.content.campaigns[campaign_id]
        variant = next(each for each in campaign.variants if each.id == variant_id)
        replies: tuple[Reply, ...] = ()
        with contextlib.suppress(_DiscardedError), self.database.transaction() as session:
            learner, _identity = create_learner(
                session,
                platform=platform.value,
                workspace="",
                user_id="lessonloop-campaign-preview",
                conversation_id="lessonloop-campaign-preview",
                first_name="Alex",
                last_name="",
                now=self.clock(),
            )
            turn = self._turn(session, learner, platform, self.clock(), first_contact=False)
            campaigns.sample(turn, campaign, variant)
            replies = tuple(turn.replies)
            raise _DiscardedError
        return replies

    def surveys_after_handoff(self) -> tuple[str, ...]:
        """The surveys to send a learner once support resolved their question, in the
        content answered from now."""
        return invitations.surveys_after_handoff(self.content)

    def _turn(
        self,
        session: Session,
        learner: LearnerRecord,
        platform: Platform,
        now: datetime,
        *,
        first_contact: bool,
    ) -> Turn:
        return Turn(
            session=session,
            learner=learner,
            conversation=load_conversation(learner.conversation),
            content=self.content,
            faq=self.faq,
            platform=platform.value,
            now=now,
            enrolments=TurnEnrolments(session, learner.id),
            first_contact=first_contact,
            handoff=self.handoff,
            default_zone=self.default_zone,
            survey_quiet=self.survey_quiet,
            link_secret=self._link_secret,
            every_lesson_open=self.every_lesson_open,
        )


class _DiscardedError(Exception):
    """Rolls a preview's transaction back."""


OUTREACH = "outreach"
"""The event namespace that claims outreaches, so a redelivered one is done once."""


def _refresh_profile(learner: LearnerRecord, event: InboundEvent) -> None:
    """Keep the names, locale hint and time zone the platform reports up to date."""
    sender = event.sender
    if sender.first_name and learner.first_name != sender.first_name:
        learner.first_name = sender.first_name
    if sender.last_name and learner.last_name != sender.last_name:
        learner.last_name = sender.last_name
    hint = normal_locale(sender.locale_hint) if sender.locale_hint else None
    if hint and learner.locale_hint != hint:
        learner.locale_hint = hint
    if sender.timezone and learner.timezone != sender.timezone:
        learner.timezone = sender.timezone


# --- routing ----------------------------------------------------------------------------

PressHandler = Callable[[Turn, OpenPrompt, list[int]], bool]


def _single(handler: Callable[[Turn, OpenPrompt, int], bool]) -> PressHandler:
    return lambda turn, prompt, indexes: handler(turn, prompt, indexes[0])


_PRESS_HANDLERS: dict[PromptKind, PressHandler] = {
    PromptKind.COURSE: _single(commands.picked_course),
    PromptKind.LESSON_CHOICE: _single(lessons.answer_choice),
    PromptKind.NEXT_LESSON: _single(lessons.next_lesson),
    PromptKind.QUIZ_ANSWER: quizzes.answer,
    PromptKind.QUIZ_AFTER: _single(quizzes.after_quiz),
    PromptKind.SURVEY_SCORE: _single(surveys.answer_score),
    PromptKind.SURVEY_SKIP: _single(surveys.skip),
    PromptKind.FAQ_FEEDBACK: _single(questions.feedback),
    PromptKind.FAQ_PICK: _single(questions.picked),
    PromptKind.LANGUAGE: _single(commands.picked_language),
}


def route(turn: Turn, event: InboundEvent) -> None:
    """Send the event to the flow it belongs to, then let the flow beneath go on (a lesson
    after its quiz, or whatever the learner was doing before they asked a question)."""
    if event.start_payload is not None:
        commands.start(turn, event.start_payload)
    elif event.choices:
        _pressed(turn, list(event.choices))
    elif event.text is not None and event.text.strip():
        _typed(turn, event.text.strip())
    else:
        turn.send_text(turn.say("help"))
    while turn.caller_resumes:
        turn.caller_resumes = False
        commands.reshow(turn)


def _pressed(turn: Turn, choice_ids: list[str]) -> None:
    parsed = [parse_choice(choice_id) for choice_id in choice_ids]
    prompt = turn.conversation.find_prompt(parsed[0][0]) if parsed[0] else None
    indexes = [
        item[1] for item in parsed if item is not None and prompt is not None and item[0] == prompt.seq
    ]
    if prompt is None or not indexes or any(index >= len(prompt.values) for index in indexes):
        _expired(turn)
        return
    turn.mark("pressed", prompt.kind.value, prompt.labels[indexes[0]])
    if not _PRESS_HANDLERS[prompt.kind](turn, prompt, indexes):
        turn.conversation.close_prompt(prompt.seq)
        _expired(turn)


def _expired(turn: Turn) -> None:
    if turn.conversation.stack:
        turn.send_text(turn.say("expired"))
        commands.reshow(turn)
    else:
        turn.send_text(turn.say("expired_nothing"))


def _typed(turn: Turn, text: str) -> None:
    command = commands.parse(text)
    if command is not None:
        commands.run(turn, command)
        return
    latest = turn.conversation.latest_prompt()
    if latest is not None and latest.kind is PromptKind.SURVEY_SKIP:
        skipped = match_typed_choice([latest], text)
        if skipped is not None and surveys.skip(turn, latest, skipped[1][0]):
            return
    if lessons.waiting_for_text(turn):
        lessons.answer_text(turn, text)
        return
    if surveys.waiting_for_text(turn):
        surveys.answer_text(turn, text)
        return
    typed = match_typed_choice(turn.conversation.prompts, text)
    if typed is not None:
        prompt, indexes = typed
        turn.mark("typed_choice", prompt.kind.value, text)
        if _PRESS_HANDLERS[prompt.kind](turn, prompt, indexes):
            return
        turn.conversation.close_prompt(prompt.seq)
    if _waiting_for_choice(turn):
        _stray_text_at_choice(turn, text)
        return
    questions.ask(turn, text)


def _waiting_for_choice(turn: Turn) -> bool:
    return turn.conversation.active is not None


def _stray_text_at_choice(turn: Turn, text: str) -> None:
    """Text where buttons were expected: a real question gets answered, anything else a
    gentle re-prompt (unless it ended a pause: "Welcome back!" was said), and either way
    the buttons come back."""
    match = questions.matched(turn, text)
    if match.decision is Decision.ANSWERED:
        questions.ask(turn, text, match)
        return
    if not turn.resumed:
        _reprompt(turn, text)
    commands.reshow(turn)


def _reprompt(turn: Turn, text: str) -> None:
    frame = turn.conversation.active
    survey_scale = any(prompt.kind is PromptKind.SURVEY_SCORE for prompt in turn.conversation.prompts)
    if survey_scale and not isinstance(frame, LessonFrame | QuizFrame):
        low, high = (0, 10) if _scale_size(turn) == 11 else (1, 5)
        turn.send_text(turn.say("reprompt_score", low=low, high=high))
    else:
        terminal = turn.platform == Platform.CONSOLE.value  # nothing to tap there
        turn.send_text(turn.say("reprompt_choice_console" if terminal else "reprompt_choice"))
    turn.mark("reprompted", None, text)


def _scale_size(turn: Turn) -> int:
    scale = next((p for p in turn.conversation.prompts if p.kind is PromptKind.SURVEY_SCORE), None)
    return len(scale.values) if scale else 0


_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_NUMBERS = re.compile(r"^\d+(\s*[, ]\s*\d+)*$")


def _normal(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def match_typed_choice(prompts: list[OpenPrompt], text: str) -> tuple[OpenPrompt, list[int]] | None:
    """Typed text that names a button: its label (newest prompt first), or its number on
    the newest prompt (numbers on a score scale are the scores themselves)."""
    wanted = _normal(text)
    if not wanted:
        return None
    for prompt in reversed(prompts):
        for index, label in enumerate(prompt.labels):
            if _normal(label) == wanted:
                return prompt, [index]
    if not prompts or not _NUMBERS.match(text.strip()):
        return None
    latest = prompts[-1]
    if latest.kind is PromptKind.SURVEY_SCORE:
        return None
    numbers = [int(number) for number in re.findall(r"\d+", text)]
    indexes = list(dict.fromkeys(number - 1 for number in numbers))
    if len(indexes) > 1 and latest.kind is not PromptKind.QUIZ_ANSWER:
        return None
    if all(0 <= index < len(latest.values) for index in indexes):
        return latest, indexes
    return None


# --- the interaction log ----------------------------------------------------------------


def _log_rows(event: InboundEvent, turn: Turn) -> list[LoggedInteraction]:
    if event.start_payload is not None:
        payload = logged_form(event.start_payload)  # a signed link only by its kind
        text = event.text.replace(event.start_payload, payload) if event.text else event.text
        inbound = LoggedInteraction("in", "start", payload, text)
    elif event.choices:
        inbound = LoggedInteraction("in", "choice", None, ",".join(event.choices))
    else:
        inbound = LoggedInteraction("in", "text", None, event.text)
    return [inbound, *_turn_rows(turn)]


def _turn_rows(turn: Turn) -> list[LoggedInteraction]:
    """What a turn marked and sent, for the interaction log."""
    rows = [LoggedInteraction("mark", mark.kind, mark.content_id, mark.detail) for mark in turn.marks]
    rows.extend(
        _reply_row(reply, about) for reply, about in zip(turn.replies, turn.reply_content, strict=True)
    )
    return rows


def _reply_row(reply: Reply, content_id: str | None) -> LoggedInteraction:
    """What went out, and (as `content_id`) which step, question or entry it came from."""
    if isinstance(reply, TextReply):
        return LoggedInteraction("out", "text", content_id, reply.text)
    if isinstance(reply, ChoicePrompt):
        return LoggedInteraction("out", "choices", content_id, reply.text)
    if isinstance(reply, QuizQuestionReply):
        return LoggedInteraction("out", "quiz_question", content_id, reply.question)
    if isinstance(reply, RatingScale):
        return LoggedInteraction("out", "rating_scale", content_id, reply.text)
    if isinstance(reply, ImageReply):
        return LoggedInteraction("out", "image", content_id, reply.url)
    if isinstance(reply, LinkReply):
        return LoggedInteraction("out", "link", content_id, reply.url)
    if isinstance(reply, InviteLink):
        return LoggedInteraction("out", "invite_link", content_id, reply.text)
    if isinstance(reply, ChoiceAccepted):
        return LoggedInteraction("out", "choice_accepted", content_id, reply.label)
    raise TypeError(f"unknown reply {reply!r}")
