"""What support reads: the questions the bot could not settle, grouped so that writing the
next FAQ entry is one look.

A question is a gap when the bot declined to answer it, when none of its "Did you mean"
candidates fitted, or when the learner asked for a human after an answer. Gaps are grouped
by meaning with the same sentence model the matcher uses (greedy: each question joins the
first group whose opening question is close enough), so "export to excel" and "xlsx
export?" land in one group with a count of two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import select

from bot.faq.embeddings import Encoder, Vectors
from storage.db import Database
from storage.metrics import UNSETTLED
from storage.models import FaqQuestion

SAME_GAP_AT = 0.5
"""Cosine similarity at which two questions are taken to ask the same thing. On 3,000
random pairs of CLINC150 training queries, 0.5 joined 50% of same-intent pairs and 0.13%
of different-intent pairs (0.7: 17% and 0%). Splitting one gap into two groups costs
support less than hiding a gap inside another, so the threshold leans towards apart."""
EXAMPLES = 3

REASONS = {"unanswered": "no answer", "no_match": "no suggestion fitted", "need_human": "asked for a human"}


@dataclass
class Gap:
    """Questions that ask the same unanswered thing."""

    question: str
    """The first wording seen: the group is named after it."""
    count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    """Other wordings, for the phrasings of the entry to write."""
    last_asked: datetime | None = None


def _reason(row: FaqQuestion) -> str:
    if row.outcome in ("need_human", "no_match"):
        return row.outcome
    return "unanswered"


def unsettled_questions(database: Database, since: datetime) -> list[FaqQuestion]:
    """Every gap question asked since `since`, oldest first."""
    with database.transaction() as session:
        return list(
            session.scalars(
                select(FaqQuestion)
                .where(FaqQuestion.asked_at >= since, UNSETTLED)
                .order_by(FaqQuestion.asked_at, FaqQuestion.id)
            )
        )


def group_gaps(questions: Sequence[FaqQuestion], encoder: Encoder) -> list[Gap]:
    """The gaps, most frequent first."""
    if not questions:
        return []
    vectors = encoder.encode([row.text for row in questions])
    gaps: list[Gap] = []
    leaders: list[Vectors] = []
    for row, vector in zip(questions, vectors, strict=True):
        similarities = [float(np.dot(vector, leader)) for leader in leaders]
        best = int(np.argmax(similarities)) if similarities else -1
        if best < 0 or similarities[best] < SAME_GAP_AT:
            gaps.append(Gap(row.text))
            leaders.append(vector)
            best = len(gaps) - 1
        gap = gaps[best]
        gap.count += 1
        gap.reasons[_reason(row)] += 1
        gap.last_asked = row.asked_at if gap.last_asked is None else max(gap.last_asked, row.asked_at)
        wording = row.text.strip()
        seen = {gap.question.strip().casefold(), *(example.casefold() for example in gap.examples)}
        if wording.casefold() not in seen and len(gap.examples) < EXAMPLES:
            gap.examples.append(wording)
    return sorted(gaps, key=lambda gap: (-gap.count, gap.question))


def describe(gap: Gap) -> str:
    """One gap as support reads it on a terminal."""
    reasons = ", ".join(f"{REASONS[reason]} {count}" for reason, count in gap.reasons.most_common())
    when = f", last asked {gap.last_asked:%Y-%m-%d %H:%M} UTC" if gap.last_asked else ""
    lines = [f"{gap.count:>4} × “{gap.question}” ({reasons}{when})"]
    lines.extend(f"       also: “{example}”" for example in gap.examples)
    return "\n".join(lines)
