"""Writing checked records in one transaction, and telling the caller what changed.

All or nothing: with any bad row, nothing is written unless the caller skips bad rows,
and a file that cannot be read at all is never written. The conversions added are handed
to `on_conversions` once they are committed, so the campaigns can be credited with them
(`ImportReport.added_conversion_ids` says which, too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from bot.customers.rows import Checked, RecordError
from storage.customers import Saved, save_records
from storage.db import Database

log = logging.getLogger(__name__)

OnConversions = Callable[[Sequence[int]], None]
"""Called with the database ids of the conversions an import added, after its commit."""


@dataclass(frozen=True)
class ImportReport:
    kind: str
    written: bool
    """False: problems stopped the import and nothing was written."""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    """Bad rows left out (with `skip_bad_rows`)."""
    errors: tuple[RecordError, ...] = ()
    customers_added: int = 0
    """Customers created by their id alone, for records of customers not known yet."""
    accounts_added: int = 0
    added_conversion_ids: tuple[int, ...] = ()
    ignored_columns: tuple[str, ...] = ()

    def counts(self) -> str:
        """`3 added, 1 updated, 96 unchanged, 0 skipped`, and what else was created."""
        line = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.skipped} skipped"
        )
        for count, thing in ((self.customers_added, "new customer"), (self.accounts_added, "new account")):
            if count:
                line += f"; {count} {thing}{'' if count == 1 else 's'}"
        return line


def import_checked(
    database: Database,
    checked: Checked,
    *,
    skip_bad_rows: bool = False,
    on_conversions: OnConversions | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Write `checked`'s records unless its problems stop it; the report either way."""
    if checked.refused or (checked.errors and not skip_bad_rows):
        return ImportReport(
            checked.kind, written=False, errors=checked.errors, ignored_columns=checked.ignored_columns
        )
    saved = _saved(database, checked, now or datetime.now(UTC))
    added_conversions = saved.added_ids if checked.kind == "conversions" else ()
    if added_conversions and on_conversions is not None:
        try:
            on_conversions(added_conversions)
        except Exception:
            # The conversions are stored: a retried import adds none, so failing it would
            # lose them for good. Said loudly instead, with the ids to attribute by hand.
            log.exception("attributing conversions %s to campaigns failed", list(added_conversions))
    return ImportReport(
        checked.kind,
        written=True,
        added=saved.added,
        updated=saved.updated,
        unchanged=saved.unchanged,
        skipped=checked.bad_rows,
        errors=checked.errors,
        customers_added=saved.customers_added,
        accounts_added=saved.accounts_added,
        added_conversion_ids=added_conversions,
        ignored_columns=checked.ignored_columns,
    )


def _saved(database: Database, checked: Checked, now: datetime) -> Saved:
    """Saved in one transaction; once more if another import stored one of the same ids
    meanwhile (PostgreSQL: this one's lookups did not see it yet), which then finds it."""
    try:
        with database.transaction() as session:
            return save_records(session.connection(), checked.records, now)
    except IntegrityError:
        log.info("another import stored some of the same %s meanwhile: importing again", checked.kind)
    with database.transaction() as session:
        return save_records(session.connection(), checked.records, now)
