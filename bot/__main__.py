"""The `lessonloop` command: the one place that wires settings, storage, content and engine."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.bootstrap import Core
    from bot.content.model import ContentPack
    from bot.engine import Engine
    from bot.messages import Reply
    from bot.web.dashboard.settings import DashboardSettings
    from bot.xapi.sender import LrsSender
    from storage.db import Database


def _parser() -> argparse.ArgumentParser:  # noqa: PLR0915 (a statement per command and option)
    parser = argparse.ArgumentParser(
        prog="lessonloop",
        description="Micro-courses, quizzes, surveys and answers for your customers, in chat.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    validate = commands.add_parser("validate", help="check content files and report every problem")
    validate.add_argument(
        "paths", nargs="*", type=Path, help="files or folders (default: the content folder)"
    )
    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--learner", help="your name; the same name continues the same learner's progress")
    chat.add_argument("--locale", help="your language, e.g. en or ko")
    chat.add_argument("--course", help="start this course's lesson (--lesson) at once, in order or not")
    chat.add_argument("--lesson", help="with --course: the lesson to start (default: the first)")
    chat.add_argument(
        "--fresh", action="store_true", help="as a throwaway learner, in a database deleted afterwards"
    )
    preview = commands.add_parser(
        "preview", help="authors: take one lesson from its first step as a throwaway learner"
    )
    preview.add_argument("target", metavar="COURSE[/LESSON]", help="the course, or one lesson of it")
    preview.add_argument("--locale", help="the learner's language, e.g. en or ko")
    serve = commands.add_parser("serve", help="serve learners on every configured platform")
    serve.add_argument("--host", default="0.0.0.0", help="the local address to listen on")  # noqa: S104
    serve.add_argument("--port", type=int, default=8080, help="the local port for every HTTP route")
    serve.add_argument(
        "--support-port", type=int, help="take helpdesk replies on this port instead of --port"
    )
    run = commands.add_parser("run", help="serve learners on one chat platform")
    platforms = run.add_subparsers(dest="platform", metavar="PLATFORM", required=True)
    telegram = platforms.add_parser("telegram", help="Telegram, by long polling (default) or webhook")
    telegram.add_argument(
        "--webhook", action="store_true", help="receive updates by webhook instead of polling"
    )
    telegram.add_argument("--port", type=int, default=8443, help="webhook: the local port to listen on")
    telegram.add_argument("--listen", default="0.0.0.0", help="webhook: the local address to listen on")  # noqa: S104
    telegram.add_argument("--url", help="webhook: the public https:// URL Telegram should call")
    slack = platforms.add_parser("slack", help="Slack, by Socket Mode (default) or HTTP")
    slack.add_argument("--http", action="store_true", help="receive events over HTTP instead of Socket Mode")
    slack.add_argument("--port", type=int, default=3000, help="HTTP: the local port to listen on")
    slack.add_argument("--listen", default="0.0.0.0", help="HTTP: the local address to listen on")  # noqa: S104
    for served in (telegram, slack):
        served.add_argument(
            "--support-port",
            type=int,
            help="also take helpdesk replies (signed POST /support/replies) on this port, at --listen",
        )
    faq = commands.add_parser("faq", help="FAQ for support: test a match, list the gaps, report deflection")
    faq_commands = faq.add_subparsers(dest="faq_command", metavar="ACTION", required=True)
    faq_test = faq_commands.add_parser("test", help="show how a question matches the FAQ, with scores")
    faq_test.add_argument("question", help="the question, as a learner would type it")
    faq_test.add_argument("--locale", help="the learner's locale (default: the content's)")
    gaps = faq_commands.add_parser("gaps", help="unanswered and escalated questions, grouped by meaning")
    gaps.add_argument("--days", type=int, default=30, help="how far back to look (default: 30)")
    gaps.add_argument("--limit", type=int, default=20, help="how many groups to show (default: 20)")
    report = faq_commands.add_parser("report", help="deflection: questions settled without a person, and how")
    report.add_argument("--days", type=int, default=30, help="how far back to look (default: 30)")
    campaign = commands.add_parser("campaign", help="marketers' campaigns: preview, launch, pause, status")
    campaign.add_argument("action", choices=("preview", "launch", "pause", "status"), help="what to do")
    campaign.add_argument("campaign_id", metavar="ID", help="the campaign's id in the content")
    link = commands.add_parser("link", help="customers' personal Telegram links, for a mail merge")
    link_commands = link.add_subparsers(dest="link_command", metavar="ACTION", required=True)
    every_link = link_commands.add_parser("customers", help="a CSV of every imported customer's link")
    every_link.add_argument("--out", type=Path, help="write the CSV to this file (default: stdout)")
    one_link = link_commands.add_parser("customer", help="print one customer's link")
    one_link.add_argument("customer_id", metavar="CUSTOMER_ID", help="the company's id for the customer")
    for links in (every_link, one_link):
        links.add_argument("--bot", help="the bot's @username (default: asked of Telegram's getMe)")
    imports = commands.add_parser("import", help="take in customer data from your CRM or billing (CSV)")
    imports.add_argument(
        "kind", choices=_IMPORT_KINDS, metavar="KIND", help="customers, subscriptions, orders or conversions"
    )
    imports.add_argument("file", type=Path, help="the CSV file, its first row naming the columns")
    imports.add_argument(
        "--skip-bad-rows", action="store_true", help="write the good rows and list the bad ones"
    )
    _add_report(commands)
    _add_xapi(commands)
    dashboard = commands.add_parser("dashboard", help="the dashboard at /dashboard on `serve`")
    dashboard_commands = dashboard.add_subparsers(dest="dashboard_command", metavar="ACTION", required=True)
    dashboard_commands.add_parser(
        "hash-password", help="read a password (not shown) and print its hash for dashboard_password_hash"
    )
    db = commands.add_parser("db", help="manage the database")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="create or update the tables to the latest version")
    return parser


def _add_report(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retention = commands.add_parser(
        "report", help="customer retention, churn, MRR churn, lifetime value, NPS and purchases of a period"
    )
    retention.add_argument(
        "--period", choices=("day", "week", "month", "quarter"), help="the last complete one (default: month)"
    )
    retention.add_argument(
        "--from", dest="first_day", metavar="DATE", help="first day, YYYY-MM-DD, with --to"
    )
    retention.add_argument("--to", dest="last_day", metavar="DATE", help="last day, included")
    retention.add_argument("--segment", default="", help="e.g. plan=free,platform=slack|telegram")
    retention.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="default: table"
    )


def _add_xapi(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    xapi = commands.add_parser("xapi", help="xAPI statements for an LRS: export them, see them being sent")
    xapi_commands = xapi.add_subparsers(dest="xapi_command", metavar="ACTION", required=True)
    export = xapi_commands.add_parser("export", help="every statement, oldest first, as JSON Lines")
    export.add_argument(
        "--since", metavar="DATE", help="only what happened from then on: YYYY-MM-DD or a time"
    )
    export.add_argument("--out", type=Path, metavar="FILE.jsonl", help="write to this file (default: stdout)")
    xapi_commands.add_parser("status", help="statements queued, sent and failed on their way to the LRS")


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0912 (a branch per command)
    arguments = _parser().parse_args(argv)
    if arguments.command == "dashboard":  # needs no settings: it only hashes a password
        return _hash_password()
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"lessonloop: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if arguments.command == "validate":
        return _validate(arguments.paths, settings.content_dir)
    if arguments.command == "db":
        return _upgrade(settings)
    if arguments.command == "campaign":
        return _campaign(settings, arguments.action, arguments.campaign_id)
    if arguments.command == "link":
        return _link(settings, arguments)
    if arguments.command == "import":
        attributing = _attributing(settings) if arguments.kind == "conversions" else None
        return _import(
            settings,
            arguments.kind,
            arguments.file,
            skip_bad_rows=arguments.skip_bad_rows,
            on_conversions=attributing,
        )
    if arguments.command in ("run", "serve"):
        return _serve(settings, arguments)
    if arguments.command == "faq" and arguments.faq_command == "test":
        return _faq_test(settings, arguments.question, arguments.locale)
    if arguments.command == "report":
        return _report(settings, arguments)
    if arguments.command == "xapi":
        return (
            _xapi_status(settings)
            if arguments.xapi_command == "status"
            else _xapi_export(settings, arguments)
        )
    if arguments.command == "faq" and arguments.faq_command == "report":
        return _faq_report(settings, arguments.days)
    if arguments.command == "faq":
        return _faq_gaps(settings, arguments.days, arguments.limit)
    return _chat_command(settings, arguments)


def _chat_command(settings: Settings, arguments: argparse.Namespace) -> int:
    """`chat`, and `preview`: `chat --course C --lesson L --fresh` by another name."""
    if arguments.command == "preview":
        course_id, _, lesson_id = arguments.target.partition("/")
        return _chat(settings, None, arguments.locale, Opening(course_id, lesson_id or None, fresh=True))
    if arguments.lesson and not arguments.course:
        print("lessonloop: --lesson needs --course beside it", file=sys.stderr)
        return 2
    opening = Opening(arguments.course, arguments.lesson, fresh=arguments.fresh)
    started = arguments.course is not None or arguments.fresh
    return _chat(settings, arguments.learner, arguments.locale, opening if started else None)


@dataclass(frozen=True)
class Opening:
    """Where `chat` starts instead of the course list: a course's lesson, taken in any order,
    perhaps as a throwaway learner (`preview`, `chat --fresh`) whose database goes afterwards."""

    course_id: str | None
    lesson_id: str | None
    fresh: bool


def _validate(paths: list[Path], content_dir: Path) -> int:
    """Problems and the summary go to stdout, in order. A file inside the content folder is
    checked against the whole pack (its quizzes and courses live in other files), but only
    its own problems are reported."""
    from bot.content.loader import find_content_files, validate_paths

    paths = paths or [content_dir]
    missing = [path for path in paths if not path.exists()]
    if missing:
        print(f"lessonloop: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    inside = any(path.resolve().is_relative_to(content_dir.resolve()) for path in paths)
    pack = [content_dir] if inside else []
    found = validate_paths(paths, pack)
    for error in found:
        print(error)
    files = len(find_content_files(paths))
    problems = sum(not error.warning for error in found)
    warnings = f", {_counted(len(found) - problems, 'warning')}" if len(found) > problems else ""
    if problems:
        print(f"{_counted(problems, 'problem')}{warnings} in {_counted(files, 'file')}")
        return 1
    print(f"{_counted(files, 'file')} checked, no problems{warnings}")
    return 0


def _upgrade(settings: Settings) -> int:
    from storage.db import Database
    from storage.migrate import upgrade

    database = Database(settings.database_url)
    try:
        upgraded = upgrade(database)
    finally:
        database.dispose()
    print(upgraded.describe(database.url.render_as_string(hide_password=True)))
    return 0


@contextmanager
def _core(settings: Settings, *, every_lesson_open: bool = False) -> Iterator[Core]:
    """The core on the configured content and database (`bot.bootstrap`); exits with a clear
    message if either is not ready, and closes the database afterwards."""
    from datetime import timedelta

    from bot.bootstrap import assemble
    from bot.content.errors import ContentInvalid
    from bot.content.loader import load_content
    from storage.db import Database

    try:
        content = load_content([settings.content_dir], settings.default_locale)
    except ContentInvalid as invalid:
        for error in invalid.errors:
            print(error, file=sys.stderr)
        raise SystemExit("lessonloop: the content has problems; fix them and try again") from None
    database = Database(settings.database_url)
    try:
        _database_ready(database)
        yield assemble(
            content,
            database,
            settings.handoff,
            settings.default_timezone,
            settings.survey_quiet_days,
            outbox_lease=timedelta(seconds=settings.outbox_lease_seconds),
            link_secret=settings.link_secret,
            public_url=settings.public_url,
            attribution_days=settings.attribution_days,
            every_lesson_open=every_lesson_open,
        )
    finally:
        database.dispose()


def _database_ready(database: Database) -> None:
    """Exit unless the database can take events. The embedded SQLite file is created or
    upgraded right here (one process's own file, nobody else to ask); PostgreSQL is shared
    and migrated by an operator, so an old schema is refused with the command to run."""
    from storage.db import DatabaseNotWritableError
    from storage.migrate import current_revision, head_revision, upgrade

    if database.is_sqlite:
        try:
            database.check_writable()
        except DatabaseNotWritableError as error:
            print(
                f"lessonloop: {error}: Lessonloop records every event there; make the file and its "
                "folder writable",
                file=sys.stderr,
            )
            raise SystemExit(2) from None
        upgraded = upgrade(database)
        if upgraded.changed:
            print(
                f"lessonloop: {upgraded.describe(database.url.render_as_string(hide_password=True))}",
                file=sys.stderr,
            )
        return
    current, head = current_revision(database), head_revision()
    if current is None:
        raise SystemExit("lessonloop: the database is not set up yet: run `lessonloop db upgrade`")
    if current != head:
        raise SystemExit(
            f"lessonloop: the database is at revision {current} and this lessonloop needs {head}: "
            "run `lessonloop db upgrade`"
        )


def _attributing(settings: Settings) -> Callable[[Sequence[int]], None]:
    """Conversions imported are attributed to the campaigns before them, by the content's
    campaigns (their variants say what each sent)."""
    from datetime import timedelta

    from bot.campaigns.attribution import ConversionAttributor
    from bot.content.loader import load_content
    from storage.db import Database

    def attribute(conversion_ids: Sequence[int]) -> None:
        database = Database(settings.database_url)
        try:
            content = load_content([settings.content_dir], settings.default_locale)
            ConversionAttributor(database, lambda: content, timedelta(days=settings.attribution_days))(
                conversion_ids
            )
        finally:
            database.dispose()

    return attribute


_IMPORT_KINDS = ("customers", "subscriptions", "orders", "conversions")
"""`bot.customers.columns.KINDS`, without importing it for `--help`."""


def _import(
    settings: Settings,
    kind: str,
    path: Path,
    *,
    skip_bad_rows: bool,
    on_conversions: Callable[[Sequence[int]], None] | None = None,
) -> int:
    """`import KIND FILE`: the file is checked whole before the database is opened, so a file
    with problems is said so without touching it. `on_conversions` gets the ids of the
    conversions added, after the commit: for the campaigns' attribution."""
    from bot.customers.importer import import_checked
    from bot.customers.rows import read_file
    from storage.db import Database

    if not path.is_file():
        print(f"lessonloop: no such file: {path}", file=sys.stderr)
        return 2
    checked = read_file(kind, path)
    if checked.refused or (checked.errors and not skip_bad_rows):
        for error in checked.errors:
            print(error)
        if checked.refused:
            print("nothing written; fix the file and import it again")
            return 1
        problems = f"{_counted(len(checked.errors), 'problem')} in {_counted(checked.bad_rows, 'row')}"
        others = _counted(len(checked.records), "row")
        print(f"nothing written: {problems}; fix them, or pass --skip-bad-rows to import the other {others}")
        return 1
    database = Database(settings.database_url)
    try:
        _database_ready(database)
        report = import_checked(database, checked, skip_bad_rows=skip_bad_rows, on_conversions=on_conversions)
    finally:
        database.dispose()
    for error in report.errors:
        print(error)
    if report.ignored_columns:
        print(f"ignored columns (not used for {kind}): {', '.join(report.ignored_columns)}")
    print(f"{kind}: {report.counts()}")
    return 0


def _campaign(settings: Settings, action: str, campaign_id: str) -> int:
    from bot.campaigns import command

    with _core(settings) as core:
        return command.run(core, action, campaign_id, attribution_days=settings.attribution_days)


def _link(settings: Settings, arguments: argparse.Namespace) -> int:
    """`link customers` and `link customer ID`: signed Telegram links of imported customers."""
    import os

    from bot.links import mail_merge
    from storage.customer_links import customer_contact, customer_contacts
    from storage.db import Database

    if not settings.link_secret:
        print(
            "lessonloop: set link_secret (LESSONLOOP_LINK_SECRET, or link_secret in lessonloop.toml) "
            "to sign customers' links; keep it: links made with one secret stop working when it changes",
            file=sys.stderr,
        )
        return 2
    try:
        bot = mail_merge.bot_username(arguments.bot, os.environ)
    except mail_merge.LinkCommandError as error:
        print(f"lessonloop: {error}", file=sys.stderr)
        return 2
    database = Database(settings.database_url)
    try:
        _database_ready(database)
        with database.transaction() as session:
            if arguments.link_command == "customer":
                customer = customer_contact(session, arguments.customer_id)
                if customer is None:
                    print(
                        f"lessonloop: no imported customer has the id {arguments.customer_id!r}",
                        file=sys.stderr,
                    )
                    return 1
                print(mail_merge.customer_link(settings.link_secret, bot, customer))
                return 0
            customers = customer_contacts(session)
    finally:
        database.dispose()
    if arguments.out is None:
        mail_merge.write_links(settings.link_secret, bot, customers, sys.stdout)
        return 0
    with arguments.out.open("w", encoding="utf-8", newline="") as out:
        count = mail_merge.write_links(settings.link_secret, bot, customers, out)
    print(f"{_counted(count, 'customer link')} written to {arguments.out}")
    return 0


def _chat(settings: Settings, learner: str | None, locale: str | None, opening: Opening | None = None) -> int:
    import asyncio
    import contextlib
    import tempfile

    from bot.adapters.console import ConsoleLearners, chat
    from bot.adapters.database_work import DatabaseWork
    from bot.delivery.outbox import LearnerOutbox
    from bot.delivery.sweep import DueSweep

    with contextlib.ExitStack() as stack:
        if opening is not None and opening.fresh:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="lessonloop-preview-"))
            settings = replace(settings, database_url=f"sqlite:///{folder}/preview.db")
        core = stack.enter_context(_core(settings, every_lesson_open=opening is not None))
        first_line = _first_line(core.content, opening)
        if first_line is None:
            return 2
        work = stack.enter_context(contextlib.closing(DatabaseWork(core.database, name="chat")))
        sweep, screen = DueSweep(core.database, clock=core.clock), ConsoleLearners()
        outbox = LearnerOutbox(work, screen, core.reach_out, clock=core.clock, lease=core.outbox_lease)

        def due(conversation_id: str) -> list[Reply]:
            sweep.sweep()
            while asyncio.run(outbox.deliver_due()):
                pass
            return screen.take(conversation_id)

        try:
            chat(core.engine.handle, learner=learner, locale=locale, due=due, first_line=first_line)
        except KeyboardInterrupt:
            print()
    return 0


