"""Read content YAML, report every problem at once, and build the engine's frozen model.

Authors fix content in rounds, so validation never stops at the first problem: every file is
parsed, schema-checked and cross-checked, and all errors come back sorted by file and line.
The engine only ever gets a `ContentPack` built from content that passed all of it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from bot.content import model as m
from bot.content.checks import UnreadFile, cross_check, iter_texts
from bot.content.errors import ContentError, ContentInvalid, SourceFile, key_text, sort_errors
from bot.content.schedule_words import (
    Unreadable,
    read_cadence,
    read_date,
    read_delay,
    read_time,
    read_weekdays,
)
from bot.content.schema import describe, schema_errors
from bot.content.snippets import Snippet, put_in, read_snippets
from bot.content.yaml_guard import RefusedYamlError, load_yaml
from bot.content.yaml_mistakes import explain

CONTENT_SUFFIXES = (".yaml", ".yml")
STEP_KEYS = ("say", "image", "link", "ask", "ask_text", "link_customer", "branch", "quiz", "survey", "cta")
TRUE_LABEL = m.LocalText(
    {"en": "True", "ko": "참", "zh": "对", "ja": "正しい", "es": "Verdadero", "fr": "Vrai", "de": "Richtig"},
    "en",
)
FALSE_LABEL = m.LocalText(
    {"en": "False", "ko": "거짓", "zh": "错", "ja": "誤り", "es": "Falso", "fr": "Faux", "de": "Falsch"}, "en"
)


def find_content_files(paths: Sequence[Path]) -> list[Path]:
    """A directory gives every *.yaml / *.yml under it, sorted; a file gives itself."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in CONTENT_SUFFIXES and p.is_file())
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def validate_paths(paths: Sequence[Path], pack: Sequence[Path] = ()) -> list[ContentError]:
    """Every problem in every content file under `paths`, sorted by file and line; never raises.

    Files under `pack` are read too, so a file that runs a quiz defined elsewhere in its pack
    checks clean on its own, but only the problems of the files under `paths` are reported."""
    wanted = {path.resolve() for path in find_content_files(paths)}
    return [error for error in _analyse([*pack, *paths])[1] if Path(error.file).resolve() in wanted]


def load_content(paths: Sequence[Path], default_locale: str = "en") -> m.ContentPack:
    """The content under `paths` as a `ContentPack`; raises `ContentInvalid` listing every problem."""
    sources, errors = _analyse(paths)
    problems = [error for error in errors if not error.warning]
    if problems:
        raise ContentInvalid(problems)
    snippets: dict[str, Snippet] = {}
    for source in sources:
        if source.kind == "snippets":
            snippets.update(read_snippets(source.data, source.default_locale))
    found: dict[str, dict[str, Any]] = {kind: {} for kind in _BUILDERS}
    for source in sources:
        if source.kind in _BUILDERS:
            data = _with_snippets(source, snippets)
            item = _BUILDERS[source.kind](data, source.default_locale)
            found[source.kind][item.id] = item
    return m.ContentPack(
        courses=found["course"],
        quizzes=found["quiz"],
        surveys=found["survey"],
        faqs=found["faq"],
        campaigns=found["campaign"],
        default_locale=default_locale,
    )


def _with_snippets(source: SourceFile, snippets: Mapping[str, Snippet]) -> Mapping[str, Any]:
    """The file's data with every `{{ snippet("name") }}` in its texts put in, in each text's locale."""
    if not snippets:
        return source.data
    data = copy.deepcopy(dict(source.data))
    for path, text in iter_texts(source.kind, data):
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(text, dict):
            parent[path[-1]] = {locale: put_in(value, locale, snippets) for locale, value in text.items()}
        elif isinstance(text, str):
            parent[path[-1]] = put_in(text, source.default_locale, snippets)
    return data


# --- reading and checking -------------------------------------------------------------------


def _analyse(paths: Sequence[Path]) -> tuple[list[SourceFile], list[ContentError]]:
    sources: list[SourceFile] = []
    errors: list[ContentError] = []
    failed: dict[str, list[ContentError]] = {}
    unread: list[UnreadFile] = []
    for path in find_content_files(paths):
        parsed = _parse(path)
        if isinstance(parsed, UnreadFile):
            unread.append(parsed)
            continue
        sources.append(parsed)
        problems = schema_errors(parsed)
        if problems:
            failed[parsed.name] = problems
            errors += problems
    errors += cross_check(sources, failed, unread)
    return sources, sort_errors(errors)


