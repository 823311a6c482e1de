"""When lessons, reminders and reviews fall due, as examples on the learner's clock.

Dates: 2026-12-04 is a Friday. Berlin goes from 02:00 to 03:00 on 2026-03-29 and from 03:00
back to 02:00 on 2026-10-25; New York springs forward on 2026-03-08.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.content.model import (
    EVERY_DAY,
    AfterPrevious,
    DeliveryWindow,
    EveryNDays,
    OnWeekdays,
    Schedule,
    Weekday,
)
from bot.content.schedule_words import WORKING_DAYS
from bot.schedule.review import REVIEW_GAPS_DAYS, ReviewDue, next_review, reviews_to_send
from bot.schedule.timing import is_open, local_instant, next_lesson_due, next_opening, reminder_due

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14
PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")  # UTC-11
OFFICE_HOURS = DeliveryWindow(time(9, 0), time(17, 0), WORKING_DAYS)
NO_HOLIDAYS: frozenset[date] = frozenset()
OFFICE_DAYS = Schedule(AfterPrevious(), OFFICE_HOURS)


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def drip(
    cadence: EveryNDays | OnWeekdays | AfterPrevious, holidays: frozenset[date] = NO_HOLIDAYS
) -> Schedule:
    return Schedule(cadence, OFFICE_HOURS, holidays)


# --- the next lesson ----------------------------------------------------------------------


def test_a_lesson_finished_friday_16_55_with_every_1_day_on_weekdays_is_due_monday_09_00() -> None:
    assert next_lesson_due(drip(EveryNDays(1)), BERLIN, berlin(2026, 12, 4, 16, 55)) == berlin(2026, 12, 7, 9)


def test_after_previous_inside_the_window_is_due_at_once_and_outside_at_the_next_opening() -> None:
    assert next_lesson_due(drip(AfterPrevious()), BERLIN, berlin(2026, 12, 3, 11, 20)) == berlin(
        2026, 12, 3, 11, 20
    )
    assert next_lesson_due(drip(AfterPrevious()), BERLIN, berlin(2026, 12, 3, 17, 0)) == berlin(
        2026, 12, 4, 9
    )
    assert next_lesson_due(drip(AfterPrevious()), BERLIN, berlin(2026, 12, 4, 3, 0)) == berlin(2026, 12, 4, 9)


def test_without_a_schedule_the_next_lesson_is_due_the_moment_the_last_is_done() -> None:
    finished = datetime(2026, 12, 5, 3, 12, tzinfo=UTC)
    assert next_lesson_due(Schedule(), BERLIN, finished) == finished


def test_every_2_days_without_a_window_keeps_the_local_time_across_the_spring_change() -> None:
    finished = berlin(2026, 3, 28, 10, 30)
    due = next_lesson_due(Schedule(EveryNDays(2)), BERLIN, finished)
    assert due == berlin(2026, 3, 30, 10, 30)
    assert due - finished.astimezone(UTC) == timedelta(hours=47)  # the night of the 29th is an hour short


def test_every_3_days_opens_at_the_window_on_the_third_local_day() -> None:
    assert next_lesson_due(drip(EveryNDays(3)), BERLIN, berlin(2026, 11, 30, 16, 0)) == berlin(2026, 12, 3, 9)


def test_on_mon_wed_fri_waits_for_the_next_listed_weekday() -> None:
    mon_wed_fri = drip(OnWeekdays(frozenset({Weekday.MON, Weekday.WED, Weekday.FRI})))
    assert next_lesson_due(mon_wed_fri, BERLIN, berlin(2026, 11, 30, 10, 0)) == berlin(2026, 12, 2, 9)
    assert next_lesson_due(mon_wed_fri, BERLIN, berlin(2026, 12, 2, 8, 0)) == berlin(2026, 12, 4, 9)
    assert next_lesson_due(mon_wed_fri, BERLIN, berlin(2026, 12, 4, 12, 0)) == berlin(2026, 12, 7, 9)


def test_holidays_on_consecutive_days_are_all_skipped() -> None:
    christmas = frozenset({date(2026, 12, 24), date(2026, 12, 25)})
    # Wednesday the 23rd + 1 day is Thursday the 24th: Christmas Eve, Christmas, a weekend.
    due = next_lesson_due(drip(EveryNDays(1), christmas), BERLIN, berlin(2026, 12, 23, 15, 0))
    assert due == berlin(2026, 12, 28, 9)


def test_a_holiday_without_a_window_moves_the_lesson_a_day_at_the_same_time() -> None:
    schedule = Schedule(EveryNDays(1), None, frozenset({date(2026, 12, 25)}))
    assert next_lesson_due(schedule, BERLIN, berlin(2026, 12, 24, 20, 15)) == berlin(2026, 12, 26, 20, 15)


# --- the window on the learner's clock ------------------------------------------------------


def test_no_window_and_no_holidays_is_any_time() -> None:
    at = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    assert next_opening(None, NO_HOLIDAYS, BERLIN, at) == at


def test_09_00_on_the_spring_forward_day_is_09_00_summer_time() -> None:
    opening = next_opening(OFFICE_HOURS, NO_HOLIDAYS, NEW_YORK, datetime(2026, 3, 7, 23, 0, tzinfo=NEW_YORK))
    assert opening == datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK)  # Sunday the 8th is not a weekday
    sunday = DeliveryWindow(time(9, 0), time(17, 0), EVERY_DAY)
    opening = next_opening(sunday, NO_HOLIDAYS, NEW_YORK, datetime(2026, 3, 8, 1, 0, tzinfo=NEW_YORK))
    assert opening.astimezone(UTC) == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 09:00 EDT, UTC-4


def test_a_window_opening_inside_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    night_shift = DeliveryWindow(time(2, 30), time(6, 0), EVERY_DAY)
    opening = next_opening(night_shift, NO_HOLIDAYS, BERLIN, berlin(2026, 3, 29, 0, 10))
    assert opening.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert opening.astimezone(BERLIN).time() == time(3, 0)


def test_a_window_that_lies_wholly_in_the_skipped_hour_opens_the_next_day() -> None:
    short = DeliveryWindow(time(2, 0), time(2, 45), EVERY_DAY)
    opening = next_opening(short, NO_HOLIDAYS, BERLIN, berlin(2026, 3, 29, 0, 10))
    assert opening == berlin(2026, 3, 30, 2, 0)


def test_an_opening_the_clock_shows_twice_is_the_first_one() -> None:
    night_shift = DeliveryWindow(time(2, 30), time(6, 0), EVERY_DAY)
    opening = next_opening(night_shift, NO_HOLIDAYS, BERLIN, berlin(2026, 10, 25, 0, 10))
    assert opening.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time
    second = local_instant(date(2026, 10, 25), time(2, 30), BERLIN, fold=1)
    assert second.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_an_opening_the_clock_shows_twice_is_the_second_one_when_asked_between_them() -> None:
    night_shift = DeliveryWindow(time(2, 30), time(6, 0), EVERY_DAY)
    second_02_10 = datetime(2026, 10, 25, 1, 10, tzinfo=UTC)  # 02:10 winter time, after 02:30 summer time
    opening = next_opening(night_shift, NO_HOLIDAYS, BERLIN, second_02_10)
    assert opening == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_kiritimati_is_already_on_saturday_when_utc_is_on_friday() -> None:
    friday_utc = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # Saturday 10:00 in Kiritimati
    opening = next_opening(OFFICE_HOURS, NO_HOLIDAYS, KIRITIMATI, friday_utc)
    assert opening == datetime(2026, 12, 7, 9, 0, tzinfo=KIRITIMATI)
    assert opening.astimezone(UTC) == datetime(2026, 12, 6, 19, 0, tzinfo=UTC)  # a Sunday in UTC


def test_pago_pago_is_still_on_friday_when_utc_is_on_saturday() -> None:
    saturday_utc = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # Friday 14:00 in Pago Pago
    assert next_opening(OFFICE_HOURS, NO_HOLIDAYS, PAGO_PAGO, saturday_utc) == saturday_utc


def test_a_holiday_is_the_learners_local_date() -> None:
    friday = frozenset({date(2026, 12, 4)})
    at = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # Friday noon in Pago Pago, Saturday 13:00 in Kiritimati
    assert not is_open(OFFICE_HOURS, friday, PAGO_PAGO, at)
    assert next_opening(OFFICE_HOURS, friday, PAGO_PAGO, at) == datetime(2026, 12, 7, 9, 0, tzinfo=PAGO_PAGO)
    assert next_opening(None, friday, KIRITIMATI, at) == at


def test_samoa_skipped_30_december_2011_and_the_window_opens_after_it() -> None:
    apia = ZoneInfo("Pacific/Apia")
    every_day = DeliveryWindow(time(9, 0), time(17, 0), EVERY_DAY)
    opening = next_opening(every_day, NO_HOLIDAYS, apia, datetime(2011, 12, 29, 20, 0, tzinfo=apia))
    assert opening == datetime(2011, 12, 31, 9, 0, tzinfo=apia)


def test_a_window_open_on_no_day_is_refused() -> None:
    with pytest.raises(ValueError, match="never opens"):
        next_opening(
            DeliveryWindow(time(9), time(17), frozenset()), NO_HOLIDAYS, BERLIN, berlin(2026, 12, 4, 8)
        )


# --- reminders -----------------------------------------------------------------------------


def test_reminders_wait_for_the_window_and_then_count_from_the_one_before() -> None:
    nudges = (timedelta(hours=1), timedelta(hours=2))
    left = berlin(2026, 12, 4, 16, 30)

    first = reminder_due(nudges, OFFICE_DAYS, BERLIN, left, 0)
    second = reminder_due(nudges, OFFICE_DAYS, BERLIN, left, 1)

    assert (first, second) == (berlin(2026, 12, 7, 9), berlin(2026, 12, 7, 11))
    assert reminder_due(nudges, OFFICE_DAYS, BERLIN, left, 2) is None


def test_a_reminder_after_1_day_is_the_same_time_next_day_across_the_autumn_change() -> None:
    left = berlin(2026, 10, 24, 10, 0)
    due = reminder_due((timedelta(days=1),), Schedule(), BERLIN, left, 0)
    assert due == berlin(2026, 10, 25, 10, 0)
    assert due is not None
    assert due - left.astimezone(UTC) == timedelta(hours=25)


def test_a_reminder_in_hours_counts_elapsed_time_through_the_hour_that_happens_twice() -> None:
    left = berlin(2026, 10, 25, 1, 0)  # summer time: 23:00 UTC the day before
    due = reminder_due((timedelta(hours=3),), Schedule(), BERLIN, left, 0)
    assert due == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert due is not None
    assert due.astimezone(BERLIN).time() == time(3, 0)  # winter time by then: 02:00-03:00 came twice


def test_no_reminders_means_none_is_ever_due() -> None:
    assert reminder_due((), OFFICE_DAYS, BERLIN, berlin(2026, 12, 4, 10), 0) is None


# --- spaced review -------------------------------------------------------------------------


def test_a_question_missed_in_the_quiz_comes_back_next_day_when_the_window_opens() -> None:
    missed = berlin(2026, 12, 2, 15, 40)
    assert next_review(None, False, missed, OFFICE_DAYS, BERLIN) == ReviewDue(0, berlin(2026, 12, 3, 9))


def test_a_question_answered_right_in_the_quiz_is_never_reviewed() -> None:
    assert next_review(None, True, berlin(2026, 12, 2, 15, 40), OFFICE_DAYS, BERLIN) is None


def test_right_answers_in_review_space_it_out_to_3_and_7_days_then_it_is_learnt() -> None:
    at = berlin(2026, 12, 1, 10, 0)  # a Tuesday
    assert next_review(0, True, at, OFFICE_DAYS, BERLIN) == ReviewDue(1, berlin(2026, 12, 4, 9))
    assert next_review(1, True, at, OFFICE_DAYS, BERLIN) == ReviewDue(2, berlin(2026, 12, 8, 9))
    assert next_review(len(REVIEW_GAPS_DAYS) - 1, True, at, OFFICE_DAYS, BERLIN) is None


def test_a_miss_in_review_starts_again_at_one_day() -> None:
    at = berlin(2026, 12, 4, 10, 0)  # a Friday: tomorrow is Saturday, so Monday
    assert next_review(2, False, at, OFFICE_DAYS, BERLIN) == ReviewDue(0, berlin(2026, 12, 7, 9))


def test_at_most_per_day_reviews_longest_waiting_first() -> None:
    now = berlin(2026, 12, 7, 9, 0)
    due = {
        "quiz/a": berlin(2026, 12, 4, 9),
        "quiz/b": berlin(2026, 12, 7, 9),
        "quiz/c": berlin(2026, 12, 3, 9),
        "quiz/d": berlin(2026, 12, 8, 9),  # not yet
    }
    assert reviews_to_send(due, now, per_day=2, sent_today=0) == ("quiz/c", "quiz/a")
    assert reviews_to_send(due, now, per_day=3, sent_today=2) == ("quiz/c",)
    assert reviews_to_send(due, now, per_day=3, sent_today=3) == ()