def _first_line(content: ContentPack, opening: Opening | None) -> str | None:
    """What the terminal sends first: `start`, or `start COURSE/LESSON`; None (and a message
    naming what there is) when the course or lesson is not in the content."""
    if opening is None or opening.course_id is None:
        return "start"
    course = content.courses.get(opening.course_id)
    if course is None:
        known = ", ".join(content.courses) or "none"
        print(f"lessonloop: there is no course '{opening.course_id}' (courses: {known})", file=sys.stderr)
        return None
    lesson_id = opening.lesson_id or course.lessons[0].id
    if course.lesson(lesson_id) is None:
        known = ", ".join(lesson.id for lesson in course.lessons)
        print(
            f"lessonloop: course '{course.id}' has no lesson '{lesson_id}' (its lessons: {known})",
            file=sys.stderr,
        )
        return None
    return f"start {course.id}/{lesson_id}"


def _faq_test(settings: Settings, question: str, locale: str | None) -> int:
    from bot.content.errors import ContentInvalid
    from bot.content.loader import load_content
    from bot.faq import matcher as faq

    try:
        content = load_content([settings.content_dir], settings.default_locale)
    except ContentInvalid as invalid:
        print("\n".join(map(str, invalid.errors)), file=sys.stderr)
        return 1
    match = faq.FaqMatcher(content).match(question, locale or content.default_locale)
    print(
        f"decision: {match.decision.value} (answer at {faq.ANSWER_AT:.2f} with a lead of "
        f"{faq.ANSWER_MARGIN:.2f}, suggest from {faq.SUGGEST_AT:.2f})"
    )
    for candidate in match.candidates:
        title = candidate.entry.question.pick(locale or content.default_locale)
        print(f"  {candidate.score:.3f}  {candidate.entry.id}  {title}")
    return 0


