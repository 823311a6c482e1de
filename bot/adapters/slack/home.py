"""The App Home tab: the learner's courses, how far they are, and a button to go on.

Published with `views.publish` whenever the learner opens the tab, so it is as fresh as
the database. Its words are the bot's own phrases in the learner's locale, the same the
`progress` command uses.
"""

from __future__ import annotations

from typing import Any

from bot.adapters.slack.blocks import MAX_ACTIONS, MAX_LABEL, Block, context, escape, section
from bot.flows.progress import Overview
from bot.phrases import phrase

MAX_VIEW_BLOCKS = 100
MAX_COURSES_SHOWN = 40


def home_view(overview: Overview) -> dict[str, Any]:
    def say(key: str, **values: object) -> str:
        return phrase(key, overview.locale, **values)

    blocks: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": say("progress_header").rstrip(":："), "emoji": True},
        }
    ]
    if not overview.courses:
        blocks.append(section(escape(say("no_progress"))))
    for course in overview.courses[:MAX_COURSES_SHOWN]:
        done = say("progress_completed") if course.completed else ""
        line = say(
            "progress_course",
            title=course.title,
            done=course.lessons_done,
            total=course.lessons_total,
            status=done,
        )
        blocks.append(section(escape(line)))
        if course.current_lesson is not None:
            heading = say(
                "lesson_heading",
                number=course.current_number,
                total=course.lessons_total,
                title=course.current_lesson,
            )
            blocks.append(context(escape(heading)))
    if overview.quizzes:
        lines = [
            say(
                "progress_quiz",
                title=quiz.title,
                percent=quiz.best_percent,
                passed=say("progress_passed") if quiz.passed else "",
            )
            for quiz in overview.quizzes
        ]
        blocks.append(section(escape("\n".join(line.strip() for line in lines))))
    buttons: list[Block] = []
    if overview.in_progress:
        buttons.append(_button(say("continue"), "home-continue", "resume", primary=True))
    for number, offer in enumerate(overview.not_started):
        buttons.append(_button(offer.title, f"home-start-{number}", offer.course_id))
    if buttons:
        blocks.append({"type": "divider"})
        blocks.append({"type": "actions", "block_id": "home-actions", "elements": buttons[:MAX_ACTIONS]})
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _button(label: str, action_id: str, value: str, *, primary: bool = False) -> Block:
    text = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button
