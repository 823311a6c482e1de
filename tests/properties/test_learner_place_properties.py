"""A learner never loses their place: whatever they do in between (a question to the FAQ, a
command, leaving and coming back by `start`, a deep link or the course list, a restart of
the bot, days passing, a stale button), the prompt that was open is the one they return to,
and what they type or press is taken as the answer to the prompt on screen and nothing else.

Random sequences of answers and detours run through the real engine on SQLite. After every
event, each answer recorded (a lesson's, a quiz's, a survey's: the interaction log's marks,
which the metrics read) must belong to the prompt on screen when the learner answered, a
detour must record none, and a detour that shows a prompt of the course again must show the
very one that was open.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import strategies as st
from sqlalchemy import select

from bot.content.loader import load_content
from bot.content.model import AskChoice, AskText, ContentPack, LinkCustomer
from bot.engine import Engine
from bot.faq.matcher import FaqMatcher
from bot.messages import ChoicePrompt, QuizQuestionReply, RatingScale, Reply, TextReply
from bot.phrases import phrase
from storage.db import Database
from storage.models import Interaction
from tests.engine.chat import Chat, Clock
from tests.properties.watch import for_all

CONTENT = Path(__file__).resolve().parents[1] / "engine" / "content"
ANSWER_MARKS = frozenset(
    {
        "lesson_answered",
        "quiz_answered",
        "survey_answered",
        "survey_comment",
        "survey_skipped",
        "quiz_retried",
    }
)
"""Marks that record a learner's answer to a prompt."""
_learners = itertools.count()

Prompt = ChoicePrompt | QuizQuestionReply | RatingScale


@dataclass(frozen=True)
class Shown:
    """A prompt of the course on screen: its content id, and its buttons (None: it wants text)."""

    content_id: str
    reply: Prompt | None

    @property
    def text(self) -> str:
        if isinstance(self.reply, QuizQuestionReply):
            return self.reply.question
        return "" if self.reply is None else self.reply.text


@dataclass
class Learner:
    chat: Chat
    pack: ContentPack
    database: Database
    screen: Shown | None = None
    """The course's prompt open on screen (None: the learner is between lessons)."""
    side: Prompt | None = None
    """A prompt outside the course that came after it (the course list, "next lesson")."""
    history: list[Prompt] = field(default_factory=list)
    last_row: int = 0

    def send(
        self, text: str | None = None, choices: tuple[str, ...] = (), start: str | None = None
    ) -> Turned:
        replies = self.chat.send(text, choices, start_payload=start)
        with self.database.transaction() as session:
            rows = session.execute(
                select(Interaction.id, Interaction.direction, Interaction.kind, Interaction.content_id)
                .where(Interaction.id > self.last_row)
                .order_by(Interaction.id)
            ).all()
        self.last_row = max([self.last_row, *(row.id for row in rows)])
        outs = [row.content_id for row in rows if row.direction == "out"]
        assert len(outs) == len(replies), (outs, replies)
        answers = [
            row.content_id or "" for row in rows if row.direction == "mark" and row.kind in ANSWER_MARKS
        ]
        shown = [self._shown(reply, content_id) for reply, content_id in zip(replies, outs, strict=True)]
        marks = [row.kind for row in rows if row.direction == "mark"]
        return Turned(replies, answers, [each for each in shown if each is not None], marks)

    def _shown(self, reply: Reply, content_id: str | None) -> Shown | Prompt | None:
        """What `reply` puts on screen: a prompt of the course, another prompt, or nothing."""
        prompt = _prompt(reply)
        if prompt is not None:
            self.history.append(prompt)
        if content_id is None:
            return prompt
        parts = content_id.split("/")
        if len(parts) == 3:  # a lesson's step
            course = self.pack.courses[parts[0]]
            lesson = course.lesson(parts[1])
            assert lesson is not None
            action = lesson.steps[int(parts[2])].action
            if isinstance(action, AskChoice) and isinstance(reply, ChoicePrompt):
                return Shown(content_id, reply)
            if isinstance(action, AskText | LinkCustomer) and isinstance(reply, TextReply):
                return Shown(content_id, None)
            return prompt
        if len(parts) == 2 and parts[0] in self.pack.quizzes and isinstance(reply, QuizQuestionReply):
            return Shown(content_id, reply)
        if len(parts) == 1 and parts[0] in self.pack.quizzes and isinstance(reply, ChoicePrompt):
            return Shown(content_id, reply)  # "retry the questions you missed?"
        if (
            len(parts) == 2
            and parts[0] in self.pack.surveys
            and isinstance(reply, RatingScale | ChoicePrompt)
        ):
            return Shown(content_id, reply)
        return prompt

    def took(self, turned: Turned) -> None:
        """The screen after `turned`: its newest prompt (none of the course's once a lesson ended)."""
        if "lesson_completed" in turned.marks:
            self.screen = None
        for shown in reversed(turned.shown):
            if isinstance(shown, Shown):
                self.screen, self.side = shown, None
                return
            if shown is not None and any(not choice.url for choice in shown.choices):
                self.side = shown
                if _ends_the_course_prompt(shown):
                    self.screen = None
                return


