"""`lessonloop campaign preview|launch|pause|status ID` as a marketer runs them, and
conversions imported with `lessonloop import conversions` attributed at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.__main__ import main
from storage.campaign_models import CampaignAssignment, ConversionTouch
from storage.db import Database
from tests.campaigns.crowd import Someone, seed
from tests.engine.chat import Clock

PACK = Path(__file__).parent / "pack"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LESSONLOOP_CONTENT_DIR", str(PACK))
    monkeypatch.delenv("LESSONLOOP_CONFIG", raising=False)
    return tmp_path


def test_preview_launch_pause_and_status(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(
        database,
        [Someone(f"u{n}", first_name=f"L{n}") for n in range(20)] + [Someone("quiet", subscribed=False)],
        Clock()(),
    )

    assert main(["campaign", "preview", "upsell"]) == 0
    preview = capsys.readouterr().out.splitlines()
    assert preview[0] == "upsell: Pro for free-plan customers who finished onboarding"
    assert preview[1] == "  audience now: 21 learners not chosen before (0 chosen before)"
    assert [line.split(":")[0] for line in preview[2:5]] == ["  holdout", "  lesson", "  message"]
    assert "1 stopped" in "".join(preview[2:5])
    assert "  sample of message on telegram:" in preview
    telegram_sample = preview[preview.index("  sample of message on telegram:") + 1]
    assert '"text": "Alex, Pro gives you automations."' in telegram_sample
    assert '"url": "https://tasklane.example/pricing"' in telegram_sample
    slack_sample = preview[preview.index("  sample of message on slack:") + 1]
    assert '"type": "button"' in slack_sample

    assert main(["campaign", "launch", "upsell"]) == 0
    launched = capsys.readouterr().out
    assert launched.startswith("upsell: launched; 21 learners chosen now, ")
    assert main(["campaign", "launch", "upsell"]) == 0
    assert capsys.readouterr().out.startswith("upsell: launched; 0 learners chosen now, 0 messages queued")
    assert main(["campaign", "pause", "upsell"]) == 0
    paused = capsys.readouterr().out
    queued = int(launched.split(", ")[1].split()[0])
    assert paused == f"upsell: paused; {queued} messages held (launch it again to send them)\n"

    assert main(["campaign", "status", "upsell"]) == 0
    status = capsys.readouterr().out.splitlines()
    assert status[0] == "status: paused"
    assert status[1].split() == [
        "arm", "chosen", "queued", "sent", "delivered", "failed", "clicked", "converted", "rate",
        "stopped", "unreachable", "paused", "unaddressed", "capped",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in status[2:] if not line.startswith("  lift")}
    assert sum(int(row[1]) for row in rows.values()) == 21
    assert sum(int(row[2]) for row in rows.values()) == queued  # held messages still wait


def test_an_unknown_campaign_is_named_with_those_there_are(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["campaign", "launch", "upsel"]) == 2
    assert capsys.readouterr().out == (
        "lessonloop: no campaign 'upsel' in the content "
        "(campaigns: follow-up, morning, survey-blast, upsell, weekday-news)\n"
    )


def test_imported_conversions_are_attributed_at_once(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(database, [Someone("ann")], Clock()())
    # `survey-blast` has no holdout: ann is sent it (the status attributes nothing before).
    assert main(["campaign", "launch", "survey-blast"]) == 0
    with database.transaction() as session:
        assignment = session.scalars(select(CampaignAssignment)).one()
        assignment.sent_at = assignment.assigned_at
    (workdir / "conversions.csv").write_text(
        f"customer_id,converted_at,revenue\ncustomer-ann,{assignment.assigned_at:%Y-%m-%d}T23:59:00Z,49\n"
    )
    assert main(["import", "conversions", "conversions.csv"]) == 0
    with database.transaction() as session:
        touches = session.execute(select(ConversionTouch.model, ConversionTouch.campaign_id)).all()
    assert sorted(touches) == [("first", "survey-blast"), ("last", "survey-blast")]


def test_an_arm_nobody_was_reached_in_has_no_rate(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(database, [Someone("quiet", subscribed=False)], Clock()())
    assert main(["campaign", "launch", "upsell"]) == 0
    assert main(["campaign", "status", "upsell"]) == 0
    lines = capsys.readouterr().out.splitlines()[3:]
    rows = [line.split() for line in lines if not line.startswith("  lift")]
    assert len(rows) == 1
    assert rows[0][1] == "1"  # chosen, and stopped before anything was sent
    assert rows[0][8] == "n/a"  # not 0.0%: a rate of nobody is unknown
