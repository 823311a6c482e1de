"""Who a campaign's segment holds, as one SQL query over the learners (never a loop over
them in Python): each condition of `bot.content.model.Segment` is a clause on the learner,
their customer record and account, their enrolments, quiz attempts, NPS answers and the
campaigns that reached them before."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, exists, func, or_, select, true

from bot.content.model import QuizScore, Segment
from storage.campaign_models import CampaignAssignment
from storage.customer_models import Account, Customer
from storage.models import Enrolment, Learner, LearnerIdentity, QuizAttempt, SurveyAnswer, SurveyResponse

LEARNERS = cast(Table, Learner.__table__)
_IDENTITIES = cast(Table, LearnerIdentity.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)
_ACCOUNTS = cast(Table, Account.__table__)
_ENROLMENTS = cast(Table, Enrolment.__table__)
_ATTEMPTS = cast(Table, QuizAttempt.__table__)
_ANSWERS = cast(Table, SurveyAnswer.__table__)
_RESPONSES = cast(Table, SurveyResponse.__table__)
_ASSIGNMENTS = cast(Table, CampaignAssignment.__table__)

SENT_OUTCOME = "queued"
"""An assignment that sent the learner something (not the holdout, not left out)."""


def audience(segment: Segment, now: datetime, default_locale: str) -> Select[tuple[int]]:
    """The ids of the learners in `segment` at `now`."""
    return select(LEARNERS.c.id).where(*conditions(segment, now, default_locale))


def conditions(segment: Segment, now: datetime, default_locale: str) -> list[ColumnElement[bool]]:
    """`segment` as WHERE clauses on `learners` (every one must hold)."""
    found = _who(segment, default_locale) + _what_they_did(segment, now)
    return found or [true()]


def _who(segment: Segment, default_locale: str) -> list[ColumnElement[bool]]:
    """Where the learner is and what the company's records say of them."""
    learner = LEARNERS.c
    found: list[ColumnElement[bool]] = []
    if segment.platforms:
        found.append(
            exists().where(
                _IDENTITIES.c.learner_id == learner.id, _IDENTITIES.c.platform.in_(segment.platforms)
            )
        )
    if segment.locales:
        locale = func.coalesce(learner.locale, learner.locale_hint, default_locale)
        found.append(or_(*(or_(locale == wanted, locale.like(f"{wanted}-%")) for wanted in segment.locales)))
    customer = _customer_where
    if segment.plans:
        found.append(customer(_CUSTOMERS.c.plan.in_(segment.plans)))
    for name, values in segment.attributes.items():
        value = _CUSTOMERS.c.attributes[name].as_string()
        found.append(customer(value.in_(values)))
    if segment.accounts:
        in_accounts = select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.external_id.in_(segment.accounts))
        found.append(customer(_CUSTOMERS.c.account_id.in_(in_accounts)))
    if segment.sources:
        customer_source = (
            select(_CUSTOMERS.c.source).where(_CUSTOMERS.c.id == learner.customer_id).scalar_subquery()
        )
        found.append(func.coalesce(learner.source, customer_source).in_(segment.sources))
    return found


def _what_they_did(segment: Segment, now: datetime) -> list[ColumnElement[bool]]:
    """Their courses, quizzes, NPS answers, activity and the campaigns that reached them."""
    learner = LEARNERS.c
    found: list[ColumnElement[bool]] = []
    if segment.started:
        found.append(_enrolled(segment.started))
    if segment.completed:
        found.append(_enrolled(segment.completed, _ENROLMENTS.c.status == "completed"))
    if segment.not_completed:
        found.append(~_enrolled(segment.not_completed, _ENROLMENTS.c.status == "completed"))
    found.extend(_scored(score) for score in segment.quiz_scores)
    if segment.nps:
        found.append(_latest_nps_band().in_(segment.nps))
    if segment.active_within_days is not None:
        found.append(learner.last_seen_at >= _at(now - timedelta(days=segment.active_within_days)))
    if segment.inactive_for_days is not None:
        found.append(learner.last_seen_at <= _at(now - timedelta(days=segment.inactive_for_days)))
    if segment.received:
        found.append(_reached_by(segment.received))
    if segment.not_received:
        found.append(~_reached_by(segment.not_received))
    return found


def _at(moment: datetime) -> ColumnElement[datetime]:
    # Typed as the column is: SQLite compares datetimes as text, in the column's format.
    return bindparam(None, moment, type_=LEARNERS.c.last_seen_at.type)


def _customer_where(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(_CUSTOMERS.c.id == LEARNERS.c.customer_id, condition)


def _enrolled(courses: tuple[str, ...], *more: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        _ENROLMENTS.c.learner_id == LEARNERS.c.id, _ENROLMENTS.c.course_id.in_(courses), *more
    )


def _scored(score: QuizScore) -> ColumnElement[bool]:
    """The learner's best finished attempt at the quiz, in percent, within the bounds."""
    best = (
        select(func.max(_ATTEMPTS.c.score_percent))
        .where(
            _ATTEMPTS.c.learner_id == LEARNERS.c.id,
            _ATTEMPTS.c.quiz_id == score.quiz_id,
            _ATTEMPTS.c.finished_at.is_not(None),
        )
        .scalar_subquery()
    )
    bounds: list[ColumnElement[bool]] = [best.is_not(None)]
    if score.at_least is not None:
        bounds.append(best >= score.at_least)
    if score.below is not None:
        bounds.append(best < score.below)
    return and_(*bounds)


def _latest_nps_band() -> ColumnElement[str]:
    """The band of the learner's latest NPS answer (promoter, passive, detractor)."""
    return (
        select(_ANSWERS.c.band)
        .join(_RESPONSES, _RESPONSES.c.id == _ANSWERS.c.response_id)
        .where(
            _RESPONSES.c.learner_id == LEARNERS.c.id,
            _ANSWERS.c.question_type == "nps",
            _ANSWERS.c.band.is_not(None),
        )
        .order_by(_ANSWERS.c.answered_at.desc(), _ANSWERS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _reached_by(campaigns: tuple[str, ...]) -> ColumnElement[bool]:
    return exists().where(
        _ASSIGNMENTS.c.learner_id == LEARNERS.c.id,
        _ASSIGNMENTS.c.campaign_id.in_(campaigns),
        _ASSIGNMENTS.c.outcome == SENT_OUTCOME,
    )