def _faq_gaps(settings: Settings, days: int, limit: int) -> int:
    from datetime import UTC, datetime, timedelta

    from bot.faq.embeddings import shared_encoder
    from bot.faq.gaps import describe, group_gaps, unsettled_questions
    from storage.db import Database

    database = Database(settings.database_url)
    try:
        questions = unsettled_questions(database, datetime.now(UTC) - timedelta(days=days))
    finally:
        database.dispose()
    gaps = group_gaps(questions, shared_encoder())
    if not gaps:
        print(f"no unanswered or escalated questions in the last {days} days")
        return 0
    unsettled, groups = _counted(len(questions), "unsettled question"), _counted(len(gaps), "group")
    print(f"{unsettled} in the last {days} days, in {groups}:")
    for gap in gaps[:limit]:
        print(describe(gap))
    return 0


def _faq_report(settings: Settings, days: int) -> int:
    from datetime import UTC, datetime, timedelta

    from storage.db import Database
    from storage.metrics import deflection

    database = Database(settings.database_url)
    now = datetime.now(UTC)
    try:
        figures = deflection(database, now - timedelta(days=days), now)
    finally:
        database.dispose()
    print(f"questions asked in the last {days} days: {figures.asked}")
    for label, count in (
        ("answered", figures.answered),
        ("resolved: learner pressed Helped", figures.hard_resolved),
        ("resolved: no further question within 24 hours", figures.soft_resolved),
        ("answered less than 24 hours ago, no feedback yet", figures.pending),
        ("answered, but asked again within 24 hours", figures.asked_again),
        ("asked for a human", figures.escalated),
        ("not answered", figures.unanswered),
    ):
        print(f"  {count:>6}  {label}")
    print(f"deflection: {figures.deflection_rate:.1%} of questions settled without a person")
    return 0


