"""What authors write, as the engine sees it: frozen, validated, typed.

The loader (`bot.content.loader`) builds these from YAML only after the schema and the
cross-reference checks have passed, so the engine can trust every id it finds here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import IntEnum, StrEnum
from typing import Literal

END_OF_LESSON = "end"
"""The `goto:` target that finishes a lesson."""
SKIP_LESSON = "skip"
"""The `goto:` target that leaves a lesson unfinished: recorded as skipped, not completed."""


@dataclass(frozen=True)
class LocalText:
    """A text in one or more locales; `pick` falls back to the author's default locale."""

    variants: Mapping[str, str]
    default_locale: str

    def pick(self, locale: str) -> str:
        """The text for `locale` (`pt-br` falls back to `pt`, then to the default)."""
        if locale in self.variants:
            return self.variants[locale]
        language = locale.split("-", 1)[0]
        if language in self.variants:
            return self.variants[language]
        if self.default_locale in self.variants:
            return self.variants[self.default_locale]
        return next(iter(self.variants.values()), "")

    @property
    def locales(self) -> frozenset[str]:
        return frozenset(self.variants)


def plain(text: str, locale: str = "en") -> LocalText:
    """A text that exists in one locale only (handy for built-in labels and tests)."""
    return LocalText({locale: text}, locale)


# --- lesson steps -------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: LocalText


@dataclass(frozen=True)
class ShowImage:
    url: str
    alt: LocalText
    caption: LocalText | None = None


@dataclass(frozen=True)
class ShowLink:
    url: str
    title: LocalText


@dataclass(frozen=True)
class ChoiceOption:
    label: LocalText
    value: str
    goto: str | None = None


@dataclass(frozen=True)
class AskChoice:
    """Buttons; the chosen `value` is stored under `store_as` when given."""

    text: LocalText
    options: tuple[ChoiceOption, ...]
    store_as: str | None = None


@dataclass(frozen=True)
class AskText:
    """A free-text question whose answer is stored under `store_as`."""

    text: LocalText
    store_as: str


@dataclass(frozen=True)
class LinkCustomer:
    """Ask for the email the learner uses with the company, and tie them to the customer
    with that email, if there is one (the answer is the same either way)."""

    prompt: LocalText


@dataclass(frozen=True)
class Branch:
    """Jump on a stored answer: `cases` maps an answer value to a step id."""

    on: str
    cases: Mapping[str, str]
    default: str | None = None


@dataclass(frozen=True)
class RunQuiz:
    quiz_id: str


@dataclass(frozen=True)
class RunSurvey:
    survey_id: str


@dataclass(frozen=True)
class CallToAction:
    """A message with one link button: a lesson's closing `cta` step, or a campaign's message
    (the campaign's click redirect wraps the url)."""

    text: LocalText
    button: LocalText
    url: str
    """An absolute http(s) URL."""


StepAction = (
    Say
    | ShowImage
    | ShowLink
    | AskChoice
    | AskText
    | LinkCustomer
    | Branch
    | RunQuiz
    | RunSurvey
    | CallToAction
)


@dataclass(frozen=True)
class Step:
    action: StepAction
    id: str | None = None
    goto: str | None = None
    """Where to continue after this step instead of the next one (`end` ends the lesson)."""


@dataclass(frozen=True)
class Lesson:
    id: str
    title: LocalText
    steps: tuple[Step, ...]

    def index_of(self, step_id: str) -> int | None:
        """The position of the step called `step_id`; `end` and `skip` are one past the last."""
        if step_id in (END_OF_LESSON, SKIP_LESSON):
            return len(self.steps)
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        return None


# --- when a course speaks first ------------------------------------------------------


class Weekday(IntEnum):
    """Numbered as `date.weekday()` counts, so a date's weekday is `Weekday(day.weekday())`."""

    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


EVERY_DAY = frozenset(Weekday)


@dataclass(frozen=True)
class AfterPrevious:
    """The next lesson as soon as the last is done: how every course worked before schedules."""


@dataclass(frozen=True)
class EveryNDays:
    days: int
    """Local calendar days (so "every 1 day" is the same time tomorrow, across a DST change too)."""


@dataclass(frozen=True)
class OnWeekdays:
    days: frozenset[Weekday]


Cadence = AfterPrevious | EveryNDays | OnWeekdays


@dataclass(frozen=True)
class DeliveryWindow:
    """When the bot may speak first, on the learner's clock: from `opens` up to (not at) `closes`."""

    opens: time
    closes: time
    days: frozenset[Weekday] = EVERY_DAY


@dataclass(frozen=True)
class Schedule:
    cadence: Cadence = AfterPrevious()
    window: DeliveryWindow | None = None
    holidays: frozenset[date] = frozenset()
    """Local dates on which nothing is sent."""

    @property
    def keeps_time(self) -> bool:
        """Whether delivery depends on the learner's clock (and so on their time zone)."""
        return not isinstance(self.cadence, AfterPrevious) or self.window is not None or bool(self.holidays)


