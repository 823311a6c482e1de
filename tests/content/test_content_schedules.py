"""Schedules, reminders, review and survey triggers as the engine gets them: typed values
read from the words authors write, and today's behaviour where a file says nothing."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from bot.content.loader import load_content, validate_paths
from bot.content.model import (
    EVERY_DAY,
    AfterCourse,
    AfterHandoffResolved,
    AfterPrevious,
    Course,
    DaysAfterFirstContact,
    DeliveryWindow,
    EveryDays,
    EveryNDays,
    OnWeekdays,
    ReviewSettings,
    Schedule,
    Weekday,
)
from bot.content.schedule_words import read_cadence, read_delay

ROOT = Path(__file__).resolve().parents[2]
LESSONS = "lessons: [{id: a, title: A, steps: [{say: Hi}]}]\n"


def course_from(tmp_path: Path, keys: str) -> Course:
    (tmp_path / "c.yaml").write_text(f"kind: course\nid: c\ntitle: C\n{keys}{LESSONS}", encoding="utf-8")
    return load_content([tmp_path]).courses["c"]


def test_a_course_without_the_new_keys_keeps_todays_behaviour(tmp_path: Path) -> None:
    course = course_from(tmp_path, "")
    assert course.schedule == Schedule(AfterPrevious(), None, frozenset())
    assert not course.schedule.keeps_time
    assert course.reminders == ()
    assert course.review == ReviewSettings(per_day=0)


def test_a_whole_schedule_with_quoted_and_unquoted_holidays(tmp_path: Path) -> None:
    course = course_from(
        tmp_path,
        "schedule:\n"
        "  cadence: every 2 days\n"
        '  window: {from: "9:00", to: 17:30, days: [mon, Tuesday, WED]}\n'
        '  holidays: [2026-12-25, "2027-01-01"]\n'
        "reminders: [4 hours, 1 day, 2 weeks, 30 minutes]\n",
    )
    assert course.schedule == Schedule(
        cadence=EveryNDays(2),
        window=DeliveryWindow(time(9, 0), time(17, 30), frozenset({Weekday.MON, Weekday.TUE, Weekday.WED})),
        holidays=frozenset({date(2026, 12, 25), date(2027, 1, 1)}),
    )
    assert course.schedule.keeps_time
    assert course.reminders == (
        timedelta(hours=4),
        timedelta(days=1),
        timedelta(weeks=2),
        timedelta(minutes=30),
    )
    assert course.review == ReviewSettings(per_day=3)  # a course that keeps time reviews by default


def test_a_window_without_days_is_open_every_day_and_review_can_be_turned_off(tmp_path: Path) -> None:
    course = course_from(tmp_path, 'schedule: {window: {from: "08:00", to: "20:00"}}\nreview: {per_day: 0}\n')
    assert course.schedule.window == DeliveryWindow(time(8, 0), time(20, 0), EVERY_DAY)
    assert course.review == ReviewSettings(per_day=0)


def test_a_self_paced_course_may_still_review(tmp_path: Path) -> None:
    assert course_from(tmp_path, "review: {per_day: 5}\n").review == ReviewSettings(per_day=5)


@pytest.mark.parametrize(
    ("words", "cadence"),
    [
        ("after previous", AfterPrevious()),
        ("After  Previous", AfterPrevious()),
        ("every day", EveryNDays(1)),
        ("every 1 day", EveryNDays(1)),
        ("every 3 days", EveryNDays(3)),
        ("every week", EveryNDays(7)),
        ("every 2 weeks", EveryNDays(14)),
        ("every 365 days", EveryNDays(365)),
        ("on weekdays", OnWeekdays(frozenset(Weekday) - {Weekday.SAT, Weekday.SUN})),
        ("on mon, wed, fri", OnWeekdays(frozenset({Weekday.MON, Weekday.WED, Weekday.FRI}))),
        ("on Tuesday and Thursday", OnWeekdays(frozenset({Weekday.TUE, Weekday.THU}))),
    ],
)
def test_cadences_authors_write(words: str, cadence: object) -> None:
    assert read_cadence(words) == cadence


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("every 0 days", "'every 0 days': the number must be at least 1"),
        ("every -2 days", "'every -2 days': the number must be at least 1"),
        ("every 53 weeks", "'every 53 weeks' is more than a year apart; at most every 365 days"),
        ("every 2 months", "'every 2 months': count days or weeks, e.g. every 3 days"),
        ("on mon, frii", "'frii' is not a day of the week (did you mean 'fri'?"),
    ],
)
def test_cadences_that_make_no_sense_say_why(words: str, message: str) -> None:
    read = read_cadence(words)
    assert not isinstance(read, AfterPrevious | EveryNDays | OnWeekdays)
    assert read.message.startswith(message)


def test_delays_count_more_than_nothing_and_at_most_a_year() -> None:
    assert read_delay("1 hour") == timedelta(hours=1)
    assert read_delay("52 weeks") == timedelta(weeks=52)
    assert str(read_delay("-1 day")) == (
        "Unreadable(message=\"'-1 day': a delay must be more than nothing (a number above 0)\")"
    )
    assert str(read_delay("400 days")) == (
        "Unreadable(message=\"'400 days' is more than a year; a delay may be at most 365 days\")"
    )


def test_survey_triggers(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "kind: survey\nid: s\ntitle: S\nquestions: [{id: q, type: csat, text: How was it?}]\n"
        "triggers:\n  - days_after_first_contact: 14\n  - after_course: c\n  - every_days: 90\n"
        "  - after_handoff_resolved: true\n",
        encoding="utf-8",
    )
    course_from(tmp_path, "")
    survey = load_content([tmp_path]).surveys["s"]
    assert survey.triggers == (
        DaysAfterFirstContact(14),
        AfterCourse("c"),
        EveryDays(90),
        AfterHandoffResolved(),
    )


def test_an_explicit_timestamp_tag_is_still_refused_on_a_holiday(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        f"kind: course\nid: c\ntitle: C\nschedule: {{holidays: [!!timestamp 2026-12-25]}}\n{LESSONS}",
        encoding="utf-8",
    )
    [error] = validate_paths([tmp_path])
    assert (error.line, error.column) == (4, 23)
    assert error.message.startswith("the tag !!timestamp is not allowed")


def test_an_unquoted_date_in_a_text_stays_as_written(tmp_path: Path) -> None:
    course = course_from(tmp_path, "description: 2026-12-25\n")
    assert course.description is not None
    assert course.description.pick("en") == "2026-12-25"


def test_the_bundled_drip_course_and_triggered_surveys() -> None:
    pack = load_content([ROOT / "content"])
    pro = pack.courses["upgrade-to-pro"]
    working_days = frozenset(Weekday) - {Weekday.SAT, Weekday.SUN}
    assert pro.schedule.cadence == EveryNDays(2)
    assert pro.schedule.window == DeliveryWindow(time(9, 0), time(17, 0), working_days)
    assert date(2026, 12, 25) in pro.schedule.holidays
    assert pro.reminders == (timedelta(days=1), timedelta(days=2))
    assert pack.courses["onboarding"].schedule == Schedule()
    assert DaysAfterFirstContact(14) in pack.surveys["nps"].triggers
    assert pack.surveys["support-csat"].triggers == (AfterHandoffResolved(),)
