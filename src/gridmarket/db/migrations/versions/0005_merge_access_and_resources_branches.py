"""merge access and resources branches

Revision ID: 0005
Revises: 0002, 0004
Create Date: 2026-11-25 15:07:36.772852
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | tuple[str, ...] | None = ("0002", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
