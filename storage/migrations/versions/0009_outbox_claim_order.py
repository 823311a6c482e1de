"""The outboxes' due indexes end with the row's id, so a claim of the longest-due rows
reads them in the index's order and stops at its limit, however many rows were sent before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUE = {
    "ix_learner_messages_due": ("learner_messages", ["platform", "status", "next_attempt_at"]),
    "ix_handoff_deliveries_due": ("handoff_deliveries", ["status", "next_attempt_at"]),
}


def upgrade() -> None:
    for name, (table, columns) in _DUE.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [*columns, "id"])


def downgrade() -> None:
    for name, (table, columns) in _DUE.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
