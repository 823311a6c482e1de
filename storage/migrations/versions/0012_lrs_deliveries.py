"""The outbox to a Learning Record Store, and the indexes its look for new quiz answers,
finished attempts and survey answers reads (lesson completions have `ix_interactions_kind_at`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 04:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)
_RECORD_TIMES = {
    "ix_quiz_answers_answered_at": ("quiz_answers", "answered_at"),
    "ix_quiz_attempts_finished_at": ("quiz_attempts", "finished_at"),
    "ix_survey_answers_answered_at": ("survey_answers", "answered_at"),
}


def upgrade() -> None:
    op.create_table(
        "lrs_deliveries",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("record_kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", _AT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _AT, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", _AT, nullable=True),
        sa.Column("sent_at", _AT, nullable=True),
        sa.UniqueConstraint("record_kind", "record_id", name="uq_lrs_delivery_record"),
    )
    op.create_index("ix_lrs_deliveries_due", "lrs_deliveries", ["status", "next_attempt_at", "id"])
    op.create_index("ix_lrs_deliveries_recorded", "lrs_deliveries", ["record_kind", "recorded_at"])
    for name, (table, column) in _RECORD_TIMES.items():
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, (table, _column) in _RECORD_TIMES.items():
        op.drop_index(name, table_name=table)
    op.drop_table("lrs_deliveries")
