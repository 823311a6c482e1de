"""The learner's own time zone (the `timezone` command) and when the bot asked for it.

`learners.timezone` stays what the platform reports (Slack's `tz`), as `locale_hint` is for
the locale; `chosen_timezone` is the learner's choice and wins, as `locale` does.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("chosen_timezone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("timezone_asked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("timezone_asked_at")
        batch.drop_column("chosen_timezone")
