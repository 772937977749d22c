"""binding branches of each priced market run and interval

Revision ID: 0015_binding_branches
Revises: 0014_production
Create Date: 2026-11-25 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gridmarket.db.base

revision: str = "0015_binding_branches"
down_revision: str | None = "0014_production"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "market_binding_branch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=64), nullable=False),
        sa.Column(
            "interval_start_utc", gridmarket.db.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("flow_mw", sa.Numeric(precision=16, scale=6), nullable=False),
        sa.Column("limit_mw", sa.Numeric(precision=16, scale=6), nullable=False),
        sa.Column("shadow_price_usd_per_mwh", sa.Numeric(precision=16, scale=6), nullable=False),
        sa.Column("carried_forward", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["market_run.id"], name=op.f("fk_market_binding_branch_run_id_market_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_binding_branch")),
    )
    with op.batch_alter_table("market_binding_branch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_market_binding_branch_run_interval",
            ["run_id", "interval_start_utc"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("market_binding_branch", schema=None) as batch_op:
        batch_op.drop_index("ix_market_binding_branch_run_interval")
    op.drop_table("market_binding_branch")
