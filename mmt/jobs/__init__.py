"""Background jobs for long uploads and analyses.

An in-process thread pool runs jobs by default; Redis + RQ are used when
``REDIS_URL`` is set. Job state lives in the database, so a job that was
running when the server stopped shows as failed and retryable after a
restart instead of vanishing.
"""

from __future__ import annotations

from mmt.jobs.runner import JobRunner, create_job_runner

__all__ = ["JobRunner", "create_job_runner"]