def _report(settings: Settings, arguments: argparse.Namespace) -> int:
    """`report`: the retention metrics of a period (bot.metrics.report)."""
    from datetime import UTC, datetime

    from bot.metrics import report
    from bot.metrics.definitions import report_definitions
    from bot.metrics.segment import SegmentError, parse_segment
    from storage.db import Database

    try:
        definitions = report_definitions(settings)
        now = datetime.now(UTC)
        period = report.chosen_period(
            arguments.period, arguments.first_day, arguments.last_day, definitions, now
        )
        segment = parse_segment(arguments.segment)
    except (ConfigError, report.ReportError, SegmentError) as error:
        print(f"lessonloop: {error}", file=sys.stderr)
        return 2
    database = Database(settings.database_url)
    try:
        _database_ready(database)
        built = report.build_report(database, period, segment, definitions, settings.default_locale, now=now)
    finally:
        database.dispose()
    report.write(built, arguments.format, sys.stdout)
    return 0


def _xapi_export(settings: Settings, arguments: argparse.Namespace) -> int:
    """`xapi export`: the recorded rows as statements, described by the content (bot.xapi)."""
    from bot.content.errors import ContentInvalid
    from bot.content.loader import load_content
    from bot.xapi import command
    from bot.xapi.export import StatementExport
    from storage.db import Database

    try:
        since = command.parse_since(arguments.since)
    except command.SinceError as error:
        print(f"lessonloop: {error}", file=sys.stderr)
        return 2
    try:
        content = load_content([settings.content_dir], settings.default_locale)
    except ContentInvalid as invalid:
        print("\n".join(map(str, invalid.errors)), file=sys.stderr)
        print(
            "lessonloop: the content has problems (statements take their names from it); fix them",
            file=sys.stderr,
        )
        return 1
    database = Database(settings.database_url)
    try:
        _database_ready(database)
        return command.export(
            StatementExport(database, content, settings.xapi_activity_base), since, arguments.out
        )
    finally:
        database.dispose()


