"""A terminal conversation with the bot: the adapter authors and tests use to try content.

Buttons are shown numbered; typing a number (or a button's label) presses it, just as a
tap would on a chat platform, and anything else is sent as typed text. A terminal scrolls
the buttons away, so when an answer (to `help`, `progress`, ...) neither shows new ones nor
takes the open ones, the open prompt is printed again. When standard input is not a
terminal it reads one line per turn and prints plain text, so a script can drive a whole
course.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from bot.messages import (
    Choice,
    ChoiceAccepted,
    ChoicePrompt,
    ImageReply,
    InboundEvent,
    InviteLink,
    LinkReply,
    Platform,
    QuizQuestionReply,
    RatingScale,
    Reply,
    Sender,
    TextReply,
)
from storage.learner_messages import DueLearnerMessage

Handler = Callable[[InboundEvent], tuple[Reply, ...]]
WhatIsDue = Callable[[str], Sequence[Reply]]
"""What the bot says first to the learner of this terminal now (lessons, reminders...)."""
QUIT_WORDS = frozenset({"quit", "exit", ":q"})
PRESSED = "»"
"""Marks the button taken; not ✓, which the bot's own words use for a finished course."""
Prompt = ChoicePrompt | QuizQuestionReply | RatingScale


def render(reply: Reply) -> str:
    """A reply as plain terminal text."""
    if isinstance(reply, TextReply):
        return reply.text
    if isinstance(reply, ImageReply):
        caption = f"\n{reply.caption}" if reply.caption else ""
        return f"[image: {reply.alt}] {reply.url}{caption}"
    if isinstance(reply, LinkReply):
        return f"🔗 {reply.title}: {reply.url}"
    if isinstance(reply, InviteLink):  # a terminal has no link to open: the token is the invite
        return f"{reply.text}\n🔗 {reply.token}"
    if isinstance(reply, ChoiceAccepted):
        return f"  {PRESSED} {reply.label}"
    if isinstance(reply, ChoicePrompt):
        return "\n".join([reply.text, *_numbered(reply.choices)])
    if isinstance(reply, QuizQuestionReply):
        lines = [f"Question {reply.number}/{reply.total}: {reply.question}"]
        for number, choice in enumerate(reply.choices, start=1):
            box = ("[x] " if choice.id in reply.selected else "[ ] ") if reply.multiple else ""
            lines.append(f"  {number}. {box}{choice.label}")
        if reply.submit is not None:
            lines.append(f"  {len(reply.choices) + 1}. {reply.submit.label}")
        return "\n".join(lines)
    scores = " ".join(choice.label for choice in reply.choices)
    return f"{reply.text}\n  {scores}   ({reply.low_label}, {reply.high_label})"


def _numbered(choices: Iterable[Choice]) -> list[str]:
    lines = []
    number = 0
    for choice in choices:
        if choice.url:
            lines.append(f"  → {choice.label}: {choice.url}")
        else:
            number += 1
            lines.append(f"  {number}. {choice.label}")
    return lines


def open_prompt(replies: Sequence[Reply], before: Prompt | None) -> Prompt | None:
    """The prompt whose buttons are live after `replies`: the newest one they show, else
    `before` unless they took one of its buttons (a reply batch that only talks, or answers
    another prompt, leaves it open)."""
    for reply in reversed(replies):
        if isinstance(reply, QuizQuestionReply | RatingScale):
            return reply
        if isinstance(reply, ChoicePrompt) and any(not choice.url for choice in reply.choices):
            return reply
    if before is not None and any(
        isinstance(reply, ChoiceAccepted) and reply.prompt_id == before.prompt_id for reply in replies
    ):
        return None
    return before


