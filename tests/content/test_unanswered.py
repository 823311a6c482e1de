"""`validate` warns where a text prints an answer some learners never gave ("Invoices from
will arrive"), and stays quiet where every path to the text stores it or a default covers it."""

from __future__ import annotations

from pathlib import Path

from bot.content.answer_paths import answers_before_steps
from bot.content.loader import validate_paths
from bot.content.yaml_guard import load_yaml

COURSE = """\
kind: course
id: billing
title: Billing
lessons:
  - id: one
    title: One
    steps:
      - ask:
          text: Do you send invoices?
          choices:
            - {label: "Yes", value: "yes"}
            - {label: "No", value: "no", goto: later}
      - ask_text: {text: Which company sends them?, store_as: company}
      - id: later
        say: "Invoices from {{ answers.company }} will arrive monthly."
      - say: "Thanks, {{ answers.company | default('you') }}."
      - say: "Bye{% if answers.company %} from {{ answers.company }}{% endif %}."
      - ask_text: {text: Your team?, store_as: team}
  - id: two
    title: Two
    steps:
      - say: "Team {{ answers.team }}, welcome back."
  - id: three
    title: Three
    steps:
      - say: "Team {{ answers.team }} again."
"""
FAQ = """\
kind: faq
id: help
entries:
  - id: three
    question: Where is lesson three?
    answer: Here.
    lesson: billing/three
"""


def test_an_answer_some_paths_skip_is_a_warning_where_it_is_printed(tmp_path: Path) -> None:
    (tmp_path / "course.yaml").write_text(COURSE, encoding="utf-8")
    (tmp_path / "faq.yaml").write_text(FAQ, encoding="utf-8")

    found = validate_paths([tmp_path])

    assert [str(error).removeprefix(f"{tmp_path}/") for error in found] == [
        "course.yaml:15:14: lesson 1, step 3 (lessons/0/steps/2/say): warning: answers.company may be "
        "unanswered here: it is stored at lesson 1, step 2 (lessons/0/steps/1), and a learner can get "
        "here without passing that step, so they would read an empty gap; write "
        '{{ answers.company | default("...") }} or put it inside {% if answers.company %}...{% endif %}',
        # lesson three is opened directly by the FAQ, so the team from lesson one may be missing;
        # lesson two only ever follows lesson one, which always stores it
        "course.yaml:26:14: lesson 3, step 1 (lessons/2/steps/0/say): warning: answers.team may be "
        "unanswered here: it is stored at lesson 1, step 6 (lessons/0/steps/5), and a learner can get "
        "here without passing that step, so they would read an empty gap; write "
        '{{ answers.team | default("...") }} or put it inside {% if answers.team %}...{% endif %}',
    ]


def test_an_answer_stored_in_another_course_may_be_missing(tmp_path: Path) -> None:
    other = (
        "kind: course\nid: other\ntitle: O\n"
        "lessons:\n  - {id: a, title: A, steps: [{say: '{{ answers.team }}'}]}"
    )
    (tmp_path / "course.yaml").write_text(COURSE, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(other, encoding="utf-8")

    found = [error for error in validate_paths([tmp_path]) if error.file.endswith("other.yaml")]

    assert [(error.warning, error.message.split(", so")[0]) for error in found] == [
        (True, f"answers.team may be unanswered here: it is stored only in {tmp_path}/course.yaml, which a "
         "learner may not have taken first"),
    ]  # fmt: skip


def test_branches_and_loops_carry_only_what_every_path_stores() -> None:
    course = load_yaml("""\
lessons:
  - id: one
    steps:
      - id: top
        ask: {text: Plan?, store_as: plan, choices: [{label: A}, {label: B, goto: skip}]}
      - branch: {on: plan, cases: {A: name}}
      - id: name
        ask_text: {text: Name?, store_as: name}
      - id: skip
        say: Hi
      - ask: {text: Again?, choices: [{label: Yes, goto: top}, {label: No, goto: end}]}
""")

    before = answers_before_steps(course)

    assert before == {
        (0, 0): frozenset(),
        (0, 1): {"plan"},
        (0, 2): {"plan"},
        (0, 3): {"plan"},
        (0, 4): {"plan"},
    }


def test_a_snippet_that_prints_an_answer_is_judged_where_it_is_included(tmp_path: Path) -> None:
    snippets = "kind: snippets\nid: s\nsnippets: {company: 'Invoices come from {{ answers.company }}.'}\n"
    course = COURSE.replace(
        "- say: \"Thanks, {{ answers.company | default('you') }}.\"", "- say: '{{ snippet(\"company\") }}'"
    )
    (tmp_path / "course.yaml").write_text(course, encoding="utf-8")
    (tmp_path / "snippets.yaml").write_text(snippets, encoding="utf-8")

    found = [error for error in validate_paths([tmp_path]) if error.path == "lessons/0/steps/3/say"]

    assert [(error.line, error.warning, error.message.split(": it is")[0]) for error in found] == [
        (16, True, "snippet 'company' prints answers.company, which may be unanswered here"),
    ]
