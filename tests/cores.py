"""The core an adapter is handed, built around an engine a test made itself (tests build
engines with their own clock, content and hand-off settings; `bot.bootstrap.assemble` is
what production uses)."""

from __future__ import annotations

from bot.bootstrap import Core
from bot.engine import Engine
from bot.handoff.desk import HandoffDesk


def core_of(engine: Engine) -> Core:
    """A core on `engine`'s clock, as `assemble` puts every part on one."""
    desk = HandoffDesk(engine.database, engine.handoff, engine.surveys_after_handoff, clock=engine.clock)
    return Core(engine, desk, engine.database, engine.content, engine.clock)
