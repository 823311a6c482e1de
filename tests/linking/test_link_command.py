"""`lessonloop link`: customers' personal Telegram links, as an operator runs the command."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
from pathlib import Path

from bot.links.deep_links import CustomerLink, read_payload
from storage.db import Database
from tests.cli.test_commands import lessonloop
from tests.linking.records import SECRET, add_customer
from tests.telegram.fake_bot_api import TOKEN, FakeTelegram

PREFIX = "https://t.me/acme_helper_bot?start="


def _environment(database_url: str, **more: str) -> dict[str, str]:
    unset = dict.fromkeys(("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "LESSONLOOP_LINK_SECRET"), "")
    return {**unset, "LESSONLOOP_DATABASE_URL": database_url, **more}


def _customer_of(link: str) -> int | None:
    assert link.startswith(PREFIX), link
    read = read_payload(SECRET, link.removeprefix(PREFIX))
    return read.customer_id if isinstance(read, CustomerLink) else None


def test_every_customer_gets_a_link_in_a_csv(tmp_path: Path, database: Database, database_url: str) -> None:
    acme = add_customer(database, "cus_acme", "ann@acme.test")
    globex = add_customer(database, "cus_globex")
    environment = _environment(database_url, LESSONLOOP_LINK_SECRET=SECRET)

    written = lessonloop(
        "link",
        "customers",
        "--bot",
        "@acme_helper_bot",
        "--out",
        "links.csv",
        cwd=tmp_path,
        environment=environment,
    )
    printed = lessonloop(
        "link", "customers", "--bot", "acme_helper_bot", cwd=tmp_path, environment=environment
    )

    assert (written.returncode, written.stdout, written.stderr) == (
        0,
        "2 customer links written to links.csv\n",
        "",
    )
    rows = list(csv.reader((tmp_path / "links.csv").read_text(encoding="utf-8").splitlines()))
    assert [row[:2] for row in rows] == [
        ["customer_id", "email"],
        ["cus_acme", "ann@acme.test"],
        ["cus_globex", ""],
    ]
    assert rows[0][2] == "telegram_link"
    assert [_customer_of(row[2]) for row in rows[1:]] == [acme, globex]
    assert printed.returncode == 0
    assert list(csv.reader(printed.stdout.splitlines())) == rows


def test_one_customers_link_is_printed(tmp_path: Path, database: Database, database_url: str) -> None:
    acme = add_customer(database, "cus_acme", "ann@acme.test")
    environment = _environment(database_url, LESSONLOOP_LINK_SECRET=SECRET)

    found = lessonloop(
        "link", "customer", "cus_acme", "--bot", "acme_helper_bot", cwd=tmp_path, environment=environment
    )
    missing = lessonloop(
        "link", "customer", "cus_nobody", "--bot", "acme_helper_bot", cwd=tmp_path, environment=environment
    )

    assert (found.returncode, found.stderr) == (0, "")
    assert _customer_of(found.stdout.strip()) == acme
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == "lessonloop: no imported customer has the id 'cus_nobody'\n"


def test_without_a_secret_or_a_bot_it_says_what_to_set(tmp_path: Path, database_url: str) -> None:
    no_secret = lessonloop(
        "link", "customers", "--bot", "b", cwd=tmp_path, environment=_environment(database_url)
    )
    no_bot = lessonloop(
        "link",
        "customers",
        cwd=tmp_path,
        environment=_environment(database_url, LESSONLOOP_LINK_SECRET=SECRET),
    )

    assert (no_secret.returncode, no_secret.stdout) == (2, "")
    assert no_secret.stderr == (
        "lessonloop: set link_secret (LESSONLOOP_LINK_SECRET, or link_secret in lessonloop.toml) to sign "
        "customers' links; keep it: links made with one secret stop working when it changes\n"
    )
    assert (no_bot.returncode, no_bot.stdout) == (2, "")
    assert no_bot.stderr == (
        "lessonloop: which bot should the links open? Pass --bot USERNAME (its @username, from @BotFather), "
        "or set TELEGRAM_BOT_TOKEN so Telegram can be asked\n"
    )


def test_without_bot_the_username_is_asked_of_telegram(
    tmp_path: Path, database: Database, database_url: str
) -> None:
    acme = add_customer(database, "cus_acme")

    async def scenario() -> tuple[int, str]:
        fake = FakeTelegram()
        root = await fake.start()
        environment = _environment(
            database_url, LESSONLOOP_LINK_SECRET=SECRET, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=root
        )
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "link",
                "customer",
                "cus_acme",
                cwd=tmp_path,
                env={**os.environ, **environment},
                stdout=asyncio.subprocess.PIPE,
            )
            stdout, _ = await asyncio.wait_for(process.communicate(), 60)
            assert [call.method for call in fake.calls] == ["getMe"]
            return process.returncode or 0, stdout.decode()
        finally:
            await fake.close()

    code, printed = asyncio.run(scenario())
    assert code == 0
    assert printed.startswith("https://t.me/lessonloop_test_bot?start=")
    assert read_payload(SECRET, printed.strip().rsplit("=", 1)[1]) == CustomerLink(acme)
