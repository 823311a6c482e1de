"""`lessonloop validate` as authors meet it: one mistake, one clear message, at the right line.

Every file under `broken/` holds one mistake (except the multi-error ones); `good/` is small
valid content the broken files refer to, so each broken file yields exactly its own error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bot.content.errors import ContentError
from bot.content.loader import validate_paths
from bot.content.schema import SCHEMA_PATH

HERE = Path(__file__).parent
REPO = HERE.parents[1]
STEPS = (
    "a step needs exactly one of: say, image, link, ask, ask_text, link_customer, branch, quiz, survey, cta"
)
ALLOWED = (
    "learner.first_name, learner.name, learner.locale, learner.platform, "
    "learner.attributes.NAME or answers.NAME"
)

BROKEN = {
    "bad-type.yaml": (
        "broken/bad-type.yaml:4:1: title: expected text (a string, or a map of locale to string), "
        "got a number (42) (put it in quotes to make it text)"
    ),
    "missing-id.yaml": "broken/missing-id.yaml:6:5: lesson 1 (lessons/0): missing 'id'",
    "unknown-key.yaml": (
        "broken/unknown-key.yaml:4:1: tittle: unknown key 'tittle' (did you mean 'title'? allowed "
        "here: kind, id, default_locale, title, description, open_lessons, lessons, schedule, reminders, "
        "review)"
    ),
    "two-step-keys.yaml": (
        f"broken/two-step-keys.yaml:9:9: lesson 1, step 1 (lessons/0/steps/0): {STEPS} (this one has say and "
        "link)"
    ),
    "yaml-syntax.yaml": (
        "broken/yaml-syntax.yaml:4:16: the ': ' after 'Step one' makes YAML read a new key inside "
        'this text: put the whole text in quotes: "Step one: install"'
    ),
    "empty.yaml": ("broken/empty.yaml:1:1: the file is empty: it needs at least `kind:` and `id:`"),
    "top-level-list.yaml": (
        "broken/top-level-list.yaml:1:1: the top level must be a mapping starting with `kind:`, not a list"
    ),
    "dangling-quiz.yaml": (
        "broken/dangling-quiz.yaml:9:9: lesson 1, step 1 (lessons/0/steps/0/quiz): there is no quiz with id "
        "'mini-chek' (did you mean 'mini-check'? known quizzes: mini-check)"
    ),
    "goto-nowhere.yaml": (
        "broken/goto-nowhere.yaml:13:32: lesson 1, step 1, choice 2 (lessons/0/steps/0/ask/choices/1/goto): "
        "goto 'wrapup' points "
        "nowhere: lesson 'welcome' has no step with id 'wrapup' (its step ids are: manager_tip, wrap_up)"
    ),
    "branch-unknown-answer.yaml": (
        "broken/branch-unknown-answer.yaml:10:11: lesson 1, step 1 (lessons/0/steps/0/branch/on): "
        "no step stores an answer called 'team_size' (stored answers: first_project, role)"
    ),
    "quiz-no-correct.yaml": (
        "broken/quiz-no-correct.yaml:7:5: question 1 (questions/0): question 'views' has no correct "
        "option: mark one with `correct: true`"
    ),
    "single-two-correct.yaml": (
        "broken/single-two-correct.yaml:7:5: question 1 (questions/0): question 'views' is type "
        "single but has 2 correct options (a, b): mark only one, or use type: multiple"
    ),
    "true-false-options.yaml": (
        "broken/true-false-options.yaml:7:5: question 1 (questions/0): a true_false question needs "
        "`answer: true` or `answer: false` instead of `options`"
    ),
    "template-syntax.yaml": (
        "broken/template-syntax.yaml:9:14: lesson 1, step 1 (lessons/0/steps/0/say): template syntax error: "
        "unexpected '}' (placeholders look like {{ learner.first_name }})"
    ),
    "template-unknown-variable.yaml": (
        "broken/template-unknown-variable.yaml:9:14: lesson 1, step 1 (lessons/0/steps/0/say): "
        f"unknown placeholder 'user.name'; templates can use {ALLOWED}"
    ),
    "unknown-answer-placeholder.yaml": (
        "broken/unknown-answer-placeholder.yaml:14:14: lesson 1, step 2 (lessons/0/steps/1/say): "
        "'answers.team_name' is not stored by any step: add `store_as: team_name` to an ask or ask_text step "
        "(stored answers: first_project, role, team)"
    ),
    "name-without-default.yaml": (
        "broken/name-without-default.yaml:9:14: lesson 1, step 1 (lessons/0/steps/0/say): learner.first_name "
        "is empty "
        "for learners whose platform gives no name, and the text would read oddly for them: write "
        '{{ learner.first_name | default("...") }} or put it inside '
        "{% if learner.first_name %}...{% endif %}"
    ),
    "sandbox-escape.yaml": (
        "broken/sandbox-escape.yaml:9:14: lesson 1, step 1 (lessons/0/steps/0/say): '__class__' is not "
        "allowed: names starting with _ are off limits"
    ),
    "missing-default-locale.yaml": (
        "broken/missing-default-locale.yaml:8:5: lesson 1 (lessons/0/title): no 'en' text, "
        "the file's default_locale (this text has: ko)"
    ),
    "quiz-fail-unknown-lesson.yaml": (
        "broken/quiz-fail-unknown-lesson.yaml:6:11: on_fail/lesson: lesson 'mini/welcom': "
        "course 'mini' has no lesson 'welcom' (its lessons are: welcome, finish)"
    ),
    "faq-unknown-lesson.yaml": (
        "broken/faq-unknown-lesson.yaml:8:5: entry 1 (entries/0/lesson): lesson 'mini/welcom': "
        "course 'mini' has no lesson 'welcom' (its lessons are: welcome, finish)"
    ),
    "invalid-id.yaml": (
        "broken/invalid-id.yaml:3:1: id: 'my course' is not a valid id: use letters, digits, "
        "_ and - only (no spaces), starting with a letter or digit, at most 48 characters"
    ),
    "follow-up-band.yaml": (
        "broken/follow-up-band.yaml:9:17: question 1 (questions/0/follow_up/promoter): follow_up "
        "'promoter' does not fit a csat question (csat bands are: unhappy, neutral, happy)"
    ),
    "campaign-unknown-course.yaml": (
        "broken/campaign-unknown-course.yaml:5:9: sends/course: there is no course "
        "with id 'upgrade-to-pro' (known courses: mini)"
    ),
    "duplicate-step-id.yaml": (
        "broken/duplicate-step-id.yaml:11:9: lesson 1, step 2 (lessons/0/steps/1/id): duplicate step id "
        "'hello' (already used on line 9)"
    ),
    "window-backwards.yaml": (
        "broken/window-backwards.yaml:6:27: schedule/window/to: the window closes (09:00) before it "
        "opens (17:00): 'from' must be before 'to', on the same day (a window cannot run past midnight)"
    ),
    "window-unknown-day.yaml": (
        "broken/window-unknown-day.yaml:6:57: day 3 (schedule/window/days/2): 'wendsday' is not a day of the "
        "week (did you mean 'wed'? days are: mon, tue, wed, thu, fri, sat, sun)"
    ),
    "window-no-days.yaml": (
        "broken/window-no-days.yaml:6:40: schedule/window/days: needs at least 1 item, got an empty list"
    ),
    "window-bad-time.yaml": (
        "broken/window-bad-time.yaml:6:12: schedule/window/from: '9am' is not a time of day: write "
        'HH:MM on a 24-hour clock, e.g. "09:00" or "17:30"'
    ),
    "cadence-too-long.yaml": (
        "broken/cadence-too-long.yaml:6:3: schedule/cadence: 'every 400 days' is more than a year "
        "apart; at most every 365 days"
    ),
    "cadence-unreadable.yaml": (
        "broken/cadence-unreadable.yaml:6:3: schedule/cadence: 'twice a week' is not a cadence: write "
        "after previous, every day, every 3 days, every week, on weekdays, or on mon, wed, fri"
    ),
    "cadence-closed-days.yaml": (
        "broken/cadence-closed-days.yaml:6:3: schedule/cadence: 'on sat, sun' sends lessons only on "
        "days the window is closed (it is open on mon, tue, wed, thu, fri), so every lesson would wait "
        "for the next open day: change one of them"
    ),
    "holiday-impossible.yaml": (
        "broken/holiday-impossible.yaml:6:26: holiday 2 (schedule/holidays/1): '2026-02-30' is not a date: "
        "February 2026 has 28 days"
    ),
    "reminders-too-many.yaml": (
        "broken/reminders-too-many.yaml:5:1: reminders: may have at most 5 items, got 6"
    ),
    "reminder-zero.yaml": (
        "broken/reminder-zero.yaml:5:13: reminder 1 (reminders/0): '0 days': a delay must be more than "
        "nothing "
        "(a number above 0)"
    ),
    "reminder-unit.yaml": (
        "broken/reminder-unit.yaml:5:13: reminder 1 (reminders/0): 'dyas' is not a unit of time (did you "
        "mean "
        "'days'? use minutes, hours, days or weeks)"
    ),
    "trigger-unknown-course.yaml": (
        "broken/trigger-unknown-course.yaml:10:5: trigger 1 (triggers/0/after_course): there is no course "
        "with id "
        "'minni' (did you mean 'mini'? known courses: mini)"
    ),
    "trigger-handoff-on-nps.yaml": (
        "broken/trigger-handoff-on-nps.yaml:10:5: trigger 1 (triggers/0/after_handoff_resolved): a survey "
        "sent "
        "after a hand-off is resolved asks how that help went, so it needs a csat question (this "
        "survey's questions are: nps); use a csat survey for this trigger"
    ),
    "trigger-zero-days.yaml": (
        "broken/trigger-zero-days.yaml:10:5: trigger 1 (triggers/0/days_after_first_contact): must be at "
        "least 1 (got 0)"
    ),
    "trigger-two-kinds.yaml": (
        "broken/trigger-two-kinds.yaml:10:5: trigger 1 (triggers/0): each item of 'triggers' needs exactly "
        "one of: "
        "days_after_first_contact, after_course, every_days, after_handoff_resolved "
        "(this one has days_after_first_contact and every_days)"
    ),
}


@pytest.fixture
def in_tests(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from tests/content, so errors name files as `broken/x.yaml`."""
    monkeypatch.chdir(HERE)
    return HERE


