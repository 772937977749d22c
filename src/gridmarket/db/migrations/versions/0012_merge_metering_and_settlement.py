"""merge metering and settlement branches

Revision ID: 0012
Revises: 0010, 0011
Create Date: 2026-11-25 18:10:00
"""

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | tuple[str, ...] | None = ("0010", "0011")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
