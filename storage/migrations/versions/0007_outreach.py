"""The bot speaking first: scheduled lessons in the outbox to learners, found by when they
fall due, and learners who cannot be reached any more (they blocked the bot).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("learner_messages") as table:
        table.add_column(sa.Column("course_id", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("lesson_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("learners") as table:
        table.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_enrolments_next_due_at", "enrolments", ["next_due_at"])


def downgrade() -> None:
    op.drop_index("ix_enrolments_next_due_at", table_name="enrolments")
    with op.batch_alter_table("learners") as table:
        table.drop_column("unreachable_at")
    with op.batch_alter_table("learner_messages") as table:
        table.drop_column("lesson_id")
        table.drop_column("course_id")
