"""What a schema cannot check: that ids are unique and that every reference lands somewhere.

These run on files that passed the schema, so the data has the documented shape. Ids of files
that failed the schema are still registered (loosely), so a typo in a quiz file is reported
once, in that file, and not again as "unknown quiz" in every course that runs it.
"""

from __future__ import annotations

import calendar
import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml.scalarstring import LiteralScalarString

from bot.content.answer_paths import answers_before_steps
from bot.content.errors import ContentError, PathPart, SourceFile, readable_path
from bot.content.model import (
    CSAT_BANDS,
    END_OF_LESSON,
    HOLDOUT,
    NPS_BANDS,
    SKIP_LESSON,
    OnWeekdays,
    Weekday,
)
from bot.content.schedule_words import (
    Unreadable,
    read_cadence,
    read_date,
    read_delay,
    read_time,
    read_weekday,
    read_weekdays,
)
from bot.content.snippets import Snippet
from bot.content.templates import Reference, SnippetUse, UnguardedAnswer, placeholders

Path_ = tuple[PathPart, ...]
_STEP = "lessons/*/steps/*/"
_STEP_TEXTS = (
    "say image/alt image/caption link/title ask/text ask/choices/*/label ask_text/text link_customer/prompt "
    "cta/text cta/label"
)
_QUIZ_TEXTS = "title intro questions/*/text questions/*/explanation questions/*/options/*/text"
TEXT_PATHS: Mapping[str, tuple[str, ...]] = {
    "course": ("title", "description", "lessons/*/title", *(_STEP + tail for tail in _STEP_TEXTS.split())),
    "quiz": (*_QUIZ_TEXTS.split(), "questions/*/options/*/feedback"),
    "survey": ("title", "intro", "thank_you", "questions/*/text", "questions/*/follow_up/*"),
    "faq": ("support", "entries/*/question", "entries/*/answer"),
    "campaign": (
        "title",
        "description",
        "sends/message/text",
        "sends/message/button",
        "variants/*/sends/message/text",
        "variants/*/sends/message/button",
    ),
    "snippets": ("snippets/*",),
}
"""Where each kind of file has learner-facing text (a string or a locale map)."""

_BANDS = {"nps": NPS_BANDS, "csat": CSAT_BANDS, "text": ()}
_PLURAL = {
    "course": "courses",
    "quiz": "quizzes",
    "survey": "surveys",
    "faq": "FAQs",
    "campaign": "campaigns",
    "snippet": "snippets",
}