@dataclass(frozen=True)
class ReviewSettings:
    """Spaced review of the quiz questions a learner missed (see `bot.schedule.review`)."""

    per_day: int
    """At most this many questions a local day; 0 turns review off."""


DEFAULT_REVIEWS_PER_DAY = 3
"""A course with a schedule reviews this many a day unless its `review:` says otherwise."""


@dataclass(frozen=True)
class Course:
    id: str
    title: LocalText
    description: LocalText | None
    lessons: tuple[Lesson, ...]
    default_locale: str
    locales: frozenset[str]
    """Locales the course is fully written in; offered to learners by `language`."""
    schedule: Schedule = Schedule()
    """Without `schedule:` in the YAML: the next lesson right after the last, at any hour."""
    reminders: tuple[timedelta, ...] = ()
    """Nudges for a lesson left unanswered: each delay counts from the message before it."""
    review: ReviewSettings = ReviewSettings(0)
    open_lessons: bool = False
    """Learners may start any lesson (`start COURSE/LESSON`), not only the one they are due."""

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)


# --- quizzes ------------------------------------------------------------------------


class QuestionType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


@dataclass(frozen=True)
class QuizOption:
    id: str
    text: LocalText
    correct: bool = False
    feedback: LocalText | None = None


@dataclass(frozen=True)
class QuizQuestion:
    id: str
    type: QuestionType
    text: LocalText
    options: tuple[QuizOption, ...]
    explanation: LocalText | None = None

    @property
    def correct_option_ids(self) -> frozenset[str]:
        return frozenset(option.id for option in self.options if option.correct)

    def option(self, option_id: str) -> QuizOption | None:
        return next((option for option in self.options if option.id == option_id), None)


@dataclass(frozen=True)
class LessonRef:
    course_id: str
    lesson_id: str


QuizFailure = Literal["continue", "retry"] | LessonRef


@dataclass(frozen=True)
class Quiz:
    id: str
    title: LocalText
    questions: tuple[QuizQuestion, ...]
    pass_mark: int
    """Percent of questions answered right that passes the quiz."""
    retry_missed: bool
    default_locale: str
    intro: LocalText | None = None
    on_fail: QuizFailure = "continue"
    """What failing it means: the lesson goes on, the misses are asked until it is passed, or
    a lesson is taken again (`LessonRef`) before the quiz."""

    def question(self, question_id: str) -> QuizQuestion | None:
        return next((question for question in self.questions if question.id == question_id), None)


# --- surveys ------------------------------------------------------------------------


