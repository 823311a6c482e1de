"""The tables: who the learners are, where they are, and everything they did.

`Interaction` is the append-only log the metrics are computed from; the other tables hold
current state (enrolments, the conversation) and the answers support and marketing read.
Every datetime is stored in UTC and comes back timezone-aware (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL.

    SQLite drops the offset of an aware datetime, so `12:00+03:00` would come back as a
    naive `12:00`; storing UTC and re-attaching it keeps both backends exact.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# An integer primary key that is BIGINT on PostgreSQL yet still SQLite's rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, str]: JSON(), list[str]: JSON()}  # noqa: RUF012 (read by SQLAlchemy)


class Learner(Base):
    """A company's customer. One learner may be known on several platforms."""

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str | None] = mapped_column(String(16))
    """The locale the learner chose with `language`; wins over the platform's hint."""
    locale_hint: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    """The IANA zone the platform reports (Slack's `tz`), kept up to date on every event."""
    chosen_timezone: Mapped[str | None] = mapped_column(String(64))
    """The zone the learner set with `timezone`; wins over the platform's, as `locale` does."""
    timezone_asked_at: Mapped[datetime | None]
    """When the bot asked for a zone it did not know (starting a course with a schedule): once."""
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    """False after `stop`: the bot still answers, but never speaks first."""
    source: Mapped[str | None] = mapped_column(String(64))
    """How the learner arrived (a deep-link payload, `referral`), for attribution."""
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"))
    """The learner whose invite link brought this one."""
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    """The company's customer record this learner is (`storage.customer_models`)."""
    attributes: Mapped[dict[str, str]] = mapped_column(default=dict)
    answers: Mapped[dict[str, str]] = mapped_column(default=dict)
    """Answers kept by `store_as`, for templates and branches."""
    conversation: Mapped[str] = mapped_column(Text, default="")
    """Where the learner is in the conversation (`bot.state.Conversation`, as JSON)."""
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    unreachable_at: Mapped[datetime | None]
    """When a platform said the learner cannot be written to (they blocked the bot): nothing
    is sent to them first until they write again."""
    waiting_since: Mapped[datetime | None]
    """Since when a lesson step has waited for the learner (a course with reminders)."""
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    """Nudges sent about the step waiting since `waiting_since`."""
    reminder_due_at: Mapped[datetime | None] = mapped_column(index=True)
    """When the next nudge is due; None when none is (or it is in the outbox)."""
    paused_at: Mapped[datetime | None]
    """When the last nudge went unanswered: the bot says nothing first until they write."""
    last_surveyed_at: Mapped[datetime | None]
    """When a survey last started, for the quiet period between surveys."""

    identities: Mapped[list[LearnerIdentity]] = relationship(back_populates="learner")


class LearnerIdentity(Base):
    """A learner as one platform knows them, and where to write to them first."""

    __tablename__ = "learner_identities"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user_id", name="uq_identity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]

    learner: Mapped[Learner] = relationship(back_populates="identities")


class ProcessedEvent(Base):
    """Platform deliveries already handled: a redelivery finds its row and does nothing."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime]


class Enrolment(Base):
    """A learner in a course: where they are and whether they finished."""

    __tablename__ = "enrolments"
    __table_args__ = (
        # Also the index of a learner's enrolments (learner_id leads): a second one on
        # learner_id alone would only be another index for every write to maintain.
        UniqueConstraint("learner_id", "course_id", name="uq_enrolment"),
        # Only the lessons waiting: clearing next_due_at when one is queued adds no entry
        # (NULL would be one), and the index stays the size of what waits.
        Index(
            "ix_enrolments_next_due_at",
            "next_due_at",
            postgresql_where=text("next_due_at IS NOT NULL"),
            sqlite_where=text("next_due_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    """active, completed"""
    lesson_id: Mapped[str | None] = mapped_column(String(64))
    """The lesson the learner is in or will start next; None once the course is done."""
    completed_lessons: Mapped[list[str]] = mapped_column(default=list)
    """Ids of the lessons finished at least once, in the order they were first finished."""
    source: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None]
    """When the next lesson is due to be sent to the learner (`storage.due_lessons`)."""


class QuizAttempt(Base):
    """One run through a quiz (or through the questions missed last time: `is_retry`)."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[str] = mapped_column(String(64))
    is_retry: Mapped[bool] = mapped_column(Boolean, default=False)
    question_count: Mapped[int] = mapped_column(Integer)
    correct_count: Mapped[int] = mapped_column(Integer, default=0)
    score_percent: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    """Indexed for the LRS outbox's look for newly finished attempts (`storage.lrs_deliveries`)."""

    answers: Mapped[list[QuizAnswer]] = relationship(back_populates="attempt", order_by="QuizAnswer.id")


