"""Neutral events in and replies out: the only language the engine and the adapters share.

An adapter turns a platform update into an `InboundEvent` and renders each `Reply` natively
(Block Kit, inline keyboards, quiz polls, numbered lines in a terminal). A button press
comes back as the same event as typed text, carrying the `Choice.id` the engine issued;
adapters treat that id as opaque and it always fits Telegram's 64-byte callback data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Platform(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    SLACK = "slack"


@dataclass(frozen=True)
class Sender:
    """Who wrote, as the platform knows them. `workspace` keeps Slack teams apart."""

    platform: Platform
    user_id: str
    workspace: str = ""
    first_name: str = ""
    last_name: str = ""
    locale_hint: str | None = None
    """The locale the platform reports (Telegram `language_code`, Slack `locale`)."""
    timezone: str | None = None
    email: str | None = None
    """The address on the learner's profile (Slack's, with `users:read.email`): it ties them
    to the company's customer with that email."""


@dataclass(frozen=True)
class InboundEvent:
    """One thing a learner did: typed `text`, or pressed one or more `choices`."""

    sender: Sender
    conversation_id: str
    """Where to answer (a chat or DM id): stored so the bot can speak first later."""
    event_id: str
    """The platform's id for this delivery; a second delivery with the same id is ignored."""
    received_at: datetime
    text: str | None = None
    choices: tuple[str, ...] = ()
    """Ids of pressed choices: one for a button, several for a multiple-answer poll."""
    start_payload: str | None = None
    """A deep-link payload (`t.me/bot?start=...`): the course to enrol in and the source, or
    a signed customer or invite link (`bot.links.deep_links`)."""


@dataclass(frozen=True)
class ScheduledLesson:
    """A lesson of a course on a schedule, fallen due."""

    id: str
    """Unique per outreach: one delivered twice (a retry after a crash) is done once."""
    learner_id: int
    platform: Platform
    course_id: str
    lesson_id: str
    retaken: bool = False
    """Tried before by a sender that died or failed: if its turn had committed, the learner
    is shown where they are, so nothing is lost (it may be shown twice)."""


@dataclass(frozen=True)
class Reminder:
    """A nudge about the lesson step the learner left unanswered."""

    id: str
    learner_id: int
    platform: Platform
    retaken: bool = False


@dataclass(frozen=True)
class ReviewRound:
    """Quiz questions the learner missed in a course, come back for review."""

    id: str
    learner_id: int
    platform: Platform
    course_id: str
    retaken: bool = False


@dataclass(frozen=True)
class SurveyInvite:
    """A survey one of its triggers fired for (`invitation_id` says which)."""

    id: str
    learner_id: int
    platform: Platform
    invitation_id: int
    retaken: bool = False


@dataclass(frozen=True)
class CampaignMessage:
    """A marketer's campaign, to one learner it chose (`assignment_id`: campaign and variant)."""

    id: str
    learner_id: int
    platform: Platform
    assignment_id: int
    retaken: bool = False


Outreach = ScheduledLesson | Reminder | ReviewRound | SurveyInvite | CampaignMessage
"""Something the bot says first, without an event of the learner's."""


# --- replies --------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A button. `id` is what comes back when pressed; a `url` makes it a link button."""

    id: str
    label: str
    url: str | None = None


@dataclass(frozen=True)
class TextReply:
    text: str


@dataclass(frozen=True)
class ImageReply:
    url: str
    alt: str
    caption: str = ""


@dataclass(frozen=True)
class LinkReply:
    url: str
    title: str


@dataclass(frozen=True)
class InviteLink:
    """The learner's personal invite link, which only the platform can write out (a Telegram
    deep link, a Slack install page): `token` is `bot.links.deep_links.invite_token`."""

    token: str
    text: str
    """What to say with the link."""


@dataclass(frozen=True)
class ChoicePrompt:
    """A question with buttons. `prompt_id` names the prompt for adapters that track it."""

    text: str
    choices: tuple[Choice, ...]
    prompt_id: str = ""


@dataclass(frozen=True)
class QuizQuestionReply:
    """A quiz question: adapters may render it as a native quiz poll where one fits.

    `correct` holds the ids of the right choices (a poll needs them up front); the engine
    still judges the answer itself. For a multiple-answer question pressing an option
    toggles it (`selected`) and `submit` sends the selection.
    """

    question: str
    choices: tuple[Choice, ...]
    correct: tuple[str, ...]
    multiple: bool
    explanation: str
    prompt_id: str
    number: int
    total: int
    selected: tuple[str, ...] = ()
    submit: Choice | None = None


@dataclass(frozen=True)
class RatingScale:
    """A score question (NPS 0-10, CSAT 1-5): one choice per score, lowest first."""

    text: str
    choices: tuple[Choice, ...]
    low_label: str
    high_label: str
    prompt_id: str


@dataclass(frozen=True)
class ChoiceAccepted:
    """The learner's press was taken: adapters that can edit the pressed message mark
    `label` as chosen and remove its buttons, so it cannot be pressed twice."""

    prompt_id: str
    label: str


Reply = (
    TextReply
    | ImageReply
    | LinkReply
    | InviteLink
    | ChoicePrompt
    | QuizQuestionReply
    | RatingScale
    | ChoiceAccepted
)