def walk(data: object, pattern: str) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) matching a slash pattern where `*` is any list item or mapping key."""
    found: list[tuple[Path_, Any]] = [((), data)]
    for part in pattern.split("/"):
        nxt: list[tuple[Path_, Any]] = []
        for path, node in found:
            if part == "*" and isinstance(node, list):
                nxt.extend(((*path, index), item) for index, item in enumerate(node))
            elif part == "*" and isinstance(node, dict):
                nxt.extend(((*path, key), item) for key, item in node.items())
            elif isinstance(node, dict) and part in node:
                nxt.append(((*path, part), node[part]))
        found = nxt
    return iter(found)


def iter_texts(kind: str, data: object) -> Iterator[tuple[Path_, Any]]:
    """Every learner-facing text of a file, with its path."""
    for pattern in TEXT_PATHS.get(kind, ()):
        yield from walk(data, pattern)


@dataclass
class _Index:
    """Every id defined anywhere, with where it was first defined."""

    defined: dict[tuple[str, str], tuple[SourceFile, Path_]] = field(default_factory=dict)
    lessons: dict[str, list[str]] = field(default_factory=dict)
    stored: set[str] = field(default_factory=set)
    stored_at: dict[str, tuple[SourceFile, Path_]] = field(default_factory=dict)
    """The first step that stores each answer."""
    unread: Sequence[UnreadFile] = ()
    """Files that could not be read: what they define is unknown, so references to it are skipped."""
    opened_directly: set[tuple[str, str]] = field(default_factory=set)
    """(course, lesson) pairs that FAQ entries and campaigns open without the lessons before."""
    snippets: dict[str, Snippet] = field(default_factory=dict)
    used_snippets: set[str] = field(default_factory=set)
    skipped: dict[int, int] = field(default_factory=dict)
    """How many references each unread file (by its place in `unread`) made go unchecked."""

    def knows(self, kind: str, name: str) -> bool:
        """Whether `name` is defined, or may be, by a file that could not be read."""
        if (kind, name) in self.defined:
            return True
        for number, file in enumerate(self.unread):
            if file.defines and file.kind in (None, kind) and file.id in (None, name):
                self.skipped[number] = self.skipped.get(number, 0) + 1
                return True
        return False

    def knows_answer(self, name: str) -> bool:
        """Whether some step stores `name`, or may, in a course file that could not be read."""
        if name in self.stored:
            return True
        for number, file in enumerate(self.unread):
            if file.defines and file.kind in (None, "course"):
                self.skipped[number] = self.skipped.get(number, 0) + 1
                return True
        return False

    def knows_lessons_of(self, course: str) -> bool:
        """Whether `course`'s lessons are known (not when it may live in an unread file)."""
        return course in self.lessons or not self.knows("course", course)

    def ids(self, kind: str) -> list[str]:
        return sorted(name for (known_kind, name) in self.defined if known_kind == kind)

    def add(self, source: SourceFile, kind: str, name: object, path: Path_) -> ContentError | None:
        if not isinstance(name, str):
            return None
        first = self.defined.setdefault((kind, name), (source, path))
        if first[0] is source and first[1] == path:
            return None
        line, column = first[0].position(first[1])
        what = "FAQ entry" if kind == "faq-entry" else kind
        where = f"{first[0].name}:{line + 1}:{column + 1}"
        return source.error(path, f"duplicate {what} id '{name}': already used at {where}")

    def register(self, source: SourceFile) -> list[ContentError]:
        data = source.data
        found = [self.add(source, source.kind, data.get("id"), ("id",))]
        if source.kind == "faq":
            found += [
                self.add(source, "faq-entry", value, path) for path, value in walk(data, "entries/*/id")
            ]
        if source.kind == "course" and isinstance(data.get("id"), str):
            lessons = [value for _, value in walk(data, "lessons/*/id") if isinstance(value, str)]
            self.lessons.setdefault(str(data["id"]), lessons)
        for pattern in ("sends", "variants/*/sends"):
            for _, sends in walk(data, pattern):
                course, lesson = (_str(_mapping(sends).get(key)) for key in ("course", "lesson"))
                if course is not None and lesson is not None:
                    self.opened_directly.add((course, lesson))
        for _, value in walk(data, "entries/*/lesson"):
            if isinstance(value, str) and "/" in value:
                course, lesson = value.split("/", 1)
                self.opened_directly.add((course, lesson))
        if source.kind == "snippets":
            for path, text in walk(data, "snippets/*"):
                found.append(self.add(source, "snippet", path[-1], path))
                variants = text if isinstance(text, dict) else {source.default_locale: text}
                texts = {key: value for key, value in variants.items() if isinstance(value, str)}
                self.snippets.setdefault(str(path[-1]), Snippet(texts, source.default_locale))
        for pattern in (_STEP + "ask/store_as", _STEP + "ask_text/store_as"):
            for path, value in walk(data, pattern):
                if isinstance(value, str):
                    self.stored.add(value)
                    self.stored_at.setdefault(value, (source, path[:4]))
        return [error for error in found if error is not None]


@dataclass(frozen=True)
class UnreadFile:
    """A file that could not be read: its one error, and the `kind:` and `id:` its top lines
    seem to give (None when they do not)."""

    error: ContentError
    kind: str | None
    id: str | None
    defines: bool = True
    """False for a file with nothing to define (empty, or a list at the top)."""

    def skipping(self, references: int) -> ContentError:
        """The error, saying that `references` from other files to this one were not checked
        (rather than reporting each as "there is no course ...")."""
        if not references:
            return self.error
        what = (
            f"its {self.kind} '{self.id}' and what it defines" if self.kind and self.id else "what it defines"
        )
        counted = "1 reference" if references == 1 else f"{references} references"
        verb = "is" if references == 1 else "are"
        message = f"{self.error.message}. Until this file can be read, {counted} to {what} {verb} not checked"
        return replace(self.error, message=message)


def cross_check(
    sources: Sequence[SourceFile],
    failed: Mapping[str, Sequence[ContentError]] | None = None,
    unread: Sequence[UnreadFile] = (),
) -> list[ContentError]:
    """Every cross-reference problem of `sources`, in file order, and the errors of `unread`.

    Files in `failed` (with their schema problems) are checked too, so an author sees every
    problem in one run; what those checks find at or under a place the schema already
    reported is left out, as a knock-on of the same slip."""
    failed = failed or {}
    index = _Index(unread=unread)
    found = {source.name: index.register(source) for source in sources}
    errors: list[ContentError] = []
    for source in sources:
        mine = found[source.name] + _CHECKS.get(source.kind, _no_checks)(source, index)
        mine += _text_errors(source, index)
        reported = [tuple(error.path.split("/")) for error in failed.get(source.name, ())]
        errors += [error for error in mine if not _under(error.path, reported)]
    errors += _unused_snippets(sources, index)
    return errors + [file.skipping(index.skipped.get(n, 0)) for n, file in enumerate(unread)]


