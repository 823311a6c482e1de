"""Hand-offs to people: the hand-offs, their deliveries to support, and the outbox to learners.

Self-contained on purpose: another "0004" may be written alongside it; whoever merges
re-chains `down_revision`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("learner_id", _ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("faq_question_id", _ID, nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", _AT, nullable=False),
        sa.Column("resolved_at", _AT, nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["faq_question_id"], ["faq_questions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoffs_learner_id", "handoffs", ["learner_id"])
    op.create_table(
        "handoff_deliveries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("handoff_id", _ID, nullable=False),
        sa.Column("destination", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _AT, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("external_chat", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("sent_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_deliveries_handoff_id", "handoff_deliveries", ["handoff_id"])
    op.create_index("ix_handoff_deliveries_due", "handoff_deliveries", ["status", "next_attempt_at"])
    op.create_index(
        "ix_handoff_deliveries_external",
        "handoff_deliveries",
        ["destination", "external_chat", "external_id"],
    )
    op.create_table(
        "learner_messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("learner_id", _ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _AT, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("sent_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_learner_messages_learner_id", "learner_messages", ["learner_id"])
    op.create_index("ix_learner_messages_due", "learner_messages", ["platform", "status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("learner_messages")
    op.drop_table("handoff_deliveries")
    op.drop_table("handoffs")
