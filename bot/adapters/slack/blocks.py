"""Replies as Block Kit messages, kept within Slack's limits.

One event's replies become as few messages as fit (Slack allows about one message per
second per conversation), and a message ends after a prompt's buttons, so each message has
at most one live prompt and its buttons are the last thing on it. Text is escaped (`&`,
`<`, `>`): a learner's answer quoted back cannot mention @channel or fake a link. Text
longer than a section takes is cut at a paragraph, line or word break; a reply longer than
a message takes continues in the next. Every message carries a plain `text` for
notifications.

A prompt's blocks are named `<kind>:<prompt id>:<part>`, so a pressed button tells which
prompt it answers, and the pressed message can be rewritten (`updates`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.messages import (
    Choice,
    ChoiceAccepted,
    ChoicePrompt,
    ImageReply,
    LinkReply,
    QuizQuestionReply,
    RatingScale,
    Reply,
    TextReply,
)

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_LABEL = 75
MAX_ACTIONS = 25
MAX_ALT = 2000
MAX_MESSAGE_CHARS = 12_000
"""Slack refuses a message whose blocks hold about 13,000 characters (`msg_blocks_too_long`)."""
MAX_FALLBACK = 3000


@dataclass(frozen=True)
class SlackMessage:
    text: str
    """The plain fallback: what a notification or a screen reader shows."""
    blocks: tuple[Block, ...]
    prompt_id: str = ""
    """The prompt whose buttons this message carries, if any."""


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(replies: Iterable[Reply]) -> list[SlackMessage]:
    """New messages for `replies` (a `ChoiceAccepted` changes a sent message instead)."""
    messages: list[SlackMessage] = []
    current: list[Block] = []
    for reply in replies:
        if isinstance(reply, ChoiceAccepted):
            continue
        for unit in reply_units(reply):
            if current and not fits([*current, *unit]):
                messages.append(message(current))
                current = []
            current.extend(unit)
        prompt_id = prompt_of(reply)
        if prompt_id:
            messages.append(message(current, prompt_id))
            current = []
    if current:
        messages.append(message(current))
    return messages


def message(blocks: Sequence[Block], prompt_id: str = "") -> SlackMessage:
    """A message of `blocks`, with action ids numbered and its fallback text."""
    numbered = number_actions(blocks)
    return SlackMessage(_fallback(numbered), tuple(numbered), prompt_id)


def fits(blocks: Sequence[Block]) -> bool:
    return len(blocks) <= MAX_BLOCKS and sum(map(_characters, blocks)) <= MAX_MESSAGE_CHARS


def prompt_of(reply: Reply) -> str:
    """The prompt id of a reply that waits for a press, else ""."""
    if isinstance(reply, QuizQuestionReply | RatingScale):
        return reply.prompt_id
    if isinstance(reply, ChoicePrompt) and any(choice.url is None for choice in reply.choices):
        return reply.prompt_id
    return ""


def reply_units(reply: Reply) -> list[list[Block]]:
    """The blocks of one reply, in units that must stay in one message (at least one unit)."""
    if isinstance(reply, TextReply):
        return [[section(chunk)] for chunk in chunks(reply.text)]
    if isinstance(reply, ImageReply):
        image = {"type": "image", "image_url": reply.url, "alt_text": _cut(reply.alt or "image", MAX_ALT)}
        return [[image], *([section(chunk)] for chunk in chunks(reply.caption) if reply.caption)]
    if isinstance(reply, LinkReply):
        return [[section(f"🔗 <{escape(reply.url)}|{escape(_cut(reply.title, MAX_LABEL * 10))}>")]]
    if isinstance(reply, ChoicePrompt):
        return _prompt_units("ask", reply.prompt_id, reply.text, reply.choices)
    if isinstance(reply, QuizQuestionReply):
        return _quiz_units(reply)
    if isinstance(reply, RatingScale):
        units = _prompt_units("scale", reply.prompt_id, reply.text, reply.choices)
        labels = escape(f"{reply.low_label} · {reply.high_label}")
        units[-1].append(context(labels, f"scale:{reply.prompt_id}:c"))
        return units
    raise TypeError(f"not a new message: {reply!r}")


def _quiz_units(reply: QuizQuestionReply) -> list[list[Block]]:
    number = f"*{reply.number}/{reply.total}*  " if reply.total > 1 else ""
    choices = reply.choices
    if reply.multiple:
        choices = tuple(
            Choice(choice.id, ("☑ " if choice.id in reply.selected else "☐ ") + choice.label)
            for choice in choices
        )
    if reply.submit is not None:
        choices = (*choices, reply.submit)
    units = _prompt_units("quiz", reply.prompt_id, reply.question, choices, prefix=number)
    if reply.submit is not None:
        units[-1][-1]["elements"][-1]["style"] = "primary"
    return units


def _prompt_units(
    kind: str, prompt_id: str, text: str, choices: Sequence[Choice], *, prefix: str = ""
) -> list[list[Block]]:
    """`prefix` (mrkdwn) and `text`, then buttons in rows of at most 25; labels too long for
    a button are cut there and listed in full in the text."""
    cut = [choice for choice in choices if choice.url is None and len(choice.label) > MAX_LABEL]
    if cut:
        text += "\n" + "\n".join(f"{number}. {c.label}" for number, c in enumerate(choices, start=1))
    pieces = chunks(prefix + escape(text), escaped=True)
    block_id = f"{kind}:{prompt_id}" if prompt_id else ""
    units = [
        [section(piece, f"{block_id}:t{n}" if block_id else None)] for n, piece in enumerate(pieces[:-1])
    ]
    last = [section(pieces[-1], f"{block_id}:t" if block_id else None)]
    buttons = [
        _button(choice, f"{number}. " if cut and choice.url is None else "")
        for number, choice in enumerate(choices, start=1)
    ]
    for row, start in enumerate(range(0, len(buttons), MAX_ACTIONS)):
        actions: Block = {"type": "actions", "elements": buttons[start : start + MAX_ACTIONS]}
        if block_id:
            actions["block_id"] = f"{block_id}:a{row}"
        last.append(actions)
    return [*units, last]


def _button(choice: Choice, prefix: str) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": _cut(prefix + choice.label, MAX_LABEL), "emoji": True},
    }
    if choice.url is not None:
        button["url"] = choice.url
        button["action_id"] = "link"
    else:
        button["value"] = choice.id
        button["action_id"] = "choice"
    return button


def number_actions(blocks: Iterable[Block]) -> list[Block]:
    """Copies of `blocks` whose buttons have message-unique action ids (`choice-0`, `link-1`)."""
    numbered: list[Block] = []
    counter = 0
    for block in blocks:
        if block.get("type") != "actions":
            numbered.append(block)
            continue
        elements = []
        for element in block["elements"]:
            kind = "link" if "url" in element else "choice"
            elements.append({**element, "action_id": f"{kind}-{counter}"})
            counter += 1
        numbered.append({**block, "elements": elements})
    return numbered


def section(mrkdwn: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(mrkdwn: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(mrkdwn, MAX_TEXT)}]}
    if block_id:
        block["block_id"] = block_id
    return block


def chunks(text: str, *, escaped: bool = False, limit: int = MAX_TEXT) -> list[str]:
    """`text` escaped, in pieces that fit a section, cut at the latest good break.

    With `escaped`, the text is mrkdwn already (our own markup around escaped parts).
    """
    rest = text if escaped else escape(text)
    pieces: list[str] = []
    while len(rest) > limit:
        window = rest[:limit]
        cut = _break(window)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return [piece for piece in pieces if piece] or [" "]


def _break(window: str) -> int:
    """Where to cut `window`: a paragraph, line or word break in its second half, never
    inside an escape like `&amp;`."""
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > len(window) // 2:
            return at
    amp = window.rfind("&", len(window) - 5)
    return amp if amp > 0 and ";" not in window[amp:] else len(window)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _texts(block: Block) -> list[str]:
    if block.get("type") in ("section", "header"):
        return [block["text"]["text"]]
    if block.get("type") == "context":
        return [element.get("text", "") for element in block["elements"]]
    if block.get("type") == "image":
        return [block.get("alt_text", "")]
    if block.get("type") == "actions":
        return [element["text"]["text"] for element in block["elements"]]
    return []


def _characters(block: Block) -> int:
    return sum(map(len, _texts(block)))


def _fallback(blocks: Iterable[Block]) -> str:
    texts = [text for block in blocks if block.get("type") != "actions" for text in _texts(block)]
    return _cut("\n".join(texts) or " ", MAX_FALLBACK)
