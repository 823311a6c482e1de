"""Which answers a learner has surely given by the time they reach each step of a course.

A text that prints `{{ answers.team_name }}` reads "Invoices from  will ..." for a learner who
got there without passing the step that stores `team_name`: a choice that jumps past it, a
branch, a lesson before it that they skipped, or a lesson they were sent straight to by a
campaign or an FAQ button. `validate` warns about such a use without a `default`; this
module finds, for every step, the answers stored on *every* path to it.

Lessons run in order, so a lesson starts with what the one before surely ended with; a lesson
something outside the course opens directly starts with nothing. Inside a lesson, answers
flow along `goto`s, choices and branches; what reaches a step is what all the paths into it
share (a forward data-flow over the steps, iterated until nothing changes, as loops allow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import Any

from bot.content.model import END_OF_LESSON

Given = frozenset[str]
StepPlace = tuple[int, int]
"""(lesson number, step number), both counted from 0 as in the file."""


def answers_before_steps(
    course: Mapping[str, Any], opened_directly: Set[str] = frozenset()
) -> dict[StepPlace, Given]:
    """For each step of `course` (already schema-checked), the answers given on every path to it.

    `opened_directly` names lessons that campaigns or FAQ entries open without the ones before."""
    found: dict[StepPlace, Given] = {}
    ended: Given = frozenset()
    for number, lesson in enumerate(_items(course.get("lessons"))):
        start = ended if number > 0 and lesson.get("id") not in opened_directly else frozenset()
        before, ended = _lesson(_items(lesson.get("steps")), start)
        found.update(((number, step), given) for step, given in before.items())
    return found


def _items(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _lesson(steps: Sequence[Mapping[str, Any]], start: Given) -> tuple[dict[int, Given], Given]:
    """The answers before each step, and those the lesson surely ends with."""
    ids = {step["id"]: number for number, step in enumerate(steps) if isinstance(step.get("id"), str)}
    end = len(steps)
    before: dict[int, Given] = {0: start} if steps else {}
    at_end: Given | None = None if steps else start
    changed = True
    while changed:
        changed = False
        for number, step in enumerate(steps):
            if number not in before:
                continue
            after = before[number] | _stored(step)
            for target in _next_steps(step, number, ids, end):
                if target == end:
                    at_end = after if at_end is None else at_end & after
                    continue
                merged = after if target not in before else before[target] & after
                if before.get(target) != merged:
                    before[target] = merged
                    changed = True
    return before, at_end if at_end is not None else start


def _stored(step: Mapping[str, Any]) -> Given:
    for key in ("ask", "ask_text"):
        body = step.get(key)
        if isinstance(body, dict) and isinstance(body.get("store_as"), str):
            return frozenset({body["store_as"]})
    return frozenset()


def _next_steps(step: Mapping[str, Any], number: int, ids: Mapping[str, int], end: int) -> set[int]:
    def place(target: object) -> int:
        if target == END_OF_LESSON:
            return end
        return ids.get(target, number + 1) if isinstance(target, str) else number + 1

    onward = place(step.get("goto"))
    ask, branch = step.get("ask"), step.get("branch")
    if isinstance(ask, dict):
        choices = _items(ask.get("choices"))
        return {place(choice["goto"]) if "goto" in choice else onward for choice in choices} or {onward}
    if isinstance(branch, dict):
        cases = branch.get("cases")
        targets = {place(target) for target in (cases.values() if isinstance(cases, dict) else ())}
        return targets | {place(branch["default"]) if "default" in branch else number + 1}
    return {onward}
