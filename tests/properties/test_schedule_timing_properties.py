"""The timing rules under any instant, window, holidays and zone: what they give is never
before the moment asked about, is inside the window on the learner's clock, and is not on a
holiday; a window's next opening is the first open moment, not merely an open one.

Zones cover both sides of the date line (Kiritimati +14, Pago Pago -11), a 30-minute DST
shift (Lord Howe), a zone that skipped a whole day (Apia, 2011-12-30), southern summers and
half-hour offsets; half the instants fall in the weeks the clocks change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from bot.content.model import (
    AfterPrevious,
    Cadence,
    DeliveryWindow,
    EveryNDays,
    OnWeekdays,
    Schedule,
    Weekday,
)
from bot.schedule.review import REVIEW_GAPS_DAYS, next_review
from bot.schedule.timing import is_open, next_lesson_due, next_opening, reminder_due
from tests.properties.watch import for_all

ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Pacific/Apia",
    "UTC",
)
zones = st.sampled_from(ZONES).map(ZoneInfo)
FROM, UNTIL = datetime(2010, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)
weekdays = st.frozensets(st.sampled_from(list(Weekday)), min_size=1)


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """Any moment from 2010 to 2035, or one in a week when some zone's clocks change."""
    if draw(st.booleans()):
        seconds = draw(st.integers(int(FROM.timestamp()), int(UNTIL.timestamp())))
        return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=draw(st.integers(0, 999_999)))
    year = draw(st.integers(2010, 2034))
    month, first = draw(st.sampled_from([(3, 7), (3, 24), (4, 1), (9, 24), (10, 24), (11, 1), (12, 28)]))
    start = datetime(year, month, first, tzinfo=UTC)
    return start + timedelta(seconds=draw(st.integers(0, 8 * 24 * 3600)))


@st.composite
def windows(draw: st.DrawFn) -> DeliveryWindow | None:
    if draw(st.integers(0, 4)) == 0:
        return None
    opens = draw(st.integers(0, 24 * 60 - 2))
    closes = draw(st.integers(opens + 1, 24 * 60 - 1))
    return DeliveryWindow(time(*divmod(opens, 60)), time(*divmod(closes, 60)), draw(weekdays))


@dataclass(frozen=True)
class Case:
    window: DeliveryWindow | None
    holidays: frozenset[date]
    zone: ZoneInfo
    at: datetime

    def open_at(self, moment: datetime) -> bool:
        return is_open(self.window, self.holidays, self.zone, moment)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone, at = draw(zones), draw(instants())
    local_day = at.astimezone(zone).date()
    offsets = draw(st.frozensets(st.integers(-1, 20), max_size=8))  # often several days in a row
    return Case(draw(windows()), frozenset(local_day + timedelta(days=n) for n in offsets), zone, at)


def test_the_next_opening_is_the_first_open_moment_from_then_on() -> None:
    def check(case: Case) -> None:
        opening = next_opening(case.window, case.holidays, case.zone, case.at)
        assert opening >= case.at, case
        assert opening.tzinfo is UTC
        assert case.open_at(opening), case
        if case.window is not None and opening > case.at:
            gap = opening - case.at
            earlier = [case.at + gap * step / 16 for step in range(16)]
            earlier.append(opening - timedelta(seconds=1))
            assert [moment for moment in earlier if case.open_at(moment)] == [], case

    for_all(cases(), check, examples=600)


cadences: st.SearchStrategy[Cadence] = st.one_of(
    st.just(AfterPrevious()),
    st.integers(1, 365).map(EveryNDays),
    weekdays.map(OnWeekdays),
)


def test_a_next_lesson_is_due_after_the_last_inside_the_window_and_on_a_later_local_day() -> None:
    def check(drawn: tuple[Case, Cadence]) -> None:
        case, cadence = drawn
        due = next_lesson_due(Schedule(cadence, case.window, case.holidays), case.zone, case.at)
        assert due >= case.at, drawn
        assert case.open_at(due), drawn
        finished_day = case.at.astimezone(case.zone).date()
        if isinstance(cadence, EveryNDays):
            assert due.astimezone(case.zone).date() >= finished_day + timedelta(days=cadence.days), drawn
        if isinstance(cadence, OnWeekdays):
            assert due.astimezone(case.zone).date() > finished_day, drawn

    for_all(st.tuples(cases(), cadences), check, examples=500)


delays = st.one_of(
    st.integers(1, 48 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    st.integers(1, 14).map(lambda days: timedelta(days=days)),
)


def test_reminders_come_one_after_another_each_inside_the_window_then_stop() -> None:
    def check(drawn: tuple[Case, list[timedelta]]) -> None:
        case, reminders = drawn
        schedule = Schedule(AfterPrevious(), case.window, case.holidays)
        due = [reminder_due(reminders, schedule, case.zone, case.at, sent) for sent in range(len(reminders))]
        assert reminder_due(reminders, schedule, case.zone, case.at, len(reminders)) is None
        moments = [moment for moment in due if moment is not None]
        assert len(moments) == len(reminders), drawn
        assert all(case.open_at(moment) for moment in moments), drawn
        assert all(before < after for before, after in zip([case.at, *moments], moments, strict=False)), drawn

    for_all(st.tuples(cases(), st.lists(delays, min_size=1, max_size=5)), check, examples=400)


def test_a_question_in_review_comes_back_on_a_later_local_day_inside_the_window() -> None:
    def check(drawn: tuple[Case, int | None, bool]) -> None:
        case, step, right = drawn
        schedule = Schedule(AfterPrevious(), case.window, case.holidays)
        review = next_review(step, right, case.at, schedule, case.zone)
        if right and (step is None or step == len(REVIEW_GAPS_DAYS) - 1):
            assert review is None, drawn
            return
        assert review is not None, drawn
        assert review.step == (0 if not right else (step or 0) + 1), drawn
        assert case.open_at(review.due_at), drawn
        gap = timedelta(days=REVIEW_GAPS_DAYS[review.step])
        assert review.due_at.astimezone(case.zone).date() >= case.at.astimezone(case.zone).date() + gap, drawn

    steps = st.one_of(st.none(), st.integers(0, len(REVIEW_GAPS_DAYS) - 1))
    for_all(st.tuples(cases(), steps, st.booleans()), check, examples=300)
