"""The sweep of due lessons writes less per lesson: the due index holds only the lessons
waiting (clearing `next_due_at` adds no entry), and the index on `enrolments.learner_id`
goes, `uq_enrolment` (learner_id, course_id) serving the look-ups by learner.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = sa.text("next_due_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_enrolments_learner_id", table_name="enrolments")
    op.drop_index("ix_enrolments_next_due_at", table_name="enrolments")
    op.create_index(
        "ix_enrolments_next_due_at",
        "enrolments",
        ["next_due_at"],
        postgresql_where=_WAITING,
        sqlite_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_enrolments_next_due_at", table_name="enrolments")
    op.create_index("ix_enrolments_next_due_at", "enrolments", ["next_due_at"])
    op.create_index("ix_enrolments_learner_id", "enrolments", ["learner_id"])
