"""Slack's Block Kit limits, as the fake Slack enforces them on every message and view.

Written from Slack's reference (block and element pages, `chat.postMessage` errors),
independently of `bot.adapters.slack.blocks`, so the adapter is checked against the rules
rather than against itself. It also checks that text is escaped: a `<` in mrkdwn may only
open a link (`<https://...|title>`) or a user mention (`<@U123>`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
CONTEXT_ELEMENTS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
ALT_TEXT = 2000
URL = 3000
ID = 255
MESSAGE_TEXT = 40_000
BLOCKS_TOTAL = 13_000
"""About where Slack answers `msg_blocks_too_long`."""

_LINK = re.compile(r"<(https?://[^<>|]+|mailto:[^<>|]+)(\|[^<>]*)?>|<@[UW][A-Z0-9]+>")
"""A link, or a user mention (`<@U123>`), the only places a `<` may stand."""


def message_problems(text: object, blocks: object) -> list[str]:
    """Why Slack would refuse (or render badly) a message; [] when it is fine."""
    problems = []
    if not isinstance(text, str) or not text.strip():
        problems.append("no plain text fallback for notifications")
    elif len(text) > MESSAGE_TEXT:
        problems.append(f"text of {len(text)} characters")
    if blocks is None:
        return problems
    if not isinstance(blocks, list) or not blocks:
        return [*problems, "blocks must be a non-empty list"]
    if len(blocks) > MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks (at most {MESSAGE_BLOCKS})")
    return problems + _blocks_problems(blocks)


def view_problems(view: object) -> list[str]:
    if not isinstance(view, dict) or view.get("type") != "home":
        return ["a home view needs type: home"]
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return ["a view needs blocks"]
    problems = (
        [f"{len(blocks)} blocks in a view (at most {VIEW_BLOCKS})"] if len(blocks) > VIEW_BLOCKS else []
    )
    return problems + _blocks_problems(blocks)


def _blocks_problems(blocks: list[Any]) -> list[str]:
    problems: list[str] = []
    block_ids: list[str] = []
    action_ids: list[str] = []
    total = 0
    for number, block in enumerate(blocks):
        where = f"block {number} ({block.get('type')})"
        if "block_id" in block:
            block_ids.append(block["block_id"])
            if not 0 < len(block["block_id"]) <= ID:
                problems.append(f"{where}: block_id length")
        found, characters = _block_problems(block, action_ids)
        problems.extend(f"{where}: {problem}" for problem in found)
        total += characters
    problems.extend(f"duplicate block_id {i!r}" for i in _duplicates(block_ids))
    problems.extend(f"duplicate action_id {i!r}" for i in _duplicates(action_ids))
    if total > BLOCKS_TOTAL:
        problems.append(f"blocks hold {total} characters (msg_blocks_too_long)")
    return problems


def _block_problems(block: dict[str, Any], action_ids: list[str]) -> tuple[list[str], int]:
    kind = block.get("type")
    if kind == "section":
        return _text_problems(block.get("text"), SECTION_TEXT), _length(block.get("text"))
    if kind == "header":
        text = block.get("text") or {}
        problems = _text_problems(text, HEADER_TEXT)
        return problems + ([] if text.get("type") == "plain_text" else ["header text must be plain_text"]), 0
    if kind == "context":
        elements = block.get("elements") or []
        problems = [] if 0 < len(elements) <= CONTEXT_ELEMENTS else [f"{len(elements)} context elements"]
        for element in elements:
            problems.extend(_text_problems(element, SECTION_TEXT))
        return problems, sum(_length(element) for element in elements)
    if kind == "actions":
        elements = block.get("elements") or []
        problems = [] if 0 < len(elements) <= ACTIONS_ELEMENTS else [f"{len(elements)} elements in actions"]
        for element in elements:
            problems.extend(_button_problems(element, action_ids))
        return problems, sum(_length(element.get("text")) for element in elements)
    if kind == "image":
        problems = [] if 0 < len(block.get("image_url", "")) <= URL else ["image_url"]
        if not 0 < len(block.get("alt_text", "")) <= ALT_TEXT:
            problems.append("alt_text missing or too long")
        return problems, len(block.get("alt_text", ""))
    if kind == "divider":
        return [], 0
    return [f"unknown block type {kind!r}"], 0


def _button_problems(element: dict[str, Any], action_ids: list[str]) -> list[str]:
    if element.get("type") != "button":
        return [f"unexpected element {element.get('type')!r}"]
    problems = _text_problems(element.get("text"), BUTTON_TEXT)
    if (element.get("text") or {}).get("type") != "plain_text":
        problems.append("button text must be plain_text")
    action_id = element.get("action_id")
    if not isinstance(action_id, str) or not 0 < len(action_id) <= ID:
        problems.append("button without a valid action_id")
    else:
        action_ids.append(action_id)
    if len(element.get("value", "")) > BUTTON_VALUE:
        problems.append("button value too long")
    if len(element.get("url", "")) > URL:
        problems.append("button url too long")
    return problems


def _text_problems(text: object, limit: int) -> list[str]:
    if not isinstance(text, dict) or text.get("type") not in ("mrkdwn", "plain_text"):
        return ["missing text object"]
    value = text.get("text")
    if not isinstance(value, str) or not value:
        return ["empty text"]
    problems = [f"text of {len(value)} characters (at most {limit})"] if len(value) > limit else []
    if text["type"] == "mrkdwn" and ("<" in _LINK.sub("", value) or ">" in _LINK.sub("", value)):
        problems.append(f"unescaped < or > in {value[:80]!r}")
    return problems


def _length(text: object) -> int:
    return len(text.get("text", "")) if isinstance(text, dict) else 0


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return [value for value in values if value in seen or seen.add(value)]  # type: ignore[func-returns-value]
