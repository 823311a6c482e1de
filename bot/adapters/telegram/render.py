"""Replies as Telegram shows them: HTML text, inline keyboards, quiz polls. No I/O.

Everything is sent with `parse_mode=HTML`, so every piece of text that is not our own
markup goes through `escape` (a learner's project name may well contain `<` or `&`).
Limits are counted the way Telegram counts them, in UTF-16 code units of the text after
entity parsing, and come from `telegram.constants`.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit, PollLimit

from bot.links.deep_links import invite_payload, telegram_link
from bot.messages import Choice, InviteLink, LinkReply, QuizQuestionReply, RatingScale

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
CALLBACK_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
SCALE_ROW = 6
"""Score buttons per row: 0-5 over 6-10 for NPS, one row of 1-5 for CSAT."""
HASHED = "#"
"""Callback data starting with this is a digest to look up (see `callback_data`)."""
SEPARATOR = "|"


def escape(text: str) -> str:
    """Text made safe for HTML parse mode (Telegram needs `<`, `>` and `&` escaped)."""
    return html.escape(text, quote=False)


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit`, cut at paragraph breaks where possible, else at
    line breaks, else between words, and only as a last resort inside a word."""
    pieces: list[str] = []
    rest = text.strip("\n")
    while units(rest) > limit:
        cut = _cut_point(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    fits = _fitting_prefix(text, limit)
    window = text[:fits]
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > 0:
            return at + len(separator)
    return fits


def _fitting_prefix(text: str, limit: int) -> int:
    """The number of characters of `text` that fit in `limit` UTF-16 units."""
    used = 0
    for index, character in enumerate(text):
        used += 2 if ord(character) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


# --- keyboards ---------------------------------------------------------------------------


def callback_data(prompt_id: str, choice_id: str) -> str:
    """What a button sends back: the prompt (so the adapter knows which message it came
    from) and the engine's opaque choice id. Both are short; should they ever exceed
    Telegram's 64 bytes, a digest is sent instead and `long_callbacks` keeps the original."""
    data = f"{prompt_id}{SEPARATOR}{choice_id}"
    if len(data.encode()) <= CALLBACK_LIMIT:
        return data
    return HASHED + hashlib.sha256(data.encode()).hexdigest()[:40]


def parse_callback_data(data: str) -> tuple[str, str]:
    """(prompt id, choice id) from unhashed callback data; a bare id counts as a choice id."""
    prompt_id, separator, choice_id = data.partition(SEPARATOR)
    return (prompt_id, choice_id) if separator else ("", data)


def long_callbacks(prompt_id: str, choices: Sequence[Choice]) -> dict[str, str]:
    """Digest → original callback data, for the buttons whose data did not fit."""
    found: dict[str, str] = {}
    for choice in choices:
        data = callback_data(prompt_id, choice.id)
        if data.startswith(HASHED):
            found[data] = f"{prompt_id}{SEPARATOR}{choice.id}"
    return found


def _button(prompt_id: str, choice: Choice, label: str | None = None) -> InlineKeyboardButton:
    if choice.url:
        return InlineKeyboardButton(label or choice.label, url=choice.url)
    return InlineKeyboardButton(label or choice.label, callback_data=callback_data(prompt_id, choice.id))


def choice_keyboard(prompt_id: str, choices: tuple[Choice, ...]) -> InlineKeyboardMarkup:
    """One button per row: labels are sentences, and Telegram cuts long ones side by side."""
    return InlineKeyboardMarkup([[_button(prompt_id, choice)] for choice in choices])


def scale_keyboard(reply: RatingScale) -> InlineKeyboardMarkup:
    buttons = [_button(reply.prompt_id, choice) for choice in reply.choices]
    return InlineKeyboardMarkup(
        [buttons[start : start + SCALE_ROW] for start in range(0, len(buttons), SCALE_ROW)]
    )


def quiz_keyboard(reply: QuizQuestionReply) -> InlineKeyboardMarkup:
    """The options as buttons; on a multiple-answer question each shows whether it is
    ticked, and the submit button comes last."""
    rows = []
    for choice in reply.choices:
        label = choice.label
        if reply.multiple:
            label = f"{'☑️' if choice.id in reply.selected else '⬜'} {choice.label}"
        rows.append([_button(reply.prompt_id, choice, label)])
    if reply.submit is not None:
        rows.append([_button(reply.prompt_id, reply.submit)])
    return InlineKeyboardMarkup(rows)


# --- texts -------------------------------------------------------------------------------


def prompt_texts(text: str) -> list[str]:
    """A prompt's text as messages: the buttons go with the last one."""
    return [escape(piece) for piece in split_text(text)]


def scale_text(reply: RatingScale) -> str:
    """The question, and what the ends of the scale mean (the labels say which score)."""
    return f"{escape(reply.text)}\n<i>{escape(reply.low_label)} · {escape(reply.high_label)}</i>"


def quiz_texts(reply: QuizQuestionReply) -> list[str]:
    """A question shown with buttons: its number in bold, then the question."""
    header = f"❓ <b>{reply.number}/{reply.total}</b>\n"
    pieces = split_text(reply.question, TEXT_LIMIT - units(f"❓ {reply.number}/{reply.total}\n"))
    return [header + escape(pieces[0]), *(escape(piece) for piece in pieces[1:])]


def link_text(reply: LinkReply) -> str:
    return f'🔗 <a href="{html.escape(reply.url)}">{escape(reply.title)}</a>'


def invite_text(reply: InviteLink, bot_username: str) -> str:
    """The invite as a deep link to this bot, written out so it can be copied and passed on."""
    link = html.escape(telegram_link(bot_username, invite_payload(reply.token)))
    return f"{escape(reply.text)}\n🔗 {link}"


def image_fallback_text(url: str, alt: str, caption: str) -> str:
    """An image Telegram would not fetch, as a link (with its caption, if any)."""
    text = f'🖼 <a href="{html.escape(url)}">{escape(alt or url)}</a>'
    return f"{text}\n{escape(caption)}" if caption else text


def photo_caption(caption: str) -> tuple[str | None, list[str]]:
    """The photo's caption, and the rest of a caption over Telegram's 1,024 characters as
    messages to send right after the photo, so nothing is cut off."""
    if not caption:
        return None, []
    rest = caption.strip("\n")
    if units(rest) <= CAPTION_LIMIT:
        return escape(rest), []
    cut = _cut_point(rest, CAPTION_LIMIT)
    return escape(rest[:cut].rstrip()), [escape(piece) for piece in split_text(rest[cut:].lstrip())]


def accepted_text(shown_html: str, label: str) -> str | None:
    """The pressed message with the choice marked under it, or None if that would be too long."""
    text = f"{shown_html}\n\n✅ <b>{escape(label)}</b>"
    visible = f"{html.unescape(_strip_tags(shown_html))}\n\n✅ {label}"
    return text if units(visible) <= TEXT_LIMIT else None


def _strip_tags(markup: str) -> str:
    out, inside = [], False
    for character in markup:
        if character == "<":
            inside = True
        elif character == ">":
            inside = False
        elif not inside:
            out.append(character)
    return "".join(out)


# --- quiz polls ---------------------------------------------------------------------------


OptionIndex = Literal[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
"""A poll option's position, as PTB types it (Telegram allows at most 12 options)."""


@dataclass(frozen=True)
class QuizPoll:
    question: str
    options: tuple[str, ...]
    correct: tuple[OptionIndex, ...]
    explanation: str | None


def quiz_poll(reply: QuizQuestionReply) -> QuizPoll | None:
    """The question as a native quiz poll, or None where one does not fit: several right
    answers, or a text over Telegram's limits (question 300, options 100, explanation 200)."""
    if reply.multiple or len(reply.correct) != 1 or reply.submit is not None:
        return None
    if not PollLimit.MIN_OPTION_NUMBER <= len(reply.choices) <= PollLimit.MAX_OPTION_NUMBER:
        return None
    question = f"({reply.number}/{reply.total}) {reply.question}"
    if units(question) > PollLimit.MAX_QUESTION_LENGTH:
        return None
    if any(units(choice.label) > PollLimit.MAX_OPTION_LENGTH or choice.url for choice in reply.choices):
        return None
    if units(reply.explanation) > PollLimit.MAX_EXPLANATION_LENGTH:
        return None
    ids = [choice.id for choice in reply.choices]
    if reply.correct[0] not in ids:
        return None
    return QuizPoll(
        question=question,
        options=tuple(choice.label for choice in reply.choices),
        correct=(cast(OptionIndex, ids.index(reply.correct[0])),),
        explanation=reply.explanation or None,
    )