def _xapi_status(settings: Settings) -> int:
    """`xapi status`: the outbox to the LRS (bot.xapi.sender)."""
    from bot.xapi import command
    from storage.db import Database
    from storage.lrs_deliveries import lrs_status

    database = Database(settings.database_url)
    try:
        _database_ready(database)
        with database.transaction() as session:
            counted = lrs_status(session)
    finally:
        database.dispose()
    return command.status(counted, settings.lrs.endpoint, sys.stdout)


@contextmanager
def _content_reloading(settings: Settings, engine: Engine) -> Iterator[None]:
    """Content edits reach the running bot without a restart (`bot.content_reload`)."""
    from bot.content_reload import ContentReloader

    reloader = ContentReloader(settings.content_dir, settings.default_locale, engine.use_content)
    reloader.start()
    try:
        yield
    finally:
        reloader.stop()


def _hash_password() -> int:
    """`dashboard hash-password`: the password typed twice without echo (or one line on
    standard input, for a script), printed only as its salted scrypt hash."""
    import getpass

    from bot.web.dashboard.passwords import hashed

    if sys.stdin.isatty():
        password = getpass.getpass("dashboard password: ")
        if getpass.getpass("again: ") != password:
            print("lessonloop: the two passwords differ; nothing printed", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        print(f"lessonloop: choose a password of at least {MIN_PASSWORD} characters", file=sys.stderr)
        return 2
    print(hashed(password))
    print(
        'set dashboard_password_hash = "..." in lessonloop.toml (or LESSONLOOP_DASHBOARD_PASSWORD_HASH)',
        file=sys.stderr,
    )
    return 0


MIN_PASSWORD = 10


def _dashboard(settings: Settings) -> DashboardSettings | None:
    """The dashboard's settings, None when neither a password hash nor a token is set."""
    from bot.metrics.definitions import report_definitions
    from bot.web.dashboard.access import DashboardAccess
    from bot.web.dashboard.settings import DashboardSettings

    access = DashboardAccess(settings.dashboard_password_hash, settings.dashboard_token)
    if not access.configured:
        return None
    return DashboardSettings(access, report_definitions(settings), settings.default_locale)


def _serve(settings: Settings, arguments: argparse.Namespace) -> int:
    """`serve` (every configured platform) and `run PLATFORM` (one): the same process."""
    import os

    from bot import service
    from bot.customers.records_endpoint import DataAccess

    try:
        dashboard = _dashboard(settings)
    except ConfigError as error:
        print(f"lessonloop: the dashboard: {error}", file=sys.stderr)
        return 2
    try:
        if arguments.command == "serve":
            platforms = service.configured_platforms(os.environ, dashboard=dashboard is not None)
            listening = service.Listening(arguments.host, arguments.port, support_port=arguments.support_port)
        else:
            takes_http = arguments.http if arguments.platform == "slack" else arguments.webhook
            url = None if arguments.platform == "slack" else arguments.url
            platforms = service.one_platform(arguments.platform, os.environ, http=takes_http, url=url)
            listening = service.Listening(
                arguments.listen, None, platform_port=arguments.port, support_port=arguments.support_port
            )
    except service.NothingToServeError as error:  # said before the content and the model load
        print(f"lessonloop: {error}", file=sys.stderr)
        return 2
    if arguments.support_port is not None and not settings.handoff.webhook_secret:
        print(
            "lessonloop: --support-port needs support_webhook_url and support_webhook_secret", file=sys.stderr
        )
        return 2
    with (
        _core(settings) as core,
        _content_reloading(settings, core.engine),
        _lrs_sender(settings, core) as lrs,
    ):
        return service.serve(
            core,
            platforms,
            listening,
            inbox_lease_s=settings.inbox_lease_seconds,
            data_access=DataAccess(settings.data_token, settings.data_secret),
            dashboard=dashboard,
            lrs_sender=lrs,
        )


@contextmanager
def _lrs_sender(settings: Settings, core: Core) -> Iterator[LrsSender | None]:
    """The sender of every new learning record to the LRS, when one is configured."""
    if not settings.lrs.configured:
        yield None
        return
    from bot.adapters.database_work import DatabaseWork
    from bot.xapi.export import StatementExport
    from bot.xapi.lrs import LrsClient
    from bot.xapi.sender import LrsSender

    def statements() -> StatementExport:
        return StatementExport(core.database, core.engine.content, settings.xapi_activity_base)

    with closing(DatabaseWork(core.database, name="lrs")) as work:
        yield LrsSender(work, LrsClient(settings.lrs), statements, clock=core.clock, lease=core.outbox_lease)


def _counted(count: int, thing: str) -> str:
    """ "1 file", "3 files": the command line speaks English only."""
    return f"{count} {thing}" if count == 1 else f"{count} {thing}s"


if __name__ == "__main__":
    sys.exit(main())
