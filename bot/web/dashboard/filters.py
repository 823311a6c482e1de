"""The dashboard's period and segment filter: GET parameters that mean what `lessonloop
report --period/--from/--to/--segment` mean, so a link can be shared and a number checked
on the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from bot.metrics.definitions import Definitions
from bot.metrics.periods import Period
from bot.metrics.report import ReportError, chosen_period
from bot.metrics.segment import ReportSegment, SegmentError, parse_segment

PERIOD_KINDS = ("day", "week", "month", "quarter")


@dataclass(frozen=True)
class Filter:
    """As typed in the form (each "" when not given)."""

    period: str = ""
    first_day: str = ""
    last_day: str = ""
    segment: str = ""

    @property
    def query(self) -> str:
        """The filter as a query string, for the CSV links ("" when nothing is chosen)."""
        pairs = {"period": self.period, "from": self.first_day, "to": self.last_day, "segment": self.segment}
        return urlencode({key: value for key, value in pairs.items() if value})


@dataclass(frozen=True)
class Chosen:
    period: Period
    segment: ReportSegment


def filter_of(query: Mapping[str, str]) -> Filter:
    return Filter(
        period=query.get("period", "").strip(),
        first_day=query.get("from", "").strip(),
        last_day=query.get("to", "").strip(),
        segment=query.get("segment", "").strip(),
    )


def chosen(asked: Filter, definitions: Definitions, now: datetime) -> Chosen:
    """The period and segment asked for; ValueError with what to write instead."""
    if asked.period and asked.period not in PERIOD_KINDS:
        raise ReportError(f"period must be one of {', '.join(PERIOD_KINDS)}, not {asked.period!r}")
    try:
        period = chosen_period(
            asked.period or None, asked.first_day or None, asked.last_day or None, definitions, now
        )
        segment = parse_segment(asked.segment)
    except (ReportError, SegmentError) as error:
        raise ReportError(str(error).replace("--period", "period").replace("--", "")) from None
    return Chosen(period, segment)
