"""Personalisation is safe and never breaks a lesson: sandboxed, learner text never compiled."""

from __future__ import annotations

import logging

import pytest

from bot.content.model import LocalText
from bot.content.templates import (
    LearnerView,
    Reference,
    TemplateProblem,
    UnguardedAnswer,
    placeholders,
    render_text,
)

ADA = LearnerView(
    first_name="Ada", name="Ada Lovelace", locale="en", platform="telegram", attributes={"plan": "free"}
)


def test_personalisation() -> None:
    source = "Hi {{ learner.first_name }} ({{ learner.name }}, {{ learner.platform }}, {{ learner.locale }})"
    assert render_text(source, ADA, {}) == "Hi Ada (Ada Lovelace, telegram, en)"
    assert render_text("Plan: {{ learner.attributes.plan }}", ADA, {}) == "Plan: free"
    assert render_text("Team: {{ answers.team }}", ADA, {"team": "Rockets"}) == "Team: Rockets"


def test_filters_and_statements() -> None:
    source = (
        "{% if answers.role == 'manager' %}Lead{% else %}Make{% endif %}, {{ learner.first_name | upper }}"
    )
    assert render_text(source, ADA, {"role": "manager"}) == "Lead, ADA"
    nobody = LearnerView("", "", "en", "console", {})
    assert render_text('Hi {{ learner.first_name | default("there", true) }}!', nobody, {}) == "Hi there!"


def test_a_name_the_platform_did_not_give_takes_the_default() -> None:
    """The bundled course writes `default("there")`: an unknown name is undefined, not ""."""
    nobody = LearnerView("", "", "en", "console", {})
    assert render_text('Hi {{ learner.first_name | default("there") }}!', nobody, {}) == "Hi there!"
    assert render_text("You're all set, {{ learner.first_name }}.", nobody, {}) == "You're all set, ."
    assert render_text('Hi {{ learner.first_name | default("there") }}!', ADA, {}) == "Hi Ada!"


def test_the_locale_is_picked_before_rendering() -> None:
    text = LocalText(
        {"en": "Hi {{ learner.first_name }}", "ko": "{{ learner.first_name }}님 안녕하세요"}, "en"
    )
    assert render_text(text.pick("ko"), ADA, {}) == "Ada님 안녕하세요"
    assert render_text(text.pick("fr"), ADA, {}) == "Hi Ada"


def test_an_undefined_answer_renders_empty() -> None:
    assert render_text("Project: {{ answers.project_name }}.", ADA, {}) == "Project: ."
    assert render_text("{{ answers.project_name.title }}|{{ learner.attributes.missing }}", ADA, {}) == "|"
    assert render_text('{{ answers.project_name | default("Untitled") }}', ADA, {}) == "Untitled"


def test_learner_text_is_never_evaluated() -> None:
    sneaky = {"team": "{{ 7*7 }} {% for x in range(3) %}x{% endfor %}"}
    assert render_text("Team: {{ answers.team }}", ADA, sneaky) == "Team: " + sneaky["team"]
    evil_name = LearnerView("{{ learner.attributes }}", "", "en", "slack", {"plan": "{{ 7*7 }}"})
    assert render_text("{{ learner.first_name }} {{ learner.attributes.plan }}", evil_name, {}) == (
        "{{ learner.attributes }} {{ 7*7 }}"
    )


def test_text_without_placeholders_is_returned_as_is() -> None:
    source = "Plain text with { braces } and 50% off"
    assert render_text(source, ADA, {}) is source


def test_a_sandbox_escape_in_content_does_not_execute(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.content.templates"):
        out = render_text("A{{ ''.__class__.__mro__ }}B", ADA, {})
        called = render_text("A{{ ''.__class__.__mro__[1].__subclasses__() }}B", ADA, {})
    assert out == "AB"
    assert called == "AB"
    assert "object" not in out + called
    problems = placeholders("{{ ''.__class__.__mro__ }}")
    assert problems == (
        TemplateProblem("'__class__' is not allowed: names starting with _ are off limits", 1),
    )


def test_a_render_error_logs_and_drops_the_placeholders(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.content.templates"):
        out = render_text("Hi {{ learner.first_name }}, {{ 1 / 0 }} bye{% if x %}!{% endif %}", ADA, {})
        broken = render_text("Hi {{ learner.first_name }", ADA, {})
    assert out == "Hi ,  bye!"
    assert broken == "Hi {{ learner.first_name }"  # no complete tag to remove; it never raises
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_placeholders_reports_references_and_problems() -> None:
    found = placeholders("{{ learner.first_name | d('') }} {{ answers.role }} {{ answers['team size'] }}")
    assert found == (
        Reference("learner", "first_name", 1),
        Reference("answers", "role", 1),
        Reference("answers", "team size", 1),
        UnguardedAnswer("role", 1),
        UnguardedAnswer("team size", 1),
    )
    loops = placeholders(
        "{% for key, value in learner.attributes.items() %}{{ key }}={{ loop.index }}{% endfor %}"
    )
    assert loops == (Reference("learner", "attributes", 1),)


@pytest.mark.parametrize(
    "source",
    [
        "Hi {{ learner.first_name | default('there') }}!",
        "Thanks{{ ', ' ~ learner.first_name if learner.first_name }}!",
        "{% if learner.name %}Signed up as {{ learner.name }}.{% endif %}",
        "{{ learner.name or 'you' }}",
        "{{ learner.first_name | upper | default('THERE') }}",
        "{% if learner.attributes.plan == 'pro' %}On {{ learner.attributes.plan }}{% endif %}",
        "{{ learner.locale }} {{ learner.platform }}",
        "{% for key, value in learner.attributes.items() %}{{ key }}{% endfor %}",
    ],
)
def test_a_field_some_learners_lack_is_fine_when_handled(source: str) -> None:
    assert [found for found in placeholders(source) if isinstance(found, TemplateProblem)] == []


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ("Thank you, {{ learner.first_name }}!", "learner.first_name"),
        ("{{ learner.name | upper }}", "learner.name"),
        ("You're on {{ learner.attributes.plan }}", "learner.attributes.plan"),
        ("{% if learner.first_name %}hi{% else %}{{ learner.first_name }}{% endif %}", "learner.first_name"),
        ("{% if learner.name %}{{ learner.first_name }}{% endif %}", "learner.first_name"),
    ],
)
def test_a_field_some_learners_lack_is_reported_when_used_bare(source: str, field: str) -> None:
    problems = [found for found in placeholders(source) if isinstance(found, TemplateProblem)]
    assert len(problems) == 1
    assert problems[0].message.startswith(f"{field} is empty for learners")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ learner.email }}", "'learner.email' does not exist"),
        ("{{ user.name }}", "unknown placeholder 'user.name'"),
        ("{{ range(10) }}", "unknown placeholder 'range'"),
        ("{{ learner }}", "use one of the learner's fields"),
        ("{% set x = 1 %}", "'{% set %}' is not allowed in content"),
        ("{% include 'x' %}", "'{% include %}' is not allowed in content"),
        ("{% macro m() %}{% endmacro %}", "'{% macro %}' is not allowed in content"),
        ("{{ learner.locale | shout }}", "unknown filter 'shout'"),
        ("{{ learner.first_name }", "template syntax error: unexpected '}'"),
        ("line one\n{{ learner.first_name }", "template syntax error"),
    ],
)
def test_placeholder_problems(source: str, message: str) -> None:
    problems = [found for found in placeholders(source) if isinstance(found, TemplateProblem)]
    assert len(problems) == 1
    assert message in problems[0].message
    assert problems[0].lineno == source.count("\n") + 1
