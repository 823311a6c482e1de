"""The command menu Telegram shows next to the message field, in each learner's language.

`setMyCommands` without a language is what everyone sees; with `language_code` it is what
users whose Telegram speaks that language see. The engine understands the commands with or
without a slash; this only makes them discoverable. A content locale without a
translation here falls back to the default list, in the content's default language.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand
from telegram.error import TelegramError

log = logging.getLogger(__name__)

COMMANDS = ("start", "courses", "progress", "ask", "language", "timezone", "invite", "stop", "help")
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "en": {
        "start": "Start, or pick up where you left off",
        "courses": "See the courses and choose one",
        "progress": "Your lessons and quiz scores so far",
        "ask": "Ask a question about the product",
        "language": "Change the language I speak",
        "timezone": "Set your time zone, so lessons come at a good hour",
        "invite": "Your link to invite a colleague or friend",
        "stop": "Stop messages I send on my own",
        "help": "What I can do",
    },
    "ko": {
        "start": "시작하거나 하던 곳에서 이어 가기",
        "courses": "코스 목록을 보고 고르기",
        "progress": "지금까지의 레슨과 퀴즈 점수",
        "ask": "제품에 대해 질문하기",
        "language": "사용할 언어 바꾸기",
        "timezone": "시간대 설정 (레슨을 알맞은 시간에 받기)",
        "invite": "동료나 친구를 초대하는 내 링크",
        "stop": "먼저 보내는 메시지 받지 않기",
        "help": "할 수 있는 일 보기",
    },
}


def command_menu(locale: str) -> list[BotCommand] | None:
    """The menu in `locale` (or its language without region), None if not translated."""
    descriptions = DESCRIPTIONS.get(locale) or DESCRIPTIONS.get(locale.split("-", maxsplit=1)[0])
    if descriptions is None:
        return None
    return [BotCommand(command, descriptions[command]) for command in COMMANDS]


async def register_commands(bot: Bot, locales: Iterable[str], default_locale: str) -> None:
    """One menu for everyone (in `default_locale`) and one per translated content locale.
    A refusal is logged, not fatal: the commands work typed even without a menu."""
    menus: list[tuple[str | None, list[BotCommand]]] = []
    default = command_menu(default_locale) or command_menu("en")
    if default is not None:
        menus.append((None, default))
    for locale in sorted(set(locales)):
        menu = command_menu(locale)
        if menu is not None:
            menus.append((locale.split("-")[0], menu))
    for language, menu in menus:
        try:
            await bot.set_my_commands(menu, language_code=language)
        except TelegramError as error:
            log.warning("Telegram refused the command menu for %s: %s", language or "everyone", error)