@pytest.mark.parametrize(("name", "expected"), BROKEN.items(), ids=list(BROKEN))
def test_one_mistake_gives_one_clear_error(in_tests: Path, name: str, expected: str) -> None:
    errors = validate_paths([Path("good"), Path("broken") / name])
    assert [str(error) for error in errors] == [expected]


def test_every_broken_fixture_is_covered() -> None:
    single = {path.name for path in (HERE / "broken").glob("*.yaml")} - {
        "multi-error.yaml",
        "multi-reference-error.yaml",
    }
    assert single == set(BROKEN)


def test_duplicate_course_id_across_files_names_the_first(in_tests: Path) -> None:
    errors = validate_paths([Path("broken/duplicate-course")])
    assert [str(error) for error in errors] == [
        "broken/duplicate-course/second.yaml:3:1: id: duplicate course id 'twice': already used at "
        "broken/duplicate-course/first.yaml:2:1"
    ]


def test_all_schema_errors_of_a_file_come_at_once_sorted(in_tests: Path) -> None:
    errors = validate_paths([Path("broken/multi-error.yaml")])
    assert [(error.line, error.path) for error in errors] == [
        (9, "lessons/0/steps/0/sya"),
        (10, "lessons/0/steps/1/image/url"),
        (12, "lessons/1/titel"),
        (13, "lessons/1/steps"),
    ]
    assert errors == sorted(errors)