def _under(path: str, reported: Sequence[tuple[str, ...]]) -> bool:
    parts = tuple(path.split("/"))
    return any(parts[: len(prefix)] == prefix for prefix in reported if prefix != ("",))


def _mapping(value: object) -> dict[str, Any]:
    """`value` if it is a mapping, else an empty one: files that failed the schema are checked too."""
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _no_checks(source: SourceFile, index: _Index) -> list[ContentError]:
    return []


def _duplicates(source: SourceFile, items: Iterable[tuple[Path_, Any]], what: str) -> list[ContentError]:
    seen: dict[str, Path_] = {}
    errors = []
    for path, value in items:
        if not isinstance(value, str):
            continue
        if value in seen:
            line = source.position(seen[value])[0] + 1
            errors.append(source.error(path, f"duplicate {what} id '{value}' (already used on line {line})"))
        seen.setdefault(value, path)
    return errors


def _unknown(kind: str, name: str, index: _Index) -> str:
    known = index.ids(kind)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    listing = ", ".join(known) if known else "none"
    return f"there is no {kind} with id '{name}' ({hint}known {_PLURAL[kind]}: {listing})"


def _check_course(source: SourceFile, index: _Index) -> list[ContentError]:
    errors = _duplicates(source, walk(source.data, "lessons/*/id"), "lesson")
    for number, lesson in enumerate(_list(source.data.get("lessons"))):
        errors += _check_lesson(source, ("lessons", number), _mapping(lesson), index)
    errors += _check_schedule(source, _mapping(source.data.get("schedule")))
    for path, value in walk(source.data, "reminders/*"):
        errors += _unreadable(source, path, value, read_delay)
    return errors


def _unreadable(
    source: SourceFile, path: Path_, value: object, read: Callable[[str], object]
) -> list[ContentError]:
    """The author's problem with `value` as `read` sees it (a non-string the schema reports)."""
    found = read(value) if isinstance(value, str) else None
    return [source.error(path, found.message)] if isinstance(found, Unreadable) else []


def _check_schedule(source: SourceFile, schedule: dict[str, Any]) -> list[ContentError]:
    errors = _unreadable(source, ("schedule", "cadence"), schedule.get("cadence"), read_cadence)
    for path, value in walk(schedule, "holidays/*"):
        errors += _unreadable(source, ("schedule", *path), value, read_date)
    window = _mapping(schedule.get("window"))
    errors += _check_window(source, ("schedule", "window"), window)
    cadence = read_cadence(schedule["cadence"]) if _str(schedule.get("cadence")) else None
    days = [read_weekday(day) for day in _list(window.get("days")) if isinstance(day, str)]
    open_days = {day for day in days if isinstance(day, Weekday)}
    if (
        isinstance(cadence, OnWeekdays)
        and open_days
        and len(open_days) == len(days)
        and not (cadence.days & open_days)
    ):
        names = ", ".join(day.name.lower() for day in sorted(open_days))
        message = (
            f"'{schedule['cadence']}' sends lessons only on days the window is closed (it is open on "
            f"{names}), so every lesson would wait for the next open day: change one of them"
        )
        errors.append(source.error(("schedule", "cadence"), message))
    return errors


def _check_window(source: SourceFile, here: Path_, window: dict[str, Any]) -> list[ContentError]:
    """A course's schedule window or a campaign's: days that are days, and opening before closing."""
    errors = []
    for path, value in walk(window, "days/*"):
        errors += _unreadable(source, (*here, *path), value, read_weekday)
    opens, closes = (_str(window.get(key)) for key in ("from", "to"))
    if opens is not None and closes is not None:
        start, end = read_time(opens), read_time(closes)
        if not isinstance(start, Unreadable) and not isinstance(end, Unreadable) and start >= end:
            message = (
                f"the window closes ({closes}) before it opens ({opens}): 'from' must be before 'to', "
                "on the same day (a window cannot run past midnight)"
            )
            errors.append(source.error((*here, "to"), message))
    return errors


