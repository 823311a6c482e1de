"""Which variant, or the holdout, a learner gets in a campaign.

The choice is a hash of the learner and the campaign, so it is the same every time it is
worked out and needs nothing stored to stay put (the launch still records it, and a
recorded choice is never made again). The database computes it inside the launch's one
statement (an INSERT ... SELECT over the whole audience), so the hash is integer
arithmetic both SQLite and PostgreSQL do identically in 64 bits: a multiply-add, a square
(so two campaigns' choices are not one affine map of the other) and a multiply-add, modulo
the prime 2^31 - 1, with keys taken from the campaign id's SHA-256.
The same function in Python (`bucket`) lets tests and previews check it row by row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, literal

from bot.content.model import HOLDOUT, Campaign

PRIME = 2_147_483_647
"""2^31 - 1: every product of two residues stays below 2^62, inside a 64-bit integer."""
BUCKETS = 10_000
"""A learner's bucket is 0..9999: shares are kept to a hundredth of a percent."""


@dataclass(frozen=True)
class Split:
    """The buckets each arm takes, in order: the holdout first, then the variants."""

    arms: tuple[tuple[str, int], ...]
    """(variant id or `holdout`, the first bucket after its range)."""

    def arm_of(self, bucket_number: int) -> str:
        return next(arm for arm, end in self.arms if bucket_number < end)


def split_of(campaign: Campaign) -> Split:
    """The arms of `campaign`: shares in percent (adding up to 100, the content checks say
    so) become bucket ranges, rounding each boundary so the total is exactly `BUCKETS`."""
    shares = [(HOLDOUT, campaign.holdout)] + [(variant.id, variant.share) for variant in campaign.variants]
    total = sum(share for _, share in shares) or 1.0
    arms: list[tuple[str, int]] = []
    running = 0.0
    for arm, share in shares:
        running += share
        end = BUCKETS if arm == shares[-1][0] else round(running / total * BUCKETS)
        if share > 0:
            arms.append((arm, end))
    return Split(tuple(arms))


def _keys(campaign_id: str) -> tuple[int, int, int, int]:
    digest = hashlib.sha256(campaign_id.encode()).digest()
    words = [int.from_bytes(digest[index : index + 4], "big") for index in range(0, 16, 4)]
    return 1 + words[0] % (PRIME - 1), words[1] % PRIME, 1 + words[2] % (PRIME - 1), words[3] % PRIME


def bucket(campaign_id: str, learner_id: int) -> int:
    """The learner's bucket in the campaign, as the database computes it (`bucket_sql`)."""
    first, first_add, second, second_add = _keys(campaign_id)
    mixed = ((learner_id % PRIME) * first + first_add) % PRIME
    mixed = (mixed * mixed) % PRIME
    return ((mixed * second + second_add) % PRIME) % BUCKETS


def bucket_sql(campaign_id: str, learner_id: ColumnElement[int]) -> ColumnElement[int]:
    first, first_add, second, second_add = _keys(campaign_id)
    mixed = ((learner_id % PRIME) * literal(first) + literal(first_add)) % PRIME
    mixed = (mixed * mixed) % PRIME
    return ((mixed * literal(second) + literal(second_add)) % PRIME) % BUCKETS


def arm_sql(split: Split, bucket_number: ColumnElement[int]) -> ColumnElement[str]:
    """The arm of a bucket, as a CASE over the split's ranges."""
    *ranges, (last, _end) = split.arms
    if not ranges:
        return literal(last)
    return case(*((bucket_number < end, literal(arm)) for arm, end in ranges), else_=literal(last))
