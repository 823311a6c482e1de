"""Two weeks of a drip course in one `serve` process, on a clock the test moves: the real
Telegram and Slack adapters against the fake platforms, the sweep every 0.2 s, each
platform's outbox, and a helpdesk answering a hand-off on the process's own port.

`fortnight` (tests/delivery/two_weeks/) sends a lesson every other day, on weekdays from
09:00 to 17:00 on the learner's clock and never on 9 December; reminders 2 hours and then
a day after a step is left; missed quiz questions come back for review. `pulse` (an NPS)
comes 8 days after first contact, `support` (a CSAT) once a hand-off is resolved.

The learners live on both sides of the date line, 25 hours apart: Kiri on Telegram in
Kiritimati (UTC+14, set with `timezone`), Pago on Slack in Pago Pago (UTC-11, from his
Slack profile). When it is Saturday morning for Kiri it is Friday morning for Pago, and
each gets lessons at nine on their own weekdays. Both miss a quiz question and answer it
in review on later days (Kiri by quiz poll, Pago by button). Kiri leaves a step unanswered:
two nudges, then she is paused while her review and the NPS fall due, and when she writes
again she goes on at the same step and gets them. Pago's question goes to the helpdesk,
which resolves it; the CSAT follows, and the NPS waits out the quiet period after it. Tavi
(Telegram) and Sione (Slack) say `stop` after the first lesson and get nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.delivery.serving import (
    MovedClock,
    Serving,
    SlackChat,
    TelegramChat,
    arrives,
    nothing_new,
    serving,
    until,
)
from tests.slack.fake_records import Person as SlackPerson
from tests.telegram.fake_chats import Person

CONTENT = Path(__file__).parent / "two_weeks"
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")


def kiri_time(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=KIRITIMATI)


def pago_time(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PAGO_PAGO)


START = kiri_time(1, 10, 30)
"""Tuesday 1 December, 10:30 in Kiritimati: Monday 30 November, 09:30 in Pago Pago."""

WELCOME = (
    "I teach short lessons right here in chat, and I answer product questions any time. "
    "Type help to see what I can do."
)
STOPPED = "Done: I won't send you lessons or reminders any more. Type start whenever you want to come back."
REVIEW = "🔁 Time for a quick review: a question you missed before."
REVIEW_DONE = "Review done: 1 of 1 right. Anything you missed comes back in a few days."
HABIT = "Will you try it today? [Yes] [Later]"
NUDGE = "👋 Still there, Kiri? You stopped in the middle of “Habit”. Here's where you left off:"
PAUSED = (
    "That's my last reminder: I'll stay quiet until you write to me. Whenever you do, we pick up right here."
)
NPS = "How likely are you to recommend us?\n0 = not at all likely · 10 = extremely likely " + " ".join(
    f"[{score}]" for score in range(11)
)
CSAT_SCALE = " ".join(f"[{score}]" for score in range(1, 6))


def test_two_weeks_of_a_drip_course_on_telegram_and_slack_across_the_date_line(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    asyncio.run(two_weeks(database_url, caplog))


async def two_weeks(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    clock = MovedClock(START)
    async with serving(CONTENT, database_url, clock) as world:
        kiri = world.telegram_chat(Person(61001, "Kiri"))
        pago = world.slack_chat("U0PAGO", SlackPerson("Pago", tz="Pacific/Pago_Pago"))
        tavi = world.telegram_chat(Person(61002, "Tavi"))
        sione = world.slack_chat("U0SIONE", SlackPerson("Sione", tz="Pacific/Apia"))

        await first_day(kiri, pago)
        await the_two_who_stop(tavi, sione)
        await first_week(world, kiri, pago)
        await second_week(world, kiri, pago)

        await world.settled()
        for chat in (kiri, pago, tavi, sione):
            nothing_new(chat)  # the two who said stop: nothing since, whatever fell due
        pressed_messages_show_the_choice(kiri, pago)
    assert [
        record.getMessage()
        for record in caplog.records
        # A sweep still running when the next is due is skipped, and APScheduler says so.
        if record.levelno >= logging.WARNING and not record.name.startswith("apscheduler")
    ] == []


def pressed_messages_show_the_choice(kiri: TelegramChat, pago: SlackChat) -> None:
    """Telegram edits a pressed message to show the choice; Slack rewrites it, the quiz's
    feedback included. A step shown again by a nudge keeps its buttons, answered as stale."""
    assert [line for line in kiri.shown() if "✅ " in line and "\n" in line] == [
        "Will you try it today?\n\n✅ Yes",
        "How likely are you to recommend us?\n0 = not at all likely · 10 = extremely likely\n\n✅ 9",
    ]
    assert kiri.shown().count(HABIT) == 3  # the lesson's, and each nudge's
    assert [line for line in pago.shown() if "\n✓ *" in line] == [
        f"Hi Pago! {WELCOME}\nWhich course would you like to take?\n✓ *Fortnight*",
        "📘 Lesson 2 of 6: Colours\nTwo questions about colours.\n📝 Quiz: Colours (2 questions)\n"
        "*1/2*  What colour is the sky?\n✓ *Green*\n❌ Not quite. The right answer: Blue",
        "*2/2*  What colour is grass?\n✓ *Green*\n✅ Correct!",
        f"{REVIEW}\nWhat colour is the sky?\n✓ *Blue*\n✅ Correct!",
        "📘 Lesson 3 of 6: Habit\nWill you try it today?\n✓ *Yes*",
        f"{REVIEW}\nWhat colour is the sky?\n✓ *Blue*\n✅ Correct!",
        "📝 Support\nHow did support do?\n✓ *5*",
        f"{REVIEW}\nWhat colour is the sky?\n✓ *Blue*\n✅ Correct!",
    ]


async def first_day(kiri: TelegramChat, pago: SlackChat) -> None:
    await kiri.say("timezone Kiritimati")
    await arrives(kiri, "Got it: Pacific/Kiritimati, where it is 10:30 now.")
    await kiri.say("/start fortnight")
    await arrives(
        kiri,
        f"Hi Kiri! {WELCOME}",
        "📘 Lesson 1 of 6: Welcome",
        "One short lesson every other day, on weekdays.",
        "✅ Lesson complete: Welcome",
        "Your next lesson, “Colours”, comes on Thursday at 09:00. See you then!",
    )
    await pago.say("start")
    await arrives(pago, f"Hi Pago! {WELCOME}\nWhich course would you like to take? [Fortnight]")
    await pago.press("Fortnight")
    await arrives(
        pago,
        "📘 Lesson 1 of 6: Welcome\nOne short lesson every other day, on weekdays.\n"
        "✅ Lesson complete: Welcome\n"
        "Your next lesson, “Colours”, comes on Wednesday at 09:00. See you then!",
    )


async def the_two_who_stop(tavi: TelegramChat, sione: SlackChat) -> None:
    """Both start the course, so lessons and the NPS fall due for them; then they say stop."""
    await tavi.say("/start fortnight")
    await arrives(
        tavi,
        f"Hi Tavi! {WELCOME}",
        "One thing first: this course sends its lessons at set hours, and I'd like them to reach you at a "
        "good time. Type timezone and your city (e.g. timezone Berlin) whenever you like, and I'll use your "
        "local time; until then I go by UTC.",
        "📘 Lesson 1 of 6: Welcome",
        "One short lesson every other day, on weekdays.",
        "✅ Lesson complete: Welcome",
        "Your next lesson, “Colours”, comes on Wednesday at 09:00. See you then!",
    )
    await tavi.say("stop")
    await arrives(tavi, STOPPED)
    await sione.say("start fortnight")
    await arrives(
        sione,
        f"Hi Sione! {WELCOME}\n📘 Lesson 1 of 6: Welcome\nOne short lesson every other day, on weekdays.\n"
        "✅ Lesson complete: Welcome\n"
        "Your next lesson, “Colours”, comes on Thursday at 09:00. See you then!",
    )
    await sione.say("stop")
    await arrives(sione, STOPPED)


async def first_week(world: Serving, kiri: TelegramChat, pago: SlackChat) -> None:
    clock = world.clock
    clock.to(kiri_time(3, 8, 59))  # a minute before the window opens on Kiri's Thursday
    await world.settled()
    nothing_new(kiri)

    # Thursday 09:00 for Kiri, still Wednesday 08:00 for Pago: her lesson, its quiz as
    # Telegram quiz polls; she misses the sky.
    clock.to(kiri_time(3, 9))
    await arrives(
        kiri,
        "📘 Lesson 2 of 6: Colours",
        "Two questions about colours.",
        "📝 Quiz: Colours (2 questions)",
        "📊 (1/2) What colour is the sky? (Blue / Green)",
    )
    await kiri.answer_poll("Green")
    await arrives(
        kiri, "❌ Not quite. The right answer: Blue", "📊 (2/2) What colour is grass? (Green / Red)"
    )
    await kiri.answer_poll("Green")
    await arrives(
        kiri,
        "✅ Correct!",
        "You scored 1/2 (50%) and passed! 🎉",
        "✅ Lesson complete: Colours",
        "Your next lesson, “Habit”, comes on Monday at 09:00. See you then!",  # Saturday is off
    )
    await world.settled()
    nothing_new(pago)

    # Wednesday 09:00 for Pago: his lesson with Slack buttons; he misses the sky too.
    clock.to(pago_time(2, 9))
    await arrives(
        pago,
        "📘 Lesson 2 of 6: Colours\nTwo questions about colours.\n📝 Quiz: Colours (2 questions)\n"
        "*1/2*  What colour is the sky? [Blue] [Green]",
    )
    await pago.press("Green")
    await arrives(pago, "*2/2*  What colour is grass? [Green] [Red]")
    await pago.press("Green")
    await arrives(
        pago,
        "You scored 1/2 (50%) and passed! 🎉\n✅ Lesson complete: Colours\n"
        "Your next lesson, “Habit”, comes on Friday at 09:00. See you then!",
    )

    # A day after each missed it, at nine on their clocks, the sky comes back for review:
    # a poll for Kiri (Friday), buttons for Pago (Thursday), an hour apart.
    clock.to(kiri_time(4, 9))
    await arrives(kiri, REVIEW, "📊 (1/1) What colour is the sky? (Blue / Green)")
    await kiri.answer_poll("Blue")
    await arrives(kiri, "✅ Correct!", REVIEW_DONE)
    clock.to(pago_time(3, 9))
    await arrives(pago, f"{REVIEW}\nWhat colour is the sky? [Blue] [Green]")
    await pago.press("Blue")
    await arrives(pago, REVIEW_DONE)

    # Friday 09:00 for Pago is Saturday 10:00 for Kiri: his lesson, none for her at the weekend.
    clock.to(pago_time(4, 9))
    await arrives(pago, "📘 Lesson 3 of 6: Habit\nWill you try it today? [Yes] [Later]")
    await pago.press("Yes")
    await arrives(
        pago,
        "✅ Lesson complete: Habit\nYour next lesson, “Practice”, comes on Monday at 09:00. See you then!",
    )
    await world.settled()
    nothing_new(kiri)


async def second_week(world: Serving, kiri: TelegramChat, pago: SlackChat) -> None:
    clock = world.clock
    # Monday 09:00 for Kiri (Sunday 08:00 for Pago): a lesson she leaves waiting on her
    # answer. The sky is due for review again (3 days after her right answer): it waits.
    clock.to(kiri_time(7, 9))
    await arrives(kiri, "📘 Lesson 3 of 6: Habit", HABIT)
    clock.to(kiri_time(7, 11))  # two hours later: the first nudge, and the question again
    await arrives(kiri, NUDGE, HABIT)

    # Monday 09:00 for Pago: a lesson, then the sky again (3 days after his right answer).
    clock.to(pago_time(7, 9))
    await arrives(
        pago,
        "📘 Lesson 4 of 6: Practice\nPractice makes it stick.\n✅ Lesson complete: Practice\n"
        "Your next lesson, “Sharing”, comes on Thursday at 09:00. See you then!",  # 9 December is off
        f"{REVIEW}\nWhat colour is the sky? [Blue] [Green]",
    )
    await pago.press("Blue")
    await arrives(pago, REVIEW_DONE)

    # Monday 10:00 for Pago, Tuesday 11:00 for Kiri: a day after the first nudge, her last,
    # and she is paused. He asks something no FAQ answers: it goes to the helpdesk.
    clock.to(pago_time(7, 10))
    await arrives(kiri, NUDGE, HABIT, PAUSED)
    await pago.say("Can I export my boards to a spreadsheet?")
    await arrives(pago, "I've passed your question to our support team: a person will reply here.")
    await until(lambda: bool(world.helpdesk.accepted()), lambda: "the hand-off to reach the helpdesk")
    handoff = world.helpdesk.accepted()[0].document
    assert (handoff["question"], handoff["learner"]["platform"]) == (
        "Can I export my boards to a spreadsheet?",
        "slack",
    )

    # An hour later the helpdesk answers and resolves it on `serve`'s port: the answer, the
    # note that it is resolved, then the CSAT.
    clock.to(pago_time(7, 11))
    await world.helpdesk_reply(handoff["handoff_id"], "Yes: Board menu, Export, CSV.", "Sam", resolved=True)
    await arrives(
        pago,
        "💬 Sam from support: Yes: Board menu, Export, CSV.",
        "Support marked your question “Can I export my boards to a spreadsheet?” as resolved. "
        "If anything is still unclear, just ask again.",
        f"📝 Support\nHow did support do?\n1 = very unhappy · 5 = very happy {CSAT_SCALE}",
    )
    await pago.press("5")
    await arrives(pago, "Thanks for telling us.")

    # Tuesday 09:00 for Pago, Wednesday 10:00 for Kiri: `pulse` is due for both, 8 days
    # after first contact, and Kiri's review too. Kiri is paused; Pago answered a survey
    # yesterday, inside the quiet period.
    clock.to(pago_time(8, 9))
    await world.settled()
    nothing_new(kiri)
    nothing_new(pago)

    # Thursday 10:00 for Kiri: she writes again and goes on at the same step; then what
    # waited while she was paused: the review, then the NPS. Each comes an hour after a sweep
    # found her busy (or at once, if none did). For Pago it is Wednesday 9 December: no lesson.
    clock.to(kiri_time(10, 10))
    await kiri.say("hi")
    await arrives(kiri, "Welcome back! Let's pick up where you stopped.", HABIT)
    await kiri.press("Yes")
    await arrives(
        kiri,
        "✅ Lesson complete: Habit",
        "Your next lesson, “Practice”, comes on Monday at 09:00. See you then!",
    )
    clock.to(kiri_time(10, 11))
    await arrives(kiri, REVIEW, "📊 (1/1) What colour is the sky? (Blue / Green)")
    await kiri.answer_poll("Blue")
    await arrives(kiri, "✅ Correct!", REVIEW_DONE)
    clock.to(kiri_time(10, 12))
    await arrives(kiri, "📝 Pulse", NPS)
    await kiri.press("9")
    await arrives(kiri, "Thanks!")
    await world.settled()
    nothing_new(pago)

    # Thursday 09:00 for Pago (Friday 10:00 for Kiri): the lesson the holiday held back.
    clock.to(pago_time(10, 9))
    await arrives(
        pago,
        "📘 Lesson 5 of 6: Sharing\nShare what you learned with a colleague.\n✅ Lesson complete: Sharing\n"
        "Your next lesson, “Wrap-up”, comes on Monday at 09:00. See you then!",
    )
    await world.settled()
    nothing_new(kiri)

    # Monday 14 December: Kiri's next lesson, then Pago's last, and his third right answer
    # about the sky, 7 days after the second, takes it out of review.
    clock.to(kiri_time(14, 9))
    await arrives(
        kiri,
        "📘 Lesson 4 of 6: Practice",
        "Practice makes it stick.",
        "✅ Lesson complete: Practice",
        "Your next lesson, “Sharing”, comes on Wednesday at 09:00. See you then!",
    )
    clock.to(pago_time(14, 9))
    await arrives(
        pago,
        "📘 Lesson 6 of 6: Wrap-up\nThat was the last lesson.\n✅ Lesson complete: Wrap-up\n"
        "🎉 You've finished “Fortnight”!",
        f"{REVIEW}\nWhat colour is the sky? [Blue] [Green]",
    )
    await pago.press("Blue")
    await arrives(pago, REVIEW_DONE)
