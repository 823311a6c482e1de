"""What `serve` needs to offer `/dashboard`: who may read it, and the report's definitions."""

from __future__ import annotations

from dataclasses import dataclass

from bot.metrics.definitions import Definitions
from bot.web.dashboard.access import DashboardAccess


@dataclass(frozen=True)
class DashboardSettings:
    access: DashboardAccess
    definitions: Definitions
    """As `lessonloop report` reads them (`report_definitions`), so both show the same numbers."""
    default_locale: str
