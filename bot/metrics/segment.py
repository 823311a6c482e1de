"""Which learners (and so which customers) a report is about: `--segment plan=free,
platform=slack,campaign=pro-upsell:holdout`. The learner conditions are the campaigns'
own segment clauses (`bot.campaigns.audience`), plus the campaign arm a learner was
assigned to (the holdout included, unlike a campaign's `received`); a customer is in the
segment when one of their learners is, or, with no learner conditions, by their record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, exists, select

from bot.campaigns.audience import LEARNERS, conditions
from bot.content.model import Segment
from storage.campaign_models import CampaignAssignment
from storage.customer_models import Customer

_ASSIGNMENTS = cast(Table, CampaignAssignment.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)

KEYS = ("platform", "locale", "plan", "account", "course", "source", "campaign")
"""What `--segment` takes besides `attribute.NAME=VALUE`; values joined by `|` match any."""


class SegmentError(ValueError):
    """A `--segment` that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class ReportSegment:
    platforms: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    accounts: tuple[str, ...] = ()
    courses: tuple[str, ...] = ()
    """Enrolled in any of these."""
    sources: tuple[str, ...] = ()
    campaign: str | None = None
    variant: str | None = None
    """With `campaign`: that arm only (a variant's id, or `holdout`)."""

    @property
    def everyone(self) -> bool:
        return self == ReportSegment()

    def describe(self) -> str:
        """The segment as `--segment` writes it ("everyone" for none)."""
        parts = [
            f"{key}={'|'.join(values)}"
            for key, values in (
                ("platform", self.platforms),
                ("locale", self.locales),
                ("plan", self.plans),
                ("account", self.accounts),
                ("course", self.courses),
                ("source", self.sources),
            )
            if values
        ]
        parts += [f"attribute.{name}={'|'.join(values)}" for name, values in self.attributes.items()]
        if self.campaign is not None:
            parts.append(f"campaign={self.campaign}" + (f":{self.variant}" if self.variant else ""))
        return ",".join(parts) or "everyone"


def parse_segment(text: str) -> ReportSegment:
    """`key=value|value,key=value`; keys: KEYS, or `attribute.NAME`; `campaign=ID[:ARM]`."""
    found: dict[str, tuple[str, ...]] = {}
    attributes: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        key, equals, value = part.partition("=")
        key, values = key.strip(), tuple(filter(None, (each.strip() for each in value.split("|"))))
        if not equals or not values:
            raise SegmentError(f"{part!r}: write key=value, e.g. plan=free or platform=slack|telegram")
        if key.startswith("attribute."):
            attributes[key.removeprefix("attribute.")] = values
        elif key in KEYS:
            found[key] = values
        else:
            raise SegmentError(f"{key!r} is not a segment key; use {', '.join(KEYS)} or attribute.NAME")
    campaign, _, variant = (found.get("campaign", ("",))[0]).partition(":")
    return ReportSegment(
        platforms=found.get("platform", ()),
        locales=found.get("locale", ()),
        plans=found.get("plan", ()),
        attributes=attributes,
        accounts=found.get("account", ()),
        courses=found.get("course", ()),
        sources=found.get("source", ()),
        campaign=campaign or None,
        variant=variant or None,
    )


def learner_conditions(
    segment: ReportSegment, now: datetime, default_locale: str
) -> list[ColumnElement[bool]]:
    """The segment as WHERE clauses on `learners` (`bot.campaigns.audience.LEARNERS`)."""
    shared = Segment(
        platforms=segment.platforms,
        locales=segment.locales,
        plans=segment.plans,
        attributes=segment.attributes,
        accounts=segment.accounts,
        started=segment.courses,
        sources=segment.sources,
    )
    found = conditions(shared, now, default_locale)
    if segment.campaign is not None:
        arm = [_ASSIGNMENTS.c.variant == segment.variant] if segment.variant else []
        found.append(
            exists().where(
                _ASSIGNMENTS.c.learner_id == LEARNERS.c.id,
                _ASSIGNMENTS.c.campaign_id == segment.campaign,
                *arm,
            )
        )
    return found


def segment_learners(segment: ReportSegment, now: datetime, default_locale: str) -> Select[tuple[int]]:
    """The ids of the segment's learners, as a subquery."""
    return select(LEARNERS.c.id).where(*learner_conditions(segment, now, default_locale))


def segment_customers(segment: ReportSegment, now: datetime, default_locale: str) -> Select[tuple[int]]:
    """The ids of the customers with a learner in the segment (everyone: every customer,
    learners or not)."""
    if segment.everyone:
        return select(_CUSTOMERS.c.id)
    learners = learner_conditions(segment, now, default_locale)
    return select(LEARNERS.c.customer_id).where(LEARNERS.c.customer_id.is_not(None), *learners)
