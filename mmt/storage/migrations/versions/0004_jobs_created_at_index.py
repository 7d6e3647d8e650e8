"""index jobs.created_at for GET /api/jobs

Revision ID: 0004_jobs_created_at
Revises: 0003_content_path
Create Date: 2026-12-05 07:00:00

The job list is ordered by creation time, newest first, and pages with a
keyset cursor on (created_at, id). Without an index each page sorts the
whole table.
"""

from alembic import op


revision = "0004_jobs_created_at"
down_revision = "0003_content_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_created_at", "jobs", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_created_at", table_name="jobs")
