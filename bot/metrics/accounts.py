"""The B2B view: in each account (a company whose people are customers), how many
different people the bot reached in the period and how often, because an account that
hears through one person only is single-threaded: if that person leaves, so may the
account. (Accounts by lifecycle stage come with the stages: `bot.metrics.lifecycle`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.metrics.periods import Period
from bot.metrics.segment import ReportSegment, segment_customers
from storage.account_touches import AccountTouches, Spread, account_touches

TOP_ACCOUNTS = 10
"""How many accounts the report lists, most people reached first."""


@dataclass(frozen=True)
class AccountsReport:
    reached: int
    """Accounts with at least one person reached in the period."""
    people_reached: int
    touches: int
    """Interactions logged with the people reached (messages in and out, milestones)."""
    median_people: float | None
    """People reached per account reached, the median."""
    single_threaded: int
    """Accounts reached through one person only."""
    top: tuple[AccountTouches, ...]

    @property
    def touches_per_person(self) -> float | None:
        return self.touches / self.people_reached if self.people_reached else None


def accounts_report(
    session: Session, period: Period, segment: ReportSegment, default_locale: str
) -> AccountsReport:
    customers = None if segment.everyone else segment_customers(segment, period.end, default_locale)
    found = account_touches(session, period.start, period.end, customers, TOP_ACCOUNTS)
    spread = found.spread
    return AccountsReport(
        reached=sum(each.accounts for each in spread),
        people_reached=sum(each.people * each.accounts for each in spread),
        touches=sum(each.touches for each in spread),
        median_people=_median(spread),
        single_threaded=sum(each.accounts for each in spread if each.people == 1),
        top=found.top,
    )


def _median(spread: Sequence[Spread]) -> float | None:
    """The median of people per account, from how many accounts had each number (fewest first)."""
    total = sum(each.accounts for each in spread)
    if not total:
        return None
    values: list[int] = []
    seen = 0
    for each in spread:
        for position in ((total - 1) // 2, total // 2):
            if seen <= position < seen + each.accounts:
                values.append(each.people)
        seen += each.accounts
    return sum(values) / 2
