"""The commands every learner has on every platform, typed with or without a slash."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.flows import customers, lessons, questions, quizzes, referrals, surveys
from bot.flows.progress import overview_of
from bot.links.deep_links import CustomerLink, Forged, Invite, read_payload
from bot.messages import ChoiceAccepted
from bot.phrases import language_name, normal_locale
from bot.schedule.zones import find_zone, zone_named
from bot.state import LessonFrame, OpenPrompt, PromptKind, QuizFrame, SurveyFrame
from bot.turn import Turn

log = logging.getLogger(__name__)

_LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


@dataclass(frozen=True)
class Command:
    name: str
    argument: str


_ALIASES = {
    "start": "start",
    "courses": "courses",
    "course": "courses",
    "menu": "courses",
    "resume": "resume",
    "continue": "resume",
    "progress": "progress",
    "ask": "ask",
    "question": "ask",
    "language": "language",
    "lang": "language",
    "timezone": "timezone",
    "tz": "timezone",
    "stop": "stop",
    "unsubscribe": "stop",
    "invite": "invite",
    "help": "help",
}
_TAKES_ARGUMENT = {"start", "ask", "language", "timezone"}
MAX_PLACE_WORDS = 4
"""Ho Chi Minh City; a longer text after `timezone` without a slash is a sentence."""


def parse(text: str) -> Command | None:
    """A command in `text`, or None. "/ask how?" and "ask how?" are both commands; a bare
    word only counts when it is the whole message (or a command that takes an argument),
    so an ordinary sentence starting with "stop" is not an unsubscribe."""
    stripped = text.strip()
    slash = stripped.startswith("/")
    word, _, rest = stripped.lstrip("/").partition(" ")
    name = word.split("@", 1)[0].casefold()
    second, _, after = rest.strip().partition(" ")
    if name == "time" and second.casefold() == "zone":  # the one command of two words
        name, rest = "timezone", after
    canonical = _ALIASES.get(name)
    if canonical is None:
        return Command(name, rest.strip()) if slash and name else None
    if rest.strip() and not slash and canonical not in _TAKES_ARGUMENT:
        return None
    if canonical == "timezone" and not slash and len(rest.split()) > MAX_PLACE_WORDS:
        return None  # "time zone of my deadlines is wrong" is a question, not a place
    return Command(canonical, rest.strip())


def run(turn: Turn, command: Command) -> None:
    handler = _HANDLERS.get(command.name)
    if handler is None:
        turn.send_text(turn.say("unknown_command", command=f"/{command.name}"))
        turn.send_text(turn.say("help"))
        return
    turn.mark("command", command.name)
    handler(turn, command.argument)


def start(turn: Turn, payload: str) -> None:
    """Greet, resubscribe, and either enrol in the deep-linked course or show the courses.
    A signed customer or invite link is taken in first, and then greets as no payload does."""
    learner = turn.learner
    if not learner.subscribed:
        learner.subscribed = True
        turn.mark("resubscribed")
        turn.send_text(turn.say("resubscribed"))
    signed = read_payload(turn.link_secret, payload)
    if isinstance(signed, CustomerLink):
        customers.tie_by_signed_link(turn, signed.customer_id)
    elif isinstance(signed, Invite):
        referrals.arrived_by_invite(turn, signed.inviter_id)
    elif isinstance(signed, Forged):
        log.info("learner %s arrived with a signed link that does not verify: taken as none", learner.id)
    if signed is not None:
        payload = ""
    if payload:
        learner.source = learner.source or payload[:64]
        course_id, _, lesson_id = payload.partition("/")
        course = turn.content.courses.get(course_id)
        lesson = course.lesson(lesson_id) if course is not None and lesson_id else None
        if course is not None and lesson is not None and (course.open_lessons or turn.every_lesson_open):
            turn.send_text(
                turn.say("welcome_new" if turn.first_contact else "welcome_back", name=turn.first_name)
            )
            lessons.start_course(turn, course, source=course.id, lesson=lesson)
            return
        if course is not None and _in_the_middle_of(turn, course.id):
            turn.send_text(turn.say("welcome_back", name=turn.first_name))
            reshow(turn)
            return
        if course is not None:
            turn.send_text(turn.say("welcome_new", name=turn.first_name))
            lessons.start_course(turn, course, source=course.id)
            return
    if turn.conversation.stack:
        turn.send_text(turn.say("welcome_back", name=turn.first_name))
        reshow(turn)
        return
    turn.send_text(turn.say("welcome_new" if turn.first_contact else "welcome_back", name=turn.first_name))
    courses(turn, "")


def courses(turn: Turn, _argument: str) -> None:
    available = list(turn.content.courses.values())
    if not available:
        turn.send_text(turn.say("no_courses"))
        return
    status = {enrolment.course_id: enrolment.status for enrolment in turn.enrolments.all()}
    labels = []
    for course in available:
        title = turn.text(course.title)
        mark = {"completed": "course_done_mark", "active": "course_active_mark"}.get(
            status.get(course.id, "")
        )
        labels.append(turn.say(mark, title=title) if mark else title)
    turn.ask(turn.say("pick_course"), PromptKind.COURSE, [course.id for course in available], labels)


def picked_course(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    course = turn.content.courses.get(prompt.values[index])
    if course is None:
        turn.send_text(turn.say("unknown_course"))
        courses(turn, "")
        return True
    frame = turn.conversation.stack[0] if _in_the_middle_of(turn, course.id) else None
    lesson = course.lesson(frame.lesson_id) if isinstance(frame, LessonFrame) else None
    if lesson is not None:
        lessons.send_heading(turn, course, lesson)
        reshow(turn)
        return True
    lessons.start_course(turn, course)
    return True


def _in_the_middle_of(turn: Turn, course_id: str) -> bool:
    """A lesson of `course_id` is open (perhaps under its quiz or survey): going to the course
    again (its link, the course list) comes back to the prompt that was open, rather than
    starting the lesson over and losing the answers in between."""
    stack = turn.conversation.stack
    return bool(stack) and isinstance(stack[0], LessonFrame) and stack[0].course_id == course_id


def reshow(turn: Turn) -> None:
    """Show whatever the learner is in the middle of again."""
    frame = turn.conversation.active
    if isinstance(frame, LessonFrame):
        lessons.reshow(turn)
    elif isinstance(frame, QuizFrame):
        if frame.finished:
            quizzes.ask_after(turn)
        else:
            quizzes.ask_current(turn)
    elif isinstance(frame, SurveyFrame):
        surveys.ask_current(turn)


def resume(turn: Turn, _argument: str) -> None:
    if turn.conversation.stack:
        reshow(turn)
        return
    active = [enrolment for enrolment in turn.enrolments.all() if enrolment.status == "active"]
    enrolment = max(active, key=lambda each: each.last_activity_at, default=None)
    course = turn.content.courses.get(enrolment.course_id) if enrolment else None
    if enrolment is not None and course is not None:
        lessons.start_course(turn, course)
        return
    turn.send_text(turn.say("nothing_in_progress"))
    courses(turn, "")


def progress(turn: Turn, _argument: str) -> None:
    """The learner's courses and best quiz results, as the standing page shows them."""
    overview = overview_of(turn.session, turn.content, turn.learner.id, turn.locale, turn.enrolments.all())
    if not overview.courses:
        turn.send_text(turn.say("no_progress"))
        return
    lines = [turn.say("progress_header")]
    for course in overview.courses:
        done = turn.say("progress_completed") if course.completed else ""
        lines.append(
            turn.say(
                "progress_course",
                title=course.title,
                done=course.lessons_done,
                total=course.lessons_total,
                status=done,
            )
        )
    for quiz in overview.quizzes:
        mark = turn.say("progress_passed") if quiz.passed else ""
        lines.append(turn.say("progress_quiz", title=quiz.title, percent=quiz.best_percent, passed=mark))
    turn.send_text("\n".join(lines))


