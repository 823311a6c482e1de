"""Customers and campaigns: the company's accounts, customers, subscriptions, orders and
conversions; learners tied to a customer and to the learner who referred them; the
campaigns launched, the learners each chose, their clicks and the attribution of
conversions; outbox rows that carry a campaign's message.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("external_id", sa.String(length=128), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.create_table(
        "customers",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("external_id", sa.String(length=128), nullable=False, unique=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=True),
        sa.Column("account_id", _ID, sa.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("signed_up_at", _AT, nullable=True),
        sa.Column("source", sa.String(length=128), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.create_index("ix_customers_email", "customers", ["email"])
    op.create_index("ix_customers_account_id", "customers", ["account_id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", _ID, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("mrr_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("started_at", _AT, nullable=False),
        sa.Column("ended_at", _AT, nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.UniqueConstraint("external_id", "started_at", name="uq_subscription_period"),
    )
    op.create_index("ix_subscriptions_customer_id", "subscriptions", ["customer_id"])
    op.create_table(
        "orders",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("external_id", sa.String(length=160), nullable=False, unique=True),
        sa.Column("customer_id", _ID, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ordered_at", _AT, nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
    op.create_table(
        "conversions",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("external_id", sa.String(length=160), nullable=False, unique=True),
        sa.Column("customer_id", _ID, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=True),
        sa.Column("learner_id", _ID, sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=True),
        sa.Column("goal", sa.String(length=64), nullable=False),
        sa.Column("converted_at", _AT, nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_index("ix_conversions_customer_id", "conversions", ["customer_id"])
    op.create_index("ix_conversions_learner_id", "conversions", ["learner_id"])
    op.create_index("ix_conversions_converted_at", "conversions", ["converted_at"])
    with op.batch_alter_table("learners") as table:
        table.add_column(sa.Column("referred_by_id", _ID, nullable=True))
        table.add_column(sa.Column("customer_id", _ID, nullable=True))
        table.create_foreign_key(
            "fk_learners_referred_by_id", "learners", ["referred_by_id"], ["id"], ondelete="SET NULL"
        )
        table.create_foreign_key(
            "fk_learners_customer_id", "customers", ["customer_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_learners_customer_id", "learners", ["customer_id"])
    with op.batch_alter_table("learner_messages") as table:
        table.add_column(sa.Column("assignment_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_learner_messages_assignment_id", "learner_messages", ["assignment_id"])
    op.create_table(
        "campaign_launches",
        sa.Column("campaign_id", sa.String(length=64), primary_key=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("launched_at", _AT, nullable=False),
        sa.Column("paused_at", _AT, nullable=True),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.create_table(
        "campaign_assignments",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("learner_id", _ID, sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", _AT, nullable=False),
        sa.Column("sent_at", _AT, nullable=True),
        sa.UniqueConstraint("campaign_id", "learner_id", name="uq_campaign_assignment"),
    )
    op.create_index("ix_campaign_assignments_learner", "campaign_assignments", ["learner_id", "assigned_at"])
    op.create_table(
        "campaign_clicks",
        sa.Column("id", _ID, primary_key=True),
        sa.Column(
            "assignment_id", _ID, sa.ForeignKey("campaign_assignments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("clicked_at", _AT, nullable=False),
    )
    op.create_index("ix_campaign_clicks_assignment_id", "campaign_clicks", ["assignment_id"])
    op.create_table(
        "conversion_touches",
        sa.Column(
            "conversion_id", _ID, sa.ForeignKey("conversions.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("model", sa.String(length=8), primary_key=True),
        sa.Column(
            "assignment_id", _ID, sa.ForeignKey("campaign_assignments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("content_id", sa.String(length=130), nullable=True),
        sa.Column("touched_at", _AT, nullable=False),
    )
    op.create_index("ix_conversion_touches_assignment_id", "conversion_touches", ["assignment_id"])


def downgrade() -> None:
    for name in ("conversion_touches", "campaign_clicks", "campaign_assignments", "campaign_launches"):
        op.drop_table(name)
    op.drop_index("ix_learner_messages_assignment_id", table_name="learner_messages")
    with op.batch_alter_table("learner_messages") as table:
        table.drop_column("assignment_id")
    op.drop_index("ix_learners_customer_id", table_name="learners")
    with op.batch_alter_table("learners") as table:
        table.drop_constraint("fk_learners_customer_id", type_="foreignkey")
        table.drop_constraint("fk_learners_referred_by_id", type_="foreignkey")
        table.drop_column("customer_id")
        table.drop_column("referred_by_id")
    for name in ("conversions", "orders", "subscriptions", "customers", "accounts"):
        op.drop_table(name)
