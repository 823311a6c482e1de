"""The bot speaking first, beyond lessons: reminders about a step left unanswered (and the
pause after the last), missed quiz questions coming back for review, and surveys sent on
their triggers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("learners") as table:
        table.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("reminders_sent", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("reminder_due_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("last_surveyed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_learners_reminder_due_at", "learners", ["reminder_due_at"])
    with op.batch_alter_table("learner_messages") as table:
        table.add_column(sa.Column("invitation_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "review_items",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("learner_id", _ID, sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
        sa.Column("course_id", sa.String(length=64), nullable=False),
        sa.Column("quiz_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("learner_id", "quiz_id", "question_id", name="uq_review_item"),
    )
    op.create_index("ix_review_items_due_at", "review_items", ["due_at"])
    op.create_table(
        "survey_invitations",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("learner_id", _ID, sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("learner_id", "survey_id", "reason", name="uq_survey_invitation"),
    )
    op.create_index("ix_survey_invitations_learner_id", "survey_invitations", ["learner_id"])
    op.create_index("ix_survey_invitations_due", "survey_invitations", ["status", "due_at"])


def downgrade() -> None:
    op.drop_table("survey_invitations")
    op.drop_table("review_items")
    with op.batch_alter_table("learner_messages") as table:
        table.drop_column("invitation_id")
    op.drop_index("ix_learners_reminder_due_at", table_name="learners")
    with op.batch_alter_table("learners") as table:
        for column in ("last_surveyed_at", "paused_at", "reminder_due_at", "reminders_sent", "waiting_since"):
            table.drop_column(column)