def _check_lesson(
    source: SourceFile, where: Path_, lesson: dict[str, Any], index: _Index
) -> list[ContentError]:
    steps = [_mapping(step) for step in _list(lesson.get("steps"))]
    step_ids = [
        ((*where, "steps", n, "id"), step["id"]) for n, step in enumerate(steps) if _str(step.get("id"))
    ]
    errors = _duplicates(source, step_ids, "step")
    errors += [source.error(path, f"'{value}' is reserved for leaving a lesson; pick another step id")
               for path, value in step_ids if value in (END_OF_LESSON, SKIP_LESSON)]  # fmt: skip
    names = list(dict.fromkeys(value for _, value in step_ids))
    listing = f"its step ids are: {', '.join(names)}" if names else "none of its steps has an id"

    def target(path: Path_, value: object, what: str) -> None:
        if isinstance(value, str) and value not in (END_OF_LESSON, SKIP_LESSON) and value not in names:
            message = f"lesson '{lesson.get('id')}' has no step with id '{value}' ({listing})"
            errors.append(source.error(path, f"{what} '{value}' points nowhere: {message}"))

    for number, step in enumerate(steps):
        here = (*where, "steps", number)
        if "goto" in step:
            target((*here, "goto"), step["goto"], "goto")
        for path, value in walk(step, "ask/choices/*/goto"):
            target(here + path, value, "goto")
        branch = _mapping(step.get("branch"))
        for case, value in _mapping(branch.get("cases")).items():
            target((*here, "branch", "cases", case), value, f"branch case '{case}' ->")
        if "default" in branch:
            target((*here, "branch", "default"), branch["default"], "branch default")
        on = _str(branch.get("on"))
        if on is not None and not index.knows_answer(on):
            stored = ", ".join(sorted(index.stored)) or "none"
            message = f"no step stores an answer called '{on}' (stored answers: {stored})"
            errors.append(source.error((*here, "branch", "on"), message))
        for kind in ("quiz", "survey"):
            name = _str(step.get(kind))
            if name is not None and not index.knows(kind, name):
                errors.append(source.error((*here, kind), _unknown(kind, name, index)))
    return errors


def _check_quiz(source: SourceFile, index: _Index) -> list[ContentError]:
    errors = _duplicates(source, walk(source.data, "questions/*/id"), "question")
    errors += _check_lesson_refs(source, walk(source.data, "on_fail/lesson"), index)
    for number, item in enumerate(_list(source.data.get("questions"))):
        question = _mapping(item)
        here: Path_ = ("questions", number)
        options = [_mapping(option) for option in _list(question.get("options"))]
        errors += _duplicates(
            source, ((here + path, v) for path, v in walk(question, "options/*/id")), "option"
        )
        correct = [str(option.get("id")) for option in options if option.get("correct") is True]
        kind = question.get("type")
        if kind in ("single", "multiple") and options and not correct:
            message = f"question '{question.get('id')}' has no correct option: mark one with `correct: true`"
            errors.append(source.error(here, message))
        elif kind == "single" and len(correct) > 1:
            message = (
                f"question '{question.get('id')}' is type single but has {len(correct)} correct options "
                f"({', '.join(correct)}): mark only one, or use type: multiple"
            )
            errors.append(source.error(here, message))
    return errors


def _check_survey(source: SourceFile, index: _Index) -> list[ContentError]:
    errors = _duplicates(source, walk(source.data, "questions/*/id"), "question")
    kinds = [_mapping(item).get("type") for item in _list(source.data.get("questions"))]
    for path, value in walk(source.data, "triggers/*/after_course"):
        if isinstance(value, str) and not index.knows("course", value):
            errors.append(source.error(path, _unknown("course", value, index)))
    for path, value in walk(source.data, "triggers/*/after_handoff_resolved"):
        if value is True and "csat" not in kinds:
            asked = ", ".join(str(kind) for kind in dict.fromkeys(kinds)) or "none"
            message = (
                "a survey sent after a hand-off is resolved asks how that help went, so it needs a csat "
                f"question (this survey's questions are: {asked}); use a csat survey for this trigger"
            )
            errors.append(source.error(path, message))
    for number, item in enumerate(_list(source.data.get("questions"))):
        question = _mapping(item)
        kind = question.get("type")
        if kind not in _BANDS:
            continue
        bands = _BANDS[kind]
        for band in _mapping(question.get("follow_up")):
            if band not in bands:
                fits = f"{kind} bands are: {', '.join(bands)}" if bands else "a text question has none"
                message = f"follow_up '{band}' does not fit a {kind} question ({fits})"
                errors.append(source.error(("questions", number, "follow_up", band), message))
    return errors


def _check_faq(source: SourceFile, index: _Index) -> list[ContentError]:
    return _check_lesson_refs(source, walk(source.data, "entries/*/lesson"), index)


