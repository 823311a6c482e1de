"""The core an adapter is handed, built around an engine a test made itself (tests build
engines with their own clock, content and hand-off settings; `bot.bootstrap.assemble` is
what production uses)."""

from __future__ import annotations

from bot.bootstrap import Core
from bot.engine import Engine
from bot.handoff.desk import HandoffDesk


def core_of(engine: Engine) -> Core:
    return Core(engine, HandoffDesk(engine.database, engine.handoff), engine.database, engine.content)
