"""A synthetic company for `bench/metrics.py`: two years of accounts, customers, learners,
their subscriptions and orders, the interaction log, courses, quizzes, NPS answers, FAQ
questions, hand-offs and campaigns, drawn with a fixed seed.

The shapes are the ones the bot writes (a lesson's marks are `lesson_started` and
`lesson_completed` with `course/lesson` as content, a review round `review_completed` with
`right/asked`, ...), so every query of the report finds the rows it reads. Rows come out
table by table as tuples in `Table.columns` order; `bench.bulk_load` writes them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
"""The clock of the report: November 2026 is the last complete month."""
HISTORY_START = datetime(2024, 12, 1, tzinfo=UTC)
LESSONS = {
    "onboarding": ("welcome", "first-project", "invite-team", "stay-on-track", "wrap-up"),
    "upgrade-to-pro": ("automations", "timeline", "reporting"),
}
QUIZ_QUESTIONS = {"onboarding-check": ("q1", "q2", "q3"), "pro-check": ("q1", "q2")}
PLANS = (("Free", 0), ("Pro", 4_000), ("Team", 12_000))
SOURCES = ("ads", "referral", "organic", "partner")
PLATFORMS = ("telegram", "slack")
CAMPAIGNS = {"pro-upsell": ("lesson", "message"), "team-upsell": ("lesson",), "nps-push": ("survey",)}
FAQ_ENTRIES = ("reset-password", "pricing", "invite", "export", "billing", "integrations")
INTERACTION_KINDS = (
    # (direction, kind, weight): the mix a learner's log has.
    ("in", "text", 28),
    ("out", "text", 34),
    ("in", "choice", 12),
    ("mark", "lesson_started", 9),
    ("mark", "lesson_completed", 7),
    ("mark", "quiz_answer", 6),
    ("mark", "review_completed", 2),
    ("out", "campaign", 2),
)


@dataclass(frozen=True)
class Sizes:
    learners: int = 100_000
    """One learner per customer."""
    accounts: int = 20_000
    interactions: int = 5_000_000
    orders: int = 300_000

    def scaled(self, factor: float) -> Sizes:
        return Sizes(
            *(
                max(1, round(value * factor))
                for value in (self.learners, self.accounts, self.interactions, self.orders)
            )
        )


Row = tuple[object, ...]


@dataclass(frozen=True)
class Person:
    """What later tables need of a customer and their learner (ids are equal)."""

    number: int
    joined: datetime
    plan: int
    """Index into PLANS."""
    leaves: datetime | None
    """When their last subscription period ends (None: still paying, or never paid)."""


def _at(random_: random.Random, first: datetime, last: datetime) -> datetime:
    span = max(1.0, (last - first).total_seconds())
    return first + timedelta(seconds=random_.random() * span)


class History:
    """The tables' rows, drawn lazily, in a fixed order from one seed."""

    def __init__(self, sizes: Sizes, seed: int = 7) -> None:
        self.sizes = sizes
        self._random = random.Random(seed)
        self.people = self._people()

    def _people(self) -> list[Person]:
        draw = self._random
        people = []
        for number in range(1, self.sizes.learners + 1):
            joined = _at(draw, HISTORY_START, NOW - timedelta(days=1))
            plan = draw.choices(range(len(PLANS)), weights=(50, 35, 15))[0]
            leaves = None
            if plan and draw.random() < 0.35:
                leaves = _at(draw, joined + timedelta(days=20), NOW + timedelta(days=60))
            people.append(Person(number, joined, plan, leaves if leaves and leaves < NOW else None))
        return people

    def accounts(self) -> Iterator[Row]:
        for number in range(1, self.sizes.accounts + 1):
            created = HISTORY_START
            yield (number, f"A-{number}", f"Account {number}", created, created)

    def customers(self) -> Iterator[Row]:
        draw = self._random
        for person in self.people:
            account = (person.number - 1) % self.sizes.accounts + 1
            yield (
                person.number,
                f"C-{person.number}",
                None,
                f"Customer {person.number}",
                PLANS[person.plan][0],
                account,
                None,
                person.joined,
                draw.choice(SOURCES),
                {},
                person.joined,
                person.joined,
            )

    def learners(self) -> Iterator[Row]:
        draw = self._random
        for person in self.people:
            created = person.joined + timedelta(hours=draw.random() * 72)
            yield (
                person.number,
                f"Learner {person.number}",
                "",
                "ko" if draw.random() < 0.15 else "en",
                None,
                "Europe/Berlin",
                None,
                None,
                True,
                draw.choice(SOURCES),
                None,
                person.number,
                {},
                {},
                "",
                created,
                min(NOW, created + timedelta(days=draw.random() * 300)),
                None,
                None,
                0,
                None,
                None,
                None,
            )

    def identities(self) -> Iterator[Row]:
        for person in self.people:
            platform = PLATFORMS[person.number % 2]
            user = f"U{person.number}"
            yield (
                person.number,
                person.number,
                platform,
                "T1" if platform == "slack" else "",
                user,
                user,
                person.joined,
            )

    def subscriptions(self) -> Iterator[Row]:
        """A paid plan's periods: one for most; a plan change (expansion or contraction) for
        some; a pause and a return (reactivation) for a few."""
        draw = self._random
        number = 0
        for person in self.people:
            if not person.plan:
                continue
            mrr = PLANS[person.plan][1] * (1 + draw.randrange(4))
            start = person.joined + timedelta(days=draw.random() * 14)
            periods: list[tuple[datetime, datetime | None, int]] = []
            if draw.random() < 0.15:
                change = _at(draw, start + timedelta(days=30), NOW)
                periods += [
                    (start, change, mrr),
                    (change, person.leaves, mrr * draw.choice((1, 3)) // 2),
                ]
            elif person.leaves is not None and draw.random() < 0.2:
                back = person.leaves + timedelta(days=30 + draw.random() * 90)
                periods += [(start, person.leaves, mrr)]
                if back < NOW:
                    periods.append((back, None, mrr))
            else:
                periods.append((start, person.leaves, mrr))
            for began, ended, cents in periods:
                if ended is not None and ended <= began:
                    continue
                number += 1
                yield (
                    number,
                    f"S-{number}",
                    person.number,
                    PLANS[person.plan][0],
                    cents,
                    "EUR",
                    began,
                    ended,
                    began,
                )

    def orders(self) -> Iterator[Row]:
        """Invoices and one-off purchases, skewed: many customers buy once, a few often;
        about 2% are refunds (a negative amount)."""
        draw = self._random
        weights = [1.0 / (1 + (person.number * 2654435761 % 97) / 9) for person in self.people]
        buyers = draw.choices(self.people, weights=weights, k=self.sizes.orders)
        for number, person in enumerate(buyers, start=1):
            at = _at(draw, person.joined, NOW)
            amount = draw.randrange(500, 20_000)
            if draw.random() < 0.02:
                amount = -amount
            yield (number, f"O-{number}", person.number, at, amount, "EUR", {}, at)

    def interactions(self) -> Iterator[Row]:
        """The log, learner by learner: each writes for a while after joining, some for
        weeks, some for the whole history."""
        draw = self._random
        per_learner = self.sizes.interactions // self.sizes.learners
        extra = self.sizes.interactions - per_learner * self.sizes.learners
        directions, kinds, weights = zip(*INTERACTION_KINDS, strict=True)
        lessons = [(course, lesson) for course, names in LESSONS.items() for lesson in names]
        number = 0
        for person in self.people:
            count = per_learner + (1 if person.number <= extra else 0)
            stays = timedelta(days=min(720.0, draw.expovariate(1 / 150)))
            last = min(NOW, person.joined + stays + timedelta(days=1))
            chosen = draw.choices(range(len(kinds)), weights=weights, k=count)
            for index in chosen:
                number += 1
                kind = kinds[index]
                content = detail = None
                if kind in ("lesson_started", "lesson_completed"):
                    course, lesson = lessons[draw.randrange(len(lessons))]
                    content = f"{course}/{lesson}"
                elif kind == "review_completed":
                    asked = draw.randrange(1, 5)
                    detail = f"{draw.randrange(asked + 1)}/{asked}"
                elif kind == "campaign":
                    content = "pro-upsell"
                elif kind in ("text", "choice"):
                    detail = "hello"
                at = _at(draw, person.joined, last)
                yield (
                    number,
                    at,
                    person.number,
                    PLATFORMS[person.number % 2],
                    directions[index],
                    kind,
                    content,
                    detail,
                )

    def enrolments(self) -> Iterator[Row]:
        draw = self._random
        number = 0
        for person in self.people:
            for course, lessons in LESSONS.items():
                if course == "upgrade-to-pro" and draw.random() < 0.6:
                    continue
                number += 1
                started = person.joined + timedelta(days=draw.random() * 10)
                done = draw.random() < 0.4
                completed = started + timedelta(days=draw.random() * 30) if done else None
                if completed is not None and completed >= NOW:
                    completed = None
                finished = list(lessons) if completed else list(lessons[: draw.randrange(len(lessons))])
                yield (
                    number,
                    person.number,
                    course,
                    "completed" if completed else "active",
                    None if completed else lessons[len(finished)],
                    finished,
                    None,
                    started,
                    completed or started,
                    completed,
                    None,
                )

    def quiz_attempts(self) -> Iterator[tuple[Row, list[Row]]]:
        """Attempts with their answers."""
        draw = self._random
        answer_number = 0
        number = 0
        for person in self.people:
            if draw.random() < 0.4:
                continue
            for quiz, questions in QUIZ_QUESTIONS.items():
                number += 1
                started = person.joined + timedelta(days=draw.random() * 20)
                finished = started + timedelta(minutes=3)
                if finished >= NOW:
                    continue
                answers: list[Row] = []
                right = 0
                for question in questions:
                    answer_number += 1
                    correct = draw.random() < (0.5 if question == "q2" else 0.8)
                    right += correct
                    answers.append((answer_number, number, question, "a", correct, finished))
                score = round(100 * right / len(questions))
                attempt = (
                    number,
                    person.number,
                    quiz,
                    False,
                    len(questions),
                    right,
                    score,
                    score >= 60,
                    started,
                    finished,
                )
                yield attempt, answers

    def survey_answers(self) -> Iterator[tuple[Row, Row]]:
        """NPS responses, about one learner in three answering each quarter."""
        draw = self._random
        number = 0
        for person in self.people:
            at = person.joined + timedelta(days=30)
            while at < NOW:
                if draw.random() < 0.33:
                    number += 1
                    score = min(10, max(0, round(draw.gauss(7.5, 2.2))))
                    band = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                    yield (
                        (number, person.number, "nps", at, at),
                        (number, number, "nps", "score", "nps", score, band, None, at),
                    )
                at += timedelta(days=91)

    def faq_questions(self) -> Iterator[Row]:
        draw = self._random
        outcomes = (None, "helped", "not_helped", "need_human")
        for number in range(1, self.sizes.learners * 2 + 1):
            person = self.people[draw.randrange(len(self.people))]
            at = _at(draw, person.joined, NOW)
            answered = draw.random() < 0.75
            outcome = draw.choice(outcomes) if answered else None
            yield (
                number,
                person.number,
                PLATFORMS[person.number % 2],
                "how do I do this?",
                "en",
                "answered" if answered else "unanswered",
                draw.choice(FAQ_ENTRIES) if answered else None,
                0.7 if answered else 0.2,
                {},
                outcome,
                at,
                at + timedelta(minutes=2) if outcome else None,
            )

    def handoffs(self) -> Iterator[Row]:
        draw = self._random
        for number in range(1, self.sizes.learners // 10 + 1):
            person = self.people[draw.randrange(len(self.people))]
            opened = _at(draw, person.joined, NOW)
            resolved = opened + timedelta(hours=draw.random() * 30) if draw.random() < 0.8 else None
            if resolved is not None and resolved >= NOW:
                resolved = None
            yield (
                number,
                person.number,
                PLATFORMS[person.number % 2],
                "en",
                None,
                draw.choice(("need_human", "unanswered", "no_match")),
                "I need a person",
                [],
                "resolved" if resolved else "open",
                opened,
                resolved,
                "webhook" if resolved else None,
            )

    def campaigns(self) -> Iterator[tuple[Row, Row | None, Row | None, tuple[Row, ...]]]:
        """Assignments, each with its click, its conversion and that conversion's touches
        (first and last) when there are some; a tenth of each audience is held out."""
        draw = self._random
        number = conversion = 0
        launched = {
            "pro-upsell": datetime(2026, 11, 4, tzinfo=UTC),
            "team-upsell": datetime(2026, 10, 6, tzinfo=UTC),
            "nps-push": datetime(2026, 11, 18, tzinfo=UTC),
        }
        for campaign, variants in CAMPAIGNS.items():
            for person in self.people:
                if person.joined > launched[campaign] or draw.random() < 0.8:
                    continue
                number += 1
                held = draw.random() < 0.1
                variant = "holdout" if held else draw.choice(variants)
                assigned = launched[campaign] + timedelta(minutes=draw.random() * 600)
                sent = None if held else assigned + timedelta(seconds=30)
                row = (
                    number,
                    campaign,
                    person.number,
                    variant,
                    "holdout" if held else "queued",
                    assigned,
                    sent,
                )
                click = (
                    (number, number, assigned + timedelta(hours=1)) if sent and draw.random() < 0.12 else None
                )
                converts = draw.random() < (0.03 if held else 0.06 if click is None else 0.25)
                bought: Row | None = None
                touches: tuple[Row, ...] = ()
                if converts:
                    conversion += 1
                    at = assigned + timedelta(days=draw.random() * 14)
                    bought = (
                        conversion,
                        f"V-{conversion}",
                        person.number,
                        person.number,
                        "upgraded",
                        at,
                        10_000,
                        "EUR",
                        at,
                    )
                    touches = tuple(
                        (conversion, model, number, campaign, variant, None, sent or assigned)
                        for model in ("first", "last")
                    )
                yield row, click, bought, touches