def _check_lesson_refs(
    source: SourceFile, refs: Iterable[tuple[Path_, object]], index: _Index
) -> list[ContentError]:
    """Each `COURSE/LESSON` names a lesson some course has."""
    errors = []
    for path, value in refs:
        if not isinstance(value, str) or "/" not in value:
            continue
        course, lesson = value.split("/", 1)
        if not index.knows_lessons_of(course):
            continue
        if course not in index.lessons:
            errors.append(source.error(path, f"lesson '{value}': {_unknown('course', course, index)}"))
        elif lesson not in index.lessons[course]:
            lessons = ", ".join(dict.fromkeys(index.lessons[course]))
            message = (
                f"lesson '{value}': course '{course}' has no lesson '{lesson}' (its lessons are: {lessons})"
            )
            errors.append(source.error(path, message))
    return errors


CAMPAIGN_TEXT_LIMIT = 3000
"""Characters a campaign message may have as written: it goes out as one chat message, and
Slack's section (3,000) is smaller than Telegram's message (4,096)."""
BUTTON_LIMIT_BYTES = 64
"""UTF-8 bytes a campaign button label may have as written: Telegram cuts longer labels, and
Slack's 75 characters are more than 64 bytes."""
VARIANT_ID_LIMIT = 32
"""Reports and assignments keep a variant's id in 32 characters."""
_COURSE_LISTS = ("started", "completed", "not_completed")


def _check_campaign(source: SourceFile, index: _Index) -> list[ContentError]:
    data = source.data
    errors: list[ContentError] = []
    if "sends" not in data and "variants" not in data:
        message = (
            "a campaign needs `sends:` (one thing for everyone in the segment) or `variants:` "
            "(an A/B test); this one has neither"
        )
        errors.append(source.error((), message))
    elif "sends" in data and "variants" in data:
        message = (
            "give either `sends:` or `variants:`, not both: a plain `sends:` is one variant for "
            "everyone, so move it into `variants:` to test it against others"
        )
        errors.append(source.error(("variants",), message))
    if "sends" in data:
        errors += _check_sends(source, ("sends",), _mapping(data["sends"]), index)
        if data.get("holdout") == 100:
            message = "a holdout of 100 leaves nobody to send to: the holdout is the part that gets nothing"
            errors.append(source.error(("holdout",), message))
    variants = [_mapping(variant) for variant in _list(data.get("variants"))]
    errors += _check_variants(source, variants, index)
    errors += _check_segment(source, _mapping(data.get("segment")), index)
    when = _mapping(data.get("when"))
    window = _mapping(data.get("window"))
    errors += _check_when(source, when, window, index)
    errors += _check_window(source, ("window",), window)
    return errors


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _percent(value: float) -> str:
    return f"{value:g}"


def _check_variants(source: SourceFile, variants: list[dict[str, Any]], index: _Index) -> list[ContentError]:
    ids = [(("variants", n, "id"), variant.get("id")) for n, variant in enumerate(variants)]
    errors = _duplicates(source, ids, "variant")
    for path, name in ids:
        if name == HOLDOUT:
            message = "'holdout' is what the control group is called in reports; name this variant otherwise"
            errors.append(source.error(path, message))
        elif isinstance(name, str) and len(name) > VARIANT_ID_LIMIT:
            message = f"variant id '{name}' has {len(name)} characters; at most {VARIANT_ID_LIMIT}"
            errors.append(source.error(path, message))
    for number, variant in enumerate(variants):
        errors += _check_sends(source, ("variants", number, "sends"), _mapping(variant.get("sends")), index)
    shares = [_number(variant.get("share")) for variant in variants]
    for number, share in enumerate(shares):
        if share is not None and share <= 0:
            message = "a variant's share must be more than 0 (one nobody gets can be removed)"
            errors.append(source.error(("variants", number, "share"), message))
    holdout = _number(source.data.get("holdout", 0))
    if variants and holdout is not None and all(share is not None for share in shares):
        total = sum(share for share in shares if share is not None) + holdout
        if abs(total - 100) > 1e-6:
            errors.append(_share_error(source, [s for s in shares if s is not None], holdout, total))
    return errors


def _share_error(source: SourceFile, shares: list[float], holdout: float, total: float) -> ContentError:
    parts = " + ".join(_percent(share) for share in shares)
    if "holdout" not in source.data:
        rest = 100 - total
        hint = f": add `holdout: {_percent(rest)}`, or change the shares" if rest > 0 else ""
        message = f"the variants' shares ({parts}) add up to {_percent(total)}, not 100{hint}"
        return source.error(("variants",), message)
    message = (
        f"the variants' shares ({parts}) and the holdout ({_percent(holdout)}) add up to "
        f"{_percent(total)}; together they must make 100"
    )
    return source.error(("holdout",), message)