class SurveyQuestionType(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    TEXT = "text"


NPS_BANDS = ("detractor", "passive", "promoter")
CSAT_BANDS = ("unhappy", "neutral", "happy")


def score_band(question_type: SurveyQuestionType, score: int) -> str | None:
    """The follow-up band of a score: NPS 0-6/7-8/9-10, CSAT 1-2/3/4-5."""
    if question_type is SurveyQuestionType.NPS:
        return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
    if question_type is SurveyQuestionType.CSAT:
        return "unhappy" if score <= 2 else "neutral" if score == 3 else "happy"
    return None


@dataclass(frozen=True)
class SurveyQuestion:
    id: str
    type: SurveyQuestionType
    text: LocalText
    follow_up: Mapping[str, LocalText] = field(default_factory=dict)
    """Band name to the free-text question asked after a score in that band."""
    optional: bool = False

    @property
    def scale(self) -> range:
        """The scores a rating question accepts (empty for free text)."""
        if self.type is SurveyQuestionType.NPS:
            return range(11)
        if self.type is SurveyQuestionType.CSAT:
            return range(1, 6)
        return range(0)


@dataclass(frozen=True)
class DaysAfterFirstContact:
    days: int


@dataclass(frozen=True)
class AfterCourse:
    course_id: str


@dataclass(frozen=True)
class EveryDays:
    days: int


@dataclass(frozen=True)
class AfterHandoffResolved:
    """Once a person from support has marked the learner's question resolved (a CSAT)."""


SurveyTrigger = DaysAfterFirstContact | AfterCourse | EveryDays | AfterHandoffResolved
"""When the bot sends a survey on its own (besides a course's `survey:` step)."""


@dataclass(frozen=True)
class Survey:
    id: str
    title: LocalText
    questions: tuple[SurveyQuestion, ...]
    default_locale: str
    intro: LocalText | None = None
    thank_you: LocalText | None = None
    triggers: tuple[SurveyTrigger, ...] = ()


# --- FAQ ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: LocalText
    answer: LocalText
    phrasings: Mapping[str, tuple[str, ...]]
    """Locale to the other ways people ask this question."""
    tags: tuple[str, ...] = ()
    lesson: LessonRef | None = None
    faq_id: str = ""


@dataclass(frozen=True)
class Faq:
    id: str
    entries: tuple[FaqEntry, ...]
    default_locale: str
    support: LocalText | None = None


# --- campaigns ----------------------------------------------------------------------

HOLDOUT = "holdout"
"""What the control group is called where variants are named, so no variant may be."""

MAIN_VARIANT = "main"
"""The one variant of a campaign written with a plain `sends:`."""


@dataclass(frozen=True)
class CampaignSends:
    """Exactly one of: a course (from its first lesson, or `lesson_id` only), a survey, a message."""

    course_id: str | None = None
    lesson_id: str | None = None
    """Only with `course_id`: send just that lesson of the course."""
    survey_id: str | None = None
    message: CallToAction | None = None

    @property
    def content_id(self) -> str | None:
        """What is sent, as interactions name it: `course`, `course/lesson`, `survey`; None for a message."""
        if self.course_id is not None:
            return f"{self.course_id}/{self.lesson_id}" if self.lesson_id else self.course_id
        return self.survey_id


@dataclass(frozen=True)
class CampaignVariant:
    id: str
    """Letters, digits, _ and -, at most 32 characters; not `holdout`; unique in the campaign."""
    share: float
    """Percent of the audience, more than 0."""
    sends: CampaignSends


@dataclass(frozen=True)
class QuizScore:
    """The learner's best attempt at a quiz, as percent of its questions right."""

    quiz_id: str
    at_least: float | None = None
    below: float | None = None


@dataclass(frozen=True)
class Segment:
    """Who a campaign reaches: every given condition must hold (a list: any of its values)."""

    platforms: tuple[str, ...] = ()
    """telegram, slack."""
    locales: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()
    """The imported customer's plan."""
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Customer attribute to its allowed values."""
    accounts: tuple[str, ...] = ()
    """Account external ids."""
    started: tuple[str, ...] = ()
    """Course ids the learner started (enrolled in)."""
    completed: tuple[str, ...] = ()
    """Course ids completed."""
    not_completed: tuple[str, ...] = ()
    """Course ids not completed (started or not)."""
    quiz_scores: tuple[QuizScore, ...] = ()
    nps: tuple[str, ...] = ()
    """promoter (9-10), passive (7-8), detractor (0-6): the band of the latest NPS answer."""
    active_within_days: int | None = None
    """Last seen at most this many days ago."""
    inactive_for_days: int | None = None
    """Last seen at least this many days ago."""
    sources: tuple[str, ...] = ()
    """Acquisition source (learner.source, else customer.source); `referral` too."""
    received: tuple[str, ...] = ()
    """Campaign ids the learner was sent (not as holdout)."""
    not_received: tuple[str, ...] = ()
    """Campaign ids the learner was NOT sent."""


@dataclass(frozen=True)
class CampaignTiming:
    """When: `now` (on launch), `at` a local time in each learner's zone (on `on` date, or the next
    time that clock time comes round after launch), or `trigger`: `days` after the learner
    completed course `after_completed`."""

    kind: Literal["now", "at", "trigger"] = "now"
    at: time | None = None
    on: date | None = None
    after_completed: str | None = None
    days: int = 0


@dataclass(frozen=True)
class FrequencyCap:
    """At most `messages` campaign messages per learner in any `days` days, across all campaigns."""

    messages: int
    days: int


DEFAULT_FREQUENCY_CAP = FrequencyCap(2, 7)
"""Two campaign messages a week unless a campaign says otherwise: marketing that keeps its welcome."""


@dataclass(frozen=True)
class Campaign:
    """A marketer's push of a course, a lesson, a survey or a message to a segment of learners."""

    id: str
    title: LocalText
    default_locale: str
    variants: tuple[CampaignVariant, ...]
    """Always at least one: a plain `sends:` is one variant with id `main`."""
    holdout: float = 0.0
    """Percent of the audience that gets nothing (the control group)."""
    segment: Segment = Segment()
    when: CampaignTiming = CampaignTiming()
    frequency_cap: FrequencyCap | None = DEFAULT_FREQUENCY_CAP
    """`frequency_cap: none` in the YAML lifts it (None)."""
    window: DeliveryWindow | None = None
    """The same window type and syntax as a course's schedule window."""
    description: LocalText | None = None


# --- the whole pack -----------------------------------------------------------------


@dataclass(frozen=True)
class ContentPack:
    courses: Mapping[str, Course]
    quizzes: Mapping[str, Quiz]
    surveys: Mapping[str, Survey]
    faqs: Mapping[str, Faq]
    campaigns: Mapping[str, Campaign]
    default_locale: str = "en"

    @property
    def faq_entries(self) -> tuple[FaqEntry, ...]:
        return tuple(entry for faq in self.faqs.values() for entry in faq.entries)

    def faq_entry(self, entry_id: str) -> FaqEntry | None:
        return next((entry for entry in self.faq_entries if entry.id == entry_id), None)

    @property
    def support_contact(self) -> LocalText | None:
        """The first FAQ's `support:` text: how to reach a person."""
        return next((faq.support for faq in self.faqs.values() if faq.support), None)

    @property
    def locales(self) -> frozenset[str]:
        """Every locale some course is written in, plus the default."""
        found: set[str] = {self.default_locale}
        for course in self.courses.values():
            found |= course.locales
        return frozenset(found)