class Buttons:
    """The buttons on screen now, so a typed number or label can press one."""

    def __init__(self) -> None:
        self.numbered: list[Choice] = []
        self.by_label: dict[str, Choice] = {}
        self.multiple = False

    def show(self, prompt: Prompt | None) -> None:
        """Make `prompt`'s buttons the live ones (None: no button is live)."""
        self._replace([], multiple=False)
        if isinstance(prompt, ChoicePrompt):
            self._replace([c for c in prompt.choices if not c.url], multiple=False)
        elif isinstance(prompt, QuizQuestionReply):
            extra = [prompt.submit] if prompt.submit else []
            self._replace([*prompt.choices, *extra], multiple=prompt.multiple)
        elif isinstance(prompt, RatingScale):
            self.by_label = {choice.label: choice for choice in prompt.choices}

    def _replace(self, choices: list[Choice], *, multiple: bool) -> None:
        self.numbered = choices
        self.by_label = {choice.label.casefold(): choice for choice in choices}
        self.multiple = multiple

    def press(self, typed: str) -> tuple[str, ...]:
        """The ids of the buttons `typed` names, or () when it is just text."""
        text = typed.strip()
        if text.casefold() in self.by_label:
            return (self.by_label[text.casefold()].id,)
        parts = text.replace(",", " ").split()
        if not parts or not all(part.isdigit() for part in parts) or not self.numbered:
            return ()
        numbers = list(dict.fromkeys(int(part) for part in parts))
        if len(numbers) > 1 and not self.multiple:
            return ()
        if not all(1 <= number <= len(self.numbered) for number in numbers):
            return ()
        return tuple(self.numbered[number - 1].id for number in numbers)


def chat(
    handle: Handler,
    *,
    learner: str | None,
    locale: str | None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    due: WhatIsDue | None = None,
    first_line: str = "start",
) -> None:
    """Talk to the bot until end of input (or `quit` at a terminal). Without a `learner`
    name everyone at this terminal is the same anonymous learner, greeted as "there".
    What the bot says first (`due`) is shown when a line comes in, before its answer: a
    terminal is not written to while it waits for a line, so what fell due meanwhile (a
    lesson, a reminder, a survey) comes then, before the line is sent. A number or label
    typed presses the button it named on the screen the learner typed it at, not one that
    came meanwhile (a "1" meant for "Retry missed" is no score of 1 on a survey that came).
    `first_line` is what the terminal sends for the learner first (`start COURSE/LESSON` for
    a preview)."""
    interactive = stdin.isatty()
    user_id = learner or "learner"
    sender = Sender(Platform.CONSOLE, user_id, first_name=learner or "", locale_hint=locale)
    buttons = Buttons()
    prompt: Prompt | None = None

    def send(text: str | None = None, choices: tuple[str, ...] = ()) -> None:
        event = InboundEvent(
            sender=sender,
            conversation_id=user_id,
            event_id=uuid.uuid4().hex,
            received_at=datetime.now(UTC),
            text=text,
            choices=choices,
        )
        show(handle(event))

    def show(replies: Sequence[Reply]) -> None:
        nonlocal prompt
        still_open = open_prompt(replies, prompt)
        for reply in replies:
            stdout.write(render(reply) + "\n")
        if replies and still_open is prompt and prompt is not None:
            stdout.write(render(prompt) + "\n")
        prompt = still_open
        buttons.show(prompt)
        stdout.flush()

    send(first_line)
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            return
        typed = line.strip()
        if interactive and typed.casefold() in QUIT_WORDS:
            return
        if not typed:
            continue
        if not interactive:
            stdout.write(f"> {typed}\n")
        pressed = buttons.press(typed)  # the buttons on screen when the line was typed
        if due is not None:
            show(due(user_id))
        send(None if pressed else typed, pressed)


class ConsoleLearners:
    """The outbox's channel to terminal learners: what is due for each, kept until shown."""

    platform = Platform.CONSOLE.value

    def __init__(self) -> None:
        self._waiting: dict[str, list[Reply]] = {}

    async def deliver(self, message: DueLearnerMessage, replies: Sequence[Reply]) -> None:
        self._waiting.setdefault(message.conversation_id, []).extend(replies)

    def take(self, conversation_id: str) -> list[Reply]:
        return self._waiting.pop(conversation_id, [])