class QuizAnswer(Base):
    __tablename__ = "quiz_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    chosen: Mapped[str] = mapped_column(String(200))
    """The chosen option ids, comma-separated in the order the quiz lists them."""
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(index=True)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class SurveyResponse(Base):
    """One learner taking one survey; its answers follow."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]

    answers: Mapped[list[SurveyAnswer]] = relationship(back_populates="response", order_by="SurveyAnswer.id")


class SurveyAnswer(Base):
    """A score (with its band and follow-up comment) or a free-text answer."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    survey_id: Mapped[str] = mapped_column(String(64), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    question_type: Mapped[str] = mapped_column(String(8))
    score: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(index=True)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")


class FaqQuestion(Base):
    """A question a learner asked, what the bot decided, and how it ended."""

    __tablename__ = "faq_questions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    """answered, suggested (offered candidates) or unanswered"""
    entry_id: Mapped[str | None] = mapped_column(String(64))
    """The entry answered with (after a suggestion: the one the learner picked)."""
    score: Mapped[float | None] = mapped_column(Float)
    candidates: Mapped[dict[str, str]] = mapped_column(default=dict)
    """Entry id to score (as text) of the best candidates considered."""
    outcome: Mapped[str | None] = mapped_column(String(16))
    """helped, need_human, or None while unknown"""
    asked_at: Mapped[datetime]
    outcome_at: Mapped[datetime | None]


class Interaction(Base):
    """Append-only: one row per event in or reply out, and per milestone reached."""

    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_kind_at", "kind", "at"),
        Index("ix_interactions_learner_at", "learner_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(4))
    """in (from the learner), out (to the learner) or mark (a milestone the engine noted)"""
    kind: Mapped[str] = mapped_column(String(32))
    content_id: Mapped[str | None] = mapped_column(String(160))
    detail: Mapped[str | None] = mapped_column(Text)


class AdapterCursor(Base):
    """Where an adapter stopped reading its platform (Telegram's polling offset), so a
    restart neither loses nor repeats updates."""

    __tablename__ = "adapter_cursors"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class PlatformMessage(Base):
    """A message the bot sent that the platform will refer back to by its own id (a
    Telegram quiz poll's `poll_id` in `poll_answer`), with what the adapter needs to turn
    that reference back into a neutral event (`details`, e.g. the choice ids in order)."""

    __tablename__ = "platform_messages"
    __table_args__ = (UniqueConstraint("platform", "kind", "external_id", name="uq_platform_message"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, str]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Handoff(Base):
    """A learner's question handed to a person: what support sees, and whether it is settled."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    """Where the learner asked: support's replies go back there."""
    locale: Mapped[str] = mapped_column(String(16))
    faq_question_id: Mapped[int | None] = mapped_column(ForeignKey("faq_questions.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(16))
    """need_human (pressed under an answer), unanswered (no answer fitted), no_match (none of
    the "Did you mean" candidates fitted)"""
    question: Mapped[str] = mapped_column(Text)
    transcript: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    """The learner's last turns before the question, oldest first: `bot.handoff.cases.Turn` rows."""
    status: Mapped[str] = mapped_column(String(16), default="open")
    """open, resolved"""
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    """Who pressed "Mark resolved" (`slack:U123`, `telegram:456`, `webhook`)."""


class HandoffDelivery(Base):
    """The outbox of hand-offs: one row per support destination, sent once by one process.

    `external_chat` and `external_id` are what the platform gave back (a Slack channel and
    message ts, a Telegram chat and message id), so a support reply to that message finds
    its hand-off."""

    __tablename__ = "handoff_deliveries"
    __table_args__ = (
        Index("ix_handoff_deliveries_due", "status", "next_attempt_at", "id"),
        Index("ix_handoff_deliveries_external", "destination", "external_chat", "external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    destination: Mapped[str] = mapped_column(String(16))
    """slack, telegram or webhook"""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, sent, failed (given up after `bot.handoff.dispatch.MAX_ATTEMPTS`)"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    """When it may be tried (again); while a process is sending, the end of its lease."""
    last_error: Mapped[str | None] = mapped_column(Text)
    external_chat: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]


class LearnerMessage(Base):
    """The outbox to learners: messages the bot sends on its own, not as the answer to an
    event of theirs (a support agent's reply, "your question was resolved"; later, the
    scheduled lessons). The process serving `platform` sends them."""

    __tablename__ = "learner_messages"
    __table_args__ = (Index("ix_learner_messages_due", "platform", "status", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    conversation_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    """support_reply, handoff_resolved (their `text` is sent); lesson, reminder, review and
    survey and campaign (the engine words them when they are sent: `Engine.reach_out`)"""
    text: Mapped[str] = mapped_column(Text)
    course_id: Mapped[str | None] = mapped_column(String(64))
    lesson_id: Mapped[str | None] = mapped_column(String(64))
    invitation_id: Mapped[int | None] = mapped_column(BigInteger)
    """A `survey` row's `SurveyInvitation`."""
    assignment_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    """A `campaign` row's `CampaignAssignment` (`storage.campaign_models`)."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, sent, failed (given up after `bot.handoff.dispatch.MAX_ATTEMPTS`)"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ReviewItem(Base):
    """A quiz question a learner missed, coming back on later days until answered right
    (`bot.schedule.review`)."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("learner_id", "quiz_id", "question_id", name="uq_review_item"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(64))
    """The course whose lesson ran the quiz: its window and `review:` settings apply."""
    quiz_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer, default=0)
    """Which gap of `REVIEW_GAPS_DAYS` it is waiting out."""
    due_at: Mapped[datetime] = mapped_column(index=True)
    queued_at: Mapped[datetime | None]
    """Set while a review round for it is in the outbox, so the sweep queues it once."""
    last_asked_at: Mapped[datetime | None]
    """When it was last asked in review (for the day's limit)."""


class SurveyInvitation(Base):
    """A survey the bot will send on its own because one of its `triggers` fired: due at
    `due_at`, moved later while the learner is busy, inside the quiet period or outside
    the hours surveys go out."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("learner_id", "survey_id", "reason", name="uq_survey_invitation"),
        Index("ix_survey_invitations_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    """Which trigger fired, once per learner: first-contact, course:ID, every:N, handoff:ID."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, queued (in the outbox), sent, covered (the same survey went out for another
    reason shortly before), dropped (the survey left the content)"""
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class InboxEntry(Base):
    """A platform request stored before it is acknowledged, so a crash after the
    acknowledgement cannot lose it: `storage.inbox` hands a learner's entries out one at a
    time in arrival order, to one live process at a time, until each is done."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "event_id", name="uq_inbox_event"),
        Index("ix_inbox_learner", "platform", "learner_key", "id"),
        Index("ix_inbox_done_at", "done_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    """Arrival order: a learner's entries are worked off by ascending id."""
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(200))
    learner_key: Mapped[str] = mapped_column(String(200))
    """Whose entry it is, as the adapter names them (Slack: `team:user`)."""
    kind: Mapped[str] = mapped_column(String(32))
    """What the adapter received (Slack: message, press, command...), to read `payload` by."""
    payload: Mapped[str] = mapped_column(Text)
    """The request body as the platform sent it (JSON)."""
    received_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(96))
    """The process working on it; another may take over once `claimed_at` is a lease old."""
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None]


# The customer and campaign tables live in modules of their own, on this Base: importing
# them here puts them in every use of the metadata (migrations, the schema test, foreign keys).
from storage import campaign_models, customer_models, lrs_models  # noqa: E402, F401