_TOP_KEY = re.compile(r"^(kind|id):[ \t]*[\"']?([\w-]+)[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)


def _unread(name: str, text: str | None, line: int, column: int, message: str) -> UnreadFile:
    """A file that cannot be read, with the kind and id its top-level lines seem to give."""
    keys: dict[str, str] = {}
    for match in _TOP_KEY.finditer(text or ""):
        keys.setdefault(match.group(1), match.group(2))
    error = ContentError(name, line, column, "", message)
    return UnreadFile(error, keys.get("kind"), keys.get("id"))


def _display(path: Path) -> str:
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
    return str(path)


MAX_FILE_BYTES = 1 << 20
"""A course, a quiz or a hundred FAQ entries take tens of kilobytes; a bigger file is a mistake
(or an attack) that would cost every bot that reads it seconds and memory before any check."""


def _parse(path: Path) -> SourceFile | UnreadFile:
    name = _display(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = (
                f"this file is {size / (1 << 20):.1f} MB; a content file may be at most 1 MB: "
                "split it (one course, quiz or survey per file; FAQ entries over several files)"
            )
            return _unread(name, None, 1, 1, message)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _unread(name, None, 1, 1, f"cannot read this file: {exc}")
    try:
        tree = load_yaml(text)
    except RefusedYamlError as refused:
        return _unread(name, text, refused.line + 1, refused.column + 1, refused.message)
    except MarkedYAMLError as exc:
        explained = explain(text, exc)
        return _unread(name, text, explained.line, explained.column, explained.message)
    except YAMLError as exc:
        return _unread(name, text, 1, 1, f"YAML syntax error: {exc}")
    except (ValueError, IndexError) as exc:  # a value its tag cannot hold (`!!float x`, an empty `!!int`)
        return _unread(name, text, 1, 1, f"a tagged value cannot be read ({exc}); remove the `!!` tag")
    if tree is None:
        message = "the file is empty: it needs at least `kind:` and `id:`"
        return UnreadFile(ContentError(name, 1, 1, "", message), None, None, defines=False)
    try:
        data = _plain(tree)
    except RecursionError:  # a backstop: yaml_guard refuses deep nesting while composing
        return _unread(name, text, 1, 1, "the file nests too deep to read; flatten it")
    if not isinstance(data, dict):
        message = f"the top level must be a mapping starting with `kind:`, not {describe(data)}"
        return UnreadFile(ContentError(name, 1, 1, "", message), None, None, defines=False)
    return SourceFile(name, tree, data)


def _plain(node: object) -> object:
    """The ruamel tree as plain JSON-like data (str keys), which is what the schema validates."""
    if isinstance(node, dict):
        return {key_text(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)


# --- building the model ---------------------------------------------------------------------


def _text(value: Any, locale: str) -> m.LocalText:
    return m.LocalText(dict(value) if isinstance(value, dict) else {locale: value}, locale)


def _maybe(value: Any, locale: str) -> m.LocalText | None:
    return None if value is None else _text(value, locale)


def _course(data: Mapping[str, Any], locale: str) -> m.Course:
    variants = [
        frozenset(t) if isinstance(t, dict) else frozenset({locale}) for _, t in iter_texts("course", data)
    ]
    lessons = tuple(
        m.Lesson(
            lesson["id"], _text(lesson["title"], locale), tuple(_step(s, locale) for s in lesson["steps"])
        )
        for lesson in data["lessons"]
    )
    schedule = _schedule(data.get("schedule", {}))
    review = data.get("review", {})
    per_day = m.DEFAULT_REVIEWS_PER_DAY if schedule.keeps_time else 0
    return m.Course(
        id=data["id"],
        title=_text(data["title"], locale),
        description=_maybe(data.get("description"), locale),
        lessons=lessons,
        default_locale=locale,
        locales=frozenset.intersection(*variants),
        schedule=schedule,
        reminders=tuple(_read(read_delay(delay)) for delay in data.get("reminders", ())),
        review=m.ReviewSettings(review.get("per_day", per_day)),
        open_lessons=data.get("open_lessons", False),
    )


Read = TypeVar("Read")


def _read(value: Read | Unreadable) -> Read:
    """A value the cross-checks already read without complaint."""
    if isinstance(value, Unreadable):
        raise ValueError(f"content that failed its checks reached the model: {value.message}")
    return value


def _schedule(data: Mapping[str, Any]) -> m.Schedule:
    cadence = read_cadence(data.get("cadence", "after previous"))
    if isinstance(cadence, Unreadable):
        raise ValueError(f"content that failed its checks reached the model: {cadence.message}")
    window = data.get("window")
    return m.Schedule(
        cadence=cadence,
        window=None if window is None else _window(window),
        holidays=frozenset(_read(read_date(day)) for day in data.get("holidays", ())),
    )


def _window(data: Mapping[str, Any]) -> m.DeliveryWindow:
    return m.DeliveryWindow(
        opens=_read(read_time(data["from"])),
        closes=_read(read_time(data["to"])),
        days=_read(read_weekdays(data["days"])) if "days" in data else m.EVERY_DAY,
    )


def _step(step: Mapping[str, Any], locale: str) -> m.Step:
    key = next(key for key in STEP_KEYS if key in step)
    return m.Step(_action(key, step[key], locale), step.get("id"), step.get("goto"))


def _action(key: str, body: Any, locale: str) -> m.StepAction:
    if key == "say":
        return m.Say(_text(body, locale))
    if key == "image":
        return m.ShowImage(body["url"], _text(body["alt"], locale), _maybe(body.get("caption"), locale))
    if key == "link":
        return m.ShowLink(body["url"], _text(body["title"], locale))
    if key == "ask":
        return m.AskChoice(
            _text(body["text"], locale),
            tuple(_choice(c, locale) for c in body["choices"]),
            body.get("store_as"),
        )
    if key == "ask_text":
        return m.AskText(_text(body["text"], locale), body["store_as"])
    if key == "link_customer":
        return m.LinkCustomer(_text(body["prompt"], locale))
    if key == "branch":
        return m.Branch(body["on"], dict(body["cases"]), body.get("default"))
    if key == "quiz":
        return m.RunQuiz(body)
    if key == "survey":
        return m.RunSurvey(body)
    return m.CallToAction(_text(body["text"], locale), _text(body["label"], locale), body["url"])


def _choice(choice: Mapping[str, Any], locale: str) -> m.ChoiceOption:
    label = _text(choice["label"], locale)
    return m.ChoiceOption(label, choice.get("value", label.variants[locale]), choice.get("goto"))


def _quiz(data: Mapping[str, Any], locale: str) -> m.Quiz:
    return m.Quiz(
        id=data["id"],
        title=_text(data["title"], locale),
        questions=tuple(_question(q, locale) for q in data["questions"]),
        pass_mark=int(data["pass_mark"]),
        retry_missed=data.get("retry_missed", False),
        default_locale=locale,
        intro=_maybe(data.get("intro"), locale),
        on_fail=_on_fail(data.get("on_fail", "continue")),
    )


def _on_fail(value: str | Mapping[str, str]) -> m.QuizFailure:
    if isinstance(value, str):
        return "retry" if value == "retry" else "continue"
    course_id, _, lesson_id = value["lesson"].partition("/")
    return m.LessonRef(course_id, lesson_id)


def _question(question: Mapping[str, Any], locale: str) -> m.QuizQuestion:
    kind = m.QuestionType(question["type"])
    options: tuple[m.QuizOption, ...]
    if kind is m.QuestionType.TRUE_FALSE:
        answer = question["answer"]
        options = (
            m.QuizOption("true", TRUE_LABEL, answer is True),
            m.QuizOption("false", FALSE_LABEL, answer is False),
        )
    else:
        options = tuple(
            m.QuizOption(
                o["id"], _text(o["text"], locale), o.get("correct", False), _maybe(o.get("feedback"), locale)
            )
            for o in question["options"]
        )
    explanation = _maybe(question.get("explanation"), locale)
    return m.QuizQuestion(question["id"], kind, _text(question["text"], locale), options, explanation)


def _survey(data: Mapping[str, Any], locale: str) -> m.Survey:
    questions = tuple(
        m.SurveyQuestion(
            id=q["id"],
            type=m.SurveyQuestionType(q["type"]),
            text=_text(q["text"], locale),
            follow_up={band: _text(text, locale) for band, text in q.get("follow_up", {}).items()},
            optional=q.get("optional", False),
        )
        for q in data["questions"]
    )
    return m.Survey(
        id=data["id"],
        title=_text(data["title"], locale),
        questions=questions,
        default_locale=locale,
        intro=_maybe(data.get("intro"), locale),
        thank_you=_maybe(data.get("thank_you"), locale),
        triggers=tuple(_trigger(trigger) for trigger in data.get("triggers", ())),
    )


def _trigger(data: Mapping[str, Any]) -> m.SurveyTrigger:
    if "days_after_first_contact" in data:
        return m.DaysAfterFirstContact(int(data["days_after_first_contact"]))
    if "after_course" in data:
        return m.AfterCourse(data["after_course"])
    if "every_days" in data:
        return m.EveryDays(int(data["every_days"]))
    return m.AfterHandoffResolved()


def _faq(data: Mapping[str, Any], locale: str) -> m.Faq:
    entries = tuple(
        m.FaqEntry(
            id=e["id"],
            question=_text(e["question"], locale),
            answer=_text(e["answer"], locale),
            phrasings=_phrasings(e.get("phrasings", []), locale),
            tags=tuple(e.get("tags", ())),
            lesson=m.LessonRef(*e["lesson"].split("/", 1)) if "lesson" in e else None,
            faq_id=data["id"],
        )
        for e in data["entries"]
    )
    return m.Faq(data["id"], entries, locale, _maybe(data.get("support"), locale))


def _phrasings(value: Any, locale: str) -> dict[str, tuple[str, ...]]:
    if isinstance(value, dict):
        return {key: tuple(items) for key, items in value.items()}
    return {locale: tuple(value)} if value else {}


def _campaign(data: Mapping[str, Any], locale: str) -> m.Campaign:
    holdout = float(data.get("holdout", 0))
    if "sends" in data:
        variants: tuple[m.CampaignVariant, ...] = (
            m.CampaignVariant(m.MAIN_VARIANT, 100 - holdout, _sends(data["sends"], locale)),
        )
    else:
        variants = tuple(
            m.CampaignVariant(v["id"], float(v["share"]), _sends(v["sends"], locale))
            for v in data["variants"]
        )
    window = data.get("window")
    return m.Campaign(
        id=data["id"],
        title=_text(data["title"], locale),
        default_locale=locale,
        variants=variants,
        holdout=holdout,
        segment=_segment(data.get("segment", {})),
        when=_timing(data.get("when", "now")),
        frequency_cap=_frequency_cap(data.get("frequency_cap")),
        window=None if window is None else _window(window),
        description=_maybe(data.get("description"), locale),
    )


def _frequency_cap(value: Any) -> m.FrequencyCap | None:
    if value is None:
        return m.DEFAULT_FREQUENCY_CAP
    return None if value == "none" else m.FrequencyCap(value["messages"], value["days"])


def _sends(data: Mapping[str, Any], locale: str) -> m.CampaignSends:
    message = data.get("message")
    return m.CampaignSends(
        course_id=data.get("course"),
        lesson_id=data.get("lesson"),
        survey_id=data.get("survey"),
        message=None if message is None else _message(message, locale),
    )


def _message(data: Mapping[str, Any], locale: str) -> m.CallToAction:
    return m.CallToAction(_text(data["text"], locale), _text(data["button"], locale), data["url"])


def _segment(data: Mapping[str, Any]) -> m.Segment:
    scores = data.get("quiz_score", [])
    return m.Segment(
        platforms=tuple(data.get("platform", ())),
        locales=tuple(data.get("locale", ())),
        plans=tuple(data.get("plan", ())),
        attributes={name: tuple(values) for name, values in data.get("attributes", {}).items()},
        accounts=tuple(data.get("account", ())),
        started=tuple(data.get("started", ())),
        completed=tuple(data.get("completed", ())),
        not_completed=tuple(data.get("not_completed", ())),
        quiz_scores=tuple(
            m.QuizScore(s["quiz"], _maybe_float(s.get("at_least")), _maybe_float(s.get("below")))
            for s in ([scores] if isinstance(scores, dict) else scores)
        ),
        nps=tuple(data.get("nps", ())),
        active_within_days=data.get("active_within_days"),
        inactive_for_days=data.get("inactive_for_days"),
        sources=tuple(data.get("source", ())),
        received=tuple(data.get("received", ())),
        not_received=tuple(data.get("not_received", ())),
    )


def _maybe_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _timing(data: Any) -> m.CampaignTiming:
    if data == "now":
        return m.CampaignTiming()
    if "after_completed" in data:
        return m.CampaignTiming("trigger", after_completed=data["after_completed"], days=data.get("days", 0))
    on = data.get("on")
    return m.CampaignTiming(
        "at", at=_read(read_time(data["at"])), on=None if on is None else _read(read_date(on))
    )


_BUILDERS: Mapping[str, Any] = {
    "course": _course,
    "quiz": _quiz,
    "survey": _survey,
    "faq": _faq,
    "campaign": _campaign,
}
