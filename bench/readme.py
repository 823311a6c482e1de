"""Keeping README's performance table in step with the latest benchmark run."""

from __future__ import annotations

import datetime
from pathlib import Path

TABLE_HEADER = "| benchmark | latest result | target | machine | date |"


def update_readme_row(readme: Path, name: str, result: str, target: str, machine: str) -> None:
    """Replace the table row whose first cell is `name` (or add it under the header)."""
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    row = f"| {name} | {result} | {target} | {machine} | {today} |"
    lines = readme.read_text(encoding="utf-8").splitlines()
    if TABLE_HEADER not in lines:
        raise SystemExit(f"{readme} has no performance table starting with {TABLE_HEADER!r}")
    for index, line in enumerate(lines):
        if line.startswith(f"| {name} |"):
            lines[index] = row
            break
    else:
        lines.insert(lines.index(TABLE_HEADER) + 2, row)
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
