"""`lessonloop xapi export`: the statements as JSON Lines, to a file or stdout; `lessonloop
xapi status`: how the sending to the LRS goes."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from bot.xapi.export import StatementExport, write_jsonl
from bot.xapi.statements import timestamp
from storage.lrs_deliveries import LrsStatus


class SinceError(ValueError):
    pass


def parse_since(text: str | None) -> datetime | None:
    """`--since`: a date (midnight UTC) or an ISO 8601 date and time (UTC without an offset)."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SinceError(
            f"--since {text!r} is not a date; write it as YYYY-MM-DD (2026-11-01) or "
            "YYYY-MM-DDTHH:MM[:SS][+HH:MM] (2026-11-01T09:30Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def export(statements: StatementExport, since: datetime | None, out: Path | None) -> int:
    """Writes the statements and says on stderr how many, so stdout stays pure JSON Lines."""
    if out is None:
        written = write_jsonl(statements.statements(since), sys.stdout)
    else:
        with out.open("w", encoding="utf-8") as file:
            written = write_jsonl(statements.statements(since), file)
    where = f" to {out}" if out else ""
    print(f"{written} xAPI statement{'' if written == 1 else 's'} written{where}", file=sys.stderr)
    return 0


def status(lrs_status: LrsStatus, endpoint: str, out: IO[str]) -> int:
    """Counts and the last error, in the words an operator checks them by."""
    sending = (
        f"sending to {endpoint}" if endpoint else "no LRS configured (xapi_lrs_endpoint): nothing is sent"
    )
    lines = [
        f"xAPI statements: {sending}",
        f"  queued  {lrs_status.queued}"
        + (
            f" (oldest recorded {timestamp(lrs_status.oldest_queued_at)})"
            if lrs_status.oldest_queued_at
            else ""
        ),
        f"  sent    {lrs_status.sent}",
        f"  failed  {lrs_status.failed}",
    ]
    if lrs_status.last_error and lrs_status.last_error_at:
        lines.append(f"  last error at {timestamp(lrs_status.last_error_at)}: {lrs_status.last_error}")
    out.write("\n".join(lines) + "\n")
    return 0