def _prompt(reply: Reply) -> Prompt | None:
    return reply if isinstance(reply, ChoicePrompt | QuizQuestionReply | RatingScale) else None


def _ends_the_course_prompt(prompt: Prompt) -> bool:
    """The course list and "next lesson?" come when no lesson is open."""
    return isinstance(prompt, ChoicePrompt) and prompt.text in {
        phrase("pick_course", "en"),
        phrase("next_lesson_prompt", "en", title="Lesson two"),
    }


@dataclass(frozen=True)
class Turned:
    replies: tuple[Reply, ...]
    answers: list[str]
    """The content ids of the answers this event recorded."""
    shown: list[Shown | Prompt]
    marks: list[str]


def _buttons(prompt: Prompt) -> list[tuple[str, str]]:
    """(id, label) of each button that answers, not opens a link."""
    choices = list(prompt.choices)
    if isinstance(prompt, QuizQuestionReply) and prompt.submit is not None:
        choices.append(prompt.submit)
    return [(choice.id, choice.label) for choice in choices if not choice.url]


# --- the learner's moves ------------------------------------------------------------------


def answer(learner: Learner, pick: int) -> None:
    """Answer the prompt on screen: press a button, type its label or number, or type text."""
    screen = learner.screen
    assert screen is not None
    before = screen
    if screen.reply is None:
        turned = learner.send(f"Project {pick}")
    else:
        buttons = _buttons(screen.reply)
        button_id, label = buttons[pick % len(buttons)]
        several = isinstance(screen.reply, QuizQuestionReply) and screen.reply.multiple
        if several and pick % 3 == 0:
            learner.took(learner.send(f"1, {pick % (len(buttons) - 1) + 1}"))  # picks and submits
            return
        style = pick // len(buttons) % 3
        if style == 0 or (isinstance(screen.reply, RatingScale) and style == 2):
            turned = learner.send(choices=(button_id,))
        elif style == 1:
            turned = learner.send(label)
        else:
            turned = learner.send(str(buttons.index((button_id, label)) + 1))
    wrong = [content_id for content_id in turned.answers if content_id != before.content_id]
    assert not wrong, f"answering {before} recorded answers to {wrong}: {turned.replies}"
    learner.took(turned)


def detour_and_check(learner: Learner, name: str, pick: int) -> None:
    before = learner.screen
    assert before is not None
    turns = DETOURS[name](learner, pick)
    answers = [content_id for turned in turns for content_id in turned.answers]
    assert not answers, f"{name} at {before} recorded answers to {answers}"
    for turned in turns:
        shown = [each for each in turned.shown if isinstance(each, Shown)]
        for each in shown:
            assert (each.content_id, each.text) == (before.content_id, before.text), (
                f"{name} at {before} showed {each} instead: {turned.replies}"
            )
        learner.took(turned)
    assert learner.screen is not None, f"{name} at {before} left no prompt of the course open"
    assert learner.screen.content_id == before.content_id, f"{name} moved {before} to {learner.screen}"


def _faq(learner: Learner) -> list[Turned]:
    wants_text = learner.screen is not None and (
        learner.screen.reply is None or _is_skip(learner.screen.reply)
    )
    turned = learner.send(("ask " if wants_text else "") + "how do I export my data?")
    turns = [turned]
    feedback = next((p for p in turned.shown if isinstance(p, ChoicePrompt) and "helpful" in p.text), None)
    if feedback is not None:
        turns.append(learner.send(choices=(feedback.choices[0].id,)))
    return turns


