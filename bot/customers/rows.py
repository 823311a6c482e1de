"""Checking a file's rows (or a request's records) into typed records, before anything is
written: every problem is found in one pass, each named by where it is (`customers.csv:7`
as a spreadsheet numbers rows, the header being row 1; `record 2` in a request), the
column, and what to write instead.

A file is UTF-8 with or without a BOM (Excel's "CSV UTF-8" writes one); headers are
matched without regard to case or surrounding spaces. The checking of one row is
`bot.customers.records`'; here: the file, its header, and an id twice in one file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.customers.columns import RECORD_KINDS, RecordKind
from bot.customers.records import BUILDERS, Cells, Header, key, repeated, shown
from storage.customer_records import Record


@dataclass(frozen=True)
class RecordError:
    where: str
    """`customers.csv:7`, `customers.csv:1` for the header, or `record 2`."""
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Checked:
    """What a file or request holds: the good records and the problems of the others."""

    kind: str
    records: tuple[Record, ...]
    errors: tuple[RecordError, ...] = ()
    bad_rows: int = 0
    refused: bool = False
    """Nothing in it can be read (its header, its encoding): not even good rows are written."""
    ignored_columns: tuple[str, ...] = ()
    """Columns this kind has no use for (subscriptions and conversions keep no attributes)."""


# --- where the rows come from -----------------------------------------------------------------


def read_file(kind: str, path: Path) -> Checked:
    """The rows of the CSV file at `path`, checked; problems are named by `path` as given."""
    name = str(path)
    record_kind = RECORD_KINDS[kind]
    try:
        data = path.read_bytes()
    except OSError as error:
        return _refused(kind, name, f"cannot be read ({error.strerror}); check the path and its permissions")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        return _refused(
            kind,
            f"{name}:{row}",
            "this is not UTF-8 text; save the file as CSV UTF-8 (in Excel: Save As, "
            "CSV UTF-8) and import it again",
        )
    lines = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(lines, [])
        if not any(cell.strip() for cell in header):
            return _refused(
                kind,
                f"{name}:1",
                f"the file is empty; its first row names the columns: {record_kind.described()}",
            )
        columns = [record_kind.canonical(cell) for cell in header]
        problem = _header_problem(record_kind, columns)
        if problem:
            return _refused(kind, f"{name}:1", problem)
        checked = _Checking(record_kind)
        for number, cells in enumerate(lines, start=2):
            checked.add(f"{name}:{number}", f"row {number}", _cells_of_row(columns, cells))
    except csv.Error as error:
        return _refused(kind, f"{name}:{lines.line_num}", f"{error}; save it again as CSV")
    return checked.result()


def read_documents(kind: str, documents: Sequence[object]) -> Checked:
    """Records sent as JSON objects whose keys are the columns; numbers are taken as text."""
    record_kind = RECORD_KINDS[kind]
    checking = _Checking(record_kind)
    for number, document in enumerate(documents, start=1):
        where = f"record {number}"
        if not isinstance(document, dict):
            checking.refuse_one(where, 'expected an object of columns, e.g. {"customer_id": "C-1042"}')
            continue
        columns = [record_kind.canonical(str(key)) for key in document]
        problem = _header_problem(record_kind, columns, required=False)
        if problem:
            checking.refuse_one(where, problem)
            continue
        cells: dict[str, str] = {}
        for column, value in zip(columns, document.values(), strict=True):
            if isinstance(value, bool) or not isinstance(value, str | int | float | None):
                checking.refuse_one(where, f"{column} must be text or a number")
                break
            cells[column] = "" if value is None else str(value).strip()
        else:
            if any(cells.values()):
                checking.add(where, where, cells)
            else:
                checking.refuse_one(
                    where, 'has no values; expected an object of columns, e.g. {"customer_id": "C-1042"}'
                )
    return checking.result()


def _refused(kind: str, where: str, message: str) -> Checked:
    return Checked(kind, (), (RecordError(where, message),), refused=True)


def _header_problem(kind: RecordKind, columns: Sequence[str], *, required: bool = True) -> str:
    seen: dict[str, int] = {}
    for position, column in enumerate(columns, start=1):
        if column and column in seen:
            return f"the column {column} is there twice (columns {seen[column]} and {position}); keep one"
        seen[column] = position
    if not required:
        return ""
    missing = [column.name for column in kind.columns if column.required and column.name not in seen]
    if not missing:
        return ""
    listed = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
    columns_word = "column" if len(missing) == 1 else "columns"
    return f"the header has no {listed} {columns_word}; the columns of {kind.name} are {kind.described()}"


def _cells_of_row(columns: Sequence[str], cells: Sequence[str]) -> dict[str, str] | str:
    """The row's cells by column, or what is wrong with its shape."""
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        return (
            f"this row has {len(cells)} cells and the header {len(columns)} columns; name the extra "
            "columns in the header, or remove their cells"
        )
    named: dict[str, str] = {}
    for position, column in enumerate(columns):
        cell = cells[position] if position < len(cells) else ""
        if column:
            named[column] = cell.strip()
        elif cell.strip():
            value = shown(cell.strip())
            return f"{value} is in column {position + 1}, which has no name; name it in the header"
    return named


# --- checking the rows ------------------------------------------------------------------------


class _Checking:
    """The records read so far, the problems found, and which row each key came from."""

    def __init__(self, kind: RecordKind) -> None:
        self._kind = kind
        self._build = BUILDERS[kind.name]
        self._records: list[Record] = []
        self._errors: list[RecordError] = []
        self._bad_rows = 0
        self._first_at: dict[object, str] = {}
        self._headers: dict[tuple[str, ...], Header] = {}
        self._ignored: set[str] = set()

    def refuse_one(self, where: str, message: str) -> None:
        self._errors.append(RecordError(where, message))
        self._bad_rows += 1

    def add(self, where: str, called: str, cells: Mapping[str, str] | str) -> None:
        """Check one row found at `where` (`called` when another row refers to it)."""
        if isinstance(cells, str):
            self.refuse_one(where, cells)
            return
        if not any(cells.values()):
            return  # a blank line: spreadsheets leave them at the end
        row = Cells(self._kind, cells, self._header(tuple(cells)))
        record = self._build(row)
        if record is not None and not row.problems:
            first = self._first_at.setdefault(key(record), called)
            if first != called:
                row.problems.append(repeated(record, first))
        if row.problems or record is None:
            self._errors += [RecordError(where, problem) for problem in row.problems]
            self._bad_rows += 1
            return
        self._records.append(record)

    def _header(self, columns: tuple[str, ...]) -> Header:
        """The row's columns, and those this kind does not name: the same for every row of a
        file, so worked out once."""
        header = self._headers.get(columns)
        if header is None:
            named = frozenset(columns)
            header = self._headers[columns] = (named, named - self._kind.column_names)
            if not self._kind.keeps_other_columns:
                self._ignored |= header[1]
        return header

    def result(self) -> Checked:
        return Checked(
            self._kind.name,
            tuple(self._records),
            tuple(self._errors),
            self._bad_rows,
            ignored_columns=tuple(sorted(self._ignored)),
        )