def test_all_reference_errors_of_a_file_come_at_once_sorted(in_tests: Path) -> None:
    errors = validate_paths([Path("good"), Path("broken/multi-reference-error.yaml")])
    assert [(error.line, error.message.split(":")[0]) for error in errors] == [
        (7, "no 'en' text, the file's default_locale (this text has"),
        (9, "'learner.email' does not exist; use learner.first_name, learner.name, learner.locale, "
         "learner.platform, learner.attributes.NAME or answers.NAME"),
        (10, "goto 'two' points nowhere"),
        (11, "there is no quiz with id 'nope' (known quizzes"),
        (12, "duplicate lesson id 'one' (already used on line 6)"),
    ]  # fmt: skip


def test_errors_across_files_are_sorted_by_file_then_line(in_tests: Path) -> None:
    errors = validate_paths([Path("broken")])
    assert errors == sorted(errors, key=lambda error: (error.file, error.line, error.column))
    # yaml-syntax.yaml is a course that cannot be read: the answers it may store are not reported missing
    unchecked = {"faq-unknown-lesson.yaml", "unknown-answer-placeholder.yaml", "branch-unknown-answer.yaml"}
    assert {Path(error.file).name for error in errors} >= set(BROKEN) - unchecked


def test_a_missing_file_is_an_error_not_a_crash(in_tests: Path) -> None:
    [error] = validate_paths([Path("broken/no-such-file.yaml")])
    assert (error.file, error.line, error.column, error.path) == ("broken/no-such-file.yaml", 1, 1, "")
    assert error.message.startswith("cannot read this file")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: course\nid: x\nid: y\n", "YAML syntax error: found duplicate key"),
        ("kind: faq\nid: a\n---\nkind: faq\n", "YAML syntax error: only one document per file"),
        (
            "kind: cours\nid: x\n",
            "kind: expected one of: course, quiz, survey, faq, campaign, snippets, got 'cours'",
        ),
        ("id: x\n", "missing 'kind' (one of: course, quiz, survey, faq, campaign, snippets)"),
        ("# only a comment\n", "the file is empty"),
    ],
)
def test_file_level_mistakes(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "content.yaml"
    path.write_text(text, encoding="utf-8")
    [error] = validate_paths([path])
    assert message in str(error)


def _readme_examples() -> Iterator[str]:
    readme = (REPO / "content" / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL):
        if re.search(r"^kind:", block, re.MULTILINE):
            yield block


def test_every_example_in_the_authors_readme_validates(tmp_path: Path) -> None:
    examples = list(_readme_examples())
    assert len(examples) == 7
    for number, example in enumerate(examples):
        (tmp_path / f"example-{number}.yaml").write_text(example, encoding="utf-8")
    # the campaign example sends a course the README does not show
    stub = "kind: course\nid: upgrade-to-pro\ntitle: Pro\nlessons: [{id: a, title: A, steps: [{say: Hi}]}]\n"
    (tmp_path / "stub.yaml").write_text(stub, encoding="utf-8")
    found = validate_paths([tmp_path])
    # the snippets example is shown apart from the texts that use it
    assert [(error.path, error.warning) for error in found] == [
        ("snippets/support_hours", True),
        ("snippets/sign_off", True),
    ]


def _properties(node: object) -> Iterator[tuple[str, object]]:
    """Every property an author can write (not those inside `if` conditions, which only test)."""
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            yield name, value
        for key, value in node.items():
            if key != "if":
                yield from _properties(value)
    elif isinstance(node, list):
        for value in node:
            yield from _properties(value)


def test_schema_is_valid_and_every_property_is_described() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    undescribed = [
        name
        for name, value in _properties(schema)
        if not isinstance(value, dict) or "description" not in value
    ]
    assert undescribed == []


def test_schema_ids_and_locales() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    id_pattern = re.compile(schema["$defs"]["id"]["pattern"])
    assert id_pattern.match("Onboarding_2-x")
    assert id_pattern.match("a" * 48)
    assert not id_pattern.match("a" * 49)
    assert not id_pattern.match("my course")
    assert not id_pattern.match("-leading")
    locale = re.compile(schema["$defs"]["locale"]["pattern"])
    assert all(locale.match(code) for code in ("en", "ko", "zh", "pt-br", "yue"))
    assert not any(locale.match(code) for code in ("EN", "en_US", "e"))


def test_shipped_content_validates_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real content/ folder (written by other people as we go) must validate clean."""
    monkeypatch.chdir(REPO)
    assert validate_paths([Path("content")]) == []


def test_content_error_str() -> None:
    assert (
        str(ContentError("a.yaml", 3, 5, "lessons/0/id", "missing 'id'"))
        == "a.yaml:3:5: lesson 1 (lessons/0/id): missing 'id'"
    )
    assert str(ContentError("a.yaml", 1, 1, "", "the file is empty")) == "a.yaml:1:1: the file is empty"