def _is_skip(prompt: Prompt) -> bool:
    return isinstance(prompt, ChoicePrompt) and [c.label for c in prompt.choices] == ["Skip"]


def _courses_then_the_same(learner: Learner) -> list[Turned]:
    listed = learner.send("courses")
    picker = next(p for p in listed.shown if isinstance(p, ChoicePrompt))
    return [listed, learner.send(choices=(picker.choices[0].id,))]


def _restart(learner: Learner) -> list[Turned]:
    old = learner.chat.engine
    learner.chat.engine = Engine(learner.pack, learner.database, faq=old.faq, clock=old.clock)
    return []


def _days_pass(learner: Learner) -> list[Turned]:
    clock = learner.chat.engine.clock
    assert isinstance(clock, Clock)
    clock.advance(days=3)
    return [learner.send("resume")]


def _stale_press(learner: Learner, pick: int) -> list[Turned]:
    on_screen = learner.screen.reply if learner.screen else None
    older = [
        (button_id, prompt)
        for prompt in learner.history
        if prompt != on_screen
        for button_id, _label in _buttons(prompt)
        if on_screen is None or button_id not in {b for b, _ in _buttons(on_screen)}
    ]
    if not older:
        return []
    button_id, _prompt_of = older[pick % len(older)]
    return [learner.send(choices=(button_id,))]


DETOURS: dict[str, Callable[[Learner, int], list[Turned]]] = {
    "a question to the FAQ": lambda learner, _pick: _faq(learner),
    "a question nobody answers": lambda learner, _pick: [learner.send("ask why is the moon round?")],
    "leaving by stop, back by start": lambda learner, _pick: [learner.send("stop"), learner.send("start")],
    "help": lambda learner, _pick: [learner.send("help")],
    "progress": lambda learner, _pick: [learner.send("progress")],
    "resume": lambda learner, _pick: [learner.send("resume")],
    "start": lambda learner, _pick: [learner.send("start")],
    "the course's deep link": lambda learner, _pick: [learner.send("/start basics", start="basics")],
    "the course picked again": lambda learner, _pick: _courses_then_the_same(learner),
    "a restart": lambda learner, _pick: _restart(learner),
    "days passing": lambda learner, _pick: _days_pass(learner),
    "a stale button": _stale_press,
}
MOVES = [*["answer"] * 2 * len(DETOURS), *DETOURS]
"""Two answers for every detour, so a sequence gets through the quiz to the survey."""


def _between_lessons(learner: Learner) -> None:
    """No prompt of the course is open: take the next lesson, or the course again."""
    side = learner.side
    turned = learner.send(choices=(side.choices[0].id,)) if side is not None else learner.send("resume")
    assert not turned.answers, f"moving on recorded answers to {turned.answers}"
    learner.took(turned)


def take_the_course(
    pack: ContentPack, database: Database, engine: Engine, moves: list[tuple[str, int]]
) -> None:
    chat = Chat(engine, user=f"learner-{next(_learners)}")
    learner = Learner(chat, pack, database)
    with database.transaction() as session:
        learner.last_row = max(session.scalars(select(Interaction.id)).all(), default=0)
    learner.took(learner.send("start"))
    learner.took(learner.send("courses"))
    _between_lessons(learner)
    for move, pick in moves:
        if learner.screen is None:
            _between_lessons(learner)
            continue
        if move == "answer":
            answer(learner, pick)
        else:
            detour_and_check(learner, move, pick)


moves = st.lists(st.tuples(st.sampled_from(MOVES), st.integers(0, 11)), min_size=15, max_size=32)


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([CONTENT])


def test_a_learner_returns_to_the_prompt_that_was_open_whatever_they_do_in_between(
    pack: ContentPack, sqlite_database: Database
) -> None:
    faq = FaqMatcher(pack)

    def check(sent: list[tuple[str, int]]) -> None:
        engine = Engine(pack, sqlite_database, faq=faq, clock=Clock())
        take_the_course(pack, sqlite_database, engine, sent)

    for_all(moves, check, examples=25)
