"""One event being handled: the learner, their conversation, and the replies so far.

Every flow (lessons, quizzes, surveys, questions, commands) is a set of plain functions
that take a `Turn`, change the learner's state through it and add replies to it. The
engine opens the transaction, builds the turn, and saves and logs what it collected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.config import HandoffSettings
from bot.content.model import ContentPack, LocalText
from bot.content.templates import LearnerView, render_text
from bot.faq.matcher import FaqMatcher
from bot.messages import Choice, ChoicePrompt, Reply, TextReply
from bot.phrases import learner_locale, phrase
from bot.schedule.zones import learner_zone
from bot.state import Conversation, OpenPrompt, PromptKind, choice_id
from storage.enrolments import TurnEnrolments
from storage.interactions import Mark
from storage.learners import LearnerRecord


@dataclass
class Turn:
    session: Session
    learner: LearnerRecord
    conversation: Conversation
    content: ContentPack
    faq: FaqMatcher
    platform: str
    now: datetime
    enrolments: TurnEnrolments
    """The learner's enrolments this turn reads and changes (written back when it ends)."""
    replies: list[Reply] = field(default_factory=list)
    reply_content: list[str | None] = field(default_factory=list)
    """For each reply, the content it came from (logged with it)."""
    about: str | None = None
    """The lesson step, question or FAQ entry being sent now: set by the flows."""
    marks: list[Mark] = field(default_factory=list)
    first_contact: bool = False
    """True on the very first event from this learner."""
    caller_resumes: bool = False
    """Set when a quiz or survey ends: the flow beneath it (a lesson) carries on."""
    resumed: bool = False
    """Set when this event ended a pause: whatever they wrote brought them back, so the
    step is shown again without asking them to pick an option."""
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    """Where questions the bot cannot settle are handed to a person (none: nowhere)."""
    default_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    """The deployment's `default_timezone`, for learners nobody has told us the zone of."""
    survey_quiet: timedelta = timedelta(days=30)
    """The `survey_quiet_days` setting: no survey sent on a trigger sooner after another."""
    every_lesson_open: bool = False
    """An author's preview: `start COURSE/LESSON` opens any lesson, `open_lessons` or not."""
    link_secret: str = field(default="", repr=False)
    """The `link_secret` setting: signs and checks customers' and invite links ("" none)."""

    @property
    def locale(self) -> str:
        """The learner's choice, else what their platform reports, else the content's default."""
        return learner_locale(self.learner.locale, self.learner.locale_hint, self.content.default_locale)

    @property
    def zone(self) -> ZoneInfo:
        """The learner's choice, else what their platform reports, else the deployment's default."""
        return learner_zone(self.learner.chosen_timezone, self.learner.timezone, self.default_zone)

    @property
    def first_name(self) -> str:
        return self.learner.first_name or self.say("there")

    def text(self, local: LocalText) -> str:
        """Authored text in the learner's locale, personalised."""
        learner = self.learner
        view = LearnerView(
            first_name=learner.first_name,
            name=f"{learner.first_name} {learner.last_name}".strip(),
            locale=self.locale,
            platform=self.platform,
            attributes=learner.attributes,
        )
        return render_text(local.pick(self.locale), view, learner.answers)

    def say(self, key: str, **values: object) -> str:
        """The bot's own words in the learner's locale."""
        return phrase(key, self.locale, **values)

    def send(self, reply: Reply) -> None:
        self.replies.append(reply)
        self.reply_content.append(self.about)

    def send_text(self, text: str) -> None:
        self.send(TextReply(text))

    def mark(self, kind: str, content_id: str | None = None, detail: str | None = None) -> None:
        """Note a milestone (lesson completed, quiz answered...) in the interaction log."""
        self.marks.append(Mark(kind, content_id, detail))

    def end_flow(self) -> None:
        """Pop the active quiz or survey and let whatever started it continue."""
        if self.conversation.stack:
            self.conversation.stack.pop()
        self.caller_resumes = True

    def open_prompt(
        self, kind: PromptKind, values: list[str], labels: list[str], context: str = ""
    ) -> OpenPrompt:
        return self.conversation.open_prompt(kind, values, labels, context)

    def ask(
        self, text: str, kind: PromptKind, values: list[str], labels: list[str], context: str = ""
    ) -> None:
        """Send `text` with one button per label; a press comes back to `kind`'s handler."""
        prompt = self.open_prompt(kind, values, labels, context)
        choices = tuple(Choice(choice_id(prompt, index), label) for index, label in enumerate(labels))
        self.send(ChoicePrompt(text, choices, str(prompt.seq)))
