"""What the retention report means by a customer, active, churned and a purchase: settings
with defaults, each said in one line that every report prints, so two people reading the
same number read the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from bot.config import ConfigError, Settings

ClvModel = Literal["simple"]


@dataclass(frozen=True)
class Definition:
    term: str
    meaning: str


@dataclass(frozen=True)
class Definitions:
    zone: ZoneInfo
    """Whose midnights bound the periods."""
    active_days: int = 90
    gross_margin: float = 1.0
    clv_model: ClvModel = "simple"

    def described(self) -> tuple[Definition, ...]:
        return (
            Definition("customer", "customer: a customer record imported from the CRM or billing"),
            Definition(
                "active",
                "active at an instant: a subscription period with MRR > 0 running just before it, or, "
                f"for a customer without subscriptions, a purchase in the {self.active_days} days before it",
            ),
            Definition("churned", "churned in a period: active at its start and not active at its end"),
            Definition(
                "acquired",
                "acquired: signed up then, or without a signup date, the first paid subscription period "
                "(else the first purchase) began then",
            ),
            Definition("purchase", "a purchase: an order of a positive amount (refunds are not purchases)"),
            Definition("revenue", "revenue: the sum of orders' amounts, refunds subtracted, any currency"),
            Definition("gross margin", f"gross margin: {self.gross_margin:.0%} of revenue is kept"),
            Definition(
                "period",
                f"period: from midnight to midnight in {self.zone.key}, the last day included",
            ),
        )


def report_definitions(settings: Settings) -> Definitions:
    """The definitions `settings` choose; `bgnbd` is refused (see README, Reports)."""
    if settings.clv_model != "simple":
        raise ConfigError(
            f"clv_model {settings.clv_model!r} is not available yet: the BG/NBD model would need the "
            "unmaintained `lifetimes` package (and pandas, scipy, autograd), not installed with "
            'Lessonloop; set clv_model = "simple"'
        )
    return Definitions(
        zone=ZoneInfo(settings.report_timezone or settings.default_timezone),
        active_days=settings.active_days,
        gross_margin=settings.gross_margin,
        clv_model="simple",
    )
