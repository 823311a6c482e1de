"""The B2B view on a hand-built November in Berlin: people reached per account and how
often (every interaction logged is a touch), single-threaded accounts, the top accounts,
and accounts by their furthest lifecycle stage."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.metrics.accounts import AccountsReport, accounts_report
from bot.metrics.definitions import Definitions
from bot.metrics.lifecycle import STAGES, AccountStage, lifecycle
from bot.metrics.segment import ReportSegment
from storage.account_touches import AccountTouches
from storage.customer_models import Customer
from storage.db import Database
from storage.retention import without_jit
from tests.metrics.hand_built import account, logged
from tests.metrics.history import BERLIN, CREATED, at, customer, learner, november, subscription


def _customer(session: Session, name: str, account_id: int, *, signed_up: str | None = None) -> int:
    found = customer(session, name, signed_up=signed_up)
    row = session.get(Customer, found)
    assert row is not None
    row.account_id = account_id
    return found


def _report(database: Database, segment: ReportSegment | None = None) -> AccountsReport:
    with database.transaction() as session:
        without_jit(session)
        return accounts_report(session, november(), segment or ReportSegment(), "en")


def _stages(**accounts: int) -> tuple[AccountStage, ...]:
    return tuple(AccountStage(stage, accounts.get(stage, 0)) for stage in STAGES)


def test_people_reached_per_account_and_the_single_threaded_ones(database: Database) -> None:
    """Acme: three people, two written with in November (5 messages and a milestone mark,
    1 message), one only in October; a customer paying since 2025 (loyalty).
    Bolt: one person, 2 messages in November and one in December; signed up, never paid
    (acquisition). Corp: its one person silent in November; its customer stopped paying in
    May (lapsed)."""
    with database.transaction() as session:
        acme, bolt, corp = (account(session, name, CREATED) for name in ("acme", "bolt", "corp"))
        payer = _customer(session, "acme-payer", acme)
        subscription(session, payer, 5_000, "2025-01-01")
        ann, bea = learner(session, payer), learner(session, _customer(session, "acme-free", acme))
        cid = learner(session, payer)
        logged(session, ann, [at("2026-11-02"), at("2026-11-03"), at("2026-11-04")])
        logged(session, ann, [at("2026-11-02"), at("2026-11-03")], direction="out", kind="lesson")
        logged(session, ann, [at("2026-11-03")], direction="mark", kind="lesson_completed")
        logged(session, bea, [at("2026-11-20")])
        logged(session, cid, [at("2026-10-20")])
        dan = learner(session, _customer(session, "bolt-user", bolt, signed_up="2026-06-01"))
        logged(
            session, dan, [at("2026-11-10"), at("2026-11-30T23:30", BERLIN), at("2026-12-01T00:30", BERLIN)]
        )
        lapsed = _customer(session, "corp-user", corp)
        subscription(session, lapsed, 1_000, "2026-01-01", "2026-05-01")
        logged(session, learner(session, lapsed), [at("2026-10-30")])

    found = _report(database)

    assert found == AccountsReport(
        reached=2,
        people_reached=3,
        touches=9,
        median_people=1.5,
        single_threaded=1,
        top=(AccountTouches("acme", "", 3, 2, 7), AccountTouches("bolt", "", 1, 1, 2)),
    )
    with database.transaction() as session:
        stages = lifecycle(session, november(), ReportSegment(), Definitions(zone=BERLIN), "en")
    assert stages.accounts == _stages(acquisition=1, loyalty=1, lapsed=1)
    assert found.touches_per_person == 9 / 3
    # A segment keeps its own accounts' customers only.
    narrowed = _report(database, ReportSegment(accounts=("bolt",)))
    assert (narrowed.reached, narrowed.single_threaded, narrowed.top) == (
        1,
        1,
        (AccountTouches("bolt", "", 1, 1, 2),),
    )


def test_no_accounts_reached_has_no_median(database: Database) -> None:
    found = _report(database)

    assert found == AccountsReport(0, 0, 0, None, 0, ())
    assert found.touches_per_person is None
