"""keep large original uploads on disk: datasets.content_path

Revision ID: 0003_content_path
Revises: 0002_security (or 0001 where that revision is absent)
Create Date: 2026-12-04 17:00:00

Originals above MMT_CONTENT_IN_DB_MB (64 MB by default) are stored as
``datasets/<id>/original.bin`` beside the Parquet copy, with ``content``
left null; ``content_path`` names that file relative to the data folder.
"""

from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = "0003_content_path"
# NOTE: the security revision was written at the same time as this one; once
# both are released, set down_revision to "0002_security" plainly.
down_revision = "0002_security" if (Path(__file__).parent / "0002_api_keys_audit_events.py").exists() else "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_path", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("content_path")
