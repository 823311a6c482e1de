"""The YAML slips authors make most, each told as what happened and what to do, at its line.

ruamel.yaml alone says "expected <block end>, but found '<scalar>'" for the first two."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.content.loader import validate_paths
from bot.content.yaml_guard import load_yaml

HERE = Path(__file__).parent
COURSE = """\
kind: course
id: mistakes
title: Mistakes
lessons:
  - id: one
    title: One
    steps:
{step}
"""

MISTAKES = {
    "a double quote inside double quotes": (
        '      - say: "Hi {{ learner.first_name | default("there") }}, welcome"',
        '8:50: a " inside the text ended it early (the text opens with ", so this " closes it): put '
        'the text in single quotes instead, e.g. \'Hi {{ learner.first_name | default("there") }}, '
        'welcome\', or write it as a > block (content/README.md, "Quotes")',
    ),
    "an apostrophe inside single quotes": (
        "      - say: 'Let's go'",
        "8:18: a ' inside the text ended it early (the text opens with ', so this ' closes it): put "
        "the text in double quotes instead, e.g. \"Let's go\", or write each ' inside as '', or write "
        'it as a > block (content/README.md, "Quotes")',
    ),
    "a tab for indentation": (
        "      - say: Hello\n\tgoto: end",
        "9:1: this line has a tab where YAML expects spaces: YAML indents with spaces only; replace "
        "the tab with spaces, lined up with the keys around it (editors can turn tabs into spaces)",
    ),
    "a colon and a space inside an unquoted value": (
        "      - say: Note: invoices go out monthly",
        "8:18: the ': ' after 'Note' makes YAML read a new key inside this text: put the whole text "
        'in quotes: "Note: invoices go out monthly"',
    ),
    "a text that starts with a placeholder, unquoted": (
        "      - say: {{ learner.first_name }}, welcome",
        "8:14: a text that starts with {{ must be in quotes, or YAML reads the braces as a mapping: "
        'write "{{ learner.first_name }}, welcome"',
    ),
    "a text that starts with a bracket, unquoted": (
        "      - say: [Beta] invoices are here",
        "8:14: a text that starts with [ must be in quotes, or YAML reads it as a list: write "
        '"[Beta] invoices are here"',
    ),
    "a list left open": (
        "      - say: Hello\n      - say: [one, two",
        "9:14: the [ here starts a list that is not closed as YAML expects: close it with ] on this "
        "line, separating items with commas; if the text is meant to start with [, put it in quotes: "
        '"[one, two"',
    ),
    "no space after a colon": (
        "      - say:Hello",
        "8:9: lesson 1, step 1 (lessons/0/steps/0): expected a mapping (key: value), got a string "
        "('say:Hello') (a key needs a space after its colon: `say: Hello`)",
    ),
    "no space after a dash": (
        "      -say: Hello",
        "7:5: lesson 1 (lessons/0/steps): expected a list, got a mapping (a list item needs a space "
        "after its dash: `- say: ...`)",
    ),
    "no space after the colon of a key on its own line": (
        "      - say: Hello\ntitle:Mistakes",
        "9:7: a key needs a space after its colon: write `title: Mistakes`",
    ),
}


@pytest.mark.parametrize(("step", "expected"), MISTAKES.values(), ids=list(MISTAKES))
def test_each_yaml_mistake_says_what_to_do(tmp_path: Path, step: str, expected: str) -> None:
    path = tmp_path / "course.yaml"
    path.write_text(COURSE.format(step=step), encoding="utf-8")

    errors = validate_paths([path])

    assert [str(error).removeprefix(f"{path}:") for error in errors] == [expected]


def test_a_value_already_in_quotes_is_not_told_to_be_quoted(tmp_path: Path) -> None:
    path = tmp_path / "course.yaml"
    path.write_text(COURSE.format(step='      - say: "Step one: "install" it: now"'), encoding="utf-8")

    [error] = validate_paths([path])

    assert error.message == (
        'a " inside the text ended it early (the text opens with ", so this " closes it): put the '
        "text in single quotes instead, e.g. 'Step one: \"install\" it: now', or write it as a > block "
        '(content/README.md, "Quotes")'
    )


def test_an_unreadable_course_is_one_error_not_one_per_file_naming_it(tmp_path: Path) -> None:
    pack = tmp_path / "good"
    shutil.copytree(HERE / "good", pack)
    course = pack / "mini-course.yaml"
    course.write_text(course.read_text(encoding="utf-8").replace("title: {en: Mini", "title: [en: Mini", 1))

    errors = validate_paths([pack])

    assert [(Path(error.file).name, error.line) for error in errors] == [("mini-course.yaml", 5)]
    assert errors[0].message.endswith(
        "Until this file can be read, 2 references to its course 'mini' and what it defines are not checked"
    )


def test_the_quoting_rules_in_the_authors_readme_read_as_text() -> None:
    readme = (HERE.parents[1] / "content" / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Quotes", 1)[1].split("\n#", 1)[0]
    examples = re.findall(r"^\| `(say: .*?)`(?: or `(say: .*?)`)? \|", section, re.MULTILINE)
    texts = [load_yaml(example)["say"] for pair in examples for example in pair if example]

    assert texts == [
        "Note: invoices go out monthly",
        "{{ answers.team_name }} is ready",
        "[Beta] invoices are here",
        'Press "Save" to keep it',
        "Let's go",
        "Let's go",
    ]
