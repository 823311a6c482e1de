"""Which replies change a message already on screen, and which become new messages.

After a press the pressed message is rewritten (`chat.update`): its buttons give way to the
chosen label, so they cannot be pressed twice, and for a quiz question the feedback that
follows goes under it. A multiple-answer question re-sent with a new selection replaces
the buttons of the message it came from instead of posting the question again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.adapters.slack.blocks import (
    Block,
    SlackMessage,
    chunks,
    context,
    escape,
    fits,
    message,
    render,
    reply_units,
    section,
)
from bot.messages import ChoiceAccepted, QuizQuestionReply, Reply, TextReply


@dataclass(frozen=True)
class Shown:
    """A message on screen that carries a prompt's buttons."""

    channel: str
    ts: str
    blocks: tuple[Block, ...]
    prompt_id: str
    kind: str
    """How the prompt was rendered: ask, quiz or scale."""
    response_url: str | None = None
    """Set for an ephemeral message, which can only be replaced through this URL."""


@dataclass(frozen=True)
class Post:
    message: SlackMessage


@dataclass(frozen=True)
class Update:
    shown: Shown
    message: SlackMessage


Step = Post | Update


def prompt_block(block_id: str) -> tuple[str, str, str] | None:
    """(kind, prompt id, part) from a block id `blocks` gave a prompt's block."""
    parts = block_id.split(":")
    if len(parts) != 3 or parts[0] not in ("ask", "quiz", "scale") or not parts[1]:
        return None
    return parts[0], parts[1], parts[2]


def plan(
    replies: Sequence[Reply], find: Callable[[str], Shown | None], pressed_prompt_id: str | None = None
) -> list[Step]:
    """The posts and updates that show `replies`; `find` names the message of a prompt id.

    A quiz question is redrawn in place only when the press was on it (a tick on a
    multiple-answer question); shown again after a stray message or `resume`, it is posted
    anew, below, where the learner is looking."""
    steps: list[Step] = []
    pending: list[Reply] = []

    def change(shown: Shown, new: SlackMessage) -> None:
        steps.extend(Post(posted) for posted in render(pending))
        pending.clear()
        steps.append(Update(shown, new))

    index = 0
    while index < len(replies):
        reply = replies[index]
        index += 1
        shown = find(reply.prompt_id) if isinstance(reply, ChoiceAccepted | QuizQuestionReply) else None
        if isinstance(reply, ChoiceAccepted) and shown is not None:
            following = replies[index] if index < len(replies) else None
            feedback = following.text if shown.kind == "quiz" and isinstance(following, TextReply) else ""
            with_feedback = accepted(shown.blocks, reply.prompt_id, reply.label, feedback)
            if feedback and with_feedback is not None and fits(with_feedback.blocks):
                index += 1
                change(shown, with_feedback)
                continue
            plain = accepted(shown.blocks, reply.prompt_id, reply.label)
            if plain is not None:
                change(shown, plain)
        elif (
            isinstance(reply, QuizQuestionReply)
            and shown is not None
            and shown.kind == "quiz"
            and reply.prompt_id == pressed_prompt_id
        ):
            rendered = [block for unit in reply_units(reply) for block in unit]
            replaced = _replace_prompt(shown.blocks, reply.prompt_id, rendered)
            if fits(replaced):
                change(shown, message(replaced, reply.prompt_id))
            else:
                pending.append(reply)
        elif not isinstance(reply, ChoiceAccepted):
            pending.append(reply)
    steps.extend(Post(posted) for posted in render(pending))
    return steps


def accepted(blocks: Iterable[Block], prompt_id: str, label: str, feedback: str = "") -> SlackMessage | None:
    """`blocks` with the prompt's buttons replaced by the chosen label (and `feedback`);
    None if the message shows no buttons of that prompt any more."""
    kept: list[Block] = []
    found = False
    for block in blocks:
        parts = prompt_block(block.get("block_id", ""))
        if parts is None or parts[1] != prompt_id or parts[2][0] not in "ac":  # keep text, earlier answer
            kept.append(block)
        elif not found:
            found = True
            kept.append(context(f"✓ *{escape(label)}*", f"{parts[0]}:{prompt_id}:done"))
            kept.extend(section(chunk) for chunk in (chunks(feedback) if feedback else []))
    return message(kept) if found else None


def _replace_prompt(blocks: Iterable[Block], prompt_id: str, new: list[Block]) -> list[Block]:
    """`blocks` with every block of the prompt swapped for `new`, where the first one was."""
    result: list[Block] = []
    for block in blocks:
        parts = prompt_block(block.get("block_id", ""))
        if parts is None or parts[1] != prompt_id:
            result.append(block)
        elif new:
            result.extend(new)
            new = []
    return result
