"""A terminal conversation with the bot: the adapter authors and tests use to try content.

Buttons are shown numbered; typing a number (or a button's label) presses it, just as a
tap would on a chat platform, and anything else is sent as typed text. When standard input
is not a terminal it reads one line per turn and prints plain text, so a script can drive
a whole course.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TextIO

from bot.messages import (
    Choice,
    ChoiceAccepted,
    ChoicePrompt,
    ImageReply,
    InboundEvent,
    LinkReply,
    Platform,
    QuizQuestionReply,
    RatingScale,
    Reply,
    Sender,
    TextReply,
)

Handler = Callable[[InboundEvent], tuple[Reply, ...]]
QUIT_WORDS = frozenset({"quit", "exit", ":q"})


def render(reply: Reply) -> str:
    """A reply as plain terminal text."""
    if isinstance(reply, TextReply):
        return reply.text
    if isinstance(reply, ImageReply):
        caption = f"\n{reply.caption}" if reply.caption else ""
        return f"[image: {reply.alt}] {reply.url}{caption}"
    if isinstance(reply, LinkReply):
        return f"🔗 {reply.title}: {reply.url}"
    if isinstance(reply, ChoiceAccepted):
        return f"  ✓ {reply.label}"
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


class Buttons:
    """The buttons on screen now, so a typed number or label can press one."""

    def __init__(self) -> None:
        self.numbered: list[Choice] = []
        self.by_label: dict[str, Choice] = {}
        self.multiple = False

    def show(self, replies: Iterable[Reply]) -> None:
        """Remember the newest buttons; a reply batch without any means none are live."""
        self._replace([], multiple=False)
        for reply in replies:
            if isinstance(reply, ChoicePrompt):
                self._replace([c for c in reply.choices if not c.url], multiple=False)
            elif isinstance(reply, QuizQuestionReply):
                extra = [reply.submit] if reply.submit else []
                self._replace([*reply.choices, *extra], multiple=reply.multiple)
            elif isinstance(reply, RatingScale):
                self._replace([], multiple=False)
                self.by_label = {choice.label: choice for choice in reply.choices}

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
) -> None:
    """Talk to the bot until end of input (or `quit` at a terminal). Without a `learner`
    name everyone at this terminal is the same anonymous learner, greeted as "there"."""
    interactive = stdin.isatty()
    user_id = learner or "learner"
    sender = Sender(Platform.CONSOLE, user_id, first_name=learner or "", locale_hint=locale)
    buttons = Buttons()

    def send(text: str | None = None, choices: tuple[str, ...] = ()) -> None:
        event = InboundEvent(
            sender=sender,
            conversation_id=user_id,
            event_id=uuid.uuid4().hex,
            received_at=datetime.now(UTC),
            text=text,
            choices=choices,
        )
        replies = handle(event)
        buttons.show(replies)
        for reply in replies:
            stdout.write(render(reply) + "\n")
        stdout.flush()

    send("start")
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
        pressed = buttons.press(typed)
        send(None if pressed else typed, pressed)