def _check_sends(source: SourceFile, here: Path_, sends: dict[str, Any], index: _Index) -> list[ContentError]:
    errors = []
    course, lesson, survey = (_str(sends.get(key)) for key in ("course", "lesson", "survey"))
    if course is not None and not index.knows("course", course):
        errors.append(source.error((*here, "course"), _unknown("course", course, index)))
    elif (
        course is not None
        and lesson is not None
        and index.knows_lessons_of(course)
        and lesson not in index.lessons.get(course, [lesson])
    ):
        lessons = list(dict.fromkeys(index.lessons[course]))
        close = difflib.get_close_matches(lesson, lessons, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        message = f"course '{course}' has no lesson '{lesson}' ({hint}its lessons are: {', '.join(lessons)})"
        errors.append(source.error((*here, "lesson"), message))
    if lesson is not None and course is None:
        message = (
            "'lesson' picks one lesson of the course sent, so it needs `course:` beside it, "
            "e.g. {course: onboarding, lesson: welcome}"
        )
        errors.append(source.error((*here, "lesson"), message))
    if survey is not None and not index.knows("survey", survey):
        errors.append(source.error((*here, "survey"), _unknown("survey", survey, index)))
    return errors + _check_message(source, (*here, "message"), _mapping(sends.get("message")))


def _check_message(source: SourceFile, here: Path_, message: dict[str, Any]) -> list[ContentError]:
    """A link that goes somewhere, and texts that fit the platforms (each locale on its own)."""
    errors = []
    url = _str(message.get("url"))
    if url is not None and not urlsplit(url).hostname:
        hostless = f"'{url}' has no host: write the whole address, e.g. https://example.com/pricing"
        errors.append(source.error((*here, "url"), hostless))
    for key, too_long in (("text", _long_message), ("button", _long_button)):
        text = message.get(key)
        variants = text.items() if isinstance(text, dict) else [(None, text)]
        for locale, value in variants:
            problem = too_long(value) if isinstance(value, str) else None
            if problem is not None:
                errors.append(source.error((*here, key) if locale is None else (*here, key, locale), problem))
    return errors


def _long_message(text: str) -> str | None:
    if len(text) <= CAMPAIGN_TEXT_LIMIT:
        return None
    return (
        f"this message has {len(text):,} characters; a campaign message goes out as one chat message "
        f"of at most {CAMPAIGN_TEXT_LIMIT:,}: shorten it, or send a lesson instead"
    )


def _long_button(text: str) -> str | None:
    size = len(text.encode("utf-8"))
    if size <= BUTTON_LIMIT_BYTES:
        return None
    return (
        f"this button label takes {size} bytes; Telegram shows at most {BUTTON_LIMIT_BYTES} (about 64 "
        "letters, or 21 in Korean, Chinese or Japanese): shorten it"
    )


def _check_segment(source: SourceFile, segment: dict[str, Any], index: _Index) -> list[ContentError]:
    here: Path_ = ("segment",)
    errors = []
    for key in _COURSE_LISTS:
        for path, value in walk(segment, f"{key}/*"):
            if isinstance(value, str) and not index.knows("course", value):
                errors.append(source.error((*here, *path), _unknown("course", value, index)))
    for key in ("received", "not_received"):
        for path, value in walk(segment, f"{key}/*"):
            if isinstance(value, str) and not index.knows("campaign", value):
                errors.append(source.error((*here, *path), _unknown("campaign", value, index)))
    for wanted, unwanted, verb in (
        ("completed", "not_completed", "completed"),
        ("received", "not_received", "received"),
    ):
        chosen = {value for _, value in walk(segment, f"{wanted}/*") if isinstance(value, str)}
        for path, value in walk(segment, f"{unwanted}/*"):
            if value in chosen:
                message = f"'{value}' is also in `{wanted}`: nobody has both {verb} it and not"
                errors.append(source.error((*here, *path), message))
    scores = segment.get("quiz_score")
    items: Iterable[tuple[Path_, Any]] = (
        [((), scores)] if isinstance(scores, dict) else walk(_list(scores), "*")
    )
    for path, item in items:
        errors += _check_quiz_score(source, (*here, "quiz_score", *path), _mapping(item), index)
    active, inactive = (segment.get(key) for key in ("active_within_days", "inactive_for_days"))
    if isinstance(active, int) and isinstance(inactive, int) and inactive > active:
        message = (
            f"nobody was last heard from within {active} days and also at least {inactive} days ago: "
            "inactive_for_days must be at most active_within_days"
        )
        errors.append(source.error((*here, "inactive_for_days"), message))
    return errors


def _check_quiz_score(
    source: SourceFile, here: Path_, score: dict[str, Any], index: _Index
) -> list[ContentError]:
    errors = []
    quiz = _str(score.get("quiz"))
    if quiz is not None and not index.knows("quiz", quiz):
        errors.append(source.error((*here, "quiz"), _unknown("quiz", quiz, index)))
    at_least, below = _number(score.get("at_least")), _number(score.get("below"))
    if quiz is not None and "at_least" not in score and "below" not in score:
        message = f"say which scores of '{quiz}' count: `at_least: 60`, `below: 50`, or both"
        errors.append(source.error(here, message))
    if at_least is not None and below is not None and at_least >= below:
        message = (
            f"no score is at least {_percent(at_least)} and below {_percent(below)}: "
            "`below` must be more than `at_least`"
        )
        errors.append(source.error((*here, "below"), message))
    return errors


def _check_when(
    source: SourceFile, when: dict[str, Any], window: dict[str, Any], index: _Index
) -> list[ContentError]:
    here: Path_ = ("when",)
    errors = _unreadable(source, (*here, "at"), when.get("at"), read_time)
    errors += _unreadable(source, (*here, "on"), when.get("on"), read_date)
    course = _str(when.get("after_completed"))
    if course is not None and not index.knows("course", course):
        errors.append(source.error((*here, "after_completed"), _unknown("course", course, index)))
    if "on" in when and "after_completed" in when:
        message = (
            "'on' is the date for `at`; a trigger goes out `days` after each learner completes "
            "the course, so it has no date"
        )
        errors.append(source.error((*here, "on"), message))
    if "days" in when and "at" in when:
        message = (
            "'days' counts from the completion `after_completed` names; with `at`, give a date with `on`"
        )
        errors.append(source.error((*here, "days"), message))
    at = read_time(when["at"]) if _str(when.get("at")) else None
    opens, closes = (read_time(window[key]) if _str(window.get(key)) else None for key in ("from", "to"))
    if (
        isinstance(at, time)
        and isinstance(opens, time)
        and isinstance(closes, time)
        and not opens <= at < closes
    ):
        message = (
            f"{when['at']} is outside the window ({window['from']} to {window['to']}), so every message "
            "would wait for the next opening: change one of them"
        )
        errors.append(source.error((*here, "at"), message))
    on = read_date(when["on"]) if _str(when.get("on")) else None
    words = _list(window.get("days"))
    days = read_weekdays(words) if words and all(isinstance(word, str) for word in words) else None
    if isinstance(on, date) and isinstance(days, frozenset) and Weekday(on.weekday()) not in days:
        message = (
            f"{when['on']} is a {calendar.day_name[on.weekday()]}, when the window is closed, so the "
            "messages would wait for the next open day: change one of them"
        )
        errors.append(source.error((*here, "on"), message))
    return errors


_CHECKS = {
    "course": _check_course,
    "quiz": _check_quiz,
    "survey": _check_survey,
    "faq": _check_faq,
    "campaign": _check_campaign,
}


def _text_errors(source: SourceFile, index: _Index) -> list[ContentError]:
    errors = []
    default = source.default_locale
    given = _answers_given(source, index)
    for path, text in iter_texts(source.kind, source.data):
        if isinstance(text, dict) and default not in text and text:
            message = f"no '{default}' text, the file's default_locale (this text has: {', '.join(text)})"
            errors.append(source.error(path, message))
        variants = text.items() if isinstance(text, dict) else [(None, text)]
        for locale, value in variants:
            if not isinstance(value, str):
                continue
            here = path if locale is None else (*path, locale)
            errors += _template_errors(
                source, here, value, locale=locale or default, index=index, given=given(path)
            )
    return errors


def _answers_given(source: SourceFile, index: _Index) -> Callable[[Path_], frozenset[str] | None]:
    """For a text's path, the answers surely given before a learner reads it (None: do not ask;
    a snippet is judged where it is included, and there the text it lands in is not known)."""
    if source.kind == "snippets":
        return lambda path: None
    if source.kind != "course":
        return lambda path: frozenset()
    course = str(source.data.get("id"))
    opened = {lesson for (name, lesson) in index.opened_directly if name == course}
    before = answers_before_steps(source.data, opened)

    def given(path: Path_) -> frozenset[str]:
        if len(path) >= 2 and path[0] == "lessons" and isinstance(path[1], int):
            step = path[3] if len(path) >= 4 and path[2] == "steps" and isinstance(path[3], int) else 0
            return before.get((path[1], step), frozenset())
        return frozenset()

    return given


def _template_errors(
    source: SourceFile,
    path: Path_,
    text: str,
    *,
    locale: str,
    index: _Index,
    given: frozenset[str] | None,
) -> list[ContentError]:
    errors = []
    block = isinstance(source.node(path), LiteralScalarString)
    for found in placeholders(text):
        offset = found.lineno if block else found.lineno - 1
        warning = False
        if isinstance(found, SnippetUse):
            message, warning = _snippet_problem(source, found.name, locale, index)
            if not message:
                for name in _unguarded_in_snippet(found.name, locale, index):
                    if given is not None and name not in given:
                        subject = f"snippet '{found.name}' prints answers.{name}, which"
                        unanswered = _unanswered_message(source, name, index, subject)
                        errors.append(
                            source.error(path, unanswered, at_value=True, line_offset=offset, warning=True)
                        )
                continue
        elif isinstance(found, UnguardedAnswer):
            if given is None or found.name in given or found.name not in index.stored:
                continue
            message, warning = _unanswered_message(source, found.name, index), True
        elif isinstance(found, Reference):
            if found.root != "answers" or not found.name or index.knows_answer(found.name):
                continue
            stored = ", ".join(sorted(index.stored)) or "none"
            message = (
                f"'answers.{found.name}' is not stored by any step: add `store_as: {found.name}` to an ask "
                f"or ask_text step (stored answers: {stored})"
            )
        else:
            message = found.message
        errors.append(source.error(path, message, at_value=True, line_offset=offset, warning=warning))
    return errors


def _unanswered_message(source: SourceFile, name: str, index: _Index, subject: str = "") -> str:
    shown = f"answers.{name}"
    store, step = index.stored_at[name]
    if store is not source:
        where = f"it is stored only in {store.name}, which a learner may not have taken first"
    elif source.kind == "course":
        place = readable_path("/".join(str(part) for part in step))
        where = f"it is stored at {place}, and a learner can get here without passing that step"
    else:
        where = "a learner may read this before any step has stored it"
    return (
        f"{subject or shown} may be unanswered here: {where}, so they would read an empty gap; write "
        f'{{{{ {shown} | default("...") }}}} or put it inside {{% if {shown} %}}...{{% endif %}}'
    )


def _snippet_problem(source: SourceFile, name: str, locale: str, index: _Index) -> tuple[str, bool]:
    """What is wrong with `{{ snippet("name") }}` in a text of `locale` ("" when nothing), and
    whether it is only a warning."""
    if source.kind == "snippets":
        return "a snippet cannot include another snippet: write that text out here", False
    if not index.knows("snippet", name):
        return _unknown("snippet", name, index), False
    index.used_snippets.add(name)
    snippet = index.snippets.get(name)
    locales = frozenset(snippet.variants) if snippet is not None else frozenset({locale})
    if locale in locales:
        return "", False
    message = (
        f"snippet '{name}' has no '{locale}' text, so this '{locale}' text would show it in "
        f"{', '.join(sorted(locales))}: add a '{locale}' text to the snippet"
    )
    return message, True


def _unguarded_in_snippet(name: str, locale: str, index: _Index) -> list[str]:
    """The stored answers a snippet prints without a default: where it lands decides whether
    they may be missing."""
    snippet = index.snippets.get(name)
    text = snippet.in_locale(locale) if snippet is not None else ""
    found = [item.name for item in placeholders(text) if isinstance(item, UnguardedAnswer)]
    return [answer for answer in dict.fromkeys(found) if answer in index.stored]


def _unused_snippets(sources: Sequence[SourceFile], index: _Index) -> list[ContentError]:
    """Snippets no text includes (not told while a file that could not be read may include them)."""
    if any(file.defines for file in index.unread):
        return []
    warnings = []
    for source in sources:
        if source.kind != "snippets":
            continue
        for path, _text in walk(source.data, "snippets/*"):
            name = str(path[-1])
            first = index.defined.get(("snippet", name))
            if name not in index.used_snippets and first is not None and first[0] is source:
                call = '{{ snippet("' + name + '") }}'
                message = f"no text uses snippet '{name}': include it with {call}, or remove it"
                warnings.append(source.error(path, message, warning=True))
    return warnings