def ask(turn: Turn, argument: str) -> None:
    if argument:
        questions.ask(turn, argument)
    else:
        turn.send_text(turn.say("ask_what"))


def language(turn: Turn, argument: str) -> None:
    available = sorted(turn.content.locales)
    code = normal_locale(argument)
    if not code:
        labels = [language_name(locale) for locale in available]
        turn.ask(turn.say("language_pick"), PromptKind.LANGUAGE, available, labels)
        return
    matched = next((locale for locale in available if language_name(locale).casefold() == code), code)
    if not _LOCALE.match(matched) or matched.split("-")[0] not in {a.split("-")[0] for a in available}:
        names = ", ".join(f"{language_name(locale)} ({locale})" for locale in available)
        turn.send_text(turn.say("language_unknown", code=argument.strip(), available=names))
        return
    _set_language(turn, matched)


def picked_language(turn: Turn, prompt: OpenPrompt, index: int) -> bool:
    turn.conversation.close_prompt(prompt.seq)
    turn.send(ChoiceAccepted(str(prompt.seq), prompt.labels[index]))
    _set_language(turn, prompt.values[index])
    return True


def _set_language(turn: Turn, locale: str) -> None:
    turn.learner.locale = locale
    turn.mark("language_set", None, locale)
    turn.send_text(turn.say("language_set", language=language_name(locale)))


def timezone(turn: Turn, argument: str) -> None:
    """Without a city: the zone the bot goes by and how to change it. With one: set it."""
    if not argument:
        turn.send_text("\n".join(_zone_now(turn)))
        return
    found = find_zone(argument)
    if found.zone is None:
        shown = argument.strip()[:60]
        if found.suggestions:
            places = turn.say("or").join(found.suggestions)
            turn.send_text(turn.say("timezone_did_you_mean", text=shown, places=places))
        else:
            turn.send_text(turn.say("timezone_unknown", text=shown))
        turn.mark("timezone_unknown", None, argument[:200])
        return
    turn.learner.chosen_timezone = found.zone.key
    turn.mark("timezone_set", None, found.zone.key)
    turn.send_text(turn.say("timezone_set", zone=found.zone.key, time=_clock(turn)))


def _zone_now(turn: Turn) -> list[str]:
    learner, zone, time = turn.learner, turn.zone.key, _clock(turn)
    if zone_named(learner.chosen_timezone) is not None:
        return [turn.say("timezone_chosen", zone=zone, time=time), turn.say("timezone_change")]
    if zone_named(learner.timezone) is not None:
        return [turn.say("timezone_from_profile", zone=zone, time=time), turn.say("timezone_change")]
    return [turn.say("timezone_default", zone=zone, time=time), turn.say("timezone_ask")]


def _clock(turn: Turn) -> str:
    """The time of day where the learner is, as a 24-hour clock."""
    return turn.now.astimezone(turn.zone).strftime("%H:%M")


def stop(turn: Turn, _argument: str) -> None:
    turn.learner.subscribed = False
    turn.mark("unsubscribed")
    turn.send_text(turn.say("stopped"))


def help_(turn: Turn, _argument: str) -> None:
    turn.send_text(turn.say("help"))


_HANDLERS: dict[str, Callable[[Turn, str], None]] = {
    "start": start,
    "courses": courses,
    "resume": resume,
    "progress": progress,
    "ask": ask,
    "language": language,
    "timezone": timezone,
    "stop": stop,
    "invite": referrals.invite,
    "help": help_,
}
